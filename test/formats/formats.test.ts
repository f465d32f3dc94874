import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatBatches, type EventBatch } from '../../src/events/index.js';
import {
  Aedat2Decoder,
  AEDAT2_LAYOUTS,
  aedat2LayoutForChip,
  createDecoder,
  CIFAR10_DVS_CLASSES,
  decodeBuffer,
  detectFormat,
  encodeAedat2,
  encodeEvents,
  FormatError,
  listCifar10Dvs,
  loadCifar10DvsSample,
  readEvents,
  sensorFromDeviceName,
  writeCifar10DvsSample,
  writeEventFile,
  WRITABLE_FORMATS,
  type EventFormat,
} from '../../src/formats/index.js';
import { assertBatchesEqual, chunked, randomBatch, rng, NO_KERNELS } from './helpers.js';
import { skipUnlessWasm } from '../support/require.js';

const DVS = { width: 128, height: 128 };

function be(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0));
  return out;
}

test('AEDAT 2.0 DVS128: canonical decoding, special records skipped, 32-bit wrap unwrapped', () => {
  const head = new TextEncoder().encode('#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128\r\n');
  // rx=3, ry=5, b=1 (OFF) at t=10; an external (bit 15) record; rx=0, ry=127, b=0 (ON) after a wrap.
  const body = be([(5 << 8) | (3 << 1) | 1, 10, 0x8000, 20, (127 << 8) | 0, 0xfffffff0, 0, 5]);
  const dec = new Aedat2Decoder();
  const b = concatBatches([...dec.push(new Uint8Array([...head, ...body])), ...dec.end()], DVS);
  assert.deepEqual([...b.x], [124, 127, 127]);
  assert.deepEqual([...b.y], [122, 0, 127]);
  assert.deepEqual([...b.p], [0, 1, 1]);
  assert.deepEqual([...b.t], [10, 0xfffffff0, 2 ** 32 + 5]);
  assert.equal(dec.stats.skipped['special'], 1);
  // SpikingJelly orientation = transpose.
  const sj = decodeBuffer(new Uint8Array([...head, ...body]), { transpose: true });
  assert.deepEqual([...sj.x], [122, 0, 127]);
  assert.deepEqual([...sj.y], [124, 127, 127]);
});

test('AEDAT 2.0 DAVIS346 layout and configurable address decoding', () => {
  const head = new TextEncoder().encode('#!AER-DAT2.0\n# AEChip: eu.seebetter.ini.chips.davis.Davis346red\n#End Of ASCII Header\n');
  // DVS event rx=10 ry=20 ON; an APS sample (bit 31); an external event (bit 10).
  const body = be([(20 << 22) | (10 << 12) | (1 << 11), 7, 0x80000000 | 5, 8, 1 << 10, 9]);
  const b = decodeBuffer(new Uint8Array([...head, ...body]));
  assert.deepEqual([b.x[0], b.y[0], b.p[0], b.t[0], b.length], [335, 239, 1, 7, 1]);
  const custom = { ...AEDAT2_LAYOUTS.davis346, name: 'raw', flipX: false, flipY: false };
  const c = decodeBuffer(new Uint8Array([...head, ...body]), { layout: custom });
  assert.deepEqual([c.x[0], c.y[0]], [10, 20]);
});

