/**
 * The simulated person: an upper body seen from the front by a static camera (head with hair,
 * neck, torso, two arms of upper and lower segments, hands), posed by hand targets and solved
 * with two-link inverse kinematics, then drawn with anti-aliased shapes.
 *
 * Body units (U) scale with the subject; image axes (x right, y down). The subject's right arm
 * is on the image's left (the camera faces the person), side factor s = −1; left arm s = +1.
 */
import { Random } from '../../util/random.js';
import type { AppearanceDraw, FramingDraw } from '../domain.js';
import { fillCapsule, fillConvexPolygon, fillEllipse, makePattern, type Box, type Image, type Pattern } from './raster.js';

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
  /** Randomised appearance (domain randomisation); absent: the plain look. */
  look?: Look;
}

/** What domain randomisation adds to a subject's drawing. */
export interface Look {
  /** Patterns of the shirt and of the skin (none: flat). */
  shirtPattern?: Pattern;
  skinPattern?: Pattern;
  fingers: boolean;
  hair: 'none' | 'short' | 'long';
  glasses: boolean;
  hat: boolean;
  bag: boolean;
  /** Reflectance of accessories (glasses frame, hat, bag). */
  accessory: number;
}

/**
 * Camera roll (about the frame centre) and shake (a shift of the whole scene), applied to every
 * drawn point.
 */
