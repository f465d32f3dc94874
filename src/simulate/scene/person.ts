/**
 * The simulated person: an upper body seen from the front by a static camera (head with hair,
 * neck, torso, two arms of upper and lower segments, hands), posed by hand targets and solved
 * with two-link inverse kinematics, then drawn with anti-aliased shapes.
 *
 * Body units (U) scale with the subject; image axes (x right, y down). The subject's right arm
 * is on the image's left (the camera faces the person), side factor s = −1; left arm s = +1.
 */
import { Random } from '../../util/random.js';
import { fillCapsule, fillConvexPolygon, fillEllipse, type Box, type Image } from './raster.js';

export interface Subject {
  /** Pixels per body unit. */
  unit: number;
  /** Body midline and shoulder line in pixels (before per-frame sway). */
  centerX: number;
  shoulderY: number;
  shoulderHalf: number;
  upperArm: number;
  forearm: number;
  armRadius: number;
  handRadius: number;
  headRadius: number;
  neck: number;
  waistHalf: number;
  /** Reflectances in [0, 1]. */
  skin: number;
  hair: number;
  shirt: number;
  /** Forearm colour: skin for short sleeves, shirt for long ones. */
  forearmShade: number;
  /** Personal tempo and range of motion (multipliers around 1). */
  speed: number;
  amplitude: number;
}

/** Hand targets and elbow poles relative to each shoulder, plus a whole-body offset (all in U). */
export interface PoseTargets {
  rx: number; ry: number; lx: number; ly: number;
  rpx: number; rpy: number; lpx: number; lpy: number;
  leanX: number; bobY: number;
}

export function poseTargets(): PoseTargets {
  return { rx: 0, ry: 0, lx: 0, ly: 0, rpx: 0, rpy: 0, lpx: 0, lpy: 0, leanX: 0, bobY: 0 };
}

/** Joint positions in pixels. */
export interface Joints {
  cx: number; sy: number;
  rsx: number; rsy: number; rex: number; rey: number; rhx: number; rhy: number;
  lsx: number; lsy: number; lex: number; ley: number; lhx: number; lhy: number;
}

export function joints(): Joints {
  return { cx: 0, sy: 0, rsx: 0, rsy: 0, rex: 0, rey: 0, rhx: 0, rhy: 0, lsx: 0, lsy: 0, lex: 0, ley: 0, lhx: 0, lhy: 0 };
}

/**
 * A reflectance at a log contrast of 0.5–1.1 from `background` (brighter or darker at random,
 * the other way when that leaves [0.04, 0.95]): skin and clothes must stand out from the room
 * or the limbs would leave no events, as on a real sensor.
 */
function contrasting(rnd: Random, background: number): number {
  const step = rnd.uniform(0.5, 1.1);
  const brighter = background * Math.exp(step), darker = background * Math.exp(-step);
  const up = rnd.next() < 0.5;
  if ((up && brighter <= 0.95) || darker < 0.04) return Math.min(0.95, brighter);
  return darker;
}

/**
 * A subject drawn from `rnd` for a `width`×`height` sensor: body size, placement, proportions,
 * clothing and personal tempo. Placement is wide on purpose: the mean event position must not
 * give the class away.
 */
export function makeSubject(rnd: Random, width: number, height: number, background: number): Subject {
  const k = Math.min(width, height) / 128;
  const unit = rnd.uniform(25, 32) * k;
  const skin = contrasting(rnd, background);
  const shirt = contrasting(rnd, background);
  const longSleeves = rnd.next() < 0.4;
  return {
    unit,
    centerX: width / 2 + rnd.uniform(-22, 22) * k,
    shoulderY: height * 0.4 + rnd.uniform(-8, 8) * k,
    shoulderHalf: rnd.uniform(0.45, 0.55),
    upperArm: rnd.uniform(0.52, 0.62),
    forearm: rnd.uniform(0.48, 0.56),
    armRadius: rnd.uniform(0.15, 0.2),
    handRadius: rnd.uniform(0.17, 0.22),
    headRadius: rnd.uniform(0.27, 0.33),
    neck: rnd.uniform(0.5, 0.6),
    waistHalf: rnd.uniform(0.36, 0.46),
    skin,
    hair: rnd.uniform(0.03, 0.4),
    shirt,
    forearmShade: longSleeves ? shirt : skin,
    speed: rnd.uniform(0.85, 1.2),
    amplitude: rnd.uniform(0.85, 1.15),
  };
}

/**
 * Two-link IK: elbow for shoulder (sx, sy), hand target (tx, ty) and an elbow pole (px, py),
 * all in pixels. Writes [elbowX, elbowY, handX, handY] into `out`. Targets beyond reach are
 * pulled onto the reach circle; the elbow bends towards the pole's side of the shoulder–hand
 * line.
 */
