import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Debian package's nats-server, if installed. */
export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p));

/** Starts a real nats-server on 127.0.0.1:`port` and resolves once it is ready. */
export async function startNats(port: number): Promise<ChildProcess> {
  const p = spawn(NATS_SERVER!, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    p.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server is ready')) resolve();
    });
    p.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${log}`)));
  });
  return p;
}