export interface View {
  cos: number;
  sin: number;
  cx: number;
  cy: number;
  dx: number;
  dy: number;
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
function contrasting(rnd: Random, background: number, polarity?: 'dark' | 'light'): number {
  const step = rnd.uniform(0.5, 1.1);
  const brighter = background * Math.exp(step), darker = background * Math.exp(-step);
  if (polarity === 'light') return Math.min(0.95, brighter);
  if (polarity === 'dark') return Math.max(0.02, darker);
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
 * `subject` restyled by a recording's appearance and framing draws (from its own stream `rnd`):
 * clothing and skin patterns, contrast polarity, limb thickness and length, sleeves, hands,
 * hair, accessories; its size set by the visible height (head top to hips, about 3.5 units) and
 * its place by the offsets. Proportions, tempo and range stay the subject's own.
 */
export function restyleSubject(
  subject: Subject, a: AppearanceDraw, f: FramingDraw, rnd: Random, width: number, height: number, background: number,
): Subject {
  const unit = (f.distance * height) / 3.5;
  const skin = contrasting(rnd, background, a.polarity);
  const shirt = contrasting(rnd, background, a.polarity);
  const pattern = (kind: AppearanceDraw['texture'], scale: number): Pattern | undefined =>
    kind === 'uniform' ? undefined : makePattern(kind, Math.max(1.5, a.patternPeriod * unit * scale), a.patternContrast * scale, a.patternAngle);
  // Skin gets a finer, fainter texture than clothes (pores, hair, folds, shading).
  const skinKind = a.texture === 'uniform' ? 'uniform' : 'textured';
  return {
    ...subject,
    unit,
    centerX: width / 2 + f.offsetx * width,
    shoulderY: height / 2 + f.offsety * height - 0.85 * unit,
    upperArm: subject.upperArm * a.limbs,
    forearm: subject.forearm * a.limbs,
    armRadius: subject.armRadius * a.thickness,
    handRadius: subject.handRadius * Math.sqrt(a.thickness),
    skin,
    shirt,
    hair: a.hair === 'none' ? skin : subject.hair,
    forearmShade: a.sleeves === 'long' ? shirt : skin,
    look: {
      ...(a.texture !== 'uniform' ? { shirtPattern: pattern(a.texture, 1) } : {}),
      ...(skinKind !== 'uniform' ? { skinPattern: pattern(skinKind, 0.6) } : {}),
      fingers: a.hands === 'fingers',
      hair: a.hair,
      glasses: a.glasses,
      hat: a.hat,
      bag: a.bag,
      accessory: contrasting(rnd, background),
    },
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

/** Maps a point through `view` (identity without one). */
function viewPoint(view: View | undefined, x: number, y: number, out: Float64Array): void {
  if (!view) { out[0] = x; out[1] = y; return; }
  const ex = x - view.cx, ey = y - view.cy;
  out[0] = view.cx + view.cos * ex - view.sin * ey + view.dx;
  out[1] = view.cy + view.sin * ex + view.cos * ey + view.dy;
}

const vp = new Float64Array(2);

/** Joints `j` mapped through `view` into `out`. */
export function viewJoints(view: View, j: Joints, out: Joints): Joints {
  const keys = [['cx', 'sy'], ['rsx', 'rsy'], ['rex', 'rey'], ['rhx', 'rhy'], ['lsx', 'lsy'], ['lex', 'ley'], ['lhx', 'lhy']] as const;
  for (const [kx, ky] of keys) {
    viewPoint(view, j[kx], j[ky], vp);
    out[kx] = vp[0]!; out[ky] = vp[1]!;
  }
  return out;
}

/**
 * Draws the person in pose `j` over `img` (linear reflectance), growing `box` to what was touched.
 * With a `view` (roll, shake), `j` must already be mapped through it (viewJoints); the torso and
 * head, built here from the body line, are mapped as they are drawn.
 */
export function drawPerson(img: Image, subject: Subject, j: Joints, box: Box, view?: View): void {
  const u = subject.unit;
  const look = subject.look;
  const sh = subject.shoulderHalf * u, wh = subject.waistHalf * u;
  // Body line in unrotated coordinates (the torso polygon is built there, then mapped).
  let cx = j.cx, sy = j.sy;
  if (view) {
    const ex = j.cx - view.dx - view.cx, ey = j.sy - view.dy - view.cy;
    cx = view.cx + view.cos * ex + view.sin * ey;
    sy = view.cy - view.sin * ex + view.cos * ey;
  }
  const P = (x: number, y: number): [number, number] => {
    viewPoint(view, x, y, vp);
    return [vp[0]!, vp[1]!];
  };
  const bottom = sy + 2.6 * u;
  const top = sy - 0.12 * u;
  // Torso: shoulders to hips, a convex hexagon, darker towards the waist (a soft fold shade).
  const torso = [
    cx - sh * 0.8, top, cx + sh * 0.8, top, cx + sh + 0.1 * u, sy + 0.15 * u,
    cx + wh, bottom, cx - wh, bottom, cx - sh - 0.1 * u, sy + 0.15 * u,
  ];
  if (view) for (let k = 0; k < torso.length; k += 2) [torso[k], torso[k + 1]] = P(torso[k]!, torso[k + 1]!);
  fillConvexPolygon(img, torso, subject.shirt, box, -0.04 / u, look?.shirtPattern, j.cx, j.sy);
  if (look?.bag) {
    // Shoulder strap across the chest and the bag at the hip.
    const [ax, ay] = P(cx - sh * 0.7, top), [bx, by] = P(cx + wh * 0.9, sy + 2.0 * u);
    fillCapsule(img, ax, ay, bx, by, 0.05 * u, look.accessory, box);
    const [qx, qy] = P(cx + wh * 1.1, sy + 2.2 * u);
    fillEllipse(img, qx, qy, 0.35 * u, 0.28 * u, look.accessory, box);
  }
  // Neck, hair then face.
  const hr = subject.headRadius * u;
  const [nx, ny] = P(cx, sy), [hx, hy] = P(cx, sy - subject.neck * u);
  fillCapsule(img, nx, ny, hx, hy, 0.13 * u, subject.skin * 0.9, box, look?.skinPattern);
  if (look?.hair === 'long') {
    const [lx, ly] = P(cx, sy - subject.neck * u + 0.6 * hr);
    fillCapsule(img, hx, hy, lx, ly, hr * 1.15, subject.hair, box);
  }
  const [hcx, hcy] = P(cx, sy - subject.neck * u - 0.1 * hr);
  fillEllipse(img, hcx, hcy, hr * 1.05, hr * 1.12, subject.hair, box);
  const [fx, fy] = P(cx, sy - subject.neck * u + 0.15 * hr);
  fillEllipse(img, fx, fy, hr * 0.88, hr * 0.98, subject.skin, box, look?.skinPattern);
  if (look?.glasses) {
    const [gax, gay] = P(cx - hr * 0.6, sy - subject.neck * u), [gbx, gby] = P(cx + hr * 0.6, sy - subject.neck * u);
    fillCapsule(img, gax, gay, gbx, gby, 0.1 * hr, look.accessory, box);
  }
  if (look?.hat) {
    const [tx, ty] = P(cx, sy - subject.neck * u - 0.75 * hr);
    fillEllipse(img, tx, ty, hr * 1.3, hr * 0.45, look.accessory, box);
  }
  const ar = subject.armRadius * u, hand = subject.handRadius * u;
  // Arms last: in these gestures the arms are in front of the body.
  const shirtP = look?.shirtPattern;
  const foreP = subject.forearmShade === subject.shirt ? shirtP : look?.skinPattern;
  fillCapsule(img, j.rsx, j.rsy, j.rex, j.rey, ar * 1.1, subject.shirt, box, shirtP);
  fillCapsule(img, j.rex, j.rey, j.rhx, j.rhy, ar, subject.forearmShade, box, foreP);
  drawHand(img, subject, j.rex, j.rey, j.rhx, j.rhy, hand, box);
  fillCapsule(img, j.lsx, j.lsy, j.lex, j.ley, ar * 1.1, subject.shirt, box, shirtP);
  fillCapsule(img, j.lex, j.ley, j.lhx, j.lhy, ar, subject.forearmShade, box, foreP);
  drawHand(img, subject, j.lex, j.ley, j.lhx, j.lhy, hand, box);
}

/** A hand at (hx, hy) on a forearm from (ex, ey): a mitten, or a palm with four spread fingers. */
function drawHand(img: Image, subject: Subject, ex: number, ey: number, hx: number, hy: number, r: number, box: Box): void {
  const look = subject.look;
  fillEllipse(img, hx, hy, r, r, subject.skin, box, look?.skinPattern);
  if (!look?.fingers) return;
  const d = Math.hypot(hx - ex, hy - ey) || 1;
  const ux = (hx - ex) / d, uy = (hy - ey) / d;
  for (let k = 0; k < 4; k++) {
    const a = (k - 1.5) * 0.35;
    const c = Math.cos(a), s = Math.sin(a);
    const dx = ux * c - uy * s, dy = ux * s + uy * c;
    fillCapsule(img, hx + dx * r * 0.6, hy + dy * r * 0.6, hx + dx * r * 1.9, hy + dy * r * 1.9, Math.max(0.35, r * 0.22), subject.skin, box);
  }
}
