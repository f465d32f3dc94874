/**
 * A private PostgreSQL cluster for tests: initdb in a temp dir, started with pg_ctl on a free
 * 127.0.0.1 port, trust auth for one superuser, stopped and deleted by stop(). PostgreSQL refuses
 * to run as root (CI runs as root), so then the server commands run as the `postgres` user that
 * the Debian package creates.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.js';

export interface PostgresServer {
  /** Connection URL of the cluster's `postgres` database as its superuser `spikeline`. */
  url: string;
  port: number;
  stop(): void;
}

/** Directory of initdb / pg_ctl: on PATH, else the newest Debian /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'initdb'))) return dir;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

export const POSTGRES_MISSING = 'PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package "postgresql"';

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(POSTGRES_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-pg-'));
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    uid = id('-u');
    gid = id('-g');
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root needs the "postgres" user (Debian package "postgresql") to run the server');
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]): void => {
    const r = spawnSync(join(bin, cmd), args, { encoding: 'utf8', uid, gid, cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.error?.message ?? ''}${r.stderr}${r.stdout}`);
  };
  const data = join(dir, 'data');
  const port = await freePort();
  run('initdb', ['-D', data, '-U', 'spikeline', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  // fsync off: a test cluster never needs to survive an OS crash.
  run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -F`, 'start']);
  return {
    url: `postgres://spikeline@127.0.0.1:${port}/postgres`,
    port,
    stop: () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