test('AEDAT 2.0: every jAER DAVIS camera uses the DAVIS address layout at its own size (Davis640, Davis128, Davis208)', () => {
  // jAER's DavisBaseCamera extractor: x = sizeX − 1 − rx (bits 12–21), y = ry (bits 22–30), ON = bit 11.
  const cases = [
    { chip: 'eu.seebetter.ini.chips.davis.Davis640', sensor: { width: 640, height: 480 }, rx: 600, ry: 400 },
    { chip: 'eu.seebetter.ini.chips.davis.Davis128', sensor: { width: 128, height: 128 }, rx: 10, ry: 20 },
    { chip: 'eu.seebetter.ini.chips.davis.Davis208PixelParade', sensor: { width: 208, height: 192 }, rx: 200, ry: 190 },
  ];
  for (const { chip, sensor, rx, ry } of cases) {
    const head = new TextEncoder().encode(`#!AER-DAT2.0\r\n# AEChip: ${chip}\r\n#End Of ASCII Header\r\n`);
    const body = be([(ry << 22) | (rx << 12) | (1 << 11), 7, (ry << 22) | (rx << 12), 8]);
    for (const wasm of [true, false]) {
      const b = decodeBuffer(new Uint8Array([...head, ...body]), { wasm });
      assert.deepEqual(b.sensor, sensor, chip);
      assert.deepEqual([...b.x], [sensor.width - 1 - rx, sensor.width - 1 - rx], chip);
      assert.deepEqual([...b.y], [sensor.height - 1 - ry, sensor.height - 1 - ry], chip);
      assert.deepEqual([...b.p], [1, 0], chip);
    }
  }
  // Known presets stay the presets (the DVS128 fast path and the writer's chips).
  assert.equal(aedat2LayoutForChip('eu.seebetter.ini.chips.davis.Davis346B'), AEDAT2_LAYOUTS.davis346);
  assert.equal(aedat2LayoutForChip('eu.seebetter.ini.chips.davis.DAVIS240C'), AEDAT2_LAYOUTS.davis240);
  assert.equal(aedat2LayoutForChip('ch.unizh.ini.jaer.chip.retina.DVS128'), AEDAT2_LAYOUTS.dvs128);
});

function evt2(words: number[]): Uint8Array {
  const head = new TextEncoder().encode('% evt 2.0\n% format EVT2;height=480;width=640\n% end\n');
  const out = new Uint8Array(head.length + words.length * 4);
  out.set(head);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(head.length + i * 4, w >>> 0, true));
  return out;
}

test('Prophesee EVT 2.0: TIME_HIGH + 6 LSBs, events before the time base dropped, 34-bit loop', () => {
  const cd = (type: number, lsb: number, x: number, y: number): number => ((type << 28) | (lsb << 22) | (x << 11) | y) >>> 0;
  const bytes = evt2([cd(1, 1, 5, 5), (0x8 << 28) | 100, cd(1, 3, 600, 400), cd(0, 63, 1, 2), (0xa << 28) | 1, (0x8 << 28) | 0x0fffffff, (0x8 << 28) | 2, cd(0, 0, 7, 8)]);
  assert.equal(detectFormat(bytes), 'evt2');
  const dec = createDecoder('evt2');
  const b = concatBatches([...dec.push(bytes), ...dec.end()], dec.sensor);
  assert.deepEqual([...b.x], [600, 1, 7]);
  assert.deepEqual([...b.y], [400, 2, 8]);
  assert.deepEqual([...b.p], [1, 0, 0]);
  assert.deepEqual([...b.t], [6403, 6463, 2 ** 34 + 128]);
  assert.deepEqual(dec.sensor, { width: 640, height: 480 });
  assert.deepEqual(dec.stats.skipped, { noTimeBase: 1, trigger: 1 });
});

