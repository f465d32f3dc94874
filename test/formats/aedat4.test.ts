import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concatBatches, EventSummary, type EventBatch } from '../../src/events/index.js';
import {
  Aedat4Decoder,
  Aedat4Encoder,
  ByteScratch,
  compressAedat4,
  concatChunks,
  decodeBuffer,
  encodeAedat4EventPacket,
  encodeAedat4,
  FormatError,
  initZstd,
  lz4DecodeFrame,
  lz4EncodeFrame,
  openEventFile,
  readAedat4Index,
  readAedat4Range,
  writeEventFile,
  zstdCompress,
  zstdDecompress,
  wasmKernelsAvailable,
  type Aedat4Compression,
} from '../../src/formats/index.js';
import { assertBatchesEqual, chunked, randomBatch, REAL, rng, sharedSkip, NO_KERNELS } from './helpers.js';
import { skipUnlessWasm } from '../support/require.js';

const SENSOR = { width: 346, height: 260 };
const T0 = 1605537493718345;

function pushAll(dec: Aedat4Decoder, parts: Uint8Array[]): EventBatch {
  const out: EventBatch[] = [];
  for (const p of parts) out.push(...dec.push(p));
  out.push(...dec.end());
  return concatBatches(out, SENSOR);
}

test('golden: sample.aedat4 (LZ4, stream 0, data table)', { skip: sharedSkip }, async () => {
  const file = await openEventFile(join(REAL, 'sample.aedat4'), { chunkBytes: 65536 });
  assert.equal(file.format, 'aedat4');
  const summary = new EventSummary();
  let first: number[] | undefined;
  let prev = -Infinity;
  for await (const b of file) {
    first ??= [b.t[0]!, b.x[0]!, b.y[0]!, b.p[0]!];
    for (let i = 0; i < b.length; i++) {
      assert.ok(b.t[i]! >= prev);
      prev = b.t[i]!;
    }
    summary.add(b);
  }
  assert.deepEqual(summary.toJSON(), {
    events: 111954, t_first: 1605537493718345, t_last: 1605537494308262,
    x_min: 0, x_max: 319, y_min: 0, y_max: 239, on: 55023, checksum: '2196435473332584087',
  });
  assert.deepEqual(first, [1605537493718345, 154, 204, 0]);
  const d = file.decoder as Aedat4Decoder;
  assert.deepEqual(d.sensor, { width: 320, height: 240 });
  assert.equal(d.ioHeader?.compression, 'lz4');
  assert.equal(d.ioHeader?.dataTablePosition, 945243);
  assert.deepEqual(d.streams.map((s) => [s.id, s.type]), [[0, 'EVTS'], [2, 'IMUS'], [3, 'TRIG']]);
  assert.equal(d.stats.packets, 118);
  assert.deepEqual([...d.packetsPerStream], [[0, 59], [2, 59]]);
  assert.equal(d.stats.skipped['imu'], 475);
  const table = d.dataTable!;
  assert.equal(table.length, 118);
  assert.deepEqual(table[0], { byteOffset: 2342, streamId: 0, size: 7949, numElements: 918, timestampStart: 1605537493718345, timestampEnd: table[0]!.timestampEnd });
  assert.equal(table.filter((e) => e.streamId === 0).reduce((s, e) => s + e.numElements, 0), 111954);
  assert.equal(table.filter((e) => e.streamId === 2).reduce((s, e) => s + e.numElements, 0), 475);
});

test('golden: sample.aedat4 decodes identically through 1..300-byte chunks', { skip: sharedSkip }, async () => {
  const bytes = new Uint8Array(await readFile(join(REAL, 'sample.aedat4')));
  const whole = decodeBuffer(bytes);
  const dec = new Aedat4Decoder();
  assertBatchesEqual(pushAll(dec, chunked(bytes, 11, 300)), whole);
  assert.equal(dec.dataTable?.length, 118);
});

test('LZ4 frame codec round-trips and rejects corrupt input', () => {
  const r = rng(3);
  for (const n of [0, 1, 13, 1000, 70000, 300000]) {
    const src = new Uint8Array(n);
    for (let i = 0; i < n; i++) src[i] = r() < 0.5 ? i & 7 : Math.floor(r() * 256);
    const f = lz4EncodeFrame(src);
    const sc = new ByteScratch(16);
    const len = lz4DecodeFrame(f, 0, f.length, sc, 1 << 24);
    assert.equal(len, n);
    assert.deepEqual(sc.buf.subarray(0, n), src);
    if (n > 0) assert.throws(() => lz4DecodeFrame(f, 0, f.length, sc, n - 1), /limit|overflow/, 'output limit enforced');
  }
});

