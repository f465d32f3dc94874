/**
 * One rule for every decoder: events outside the sensor (x >= width or y >= height, including
 * AEDAT 4's negative int16 coordinates, which a Uint16 column would turn into ~65535) are
 * dropped and counted as skipped.outOfRange. Crafted files of each format, WASM and JS paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBatches, EventSummary } from '../../src/events/index.js';
import { createDecoder, initZstd, inspectEventFile, openEventFile, wasmKernelsAvailable, type ReadOptions } from '../../src/formats/index.js';
import { skipUnlessWasm } from '../support/require.js';
import { NO_KERNELS } from './helpers.js';
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
  type PlainEvents,
} from './reference-writers.js';

/** Moves every 37th event to one of `bad` positions; returns the file's events and the in-sensor ones. */
function withOutside(e: PlainEvents, bad: ReadonlyArray<readonly [number, number]>): { all: PlainEvents; inside: PlainEvents; outside: number } {
  const all: PlainEvents = { x: [...e.x], y: [...e.y], t: [...e.t], p: [...e.p] };
  const inside: PlainEvents = { x: [], y: [], t: [], p: [] };
  let outside = 0;
  for (let i = 0; i < all.x.length; i++) {
    if (i % 37 === 5) {
      [all.x[i], all.y[i]] = bad[outside % bad.length]!;
      outside++;
      continue;
    }
    inside.x.push(all.x[i]!);
    inside.y.push(all.y[i]!);
    inside.t.push(all.t[i]!);
    inside.p.push(all.p[i]!);
  }
  return { all, inside, outside };
}

interface Case {
  name: string;
  bytes: Uint8Array;
  inside: PlainEvents;
  outside: number;
  options?: ReadOptions;
}

async function cases(): Promise<Case[]> {
  await initZstd();
  const vga = randomEvents(11, 30_000, 320, 240, 1_605_537_493_718_345);
  // AEDAT 4 stores int16: 65535 and 65533 are the bytes of -1 and -3.
  const a4 = withOutside(vga, [[65535, 10], [5, 65533], [320, 0], [0, 240], [400, 300]]);
  const rel = randomEvents(12, 30_000, 320, 240);
  const wide = withOutside(rel, [[320, 0], [0, 240], [2047, 2047]]);
  const dvs = randomEvents(13, 30_000, 128, 128);
  const a3 = withOutside(dvs, [[128, 0], [0, 128], [32767, 32767]]);
  const small = randomEvents(14, 30_000, 34, 34);
  const nm = withOutside(small, [[34, 0], [0, 34], [200, 200]]);
  const a2 = withOutside(small, [[34, 0], [0, 34], [127, 127]]);
  const out: Case[] = [];
  for (const c of ['none', 'lz4', 'zstd'] as const) out.push({ name: `a-${c}.aedat4`, bytes: writeAedat4(a4.all, 320, 240, c), inside: a4.inside, outside: a4.outside });
  out.push(
    { name: 'b.aedat', bytes: writeAedat3(a3.all), inside: a3.inside, outside: a3.outside },
    { name: 'c.aedat', bytes: writeAedat3(wide.all, 'File,dvsSizeX=320,dvsSizeY=240'), inside: wide.inside, outside: wide.outside },
    { name: 'd.raw', bytes: writeEvt2(wide.all, 320, 240), inside: wide.inside, outside: wide.outside },
    { name: 'e.dat', bytes: writeDat(wide.all, 320, 240), inside: wide.inside, outside: wide.outside },
    { name: 'f.bin', bytes: writeNmnist(nm.all), inside: nm.inside, outside: nm.outside },
    { name: 'g.aedat2', bytes: writeAedat2Dvs128(a2.all, '# Sensor size: 34x34\r\n'), inside: a2.inside, outside: a2.outside },
    evt3Case(),
    { name: 'h.csv', bytes: csv(nm.all), inside: nm.inside, outside: nm.outside, options: { sensor: { width: 34, height: 34 } } },
  );
  return out;
}

