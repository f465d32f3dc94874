import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { freePort } from './process.js';
import { skipUnlessInstalled } from './require.js';

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

/** A JetStream nats-server of one test, with a client connection (see `jetStreamBus`). */
export interface TestBus {
  url: string;
  /** Connected to `url`, reconnecting every 100 ms while the server is away. */
  nc: NatsConnection;
  /** Runs at the end of the test, last registered first, before the connection and server close. */
  defer(cleanup: () => unknown): void;
  /** Stops the server (SIGTERM) and starts it again on the same port and store. */
  restart(): Promise<void>;
}

type TestContext = { skip(message: string): void; after(fn: () => unknown): void };

/**
 * Starts a real `nats-server -js` on a free loopback port with its store in a temporary folder
 * and connects to it; everything is torn down after the test. Undefined (the test skipped) when
 * nats-server is not installed.
 */
export async function jetStreamBus(t: TestContext): Promise<TestBus | undefined> {
  const unavailable = skipUnlessInstalled(NATS_SERVER !== undefined, 'nats-server not found: install the Debian package "nats-server" to run this test');
  if (unavailable) {
    t.skip(unavailable);
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-bus-'));
  const port = await freePort();
  let server = await startNatsServer(port, dir);
  const url = `nats://127.0.0.1:${port}`;
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const cleanups: (() => unknown)[] = [];
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn();
    await nc.close();
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url,
    nc,
    defer: (cleanup) => void cleanups.push(cleanup),
    async restart() {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
      server = await startNatsServer(port, dir);
    },
  };
}
