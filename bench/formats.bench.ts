/**
 * Decode throughput of every readable format (events/s), from memory and from a file, on 10M
 * synthetic events (quick: 1M): uniform x/y on 128x128 (N-MNIST: 34x34), sorted timestamps
 * over ~8-10 s, as shared/anchors/decode_python.py generates. "From memory" pushes the encoded
 * bytes through the push decoder in 1 MiB chunks (every batch owns its arrays: decoders no longer
 * reuse output memory, see output.ts); "from file" adds fs reads (openEventFile, 1 MiB reads). AEDAT 4 runs without compression, with LZ4 and with ZSTD.
 *
 * The ratio is to decode_python.py's decoders run in the same bench (spawned /usr/bin/python3, data
 * in a temp folder), and to bench/anchors/aedat4_numpy.py on our AEDAT 4 LZ4 file and on the real
 * DV sample, ANCHOR_ROUNDS times, each run bracketed by spikeline timings taken right
 * before and after it (median ratio reported); both sides in CPU time, since on a shared machine
 * wall time mostly measures the other processes. Skipped with a note in quick mode or when
 * python3/numpy/../shared are missing.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allocateBatch, type EventBatch } from '../src/events/index.js';
import { createDecoder, encodeEvents, initZstd, openEventFile, type EventFormat, type ReadOptions } from '../src/formats/index.js';
import { bracketedRounds, cpuTimeMs, medianRound, pythonJson, timeMs, type Benchmark } from './harness.js';
import { Random } from '../src/util/random.js';
import { writeRampAedat3 } from '../test/formats/helpers.js';


const ANCHOR_ROUNDS = 3;

function events(n: number, width: number, height: number, t0: number, span: number): EventBatch {
  const random = new Random(12345);
  const next = () => random.nextUint32();
  const b = allocateBatch(n, { width, height });
  for (let i = 0; i < n; i++) {
    const r = next();
    b.x[i] = r % width;
    b.y[i] = (r >>> 12) % height;
    b.p[i] = (r >>> 31) & 1;
    b.t[i] = t0 + (next() % span);
  }
  b.t.sort();
  return b;
}

/** EVT 2.0 words: one TIME_HIGH per 64 µs step, then CD events (6-bit LSBs). */
function encodeEvt2(b: EventBatch): Uint8Array {
  const words: number[] = [];
  let high = -1;
  for (let i = 0; i < b.length; i++) {
    const t = b.t[i]!;
    const h = Math.floor(t / 64);
    if (h !== high) {
      words.push(((0x8 << 28) | (h & 0x0fffffff)) >>> 0);
      high = h;
    }
    words.push((((b.p[i]! << 28) | ((t & 63) << 22) | (b.x[i]! << 11) | b.y[i]!) >>> 0));
  }
  const head = new TextEncoder().encode(`% evt 2.0\n% format EVT2;height=${b.sensor.height};width=${b.sensor.width}\n% end\n`);
  const out = new Uint8Array(head.length + words.length * 4);
  out.set(head);
  const v = new DataView(out.buffer);
  words.forEach((w, i) => v.setUint32(head.length + 4 * i, w, true));
  return out;
}

