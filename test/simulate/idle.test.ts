import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBatch } from '../../src/events/index.js';
import { DVS_GESTURE_BACKGROUND, loadDvsGesture, parseGestureLabels } from '../../src/formats/index.js';
import { generateGestureDataset } from '../../src/simulate/dataset.js';
import { parseDomainSpec } from '../../src/simulate/domain.js';
import { GestureSession } from '../../src/simulate/session.js';

test('"no gesture" rows are class 12 in the CSV; the loader skips them unless asked, and real-layout folders keep 11 classes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-idle-'));
  try {
    await generateGestureDataset({ out: dir, users: [3], maxLightingsPerUser: 1, seed: 2, gestureSeconds: 0.3, gapSeconds: 0.1, idleProbability: 1, idleSeconds: 0.3 });
    const csv = await readFile(join(dir, 'user03_fluorescent_labels.csv'), 'utf8');
    const rows = parseGestureLabels(csv);
    // One idle row before every gesture and one after the last: 13 + 12.
    assert.equal(rows.length, 25);
    assert.deepEqual(rows.filter((_, k) => k % 2 === 0).map((r) => r.classId), new Array(13).fill(DVS_GESTURE_BACKGROUND.classId));
    const manifest = JSON.parse(await readFile(join(dir, 'synthetic.json'), 'utf8')) as { trials: { rows: { classId: number; idle?: string }[] }[] };
    assert.deepEqual(manifest.trials[0]!.rows.map((r) => r.classId === 12), rows.map((r) => r.classId === 11));
    assert.ok(manifest.trials[0]!.rows.every((r) => (r.classId === 12) === (r.idle !== undefined)));
    const plain = [], all = [];
    for await (const s of loadDvsGesture(dir, 'all')) plain.push(s);
    for await (const s of loadDvsGesture(dir, 'all', { background: true })) all.push(s);
    assert.equal(plain.length, 12);
    assert.ok(plain.every((s) => s.classId <= 10));
    assert.equal(all.length, 25);
    assert.ok(all.filter((s) => s.classId === 11).every((s) => s.className === 'background' && s.events.length > 0));
    // Row indices stay the CSV's, so trial#row names one CSV line whether or not idle rows load.
    assert.deepEqual(plain.map((s) => s.row), rows.map((r, k) => (r.classId === 11 ? -1 : k)).filter((k) => k >= 0));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.throws(() => parseGestureLabels('class,startTime_usec,endTime_usec\n13,0,10\n', 'x.csv'), /class 13 outside 1\.\.11 \(or 12/);
  const real = [];
  for await (const s of loadDvsGesture('fixtures/gesture-mini', 'all', { background: true })) real.push(s.classId);
  assert.equal(real.length, 24);
  assert.ok(real.every((c) => c >= 0 && c <= 10));
});

function events(kind: 'walk' | 'still' | 'passerby', spec: string): EventBatch[] {
  const s = new GestureSession({ seed: 9, user: 1, lighting: 'natural', startUs: 0, domain: parseDomainSpec(spec) });
  s.addIdle(kind, 100_000, 3_000_000);
  const out: EventBatch[] = [];
  s.run(s.scheduledUntil, (b) => out.push(b), 50_000);
  return out;
}

function countIn(bs: EventBatch[], t0: number, t1: number): number {
  let n = 0;
  for (const b of bs) for (let i = 0; i < b.length; i++) if (b.t[i]! >= t0 && b.t[i]! < t1) n++;
  return n;
}

const QUIET = 'noise=0.3,shot=0,hotpixels=0,shake=0,thresholds=0.2,steps=0,passerby=0,sway=0';

test('walking out of view and back: events while leaving and returning, near silence while away (low-pass sensor included)', () => {
  // A dim, slow pixel (bandwidth 30 Hz) keeps settling after the person left: it must not hang.
  const bs = events('walk', `${QUIET},bandwidth=30`);
  const t0 = 100_000, span = 3_000_000;
  const leaving = countIn(bs, t0 + 0.05 * span, t0 + 0.35 * span);
  const away = countIn(bs, t0 + 0.45 * span, t0 + 0.55 * span) / (0.1 / 0.3);
  const back = countIn(bs, t0 + 0.65 * span, t0 + 0.95 * span);
  assert.ok(leaving > 5 * away && back > 5 * away, `leaving ${leaving}, away (per 0.3 span) ${away}, back ${back}`);
});

test('a passer-by behind a still subject makes events a still scene does not', () => {
  const still = events('still', QUIET), passing = events('passerby', QUIET);
  const total = (bs: EventBatch[]): number => bs.reduce((n, b) => n + b.length, 0);
  assert.ok(total(passing) > 2 * total(still), `still ${total(still)}, passer-by ${total(passing)}`);
});
