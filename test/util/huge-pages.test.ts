import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { callerEnv, hugePagesPlan, runtimeGlibc } from '../../src/util/huge-pages.js';

const glibc = (v: string | undefined) => () => v;

test('hugePagesPlan: relaunches on glibc >= 2.35 only, keeps the caller\'s tunables, and can be turned off', () => {
  assert.deepEqual(hugePagesPlan({}, glibc('2.36')), { tunables: 'glibc.malloc.hugetlb=1' });
  assert.deepEqual(hugePagesPlan({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, glibc('2.35')), { tunables: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1' });
  assert.ok('skip' in hugePagesPlan({}, glibc('2.31')));
  assert.ok('skip' in hugePagesPlan({}, glibc(undefined)), 'musl or not Linux');
  assert.ok('skip' in hugePagesPlan({ SPIKELINE_HUGE_PAGES: '0' }, glibc('2.36')));
  assert.ok('skip' in hugePagesPlan({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, glibc('2.36')), 'the caller chose');
  assert.ok('skip' in hugePagesPlan({ SPIKELINE_CALLER_GLIBC_TUNABLES: '' }, glibc('2.36')), 'never twice');
});

test('callerEnv gives children the GLIBC_TUNABLES the caller had', () => {
  assert.deepEqual(callerEnv({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1', SPIKELINE_CALLER_GLIBC_TUNABLES: '' }), { PATH: '/bin' });
  assert.deepEqual(callerEnv({ GLIBC_TUNABLES: 'a=1:glibc.malloc.hugetlb=1', SPIKELINE_CALLER_GLIBC_TUNABLES: 'a=1' }), { GLIBC_TUNABLES: 'a=1' });
  assert.deepEqual(callerEnv({ GLIBC_TUNABLES: 'a=1' }), { GLIBC_TUNABLES: 'a=1' }, 'not relaunched: unchanged');
});

const plan = hugePagesPlan({}, runtimeGlibc);
const noRelaunch = 'skip' in plan ? `${plan.skip}: nothing to relaunch` : false;
const thp = existsSync('/sys/kernel/mm/transparent_hugepage/enabled') ? readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8') : '[never]';

/** A script that relaunches itself as bin/spikeline.js does, then runs `mode`. */
const CHILD = (modulePath: string) => `
import { readFileSync } from 'node:fs';
import { relaunchWithHugePages } from ${JSON.stringify(modulePath)};
const code = await relaunchWithHugePages();
if (code !== undefined) process.exitCode = code;
else if (process.argv[2] === 'memory') {
  const a = new Float32Array(16 << 20); // 64 MiB: malloc maps it, and with the tunable advises huge pages
  a.fill(1);
  const huge = /AnonHugePages:\\s+(\\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  console.log(JSON.stringify({ tunables: process.env.GLIBC_TUNABLES ?? null, hugeKiB: huge ? Number(huge[1]) : -1, sum: a[123] }));
  process.exitCode = 3;
} else {
  process.on('SIGTERM', () => { console.log('child stopped gracefully'); process.exit(0); });
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (++interrupts === 1) setTimeout(() => { console.log('SIGINT x' + interrupts); process.exit(0); }, 300);
  });
  console.log("ready " + process.pid);
  setInterval(() => {}, 1000);
}
`;

async function withChild(f: (script: string) => unknown): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-huge-'));
  const script = join(dir, 'child.mts');
  writeFileSync(script, CHILD(resolve('src/util/huge-pages.ts')));
  try {
    await f(script);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('relaunchWithHugePages: the relaunched process has the tunable, huge pages, and its exit code reaches the caller', { skip: noRelaunch }, async () => {
  await withChild((script) => {
    const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--import', 'tsx', script, 'memory'], { encoding: 'utf8', env: { ...process.env, GLIBC_TUNABLES: '', SPIKELINE_CALLER_GLIBC_TUNABLES: undefined, ...env } });
    const on = run({});
    assert.equal(on.status, 3, on.stderr);
    const got = JSON.parse(on.stdout) as { tunables: string; hugeKiB: number };
    assert.equal(got.tunables, 'glibc.malloc.hugetlb=1');
    if (!thp.includes('[never]')) assert.ok(got.hugeKiB >= 2048, `transparent huge pages are ${thp.trim()}, yet ${got.hugeKiB} KiB of huge pages`);
    const off = run({ SPIKELINE_HUGE_PAGES: '0' });
    assert.equal(off.status, 3, off.stderr);
    assert.equal((JSON.parse(off.stdout) as { tunables: string }).tunables, '', 'SPIKELINE_HUGE_PAGES=0: no relaunch');
  });
});

test('relaunchWithHugePages: SIGTERM to the caller reaches the relaunched process, which stops gracefully', { skip: noRelaunch }, async () => {
  await withChild(async (script) => {
    const env = { ...process.env, SPIKELINE_CALLER_GLIBC_TUNABLES: undefined, GLIBC_TUNABLES: '' };
    const p = spawn(process.execPath, ['--import', 'tsx', script, 'wait'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d));
    await new Promise<void>((ready, fail) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('ready')) ready();
      });
      p.once('exit', () => fail(new Error(`exited before ready: ${err}`)));
    });
    p.kill('SIGTERM');
    const [code, signal] = await new Promise<[number | null, string | null]>((done) => p.once('exit', (c, s) => done([c, s])));
    assert.equal(signal, null, `the caller died of ${signal} instead of waiting for the child; ${err}`);
    assert.equal(code, 0, err);
    assert.match(out, /child stopped gracefully/);
  });
});

test('relaunchWithHugePages: when the launcher is killed with SIGKILL, the relaunched process stops too', { skip: noRelaunch }, async () => {
  await withChild(async (script) => {
    const env = { ...process.env, SPIKELINE_CALLER_GLIBC_TUNABLES: undefined, GLIBC_TUNABLES: '' };
    const p = spawn(process.execPath, ['--import', 'tsx', script, 'wait'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const childPid = await new Promise<number>((ready) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /ready (\d+)/.exec(out);
        if (m) ready(Number(m[1]));
      });
    });
    assert.notEqual(childPid, p.pid, 'the script runs in the relaunched process');
    p.kill('SIGKILL');
    const alive = () => {
      try {
        process.kill(childPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(), false, `process ${childPid} still runs after its launcher was killed`);
    assert.match(out, /child stopped gracefully/);
  });
});

test('relaunchWithHugePages: Ctrl-C (SIGINT to the process group) reaches the relaunched process once, not twice', { skip: noRelaunch }, async () => {
  await withChild(async (script) => {
    const env = { ...process.env, SPIKELINE_CALLER_GLIBC_TUNABLES: undefined, GLIBC_TUNABLES: '' };
    // Its own process group, as a terminal's foreground job: a group signal reaches launcher and child.
    const p = spawn(process.execPath, ['--import', 'tsx', script, 'wait'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    await new Promise<void>((ready) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('ready')) ready();
      });
    });
    process.kill(-p.pid!, 'SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((done) => p.once('exit', (c, s) => done([c, s])));
    assert.equal(signal, null, `the launcher died of ${signal}`);
    assert.equal(code, 0);
    assert.match(out, /SIGINT x1\b/, `the child saw: ${out}`);
  });
});
