import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The Debian package's binary, when installed. */
export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p));

/**
 * A real nats-server on 127.0.0.1:`port`, with JetStream storing in `storeDir` when given and
 * the settings of the configuration file `config` when given. Resolves once it logs "Server is ready".
 */
export async function startNatsServer(port: number, storeDir?: string, config?: string): Promise<ChildProcess> {
  const args = [...(config ? ['-c', config] : []), '-a', '127.0.0.1', '-p', String(port), ...(storeDir ? ['-js', '-sd', storeDir] : [])];
  const p = spawn(NATS_SERVER!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
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

/** Waits until `pred` holds, polling; fails with `what` after `ms` (a hang guard, not a speed check). */
export async function until(pred: () => boolean | Promise<boolean>, what: string | (() => string), ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
