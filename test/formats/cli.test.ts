import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertEventFile, inspectEventFile } from '../../src/formats/index.js';
import { REPO_ROOT } from './helpers.js';
import { cliArgs } from '../support/process.js';

const FIXTURE = join(REPO_ROOT, 'fixtures', 'formats-bar.aedat4');

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    cliArgs(...args),
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('spikeline info --json reports the required fields', () => {
  const r = cli('info', '--json', FIXTURE);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  for (const k of ['format', 'width', 'height', 'events', 't_first', 't_last', 'x_min', 'x_max', 'y_min', 'y_max', 'on', 'checksum']) assert.ok(k in info, k);
  assert.equal(info.format, 'aedat4');
  assert.equal(info.width, 128);
  assert.equal(info.events, 8979);
  assert.equal(typeof info.checksum, 'string');
  assert.equal(info.data_table_entries, 5);
  assert.equal(info.data_table_consistent, true);
});

test('spikeline convert: every output format keeps the events (same checksum)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-cli-'));
  try {
    const ref = await inspectEventFile(FIXTURE);
    // Two conversions through the CLI process, the rest through the same library call it uses.
    for (const [name, extra] of [['a.aedat', []], ['d.aedat4', ['--compression', 'zstd']]] as const) {
      const r = cli('convert', FIXTURE, join(dir, name), ...extra);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /8979 events/);
    }
    await convertEventFile(FIXTURE, join(dir, 'b.aedat2'), { to: 'aedat2' });
    await convertEventFile(FIXTURE, join(dir, 'c.csv'), { to: 'csv' });
    await convertEventFile(FIXTURE, join(dir, 'e.bin'), { to: 'aedat4', compression: 'none' });
    for (const name of ['a.aedat', 'd.aedat4', 'b.aedat2', 'c.csv', 'e.bin']) {
      const info = await inspectEventFile(join(dir, name), name.endsWith('.bin') ? { format: 'aedat4' } : {});
      assert.equal(info.checksum, ref.checksum, name);
      assert.equal(info.events, ref.events, name);
    }
    const bad = cli('convert', FIXTURE, join(dir, 'x.unknown'));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be one of/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('spikeline info on a corrupt file names file and offset', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-cli-'));
  try {
    const { writeFile, readFile } = await import('node:fs/promises');
    const bytes = await readFile(FIXTURE);
    const path = join(dir, 'cut.aedat4');
    await writeFile(path, bytes.subarray(0, 5000));
    const r = cli('info', path);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cut\.aedat4: byte \d+: .*truncated|cut\.aedat4: byte \d+/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--sensor WxH: a CSV without a %geometry line keeps events beyond its first MiB of rows (info, convert, frames)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-cli-'));
  try {
    const { writeFile, readFile } = await import('node:fs/promises');
    // 90,000 rows (> 1 MiB, the first read) inside 100 x 50, then two events of a 346 x 260 sensor.
    const rows = ['x,y,t,p'];
    for (let i = 0; i < 90_000; i++) rows.push(`${i % 100},${i % 50},${i * 10},${i % 2}`);
    rows.push('345,259,900000,1', '200,100,900010,0');
    const csv = join(dir, 'nogeo.csv');
    await writeFile(csv, `${rows.join('\n')}\n`);

    const guessed = cli('info', csv);
    assert.equal(guessed.code, 0, guessed.stderr);
    assert.match(guessed.stdout, /sensor: +100 x 50/);
    assert.match(guessed.stdout, /outOfRange=2\n.*--sensor WxH sets the size/);

    const r = cli('info', csv, '--json', '--sensor', '346x260');
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.deepEqual([info.width, info.height, info.events, info.x_max, info.y_max], [346, 260, 90_002, 345, 259]);
    assert.deepEqual(info.skipped, {});

    const out = join(dir, 'out.csv');
    const c = cli('convert', csv, out, '--sensor', '346x260');
    assert.equal(c.code, 0, c.stderr);
    const written = (await readFile(out, 'utf8')).split('\n');
    assert.equal(written[0], '%geometry:346,260');
    assert.equal(written.filter((l) => /^\d/.test(l)).length, 90_002);

    const npy = join(dir, 'f.npy');
    const f = cli('frames', csv, npy, '--n-time-bins', '1', '--include-tail', '--sensor', '346x260');
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stderr, /90002 events .*\[1, 2, 260, 346\]/);

    const bad = cli('info', csv, '--sensor', '346');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--sensor must be WxH/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
