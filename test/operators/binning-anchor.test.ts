import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Downsampler, framesFromEvents, toTonicLayout } from '../../src/operators/functional/index.js';
import { randomEvents } from '../support/events.js';
import { skipUnlessShared } from '../support/require.js';

const here = dirname(fileURLToPath(import.meta.url));
const anchors = resolve(here, '../../../shared/anchors');
const python = '/usr/bin/python3';

function skipReason(): string | undefined {
  if (!existsSync(join(anchors, 'binning_numpy.py'))) return `numpy anchor not found at ${anchors}`;
  if (!existsSync(python)) return `${python} not found`;
  const r = spawnSync(python, ['-c', 'import numpy'], { encoding: 'utf8' });
  if (r.status !== 0) return `numpy is not installed for ${python}`;
  return undefined;
}

const missing = skipReason();
const reason = skipUnlessShared(missing === undefined, `binning anchor comparison: ${missing}`);
if (reason) console.log(`# SKIP ${reason}`);

test('frames equal shared/anchors/binning_numpy.py exactly (16 time bins, event count, 4x downsample)', { skip: reason }, () => {
  const sensor = { width: 128, height: 128 };
  const n = 200_000;
  const nBins = 16;
  const eventCount = 5000;
  // Absolute (Unix-µs-like) timestamps: the anchor works in int64, we in exact doubles.
  const ev = randomEvents(n, sensor, 42, 6_000_000, 1_605_537_493_718_345);
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-anchor-'));
  try {
    const buf = Buffer.alloc(n * 13);
    let o = 0;
    for (let i = 0; i < n; i++, o += 2) buf.writeUInt16LE(ev.x[i]!, o);
    for (let i = 0; i < n; i++, o += 2) buf.writeUInt16LE(ev.y[i]!, o);
    for (let i = 0; i < n; i++, o += 8) buf.writeBigInt64LE(BigInt(ev.t[i]!), o);
    for (let i = 0; i < n; i++, o += 1) buf.writeUInt8(ev.p[i]!, o);
    writeFileSync(join(dir, 'events.bin'), buf);
    const prefix = join(dir, 'out');
    const r = spawnSync(python, [join(here, 'binning_anchor.py'), anchors, join(dir, 'events.bin'), String(n), '128', '128', String(nBins), String(eventCount), prefix], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const load = (suffix: string) => {
      const b = readFileSync(`${prefix}.${suffix}.f32`);
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    const time = toTonicLayout(framesFromEvents(ev, { nTimeBins: nBins }));
    assert.deepEqual(time, load('time'));
    const count = toTonicLayout(framesFromEvents(ev, { eventCount }));
    assert.deepEqual(count, load('count'));
    const down = toTonicLayout(framesFromEvents(new Downsampler(4).apply(ev), { nTimeBins: nBins }));
    assert.deepEqual(down, load('down4'));
    const fused = toTonicLayout(framesFromEvents(ev, { nTimeBins: nBins, downsample: 4 }));
    assert.deepEqual(fused, load('down4'));
    // The anchor drops the tail like Tonic: so do we by default.
    let sum = 0;
    for (const v of time) sum += v;
    assert.ok(sum < n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