export function solveArm(
  sx: number, sy: number, tx: number, ty: number, px: number, py: number, l1: number, l2: number, out: Float64Array,
): void {
  let dx = tx - sx, dy = ty - sy;
  let d = Math.hypot(dx, dy);
  const maxD = (l1 + l2) * 0.999;
  const minD = Math.abs(l1 - l2) + 1e-3;
  if (d < 1e-9) { dx = 0; dy = 1; d = 1e-9; }
  const ux = dx / d, uy = dy / d;
  const dc = d > maxD ? maxD : d < minD ? minD : d;
  const a = (l1 * l1 - l2 * l2 + dc * dc) / (2 * dc);
  const h = Math.sqrt(Math.max(0, l1 * l1 - a * a));
  let nx = -uy, ny = ux;
  if (nx * (px - sx) + ny * (py - sy) < 0) { nx = -nx; ny = -ny; }
  out[0] = sx + a * ux + h * nx;
  out[1] = sy + a * uy + h * ny;
  out[2] = sx + dc * ux;
  out[3] = sy + dc * uy;
}

const scratch = new Float64Array(4);

/** Joint positions (pixels) of `subject` in pose `p`. */
export function solvePose(subject: Subject, p: PoseTargets, out: Joints): Joints {
  const u = subject.unit;
  const cx = subject.centerX + p.leanX * u;
  const sy = subject.shoulderY + p.bobY * u;
  const l1 = subject.upperArm * u, l2 = subject.forearm * u;
  out.cx = cx; out.sy = sy;
  out.rsx = cx - subject.shoulderHalf * u; out.rsy = sy;
  out.lsx = cx + subject.shoulderHalf * u; out.lsy = sy;
  solveArm(out.rsx, sy, out.rsx + p.rx * u, sy + p.ry * u, out.rsx + p.rpx * u, sy + p.rpy * u, l1, l2, scratch);
  out.rex = scratch[0]!; out.rey = scratch[1]!; out.rhx = scratch[2]!; out.rhy = scratch[3]!;
  solveArm(out.lsx, sy, out.lsx + p.lx * u, sy + p.ly * u, out.lsx + p.lpx * u, sy + p.lpy * u, l1, l2, scratch);
  out.lex = scratch[0]!; out.ley = scratch[1]!; out.lhx = scratch[2]!; out.lhy = scratch[3]!;
  return out;
}

/** Draws the person in pose `j` over `img` (linear reflectance), growing `box` to what was touched. */
export function drawPerson(img: Image, subject: Subject, j: Joints, box: Box): void {
  const u = subject.unit;
  const sh = subject.shoulderHalf * u, wh = subject.waistHalf * u;
  const cx = j.cx, sy = j.sy;
  const bottom = sy + 2.6 * u;
  const top = sy - 0.12 * u;
  // Torso: shoulders to hips, a convex hexagon, darker towards the waist (a soft fold shade).
  fillConvexPolygon(img, [
    cx - sh * 0.8, top, cx + sh * 0.8, top, cx + sh + 0.1 * u, sy + 0.15 * u,
    cx + wh, bottom, cx - wh, bottom, cx - sh - 0.1 * u, sy + 0.15 * u,
  ], subject.shirt, box, -0.04 / u);
  // Neck, hair then face.
  const hy = sy - subject.neck * u;
  const hr = subject.headRadius * u;
  fillCapsule(img, cx, sy, cx, hy, 0.13 * u, subject.skin * 0.9, box);
  fillEllipse(img, cx, hy - 0.1 * hr, hr * 1.05, hr * 1.12, subject.hair, box);
  fillEllipse(img, cx, hy + 0.15 * hr, hr * 0.88, hr * 0.98, subject.skin, box);
  const ar = subject.armRadius * u, hand = subject.handRadius * u;
  // Arms last: in these gestures the arms are in front of the body.
  fillCapsule(img, j.rsx, j.rsy, j.rex, j.rey, ar * 1.1, subject.shirt, box);
  fillCapsule(img, j.rex, j.rey, j.rhx, j.rhy, ar, subject.forearmShade, box);
  fillEllipse(img, j.rhx, j.rhy, hand, hand, subject.skin, box);
  fillCapsule(img, j.lsx, j.lsy, j.lex, j.ley, ar * 1.1, subject.shirt, box);
  fillCapsule(img, j.lex, j.ley, j.lhx, j.lhy, ar, subject.forearmShade, box);
  fillEllipse(img, j.lhx, j.lhy, hand, hand, subject.skin, box);
}