test('Prophesee EVT 3.0: stateful y/x/vectors, TIME_HIGH/LOW, 24-bit loop', () => {
  const head = new TextEncoder().encode('% evt 3.0\n% geometry 1280x720\n% end\n');
  const w = (type: number, v: number): number => (type << 12) | v;
  const words = [
    w(0x2, 9), // before any TIME_HIGH: dropped
    w(0x8, 1), w(0x6, 5), w(0x0, 100), w(0x2, (1 << 11) | 50), // (50,100,ON) t=4101
    w(0x3, 200), w(0x4, 0b100000000101), // base 200 OFF: x 200, 202, 211 at t=4101
    w(0x5, 0b1), // base now 212: x 212
    w(0x8, 4095), w(0x8, 2), w(0x2, 7), // loop: t = 2^24 + 8192
  ];
  const body = new Uint8Array(words.length * 2);
  words.forEach((v, i) => { body[2 * i] = v & 0xff; body[2 * i + 1] = v >>> 8; });
  const bytes = new Uint8Array([...head, ...body]);
  assert.equal(detectFormat(bytes), 'evt3');
  const b = decodeBuffer(bytes);
  assert.deepEqual([...b.x], [50, 200, 202, 211, 212, 7]);
  assert.deepEqual([...b.y], [100, 100, 100, 100, 100, 100]);
  assert.deepEqual([...b.p], [1, 0, 0, 0, 0, 0]);
  assert.deepEqual([...b.t], [4101, 4101, 4101, 4101, 4101, 2 ** 24 + 8192]);
  assert.deepEqual(b.sensor, { width: 1280, height: 720 });
  // Same result through 1-byte chunks.
  const dec = createDecoder('evt3');
  const parts: EventBatch[] = [];
  for (const c of chunked(bytes, 1, 1)) parts.push(...dec.push(c));
  parts.push(...dec.end());
  assertBatchesEqual(concatBatches(parts, b.sensor), b);
});

test('Prophesee EVT 2.1 RAW (64-bit words) is refused by name, not decoded as EVT 2.0', () => {
  const enc = new TextEncoder();
  // Metavision writes `% format EVT21;…` (some tools also `% evt 2.1`); then 64-bit LE words.
  const body = new Uint8Array(16);
  new DataView(body.buffer).setUint32(4, 0x80000000 | 100, true); // a 64-bit EVT 2.1 TIME_HIGH word
  for (const header of ['% format EVT21;height=320;width=320\n% end\n', '% evt 2.1\n% end\n']) {
    const bytes = new Uint8Array([...enc.encode(header), ...body]);
    assert.throws(() => detectFormat(bytes, 'rec.raw'), (e: unknown) => e instanceof FormatError && /EVT 2\.1/.test(e.message) && /rec\.raw/.test(e.message));
    const dec = createDecoder('evt2', { source: 'rec.raw' });
    assert.throws(() => [...dec.push(bytes), ...dec.end()], (e: unknown) => e instanceof FormatError && /EVT 2\.1/.test(e.message));
  }
  // A decoder chosen by hand for the other EVT version says so instead of decoding garbage.
  const evt3 = enc.encode('% evt 3.0\n% end\n\x00\x80');
  const dec = createDecoder('evt2');
  assert.throws(() => [...dec.push(evt3), ...dec.end()], (e: unknown) => e instanceof FormatError && /EVT 3/.test(e.message));
});

test('Prophesee RAW without an evt line: the camera the header names decides the EVT version (spec §11.1)', () => {
  const enc = new TextEncoder();
  const header = (camera: string) => enc.encode(`% date 2020-03-04 10:11:12\n${camera}\n% serial_number 00001234\n% end\n`);
  assert.equal(detectFormat(header('% plugin_name hal_plugin_gen31_fx3')), 'evt2');
  assert.equal(detectFormat(header('% plugin_name hal_plugin_gen3_fx3'), 'rec.raw'), 'evt2');
  assert.equal(detectFormat(header('% plugin_name hal_plugin_gen41_evk2')), 'evt3');
  assert.equal(detectFormat(header('% plugin_name hal_plugin_imx636_evk4')), 'evt3');
  assert.equal(detectFormat(header('% sensor_generation 3.1')), 'evt2');
  assert.equal(detectFormat(header('% generation 4.2')), 'evt3');
  // No camera named: a .raw is taken for EVT 3.0 (the Gen4+ default), anything else is unknown.
  assert.equal(detectFormat(header('% integrator_name Prophesee'), 'rec.raw'), 'evt3');
  assert.equal(detectFormat(header('% integrator_name Prophesee')), undefined);
  // A Gen3.1 recording decodes as EVT 2.0 (its words read as EVT 3.0 would be garbage).
  const words = [(0x8 << 28) | 100, ((1 << 28) | (3 << 22) | (600 << 11) | 400) >>> 0];
  const body = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(body.buffer).setUint32(4 * i, w >>> 0, true));
  const b = decodeBuffer(new Uint8Array([...header('% plugin_name hal_plugin_gen31_evk3'), ...body]), { source: 'old.raw' });
  assert.deepEqual([[...b.x], [...b.y], [...b.t], [...b.p]], [[600], [400], [6403], [1]]);
});