for (const compression of ['none', 'lz4', 'zstd'] as Aedat4Compression[]) {
  test(`AEDAT 4 write -> read round-trip (${compression}, file and network framing)`, async () => {
    await initZstd();
    for (let seed = 1; seed <= 3; seed++) {
      const batches = [randomBatch(seed, 5000, SENSOR, T0), randomBatch(seed + 7, 1234, SENSOR, T0 + 1e6), randomBatch(seed + 9, 0, SENSOR)];
      const all = concatBatches(batches, SENSOR);
      const bytes = encodeAedat4(batches, { sensor: SENSOR, compression, maxEventsPerPacket: 1000 });
      const dec = new Aedat4Decoder();
      assertBatchesEqual(pushAll(dec, chunked(bytes, seed, 5000)), all, compression);
      assert.deepEqual(dec.sensor, SENSOR);
      assert.equal(dec.ioHeader!.compression, compression);
      assert.equal(dec.dataTable!.length, 7);
      assert.equal(dec.dataTable!.reduce((s, e) => s + e.numElements, 0), all.length);
      const view = new DataView(bytes.buffer);
      for (const e of dec.dataTable!) assert.equal(view.getInt32(e.byteOffset - 4, true), e.size, 'table points at packet payloads');
      // Network framing: size-prefixed IOHeader, packets, no table.
      const enc = new Aedat4Encoder({ sensor: SENSOR, compression, framing: 'network' });
      const net = [enc.begin(), ...batches.map((b) => enc.encode(b))];
      const ndec = new Aedat4Decoder({ framing: 'network' });
      assertBatchesEqual(pushAll(ndec, net.flatMap((p, i) => chunked(p, i, 777))), all, `${compression} network`);
      assert.equal(ndec.ioHeader!.dataTablePosition, -1);
    }
  });
}

test('ZSTD: header-declared sizes over the limit are refused before allocating', async () => {
  await initZstd();
  const src = new Uint8Array(100000).fill(7);
  const z = zstdCompress(src);
  assert.deepEqual(zstdDecompress(z, 1 << 20), src);
  assert.throws(() => zstdDecompress(z, 1000), /limit/);
});

test('AEDAT 4 bad input: FormatError with offsets', async () => {
  const bytes = encodeAedat4([randomBatch(1, 3000, SENSOR, T0)], { sensor: SENSOR, compression: 'lz4', maxEventsPerPacket: 1000 });
  const first = 18 + new DataView(bytes.buffer).getUint32(14, true);
  // Wrong magic.
  const m = bytes.slice();
  m[11] = 0x31;
  assert.throws(() => new Aedat4Decoder().push(m), (e: unknown) => e instanceof FormatError && /magic/.test(e.message));
  // Impossible packet size.
  const s = bytes.slice();
  new DataView(s.buffer).setInt32(first + 4, -1, true);
  assert.throws(() => decodeBuffer(s), (e: unknown) => e instanceof FormatError && e.offset === first + 4);
  // Garbage inside the compressed payload.
  const g = bytes.slice();
  for (let i = first + 20; i < first + 60; i++) g[i] = 0xff;
  assert.throws(() => decodeBuffer(g), FormatError);
  // Truncated.
  assert.throws(() => decodeBuffer(bytes.subarray(0, bytes.length - 10)), FormatError);
});

test('sample.aedat4 cut inside its data table: allowTruncated keeps every event and drops the table', { skip: sharedSkip }, async () => {
  const bytes = new Uint8Array(await readFile(join(REAL, 'sample.aedat4')));
  const cut = bytes.subarray(0, bytes.length - 10); // all 118 packets intact, table (from 945243) incomplete
  assert.throws(() => decodeBuffer(cut, { source: 'cut.aedat4' }), (e: unknown) => e instanceof FormatError && /cut\.aedat4/.test(e.message) && /data table/.test(e.message));
  for (const wasm of [true, false]) {
    const dec = new Aedat4Decoder({ allowTruncated: true, wasm });
    const got = pushAll(dec, chunked(cut, 3, 65536));
    assert.equal(got.length, 111954);
    assert.equal(dec.dataTable, undefined);
    assert.equal(dec.stats.truncatedBytes, cut.length - 945243);
    assert.equal(dec.stats.bytes, cut.length);
  }
});

test('data table: time-range reads touch only overlapping packets and match a scan', { skip: sharedSkip }, async () => {
  const path = join(REAL, 'sample.aedat4');
  const index = await readAedat4Index(path);
  assert.equal(index.table?.length, 118);
  assert.equal(index.dataStart, 2334);
  const start = 1605537493900000, end = 1605537494000000;
  const collect = async (ignoreTable: boolean): Promise<EventBatch> => {
    const parts: EventBatch[] = [];
    for await (const b of readAedat4Range(path, start, end, { ignoreTable })) parts.push(b);
    return concatBatches(parts, { width: 320, height: 240 });
  };
  const viaTable = await collect(false);
  const viaScan = await collect(true);
  assert.ok(viaTable.length > 10000);
  assertBatchesEqual(viaTable, viaScan);
  assert.ok(viaTable.t[0]! >= start && viaTable.t[viaTable.length - 1]! < end);
});

