import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/command.js';
import { framesCommand } from '../../src/cli/commands/frames.js';
import { recordCommand } from '../../src/cli/commands/record.js';
import { replayCommand } from '../../src/cli/commands/replay.js';
import { readEvents, writeEventFile } from '../../src/formats/index.js';
import { framesFromEvents, toTonicLayout } from '../../src/operators/index.js';
import { randomEvents, rows } from '../support/events.js';
import { freePort } from '../support/process.js';

/** Runs a command with stderr silenced (progress lines), returning its exit code. */
async function quiet(run: () => Promise<number>): Promise<number> {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await run();
  } finally {
    process.stderr.write = write;
  }
}

test('spikeline replay --serve + spikeline record reproduce a file; frames writes Tonic-layout .npy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-cli-'));
  try {
    const ev = randomEvents(30_000, { width: 128, height: 128 }, 41, 2_000_000, 1_000);
    const input = join(dir, 'in.aedat4');
    await writeEventFile(input, [ev], { format: 'aedat4' });
    const port = await freePort();
    const replay = quiet(() => replayCommand.run([input, '--serve', `tcp://127.0.0.1:${port}`, '--speed', '0', '--protocol', 'aedat3']));
    const out = join(dir, 'rec.aedat4');
    // The server is up once replay printed its banner; retry connecting briefly.
    let code = 1;
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        code = await quiet(() => recordCommand.run([`tcp://127.0.0.1:${port}`, out, '--protocol', 'aedat3', '--sensor', '128x128']));
        break;
      } catch (err) {
        if (!/ECONNREFUSED/.test(String(err))) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    assert.equal(code, 0);
    assert.equal(await replay, 0);
    assert.deepEqual(rows(await readEvents(out)), rows(ev));

    const npy = join(dir, 'frames.npy');
    assert.equal(await quiet(() => framesCommand.run([out, npy, '--n-time-bins', '5', '--downsample', '2'])), 0);
    const bytes = readFileSync(npy);
    assert.equal(bytes.subarray(1, 6).toString('latin1'), 'NUMPY');
    const headerLen = bytes.readUInt16LE(8);
    const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
    assert.match(header, /'descr': '<f4', 'fortran_order': False, 'shape': \(5, 2, 64, 64\)/);
    assert.equal((10 + headerLen) % 64, 0);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLen, bytes.byteOffset + bytes.length));
    const half = { ...ev, x: ev.x.map((v) => v >> 1), y: ev.y.map((v) => v >> 1), sensor: { width: 64, height: 64 } };
    assert.deepEqual(data, toTonicLayout(framesFromEvents(half, { nTimeBins: 5 })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('command-line mistakes are usage errors naming the option', async () => {
  await assert.rejects(replayCommand.run(['x.aedat4']), (e: unknown) => e instanceof UsageError && /--serve/.test((e as Error).message));
  await assert.rejects(replayCommand.run(['x.aedat4', '--serve', 'tcp://127.0.0.1']), (e: unknown) => e instanceof UsageError && /port/.test((e as Error).message));
  await assert.rejects(recordCommand.run(['tcp://127.0.0.1:1', 'o.aedat4', '--duration', 'soon']), (e: unknown) => e instanceof UsageError && /duration/.test((e as Error).message));
  await assert.rejects(framesCommand.run(['a', 'b.npy', '--n-time-bins', '3', '--event-count', '4']), UsageError);
});