/** EVT 3.0 events drawn on 400x260 (single and vector events) in a file that declares 320x240. */
function evt3Case(): Case {
  const { bytes, events } = writeEvt3(15, 30_000, 400, 260, { width: 320, height: 240 });
  const inside: PlainEvents = { x: [], y: [], t: [], p: [] };
  for (let i = 0; i < events.x.length; i++) {
    if (events.x[i]! >= 320 || events.y[i]! >= 240) continue;
    inside.x.push(events.x[i]!);
    inside.y.push(events.y[i]!);
    inside.t.push(events.t[i]!);
    inside.p.push(events.p[i]!);
  }
  return { name: 'i.raw', bytes, inside, outside: events.x.length - inside.x.length };
}

function csv(e: PlainEvents): Uint8Array {
  const rows = e.x.map((x, i) => `${x},${e.y[i]},${e.t[i]},${e.p[i]}`);
  return new TextEncoder().encode(`x,y,t,p\n${rows.join('\n')}\n`);
}

test('every decoder drops and counts events outside the sensor (WASM and JS paths)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-outside-'));
  try {
    for (const c of await cases()) {
      const path = join(dir, c.name);
      await writeFile(path, c.bytes);
      for (const wasm of [true, false]) {
        const info = await inspectEventFile(path, { ...c.options, wasm, chunkBytes: 65536 });
        const { events, x_min, x_max, y_min, y_max, on, checksum } = info;
        const want = referenceSummary(c.inside);
        assert.deepEqual({ events, x_min, x_max, y_min, y_max, on, checksum }, { events: want.events, x_min: want.x_min, x_max: want.x_max, y_min: want.y_min, y_max: want.y_max, on: want.on, checksum: want.checksum }, `${c.name} wasm=${wasm}`);
        assert.equal(info.skipped['outOfRange'], c.outside, `${c.name} wasm=${wasm}: outOfRange count`);
        // The batches a reader hands out (info folds inside the decoder instead).
        const file = await openEventFile(path, { ...c.options, wasm, chunkBytes: 65536 });
        const s = new EventSummary();
        for await (const b of file) s.add(b);
        assert.equal(s.checksum.toString(), want.checksum, `${c.name} wasm=${wasm}: batches`);
        assert.equal(file.decoder.stats.skipped['outOfRange'], c.outside);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('AEDAT 3.1 WebAssembly path: one event just outside the sensor (x = width or y = height) is dropped wherever it lies', { skip: skipUnlessWasm(wasmKernelsAvailable(), NO_KERNELS) }, () => {
  const base = randomEvents(16, 20_000, 128, 128);
  // Index 4 sits in a packet's first 8-event group, which also holds invalid events (scalar
  // loop); 9000 in a vector step of the second 8192-event piece; the last one in a tail group.
  for (const at of [4, 9000, base.x.length - 1]) {
    for (const bad of [[128, 7], [7, 128]] as const) {
      const e = withOneAt(base, at, bad);
      const dec = createDecoder('aedat3', { wasm: true });
      const batches = [...dec.push(writeAedat3(e.all)), ...dec.end()];
      const got = concatBatches(batches, dec.sensor);
      const what = `event ${at} at (${bad[0]}, ${bad[1]})`;
      assert.equal(dec.stats.skipped['outOfRange'], 1, `${what}: counted`);
      assert.deepEqual([got.length, Array.from(got.x), Array.from(got.y)], [e.inside.x.length, e.inside.x, e.inside.y], `${what}: dropped`);
    }
  }
});

function withOneAt(e: PlainEvents, at: number, bad: readonly [number, number]): { all: PlainEvents; inside: PlainEvents } {
  const all: PlainEvents = { x: [...e.x], y: [...e.y], t: [...e.t], p: [...e.p] };
  [all.x[at], all.y[at]] = bad;
  const keep = (_: number, i: number) => i !== at;
  return { all, inside: { x: all.x.filter(keep), y: all.y.filter(keep), t: all.t.filter(keep), p: all.p.filter(keep) } };
}
