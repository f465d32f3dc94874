import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/util/random.js';
import { fillConvexPolygon, type Image } from '../../src/simulate/scene/raster.js';
import { solveArm, makeSubject } from '../../src/simulate/scene/person.js';
import { makePerformance, motionEnergy, TARGET_ENERGY } from '../../src/simulate/scene/gestures.js';
import { GESTURE_CLASS_IDS } from '../../src/simulate/gesture-classes.js';

/** Per-pixel coverage from the maximum edge distance, no interval shortcut. */
function bruteForcePolygon(img: Image, pts: number[], value: number): void {
  const n = pts.length / 2;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      let d = -Infinity;
      for (let k = 0; k < n; k++) {
        const ax = pts[2 * k]!, ay = pts[2 * k + 1]!, bx = pts[(2 * k + 2) % (2 * n)]!, by = pts[(2 * k + 3) % (2 * n)]!;
        const len = Math.hypot(by - ay, bx - ax);
        d = Math.max(d, ((by - ay) * (x + 0.5 - ax) - (bx - ax) * (y + 0.5 - ay)) / len);
      }
      const cov = Math.min(1, 0.5 - d);
      if (cov > 0) img.data[y * img.width + x] = img.data[y * img.width + x]! + (value - img.data[y * img.width + x]!) * cov;
    }
  }
}

test('polygon fill with fully-covered spans equals the per-pixel coverage everywhere', () => {
  const rnd = new Random(2);
  for (let trial = 0; trial < 40; trial++) {
    // Random rotated rectangles and trapezoids (convex, clockwise on screen).
    const cx = rnd.uniform(-5, 37), cy = rnd.uniform(-5, 37), w = rnd.uniform(0.3, 20), h = rnd.uniform(0.3, 20), a = rnd.uniform(0, Math.PI);
    const taper = rnd.uniform(0.3, 1);
    const local = [-w, -h, w, -h, w * taper, h, -w * taper, h];
    const pts: number[] = [];
    for (let k = 0; k < 4; k++) {
      const x = local[2 * k]!, y = local[2 * k + 1]!;
      pts.push(cx + x * Math.cos(a) - y * Math.sin(a), cy + x * Math.sin(a) + y * Math.cos(a));
    }
    const fast: Image = { data: new Float32Array(32 * 32).fill(0.3), width: 32, height: 32 };
    const slow: Image = { data: new Float32Array(32 * 32).fill(0.3), width: 32, height: 32 };
    fillConvexPolygon(fast, pts, 0.8);
    bruteForcePolygon(slow, pts, 0.8);
    for (let i = 0; i < fast.data.length; i++) assert.ok(Math.abs(fast.data[i]! - slow.data[i]!) < 1e-6, `trial ${trial} pixel ${i}: ${fast.data[i]} vs ${slow.data[i]}`);
  }
});

test('arm IK keeps segment lengths, reaches reachable targets and bends towards the pole', () => {
  const rnd = new Random(4);
  const out = new Float64Array(4);
  for (let k = 0; k < 500; k++) {
    const l1 = rnd.uniform(5, 20), l2 = rnd.uniform(5, 20);
    const tx = rnd.uniform(-40, 40), ty = rnd.uniform(-40, 40), px = rnd.uniform(-50, 50), py = rnd.uniform(-50, 50);
    solveArm(0, 0, tx, ty, px, py, l1, l2, out);
    const [ex, ey, hx, hy] = out as unknown as [number, number, number, number];
    assert.ok(Math.abs(Math.hypot(ex, ey) - l1) < 1e-6, 'upper arm length');
    assert.ok(Math.abs(Math.hypot(hx - ex, hy - ey) - l2) < 1e-6, 'forearm length');
    const d = Math.hypot(tx, ty);
    if (d < (l1 + l2) * 0.99 && d > Math.abs(l1 - l2) + 0.01) assert.ok(Math.hypot(hx - tx, hy - ty) < 1e-6, 'reaches target');
    // The elbow lies on the pole's side of the shoulder→hand line.
    const side = (hx * ey - hy * ex) * (hx * py - hy * px);
    assert.ok(side >= -1e-6, 'elbow on the pole side');
  }
});

test('every class is tempo-normalised to the common motion energy', () => {
  const rnd = new Random(8);
  for (let s = 0; s < 5; s++) {
    const subject = makeSubject(rnd, 128, 128, 0.4);
    for (const id of GESTURE_CLASS_IDS) {
      const perf = makePerformance(id, subject, rnd);
      assert.ok(perf.tempo >= 0.6 && perf.tempo <= 1.7);
      const e = motionEnergy(perf.motion, subject);
      // Within the tempo clamp the energy hits the target × the subject's speed × vigour (log-normal, σ 0.2).
      if (perf.tempo > 0.6 && perf.tempo < 1.7) assert.ok(e > TARGET_ENERGY * 0.85 * 0.45 && e < TARGET_ENERGY * 1.2 * 2.2, `class ${id}: energy ${e}`);
    }
  }
});
