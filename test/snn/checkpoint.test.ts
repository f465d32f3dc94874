import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replaceFolder, settleFolder } from '../../src/snn/checkpoint.js';

test('a checkpoint folder is replaced whole: a write that fails keeps the previous one, a swap cut between its renames is finished', async () => {
  const root = await mkdtemp(join(tmpdir(), 'snn-swap-'));
  try {
    const dir = join(root, 'checkpoint');
    const write = (epoch: number) => async (tmp: string) => {
      mkdirSync(tmp, { recursive: true });
      writeFileSync(join(tmp, 'weights.bin'), `w${epoch}`);
      writeFileSync(join(tmp, 'state.json'), `{"epoch":${epoch}}`);
    };
    await replaceFolder(dir, write(1));
    await assert.rejects(
      replaceFolder(dir, async (tmp) => {
        mkdirSync(tmp);
        writeFileSync(join(tmp, 'weights.bin'), 'w2');
        throw new Error('killed mid-write');
      }),
      /killed mid-write/,
    );
    assert.ok(await settleFolder(dir, 'state.json'));
    assert.equal(await readFile(join(dir, 'weights.bin'), 'utf8'), 'w1');

    // A kill after the old folder moved aside and before the new one moved in.
    await write(2)(`${dir}.next`);
    renameSync(dir, `${dir}.old`);
    assert.ok(await settleFolder(dir, 'state.json'));
    assert.equal(await readFile(join(dir, 'weights.bin'), 'utf8'), 'w2');
    assert.ok(!existsSync(`${dir}.next`));
    await replaceFolder(dir, write(3));
    assert.ok(!existsSync(`${dir}.old`) && !existsSync(`${dir}.next`));
    assert.equal(await readFile(join(dir, 'state.json'), 'utf8'), '{"epoch":3}');
    assert.equal(await settleFolder(join(root, 'none'), 'state.json'), false);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