test('device names of file headers give their sensor size (iniVation cameras by cAER / DV name)', () => {
  const cases: Array<[string, [number, number] | undefined]> = [
    ['DVS128', [128, 128]], ['DVS132S', [132, 104]], ['DAVIS240C', [240, 180]], ['DAVIS346B', [346, 260]],
    ['DVXplorer_DXA00093', [640, 480]], ['DVXplorer Lite', [320, 240]], ['eu.seebetter.ini.chips.davis.Davis208PixelParade', [208, 192]], ['Unknown', undefined],
  ];
  for (const [name, size] of cases) assert.deepEqual(sensorFromDeviceName(name), size && { width: size[0], height: size[1] }, name);
});

test('format detection from content', () => {
  const enc = new TextEncoder();
  assert.equal(detectFormat(enc.encode('#!AER-DAT4.0\r\n')), 'aedat4');
  assert.equal(detectFormat(enc.encode('#!AER-DAT3.1\r\n')), 'aedat3');
  assert.equal(detectFormat(enc.encode('#!AER-DAT2.0\r\n')), 'aedat2');
  assert.equal(detectFormat(enc.encode('% Data file containing CD events\n% Version 2\n')), 'dat');
  assert.equal(detectFormat(enc.encode('% format EVT3;height=720;width=1280\n')), 'evt3');
  assert.equal(detectFormat(enc.encode('x,y,t,p\n1,2,3,0\n')), 'csv');
  assert.equal(detectFormat(new Uint8Array([1, 2, 3, 4, 5]), 'a.bin'), 'nmnist');
  assert.equal(detectFormat(new Uint8Array([1, 2, 3, 4, 5]), 'a.aedat'), undefined);
  assert.throws(() => decodeBuffer(enc.encode('hello')), FormatError);
});

test('CSV the decoder reads is detected: a UTF-8 BOM (Excel) and extra columns (pandas\' index)', () => {
  const enc = new TextEncoder();
  for (const text of ['\uFEFFx,y,t,p\n1,2,3,0\n', ',x,y,t,p\n0,1,2,3,0\n', 'x,y,p,t,label\n1,2,0,3,7\n']) {
    const bytes = enc.encode(text);
    assert.equal(detectFormat(bytes, 'e.csv'), 'csv', text);
    const b = decodeBuffer(bytes);
    assert.deepEqual([b.x[0], b.y[0], b.t[0], b.p[0]], [1, 2, 3, 0], text);
  }
  // Still not CSV: a header lacking a column, or naming one twice.
  assert.equal(detectFormat(enc.encode('x,y,t\n1,2,3\n')), undefined);
  assert.equal(detectFormat(enc.encode('x,x,y,t,p\n')), undefined);
});