test('data table of a written file indexes every packet', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-a4-'));
  try {
    const ev = randomBatch(4, 20000, SENSOR, T0, 10);
    const path = join(dir, 'x.aedat4');
    await writeEventFile(path, [ev], { format: 'aedat4', compression: 'lz4', maxEventsPerPacket: 1000 });
    const index = await readAedat4Index(path);
    assert.equal(index.table!.length, 20);
    assert.equal(index.table![5]!.timestampStart, ev.t[5000]);
    const parts: EventBatch[] = [];
    for await (const b of readAedat4Range(path, ev.t[4321]!, ev.t[15000]!)) parts.push(b);
    const got = concatBatches(parts, SENSOR);
    let lo = 0;
    while (ev.t[lo]! < ev.t[4321]!) lo++;
    let hi = lo;
    while (ev.t[hi]! < ev.t[15000]!) hi++;
    assert.equal(got.length, hi - lo);
    assert.equal(got.t[0], ev.t[lo]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('frames from the reference zstd / lz4 command-line tools decode (unknown content size)', () => {
  const text = 'spikeline '.repeat(300);
  const zst = new Uint8Array(Buffer.from('KLUv/QQQjQAAUHNwaWtlbGluZSABAKurX5DoIO7m', 'base64')); // zstd --no-content-size
  assert.equal(new TextDecoder().decode(zstdDecompress(zst, 1 << 20)), text);
  const lz4 = new Uint8Array(Buffer.from('BCJNGGBAgh8AAACvc3Bpa2VsaW5lIAoA//////////////+hUGxpbmUgAAAAAA==', 'base64')); // lz4 CLI
  const sc = new ByteScratch();
  const n = lz4DecodeFrame(lz4, 0, lz4.length, sc, 1 << 20);
  assert.equal(new TextDecoder().decode(sc.buf.subarray(0, n)), text);
});

test('AEDAT 4 event structs: WebAssembly and JS decode random struct bytes identically (any i64 time, i16 x/y, padding)', (t) => {
  const skip = skipUnlessWasm(wasmKernelsAvailable(), NO_KERNELS);
  if (skip) return t.skip(skip);
  const r = rng(4242);
  for (const compression of ['none', 'lz4'] as const) {
    const enc = new Aedat4Encoder({ sensor: SENSOR, compression, framing: 'network' });
    const parts: Uint8Array[] = [enc.begin()];
    // Packet sizes 1..13 cover every remainder of the 8-event SIMD step; struct bytes are random
    // (negative and > 2^53 times, negative coordinates, p bits above bit 0, non-zero padding).
    for (let k = 0; k < 60; k++) {
      const count = 1 + (k % 13) + (k % 5 === 0 ? 40 : 0);
      const payload = encodeAedat4EventPacket(randomBatch(k, count, SENSOR, T0), 0, count);
      for (let i = 32; i < payload.length; i++) payload[i] = Math.floor(r() * 256);
      if (k % 3 === 0) for (let i = 32; i < payload.length; i += 16) payload[i + 7] = r() < 0.5 ? 0 : 0xff; // small |t| too
      const body = compressAedat4(compression, payload);
      const head = new Uint8Array(8);
      new DataView(head.buffer).setInt32(4, body.length, true);
      parts.push(head, body);
    }
    const bytes = concatChunks(parts);
    // A sensor holding every 16-bit coordinate: this compares the struct decoding (the
    // out-of-sensor rule has its own test, out-of-sensor.test.ts).
    const sensor = { width: 65536, height: 65536 };
    const run = (wasm: boolean): EventBatch => pushAll(new Aedat4Decoder({ framing: 'network', wasm, sensor }), chunked(bytes, 7, 5000));
    const js = run(false);
    assert.ok(js.length > 300);
    assertBatchesEqual(run(true), js, compression);
    assert.ok(js.t.some((t) => t < 0) && js.t.some((t) => t > 2 ** 53), 'covers negative and large times');
  }
});


test('straddling packets of alternating sizes (one over the 4 MiB reuse cap) decode as in one push', () => {
  // Packets of 5, 300k (4.8 MB uncompressed), 3 and 70k events, twice: the decoder's two
  // straddle buffers alternate, grow, and the big one is dropped instead of kept.
  const batches = [5, 300_000, 3, 70_000, 5, 300_000, 3, 70_000].map((n, i) => randomBatch(50 + i, n, SENSOR, T0 + i * 1e7));
  const enc = new Aedat4Encoder({ sensor: SENSOR, compression: 'none', maxEventsPerPacket: 300_000 });
  const parts = [enc.begin(), ...batches.map((b) => enc.encode(b))];
  const { tail, header } = enc.finish();
  parts[0] = header;
  parts.push(tail);
  const bytes = concatChunks(parts);
  const whole = pushAll(new Aedat4Decoder(), [bytes]);
  assertBatchesEqual(whole, concatBatches(batches, SENSOR), 'one push');
  for (const size of [65_536, 1 << 20, 999_983]) {
    const pieces: Uint8Array[] = [];
    for (let o = 0; o < bytes.length; o += size) pieces.push(bytes.slice(o, o + size));
    assertBatchesEqual(pushAll(new Aedat4Decoder(), pieces), whole, `chunks of ${size}`);
  }
});
