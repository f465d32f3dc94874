/**
 * `spikeline convert` never destroys data: it refuses to write over its own input (also through
 * links), and a conversion that fails leaves an existing output untouched and no partial file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { link, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertEventFile } from '../../src/formats/index.js';
import { cliArgs } from '../support/process.js';
import { REPO_ROOT } from './helpers.js';

const FIXTURE = join(REPO_ROOT, 'fixtures', 'formats-bar.aedat4');

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-convert-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('convert X X is refused and X keeps its bytes', async () => {
  await withDir(async (dir) => {
    const original = await readFile(FIXTURE);
    const path = join(dir, 'x.aedat4');
    await writeFile(path, original);
    const r = spawnSync(process.execPath, cliArgs('convert', path, path), { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /output .*x\.aedat4 is the input file/);
    assert.deepEqual(await readFile(path), original);
  });
});

test('convert refuses an output that is a symbolic or hard link to the input', async () => {
  await withDir(async (dir) => {
    const original = await readFile(FIXTURE);
    const path = join(dir, 'x.aedat4');
    await writeFile(path, original);
    await symlink(path, join(dir, 'soft.aedat'));
    await link(path, join(dir, 'hard.aedat'));
    for (const out of ['soft.aedat', 'hard.aedat']) {
      await assert.rejects(convertEventFile(path, join(dir, out), { to: 'aedat3' }), /is the input file/, out);
    }
    assert.deepEqual(await readFile(path), original);
  });
});

test('a failed convert leaves the existing output untouched and no partial file behind', async () => {
  await withDir(async (dir) => {
    const bytes = await readFile(FIXTURE);
    // Cut inside the last event packet: the earlier packets decode (and are written) before the
    // truncated tail fails the conversion.
    const input = join(dir, 'cut.aedat4');
    await writeFile(input, bytes.subarray(0, bytes.length - 600));
    const output = join(dir, 'out.aedat');
    const previous = new TextEncoder().encode('an earlier, complete conversion');
    await writeFile(output, previous);
    await assert.rejects(convertEventFile(input, output, { to: 'aedat3' }), /truncated/);
    assert.deepEqual(new Uint8Array(await readFile(output)), previous);
    assert.deepEqual((await readdir(dir)).sort(), ['cut.aedat4', 'out.aedat']);
  });
});