test('event text other tools write: DV, Metavision, the Event Camera Dataset, tabs, semicolons, commented headers, ±1 polarity', () => {
  const enc = new TextEncoder();
  const cases: [string, string, { x: number[]; y: number[]; t: number[]; p: number[]; sensor?: [number, number] }][] = [
    ['DV export', 'timestamp,x,y,polarity\n1000,5,6,1\n1010,7,8,false\n1020,9,3,true\n', { x: [5, 7, 9], y: [6, 8, 3], t: [1000, 1010, 1020], p: [1, 0, 1] }],
    ['Metavision, no header', '%geometry:320,240\n5,6,1,1000\n7,8,0,1010\n', { x: [5, 7], y: [6, 8], t: [1000, 1010], p: [1, 0], sensor: [320, 240] }],
    ['x,y,t,p rows, no header', '5,6,1000,1\n7,8,1010,0\n', { x: [5, 7], y: [6, 8], t: [1000, 1010], p: [1, 0] }],
    ['events.txt (t in s, x, y, p)', '1468941032.229165 128 154 1\n1468941032.229171 12 15 0\n', { x: [128, 12], y: [154, 15], t: [1468941032229165, 1468941032229171], p: [1, 0] }],
    ['tabs', 'x\ty\tt\tp\r\n1\t2\t3\t0\r\n', { x: [1], y: [2], t: [3], p: [0] }],
    ['semicolons', 'x;y;timestamp_us;pol\n1;2;3;1\n', { x: [1], y: [2], t: [3], p: [1] }],
    ['commented header, seconds', '# t x y p\n# written by numpy.savetxt\n0.001 5 6 1\n0.0025 7 8 -1\n', { x: [5, 7], y: [6, 8], t: [1000, 2500], p: [1, 0] }],
    ['polarity ±1', 't,x,y,p\n1000,5,6,-1\n1010,7,8,1\n', { x: [5, 7], y: [6, 8], t: [1000, 1010], p: [0, 1] }],
  ];
  for (const [what, text, want] of cases) {
    const bytes = enc.encode(text);
    assert.equal(detectFormat(bytes, 'events.any'), 'csv', what);
    const whole = decodeBuffer(bytes);
    assert.deepEqual({ x: [...whole.x], y: [...whole.y], t: [...whole.t], p: [...whole.p] }, { x: want.x, y: want.y, t: want.t, p: want.p }, what);
    if (want.sensor) assert.deepEqual([whole.sensor.width, whole.sensor.height], want.sensor, what);
    // The same events however the text is cut into chunks.
    for (let cut = 1; cut < bytes.length; cut += 3) {
      const dec = createDecoder('csv', { sensor: whole.sensor });
      const got = [...dec.push(bytes.subarray(0, cut)), ...dec.push(bytes.subarray(cut)), ...dec.end()];
      assert.deepEqual([...concatBatches(got, whole.sensor).t], want.t, `${what}, cut at ${cut}`);
    }
  }
  // Still refused: a column named twice (t and timestamp), a header without p, a bad value (named with its line).
  assert.equal(detectFormat(enc.encode('timestamp,t,x,y,p\n1,2,3,4,0\n')), undefined);
  assert.equal(detectFormat(enc.encode('timestamp,x,y\n1,2,3\n')), undefined);
  assert.throws(() => decodeBuffer(enc.encode('timestamp,x,y,polarity\n1000,5,6,1\n1010,7,8,2\n')), /CSV line 3: bad p value "2"/);
  assert.throws(() => decodeBuffer(enc.encode('0.5 1 2 1\n0.6 1 2 1\n0.7 1 2\n')), /CSV line 3: bad p value ""/);
});

