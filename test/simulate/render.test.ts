import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderEvents } from '../../src/simulate/render/render-file.js';
import { batchFromArrays } from '../../src/events/index.js';
import { crc32, encodePng } from '../../src/simulate/render/png.js';
import { encodeGif, lzwEncode } from '../../src/simulate/render/gif.js';
import { EVENT_PALETTE, SEPARATOR, eventFrameIndices, tileGrid, upscale } from '../../src/simulate/render/event-frames.js';
import { Random } from '../../src/util/random.js';

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('PNG: valid chunk layout and CRCs, pixels round-trip through inflate', () => {
  const w = 5, h = 3;
  const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) & 0xff);
  const png = encodePng(w, h, rgb);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let o = 8;
  const chunks: { type: string; data: Buffer }[] = [];
  while (o < png.length) {
    const len = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    const data = png.subarray(o + 8, o + 8 + len);
    assert.equal(png.readUInt32BE(o + 8 + len), crc32(png.subarray(o + 4, o + 8 + len)), `CRC of ${type}`);
    chunks.push({ type, data });
    o += 12 + len;
  }
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  const ihdr = chunks[0]!.data;
  assert.equal(ihdr.readUInt32BE(0), w);
  assert.equal(ihdr.readUInt32BE(4), h);
  assert.deepEqual([...ihdr.subarray(8)], [8, 2, 0, 0, 0]);
  const raw = inflateSync(chunks[1]!.data);
  assert.equal(raw.length, h * (1 + 3 * w));
  for (let y = 0; y < h; y++) {
    assert.equal(raw[y * (1 + 3 * w)], 0);
    assert.deepEqual([...raw.subarray(y * (1 + 3 * w) + 1, (y + 1) * (1 + 3 * w))], [...rgb.subarray(y * 3 * w, (y + 1) * 3 * w)]);
  }
  assert.throws(() => encodePng(2, 2, new Uint8Array(11)), /needs 12/);
});

/** Reference GIF LZW decoder (written from the GIF89a spec) to check the encoder against. */
function lzwDecode(data: Uint8Array, minCodeSize: number, count: number): Uint8Array {
  const clear = 1 << minCodeSize, eoi = clear + 1;
  let width = minCodeSize + 1;
  let table: number[][] = [];
  const reset = (): void => {
    table = Array.from({ length: clear + 2 }, (_, i) => [i]);
    width = minCodeSize + 1;
  };
  reset();
  const out: number[] = [];
  let bitPos = 0;
  let prev: number[] | null = null;
  for (;;) {
    let code = 0;
    for (let b = 0; b < width; b++, bitPos++) code |= ((data[bitPos >> 3]! >> (bitPos & 7)) & 1) << b;
    if (code === clear) { reset(); prev = null; continue; }
    if (code === eoi) break;
    let entry: number[];
    if (code < table.length) entry = table[code]!;
    else if (code === table.length && prev) entry = [...prev, prev[0]!];
    else throw new Error(`bad LZW code ${code}`);
    out.push(...entry);
    if (prev && table.length < 4096) table.push([...prev, entry[0]!]);
    if (table.length === 1 << width && width < 12) width++;
    prev = entry;
  }
  assert.equal(out.length, count);
  return Uint8Array.from(out);
}

test('GIF LZW round-trips random, repetitive and table-overflowing inputs', () => {
  const rnd = new Random(11);
  const cases = [
    Uint8Array.from({ length: 1000 }, () => rnd.int(4)),
    new Uint8Array(50000).fill(3),
    Uint8Array.from({ length: 60000 }, () => rnd.int(32)),
    Uint8Array.of(7),
  ];
  for (const [k, input] of cases.entries()) {
    const min = k === 2 ? 5 : k === 3 ? 3 : 2;
    assert.deepEqual(lzwDecode(lzwEncode(input, min), min, input.length), input, `case ${k}`);
  }
});