/** EVT 3.0 words: TIME_HIGH / TIME_LOW on change, then ADDR_Y + ADDR_X per event. */
function encodeEvt3(b: EventBatch): Uint8Array {
  const words = new Uint16Array(b.length * 4 + 16);
  let k = 0, high = -1, low = -1, y = -1;
  for (let i = 0; i < b.length; i++) {
    const t = b.t[i]! % 2 ** 24;
    const h = t >>> 12, l = t & 4095;
    if (h !== high) {
      words[k++] = 0x8000 | h;
      high = h;
      low = -1;
    }
    if (l !== low) {
      words[k++] = 0x6000 | l;
      low = l;
    }
    if (b.y[i] !== y) {
      words[k++] = b.y[i]!;
      y = b.y[i]!;
    }
    words[k++] = 0x2000 | (b.p[i]! << 11) | b.x[i]!;
  }
  const head = new TextEncoder().encode('% evt 3.0\n% geometry 128x128\n% end\n');
  const body = new Uint8Array(words.buffer, 0, k * 2);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function encodeDat(b: EventBatch): Uint8Array {
  const head = new TextEncoder().encode('% Data file containing CD events\n% Version 2\n% Width 128\n% Height 128\n\x0c\x08');
  const out = new Uint8Array(head.length + b.length * 8);
  out.set(head);
  const v = new DataView(out.buffer, head.length);
  for (let i = 0; i < b.length; i++) {
    v.setUint32(8 * i, b.t[i]!, true);
    v.setUint32(8 * i + 4, ((b.p[i]! << 28) | (b.y[i]! << 14) | b.x[i]!) >>> 0, true);
  }
  return out;
}

function encodeNmnist(b: EventBatch): Uint8Array {
  const out = new Uint8Array(b.length * 5);
  for (let i = 0, o = 0; i < b.length; i++, o += 5) {
    const t = b.t[i]!;
    out[o] = b.x[i]!;
    out[o + 1] = b.y[i]!;
    out[o + 2] = (b.p[i]! << 7) | ((t >>> 16) & 0x7f);
    out[o + 3] = (t >>> 8) & 0xff;
    out[o + 4] = t & 0xff;
  }
  return out;
}

interface Case {
  name: string;
  format: EventFormat;
  bytes: Uint8Array;
  ext: string;
  options?: ReadOptions;
  /** Anchor figures (keys of the anchor snippet's JSON) this case is compared with. */
  anchors?: Array<{ key: string; label: string }>;
}

function decodeAll(c: Case, n: number): void {
  const dec = createDecoder(c.format, c.options);
  let got = 0;
  const chunk = 1 << 20;
  for (let o = 0; o < c.bytes.length; o += chunk) for (const b of dec.push(c.bytes.subarray(o, o + chunk))) got += b.length;
  for (const b of dec.end()) got += b.length;
  if (got !== n) throw new Error(`${c.name}: decoded ${got} events, expected ${n}`);
}

async function decodeFile(path: string, c: Case, n: number): Promise<void> {
  const file = await openEventFile(path, { ...c.options, format: c.format });
  let got = 0;
  for await (const b of file) got += b.length;
  if (got !== n) throw new Error(`${c.name} file: decoded ${got} events, expected ${n}`);
}

/** Streams a 2 GB AEDAT 3.1 file (250M events) and reports the peak RSS while reading it. */
async function steadyMemory(dir: string, report: Parameters<Benchmark['run']>[0]['report']): Promise<void> {
  const path = join(dir, 'big.aedat');
  await writeRampAedat3(path, 250);
  const before = process.memoryUsage().rss;
  let peak = before;
  let n = 0;
  const t0 = performance.now();
  let batches = 0;
  for await (const batch of await openEventFile(path)) {
    n += batch.length;
    if (++batches % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const ms = performance.now() - t0;
  rmSync(path);
  report({
    name: 'AEDAT 3.1 2 GB file (250M events): RSS growth while streaming it',
    value: (peak - before) / 1e6,
    unit: 'MB',
    extra: { rss_before_MB: Math.round(before / 1e6), events: n, Mev_s: +(n / ms / 1e3).toFixed(1) },
  });
}

/**
 * The anchors, each timed in CPU time (time.process_time, median of 3 after a warm-up), as our
 * side is (cpuTimeMs): decode_python.py's chunked numpy decoders on its own 10M-event files
 * (written into `dataDir` on first use), and bench/anchors/aedat4_numpy.py (numpy + python-lz4)
 * on the very AEDAT 4 LZ4 file our decoder reads, its event count checked.
 */
const ANCHOR_SNIPPET = `
import json, os, statistics, sys, time
sys.path.insert(0, os.environ["ANCHOR_DIR"])
sys.path.insert(0, os.environ["LOCAL_ANCHOR_DIR"])
import decode_python as d
import aedat4_numpy as a4
data = os.environ["ANCHOR_DATA"]
os.makedirs(data, exist_ok=True)
f2, f3, f3z = (os.path.join(data, f) for f in ("a.aedat2", "a.aedat31", "a_lz4.aedat31"))
if not os.path.exists(f3z):
    x, y, t, p = d.synthetic()
    d.write_aedat2(f2, x, y, t, p)
    d.write_aedat31(f3, x, y, t, p)
    d.write_aedat31_lz4(f3z, x, y, t, p)
def cpu_rate(fn, buf, n):
    fn(buf)
    s = []
    for _ in range(3):
        t0 = time.process_time()
        fn(buf)
        s.append(time.process_time() - t0)
    return n / statistics.median(s) / 1e6
out = {}
for key, fn, path in [("aedat2_numpy_Mev_s", d.decode_aedat2, f2), ("aedat31_numpy_Mev_s", d.decode_aedat31, f3),
                      ("aedat31_lz4_decompress_decode_Mev_s", d.decode_aedat31_lz4, f3z)]:
    out[key] = cpu_rate(fn, open(path, "rb").read(), d.N_EVENTS)
buf = open(os.environ["AEDAT4_LZ4"], "rb").read()
n = len(a4.decode(buf)[0])
if n != int(os.environ["AEDAT4_EVENTS"]):
    raise SystemExit(f"aedat4_numpy decoded {n} events, expected {os.environ['AEDAT4_EVENTS']}")
out["aedat4_lz4_numpy_Mev_s"] = cpu_rate(a4.decode, buf, n)
print(json.dumps(out))
`;

function pythonAnchor(dataDir: string, aedat4Lz4: string, aedat4Events: number): Record<string, number> | string {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = resolve(here, '../../shared/anchors');
  if (!existsSync(join(dir, 'decode_python.py'))) return `${dir}/decode_python.py not found`;
  if (!existsSync('/usr/bin/python3')) return '/usr/bin/python3 not found';
  const env = { ANCHOR_DIR: dir, LOCAL_ANCHOR_DIR: join(here, 'anchors'), ANCHOR_DATA: dataDir, AEDAT4_LZ4: aedat4Lz4, AEDAT4_EVENTS: String(aedat4Events) };
  return pythonJson('the anchor decoders (numpy/lz4 missing?)', ['-c', ANCHOR_SNIPPET], env);
}

/**
 * A real DV recording (../shared/fixtures/real/sample.aedat4: 112k events, LZ4, 320x240, IMU
 * packets in between), decoded REAL_REPEATS times per timing by us and by aedat4_numpy.py, both
 * in CPU time: at this size the per-file costs weigh, not only the throughput.
 */
const REAL_REPEATS = 40;
const REAL_SNIPPET = `
import json, os, statistics, sys, time
sys.path.insert(0, os.environ["LOCAL_ANCHOR_DIR"])
import aedat4_numpy as a4
buf = open(os.environ["REAL_SAMPLE"], "rb").read()
n, reps = len(a4.decode(buf)[0]), int(os.environ["REPEATS"])
def run():
    for _ in range(reps):
        ev = a4.decode(buf)  # held until the next one replaces it, as in a loop over files: 3x faster
    return ev            # here than dropping each result at once (glibc gives that memory back)
run()
s = []
for _ in range(3):
    t0 = time.process_time()
    run()
    s.append(time.process_time() - t0)
print(json.dumps({"real_aedat4_numpy_Mev_s": n * reps / statistics.median(s) / 1e6, "events": n}))
`;

async function realSampleRatio(report: Parameters<Benchmark['run']>[0]['report']): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const path = resolve(here, '../../shared/fixtures/real/sample.aedat4');
  if (!existsSync(path)) return report({ name: `real AEDAT 4 sample not found: ${path}`, value: 0, unit: '' });
  const c: Case = { name: 'real AEDAT 4.0 LZ4 sample', format: 'aedat4', ext: 'aedat4', bytes: new Uint8Array(readFileSync(path)) };
  const events = 111_954; // ../shared/fixtures/real/README.md
  const env = { LOCAL_ANCHOR_DIR: join(here, 'anchors'), REAL_SAMPLE: path, REPEATS: String(REAL_REPEATS) };
  const rounds = await bracketedRounds(
    ['real_aedat4_numpy_Mev_s'],
    ANCHOR_ROUNDS,
    async () => [(events * REAL_REPEATS) / (await cpuTimeMs(() => { for (let i = 0; i < REAL_REPEATS; i++) decodeAll(c, events); }, 3, 1)) / 1e3],
    () => {
      const out = pythonJson('aedat4_numpy.py on the real sample', ['-c', REAL_SNIPPET], env);
      return typeof out === 'string' || out['events'] === events ? out : `aedat4_numpy.py decoded ${out['events']} events of the real sample, expected ${events}`;
    },
  );
  if (typeof rounds === 'string') return report({ name: `real-sample anchor not run: ${rounds}`, value: 0, unit: '' });
  const { mid, list } = medianRound(rounds.get('real_aedat4_numpy_Mev_s')!);
  report({ name: `${c.name} (112k events): ratio to numpy+lz4 (CPU time)`, value: mid.ratio, unit: 'x', extra: { spikeline_cpu_Mev_s: +mid.ours.toFixed(1), anchor_cpu_Mev_s: +mid.anchor.toFixed(1), rounds: list } });
}

const bench: Benchmark = {
  name: 'formats (decode throughput)',
  async run({ report, quick }) {
    const n = quick ? 1_000_000 : 10_000_000;
    await initZstd();
    const dvs = events(n, 128, 128, 0, 10_000_000);
    const abs = events(n, 128, 128, 1_605_537_493_718_345, 10_000_000);
    const nm = events(n, 34, 34, 0, 8_000_000);
    const cases: Case[] = [
      { name: 'AEDAT 2.0 (DVS128)', format: 'aedat2', ext: 'aedat', bytes: await encodeEvents([dvs], { format: 'aedat2' }), anchors: [{ key: 'aedat2_numpy_Mev_s', label: 'numpy AEDAT 2.0 chunked' }] },
      { name: 'AEDAT 3.1', format: 'aedat3', ext: 'aedat', bytes: await encodeEvents([dvs], { format: 'aedat3' }), anchors: [{ key: 'aedat31_numpy_Mev_s', label: 'numpy AEDAT 3.1 chunked' }] },
      { name: 'AEDAT 4.0 uncompressed', format: 'aedat4', ext: 'aedat4', bytes: await encodeEvents([abs], { format: 'aedat4', compression: 'none' }) },
      {
        name: 'AEDAT 4.0 LZ4',
        format: 'aedat4',
        ext: 'aedat4',
        bytes: await encodeEvents([abs], { format: 'aedat4', compression: 'lz4' }),
        anchors: [
          { key: 'aedat4_lz4_numpy_Mev_s', label: 'numpy+lz4 on the same AEDAT 4 file' },
          // The older yardstick: another format, whose 8-byte records compress to mostly literals.
          { key: 'aedat31_lz4_decompress_decode_Mev_s', label: 'numpy+lz4 AEDAT 3.1 LZ4 packets' },
        ],
      },
      { name: 'AEDAT 4.0 ZSTD', format: 'aedat4', ext: 'aedat4', bytes: await encodeEvents([abs], { format: 'aedat4', compression: 'zstd' }) },
      { name: 'Prophesee EVT 2.0', format: 'evt2', ext: 'raw', bytes: encodeEvt2(dvs) },
      { name: 'Prophesee EVT 3.0', format: 'evt3', ext: 'raw', bytes: encodeEvt3(dvs) },
      { name: 'Prophesee DAT', format: 'dat', ext: 'dat', bytes: encodeDat(dvs) },
      { name: 'N-MNIST .bin', format: 'nmnist', ext: 'bin', bytes: encodeNmnist(nm) },
    ];
    const dir = join(tmpdir(), `spikeline-bench-formats-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const anchorDir = join(tmpdir(), 'spikeline-bench-anchor-data');
    try {
      const rate = (ms: number): number => n / ms / 1e3;
      // Warm every decoder once first: V8 compiles the WebAssembly kernels with its baseline
      // tier and optimises them in the background, which a cold first case would pay for.
      for (const c of cases) decodeAll(c, n);
      for (const c of cases) {
        const memory = rate(await timeMs(() => decodeAll(c, n), quick ? 3 : 5, 2));
        const path = join(dir, `bench.${c.ext}`);
        writeFileSync(path, c.bytes);
        const file = rate(await timeMs(() => decodeFile(path, c, n), quick ? 3 : 5, 2));
        rmSync(path);
        report({ name: `${c.name}: decode from memory`, value: memory, unit: 'Mev/s', extra: { bytes_per_event: +(c.bytes.length / n).toFixed(2) } });
        report({ name: `${c.name}: decode from file`, value: file, unit: 'Mev/s' });
      }
      if (quick) {
        report({ name: 'python/numpy anchor skipped in quick mode (run without --quick for ratios)', value: 0, unit: '' });
        return;
      }
      await steadyMemory(dir, report);
      // Ratios: each anchor run bracketed by timings of the anchored cases (see bracketedRounds).
      const pairs = cases.flatMap((c) => (c.anchors ?? []).map((a) => ({ c, a })));
      const anchored = cases.filter((c) => c.anchors);
      mkdirSync(anchorDir, { recursive: true });
      const lz4Case = anchored.find((c) => c.anchors!.some((a) => a.key === 'aedat4_lz4_numpy_Mev_s'))!;
      const lz4File = join(anchorDir, 'spikeline-lz4.aedat4');
      writeFileSync(lz4File, lz4Case.bytes);
      const rounds = await bracketedRounds(
        pairs.map((x) => x.a.key),
        ANCHOR_ROUNDS,
        async () => {
          const rates = new Map<Case, number>();
          for (const c of anchored) rates.set(c, rate(await cpuTimeMs(() => decodeAll(c, n), 3, 1)));
          return pairs.map((x) => rates.get(x.c)!);
        },
        () => pythonAnchor(anchorDir, lz4File, n),
      );
      if (typeof rounds === 'string') {
        report({ name: `python/numpy anchor not run: ${rounds}`, value: 0, unit: '' });
        return;
      }
      for (const { c, a } of pairs) {
        const r = rounds.get(a.key);
        if (!r) continue;
        const { mid, list } = medianRound(r);
        report({
          name: `${c.name}: ratio to ${a.label} (CPU time)`,
          value: mid.ratio,
          unit: 'x',
          extra: { spikeline_cpu_Mev_s: +mid.ours.toFixed(1), anchor_cpu_Mev_s: +mid.anchor.toFixed(1), rounds: list },
        });
      }
      await realSampleRatio(report);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(anchorDir, { recursive: true, force: true });
    }
  },
};

export default bench;