test('a 7 MB events.txt (seconds, spaces) and a Metavision CSV of a 640x480 sensor, read from disk in many chunks, give every event exactly', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-text-'));
  try {
    const r = rng(17);
    const n = 250_000;
    const t0 = 1_468_941_032_229_165; // µs, as the Event Camera Dataset's clock
    const want = { x: new Array<number>(n), y: new Array<number>(n), t: new Array<number>(n), p: new Array<number>(n) };
    let t = t0;
    for (let i = 0; i < n; i++) {
      t += Math.floor(r() * 40);
      want.t[i] = t;
      want.x[i] = Math.floor(r() * 640);
      want.y[i] = Math.floor(r() * 480);
      want.p[i] = r() < 0.5 ? 0 : 1;
    }
    // Seconds with six decimals, written from the integer µs so the text is exact.
    const seconds = (us: number) => `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}`;
    const ecd = join(dir, 'events.txt');
    await writeFile(ecd, want.t.map((us, i) => `${seconds(us)} ${want.x[i]} ${want.y[i]} ${want.p[i]}`).join('\n') + '\n');
    const mv = join(dir, 'metavision.csv');
    await writeFile(mv, '%geometry:640,480\n' + want.t.map((us, i) => `${want.x[i]},${want.y[i]},${want.p[i]},${us - t0}`).join('\n') + '\n');
    assert.ok((await stat(ecd)).size > 6 << 20, 'the text spans several 1 MiB reads');
    const a = await readEvents(ecd, { sensor: { width: 640, height: 480 } });
    assert.deepEqual({ x: [...a.x], y: [...a.y], t: [...a.t], p: [...a.p] }, want);
    const b = await readEvents(mv);
    assert.deepEqual([b.sensor.width, b.sensor.height], [640, 480]);
    assert.deepEqual({ x: [...b.x], y: [...b.y], t: [...b.t].map((v) => v + t0), p: [...b.p] }, want);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// Property test: random batches round-trip write -> read for every writable format.
for (const format of WRITABLE_FORMATS) {
  for (const compression of format === 'aedat4' ? (['none', 'lz4', 'zstd'] as const) : (['none'] as const)) {
    test(`property: random batches round-trip through ${format}${format === 'aedat4' ? `/${compression}` : ''}`, async () => {
      const r = rng(format.length * 31 + compression.length);
      for (let trial = 0; trial < 8; trial++) {
        const sensor = format === 'aedat2' ? DVS : { width: 1 + Math.floor(r() * 640), height: 1 + Math.floor(r() * 480) };
        const t0 = format === 'aedat2' ? Math.floor(r() * 2 ** 32) // AEDAT 2.0 starts in epoch 0; later wraps are unwrapped
           : Math.floor(r() * 2 ** 51);
        const sizes = [Math.floor(r() * 3000), Math.floor(r() * 10), Math.floor(r() * 500)];
        const batches = sizes.map((n, i) => randomBatch(trial * 10 + i, n, sensor, t0 + i * 1e6, 1 + Math.floor(r() * 5000)));
        const expected = concatBatches(batches, sensor);
        const bytes = await encodeEvents(batches, { format, compression, sensor });
        const dec = createDecoder(format as EventFormat, format === 'csv' ? { sensor } : {});
        const got: EventBatch[] = [];
        for (const c of chunked(bytes, trial, 4000)) got.push(...dec.push(c));
        got.push(...dec.end());
        assertBatchesEqual(concatBatches(got, sensor), expected, `${format} trial ${trial}`);
        if (format === 'aedat4' && expected.length > 0) assert.deepEqual(dec.sensor, sensor);
      }
    });
  }
}

test('writeEventFile streams to disk and readEvents reads it back (all formats)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-fmt-'));
  try {
    const batches = [randomBatch(1, 20000, DVS, 5), randomBatch(2, 3000, DVS, 3e6)];
    for (const format of WRITABLE_FORMATS) {
      const path = join(dir, `out.${format}`);
      let progress = 0;
      const res = await writeEventFile(path, batches, { format, compression: 'lz4' }, (n) => (progress = n));
      assert.equal(res.events, 23000);
      assert.equal(progress, 23000);
      assertBatchesEqual(await readEvents(path), concatBatches(batches), format);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('CIFAR10-DVS layout: class folders, deterministic 10% split, both orientations', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-cifar-'));
  try {
    const ev = randomBatch(3, 500, DVS, 1000);
    for (const classId of [0, 9]) for (let i = 0; i < 20; i++) await writeCifar10DvsSample(dir, classId, i, ev, i === 3 ? 'aedat4' : 'aedat2');
    await writeFile(join(dir, 'README.txt'), 'not a class');
    const entries = await listCifar10Dvs(dir);
    assert.equal(entries.length, 40);
    assert.deepEqual(entries.filter((e) => e.split === 'test').map((e) => `${e.className}_${e.index}`), ['airplane_0', 'airplane_1', 'truck_0', 'truck_1']);
    assert.equal(entries[0]!.className, CIFAR10_DVS_CLASSES[0]);
    assertBatchesEqual(await loadCifar10DvsSample(entries[2]!), ev);
    assertBatchesEqual(await loadCifar10DvsSample(entries[3]!), ev, 'aedat4 copy');
    const sj = await loadCifar10DvsSample(entries[2]!, 'spikingjelly');
    assert.deepEqual([sj.x[0], sj.y[0]], [ev.y[0], ev.x[0]]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('AEDAT 2.0 writer refuses a sensor no jAER chip layout holds, and events outside the sensor', () => {
  assert.throws(() => encodeAedat2([randomBatch(1, 10, { width: 640, height: 480 })]), /does not fit/);
  const b = randomBatch(1, 10, { width: 34, height: 34 });
  assert.throws(() => encodeAedat2([{ ...b, x: b.x.map(() => 40) }]), /outside the 34x34 sensor/);
});

test('WebAssembly kernels and JS loops decode identically (AEDAT 2.0 / 3.1 / 4.0, mixed valid/invalid/special)', async (t) => {
  const { Aedat3Decoder: A3, Aedat4Decoder: A4, wasmKernelsAvailable } = await import('../../src/formats/index.js');
  const skip = skipUnlessWasm(wasmKernelsAvailable(), NO_KERNELS);
  if (skip) return t.skip(skip);
  const r = rng(99);
  const big = { width: 640, height: 480 };
  for (let trial = 0; trial < 4; trial++) {
    const ev = randomBatch(trial, 5000, DVS, Math.floor(r() * 2 ** 32), 3000);
    // AEDAT 2.0 with random special records sprinkled in (bit 15 / bit 31).
    const a2 = await encodeEvents([ev], { format: 'aedat2' });
    const hl = a2.length - ev.length * 8;
    const v2 = new DataView(a2.buffer);
    for (let k = 0; k < 50; k++) { const i = Math.floor(r() * ev.length); v2.setUint32(hl + 8 * i, v2.getUint32(hl + 8 * i) | (r() < 0.5 ? 0x8000 : 0x80000000)); }
    // AEDAT 3.1 with random invalid events.
    const a3 = await encodeEvents([ev], { format: 'aedat3', maxEventsPerPacket: 777 });
    const a4 = await encodeEvents([randomBatch(trial, 5000, big, 1.6e15, 100)], { format: 'aedat4', compression: 'lz4', maxEventsPerPacket: 999 });
    for (const [format, bytes] of [['aedat2', a2], ['aedat3', a3], ['aedat4', a4]] as const) {
      if (format === 'aedat3') {
        const h = new TextDecoder().decode(bytes.subarray(0, 200)).indexOf('#!END-HEADER\r\n') + 14;
        const v3 = new DataView(bytes.buffer, bytes.byteOffset);
        for (let pos = h; pos < bytes.length; ) {
          const cnt = v3.getInt32(pos + 20, true);
          for (let k = 0; k < cnt; k++) if (r() < 0.05) v3.setUint32(pos + 28 + 8 * k, v3.getUint32(pos + 28 + 8 * k, true) & ~1, true);
          pos += 28 + 8 * cnt;
        }
      }
      const run = (wasm: boolean): EventBatch => {
        const dec = format === 'aedat3' ? new A3({ wasm }) : format === 'aedat4' ? new A4({ wasm }) : new Aedat2Decoder({ wasm });
        const parts: EventBatch[] = [];
        for (const c of chunked(bytes, trial, 3000)) parts.push(...dec.push(c));
        parts.push(...dec.end());
        return concatBatches(parts, dec.sensor);
      };
      const js = run(false);
      assert.ok(js.length > 0);
      assertBatchesEqual(run(true), js, `${format} trial ${trial}`);
    }
  }
});