test('GIF: header, palette, loop extension and frames are laid out per GIF89a', () => {
  const frames = [0, 1].map((k) => ({ indices: Uint8Array.from({ length: 12 }, (_, i) => (i + k) % 17), delayCs: 5 }));
  const gif = encodeGif(4, 3, EVENT_PALETTE, frames);
  assert.equal(gif.toString('latin1', 0, 6), 'GIF89a');
  assert.equal(gif.readUInt16LE(6), 4);
  assert.equal(gif.readUInt16LE(8), 3);
  assert.equal(gif[10]! & 7, 4); // 17 colours → 32-entry table
  const table = 13;
  assert.deepEqual([...gif.subarray(table, table + 51)], [...EVENT_PALETTE]);
  const app = table + 96;
  assert.equal(gif.toString('latin1', app + 3, app + 14), 'NETSCAPE2.0');
  // First graphic control extension and image descriptor, then decode the frame.
  let o = app + 19;
  for (const f of frames) {
    assert.deepEqual([...gif.subarray(o, o + 3)], [0x21, 0xf9, 0x04]);
    assert.equal(gif.readUInt16LE(o + 4), 5);
    o += 8;
    assert.equal(gif[o], 0x2c);
    o += 10;
    const min = gif[o++]!;
    const blocks: number[] = [];
    while (gif[o] !== 0) {
      const n = gif[o]!;
      blocks.push(...gif.subarray(o + 1, o + 1 + n));
      o += 1 + n;
    }
    o++;
    assert.deepEqual(lzwDecode(Uint8Array.from(blocks), min, 12), f.indices);
  }
  assert.equal(gif[o], 0x3b);
  assert.equal(o, gif.length - 1);
});

test('event frames count polarities per pixel within the window, saturating at 3', () => {
  const b = batchFromArrays({ x: [0, 0, 1, 1, 1, 1, 2, 0], y: [0, 0, 0, 0, 0, 0, 1, 0], t: [0, 1, 2, 3, 4, 5, 6, 100], p: [1, 0, 1, 1, 1, 1, 0, 1] }, { width: 3, height: 2 });
  const f = eventFrameIndices(b, 0, 100, 3, 2);
  assert.deepEqual([...f], [1 * 4 + 1, 3 * 4, 0, 0, 0, 1]);
  assert.deepEqual([...upscale(Uint8Array.of(1, 2), 2, 1, 2)], [1, 1, 2, 2, 1, 1, 2, 2]);
  const grid = tileGrid([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)], 1, 1, 2, 1);
  assert.equal(grid.width, 3);
  assert.equal(grid.height, 3);
  assert.deepEqual([...grid.indices], [1, SEPARATOR, 2, SEPARATOR, SEPARATOR, SEPARATOR, 3, SEPARATOR, 0]);
});

test('renderEvents draws a gesture folder (one tile per class) and a file (GIF clip)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-render-'));
  try {
    const png = await renderEvents({ input: 'fixtures/gesture-mini', out: join(dir, 'a.png'), scale: 1, trial: 'user24_led' });
    assert.equal(png.frames, 11);
    // 4 columns × 3 rows of 128 px tiles with 1 px separators.
    assert.deepEqual([png.width, png.height], [4 * 128 + 3, 3 * 128 + 2]);
    const bytes = await readFile(join(dir, 'a.png'));
    assert.equal(bytes.readUInt32BE(16), png.width);
    const gif = await renderEvents({ input: 'fixtures/gesture-mini/user02_led.aedat', out: join(dir, 'b.gif'), frames: 5, windowUs: 20_000, scale: 2 });
    assert.deepEqual([gif.frames, gif.width, gif.height], [5, 256, 256]);
    assert.equal((await readFile(join(dir, 'b.gif'))).toString('latin1', 0, 6), 'GIF89a');
    await assert.rejects(renderEvents({ input: 'fixtures/gesture-mini', out: join(dir, 'c.jpg') }), /\.png or \.gif/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
