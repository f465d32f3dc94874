/**
 * `spikeline info` over multi-MiB files of every readable format, against an independent
 * expectation: the events the test wrote (reference-writers.ts, written from the spec alone),
 * summarised one event at a time in BigInt. Each file spans several 1 MiB reads, so records
 * straddle reads and one push returns several batches (the case that used to be folded after a
 * later push had overwritten it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBatches, EventSummary, type EventBatch } from '../../src/events/index.js';
import { convertEventFile, createDecoder, initZstd, inspectEventFile, openEventFile, type EventFileInfo } from '../../src/formats/index.js';
import { cliArgs } from '../support/process.js';
import { REAL, REPO_ROOT, sharedSkip } from './helpers.js';
import {
  randomEvents,
  referenceSummary,
  writeAedat2Dvs128,
  writeAedat3,
  writeAedat4,
  writeDat,
  writeEvt2,
  writeEvt3,
  writeNmnist,
  type ReferenceSummary,
} from './reference-writers.js';

function summaryOf(info: EventFileInfo): ReferenceSummary {
  const { events, t_first, t_last, x_min, x_max, y_min, y_max, on, checksum } = info;
  return { events, t_first, t_last, x_min, x_max, y_min, y_max, on, checksum };
}

interface Case {
  name: string;
  bytes: Uint8Array;
  expected: ReferenceSummary;
  format: string;
}

async function cases(): Promise<Case[]> {
  await initZstd();
  const dvs = randomEvents(1, 400_000, 128, 128);
  // Crosses the 31-bit timestamp overflow of AEDAT 3.1.
  const wrap = randomEvents(2, 400_000, 128, 128, 2 ** 31 - 800_000);
  const abs = randomEvents(3, 600_000, 320, 240, 1_605_537_493_718_345);
  const vga = randomEvents(4, 800_000, 320, 240);
  const nm = randomEvents(5, 700_000, 34, 34);
  const evt3 = writeEvt3(6, 1_200_000, 320, 240);
  const out: Case[] = [
    { name: 'a.aedat2', format: 'aedat2', bytes: writeAedat2Dvs128(dvs), expected: referenceSummary(dvs) },
    { name: 'b.aedat', format: 'aedat3', bytes: writeAedat3(wrap), expected: referenceSummary(wrap) },
    { name: 'h.raw', format: 'evt2', bytes: writeEvt2(vga, 320, 240), expected: referenceSummary(vga) },
    { name: 'i.raw', format: 'evt3', bytes: evt3.bytes, expected: referenceSummary(evt3.events) },
    { name: 'j.dat', format: 'dat', bytes: writeDat(vga, 320, 240), expected: referenceSummary(vga) },
    { name: 'k.bin', format: 'nmnist', bytes: writeNmnist(nm), expected: referenceSummary(nm) },
  ];
  for (const c of ['none', 'lz4', 'zstd'] as const) {
    out.push({ name: `c-${c}.aedat4`, format: 'aedat4', bytes: writeAedat4(abs, 320, 240, c), expected: referenceSummary(abs) });
  }
  return out;
}

test('info matches a reference summary on multi-MiB files of every format (IMU/trigger/special records interleaved)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-info-ref-'));
  try {
    for (const c of await cases()) {
      assert.ok(c.bytes.length > 2.5 * (1 << 20), `${c.name} spans several reads (${c.bytes.length} bytes)`);
      const path = join(dir, c.name);
      await writeFile(path, c.bytes);
      for (const chunkBytes of [undefined, 65536 + 13]) {
        const info = await inspectEventFile(path, chunkBytes ? { chunkBytes } : {});
        assert.equal(info.format, c.format, c.name);
        assert.deepEqual(summaryOf(info), c.expected, `${c.name} (reads of ${chunkBytes ?? '1 MiB'})`);
      }
      // The batches a reader hands out, kept until the end (info folds inside the decoder).
      const kept: EventBatch[] = [];
      for await (const b of await openEventFile(path)) kept.push(b);
      assert.deepEqual(new EventSummary().add(concatBatches(kept)).toJSON(), c.expected, `${c.name}: kept batches`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('spikeline info on the gesture-mini trial reports the reference values (issue 11)', () => {
  const r = spawnSync(process.execPath, cliArgs('info', '--json', join(REPO_ROOT, 'fixtures', 'gesture-mini', 'user02_led.aedat')), { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout) as EventFileInfo;
  // Values of an independent decode, quoted in issue 11.
  assert.deepEqual([info.events, info.x_max, info.y_max, info.on, info.checksum], [257523, 127, 127, 130832, '5992353017043']);
});

test('an uncompressed AEDAT 4 copy of sample.aedat4 has the reference checksum of spec §13', { skip: sharedSkip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-info-ref-'));
  try {
    const copy = join(dir, 'sample-none.aedat4');
    await convertEventFile(join(REAL, 'sample.aedat4'), copy, { to: 'aedat4', compression: 'none' });
    const info = await inspectEventFile(copy);
    assert.deepEqual(summaryOf(info), {
      events: 111954,
      t_first: 1605537493718345,
      t_last: 1605537494308262,
      x_min: 0,
      x_max: 319,
      y_min: 0,
      y_max: 239,
      on: 55023,
      checksum: '2196435473332584087',
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a folding decoder returns no batches, and only a fresh decoder may fold (its columns were never handed out)', () => {
  const bytes = writeAedat3(randomEvents(9, 5000, 128, 128));
  const folding = createDecoder('aedat3');
  const summary = new EventSummary();
  folding.foldInto(summary);
  assert.deepEqual([...folding.push(bytes), ...folding.end()], []);
  assert.equal(summary.events, 5000);
  const used = createDecoder('aedat3');
  used.push(bytes.subarray(0, 1000));
  assert.throws(() => used.foldInto(new EventSummary()), /before the first push/);
});
