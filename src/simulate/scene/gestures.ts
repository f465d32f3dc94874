/**
 * Motion of each DVS128 Gesture class as hand trajectories relative to the shoulders (U units,
 * image axes), varied per performance by the subject's tempo and range and by a per-gesture
 * style draw (frequency, amplitude, height, phase, shape). The other arm idles near its rest
 * pose with a small drift, so a class is identified by what moves and how, not by where.
 *
 * Each performance's speed is rescaled so that its motion energy (summed speed of hands and
 * elbows, the proxy of how much edge sweeps past pixels per second) matches a common target:
 * without that, the event count alone would tell a vigorous clap from an air guitar.
 */
import type { GestureClassId } from '../gesture-classes.js';
import { Random } from '../../util/random.js';
import { joints, poseTargets, solvePose, type PoseTargets, type Subject } from './person.js';

/** Pose targets at `tau` seconds into a performance. */
export type Motion = (tau: number, out: PoseTargets) => void;

const TWO_PI = 2 * Math.PI;

/** Elbow poles: far below and outside each shoulder, so elbows hang outwards and down. */
function defaultPoles(out: PoseTargets): void {
  out.rpx = -2; out.rpy = 1.5;
  out.lpx = 2; out.lpy = 1.5;
}

/**
 * Rest pose with a slow idle drift of the hands and body (people are never still). `side`
 * selects which arms rest: -1 right only, +1 left only, 0 both.
 */
function idle(subject: Subject, phase: number, tau: number, out: PoseTargets, side: -1 | 0 | 1): void {
  const reach = subject.upperArm + subject.forearm;
  const w = TWO_PI * 0.35 * tau + phase;
  if (side <= 0) { out.rx = -0.15 + 0.04 * Math.sin(w); out.ry = reach * 0.92 + 0.03 * Math.cos(1.3 * w); }
  if (side >= 0) { out.lx = 0.15 + 0.04 * Math.sin(w + 1); out.ly = reach * 0.92 + 0.03 * Math.cos(1.1 * w + 2); }
  out.leanX = 0.04 * Math.sin(0.5 * w);
  out.bobY = 0.02 * Math.sin(0.7 * w + 1);
}

/** The rest pose (both hands down), for transitions between gestures. */
export function restMotion(subject: Subject, rnd: Random): Motion {
  const phase = rnd.uniform(0, TWO_PI);
  return (tau, out) => {
    defaultPoles(out);
    idle(subject, phase, tau, out, 0);
  };
}

/**
 * Which way the arm-circle classes' "clockwise" runs: as the camera sees it, or as the subject
 * sees it (facing the camera, their clockwise is the camera's counter-clockwise).
 */
export type ClockwiseConvention = 'camera' | 'subject';

/** Performance style of a class: 'a' the original one, 'b' and 'c' other ways of doing it. */
export type MotionStyle = 'a' | 'b' | 'c';

/** A motion for class `id` with its style drawn from `rnd`, at nominal (un-normalised) speed. */
/**
 * Which arm circles (-1: the subject's right, drawn on the image's left) and which way: dir +1
 * runs clockwise as the camera sees it (y down: the angle grows). Classes 4 and 6 are "clockwise"
 * in the chosen convention; the subject, facing the camera, sees the mirror of the camera's view.
 */
function circleSideAndDirection(id: GestureClassId, clockwise: ClockwiseConvention): { side: -1 | 1; dir: number } {
  return { side: id <= 5 ? -1 : 1, dir: (id === 4 || id === 6 ? 1 : -1) * (clockwise === 'camera' ? 1 : -1) };
}

/**
 * One arm circling (side -1: the subject's right arm, drawn on the image's left; dir: +1 clockwise
 * as the camera sees it), the other arm idle; the elbow trails the hand along the circle.
 */
function armCircle(
  subject: Subject,
  idlePhase: number,
  phase: number,
  c: { side: -1 | 1; dir: number; f: number; ox: number; oy: number; radius: number; ecc: number },
): Motion {
  const { side, dir, f, ox, oy, radius, ecc } = c;
  return (tau, out) => {
    idle(subject, idlePhase, tau, out, side === -1 ? 1 : -1);
    const phi = phase + dir * TWO_PI * f * tau;
    const hx = ox + radius * ecc * Math.cos(phi), hy = oy + radius * Math.sin(phi);
    const px = hx + dir * Math.sin(phi) * 2, py = hy - dir * Math.cos(phi) * 2;
    if (side === -1) { out.rx = hx; out.ry = hy; out.rpx = px; out.rpy = py; out.lpx = 2; out.lpy = 1.5; }
    else { out.lx = hx; out.ly = hy; out.lpx = px; out.lpy = py; out.rpx = -2; out.rpy = 1.5; }
  };
}

function rawMotion(id: GestureClassId, subject: Subject, rnd: Random, variant: number, style: MotionStyle, clockwise: ClockwiseConvention): Motion {
  if (style !== 'a') {
    const m = styledMotion(id, subject, rnd, variant, style, clockwise);
    if (m) return m;
  }
  const amp = subject.amplitude;
  const reach = subject.upperArm + subject.forearm;
  const sh = subject.shoulderHalf;
  const idlePhase = rnd.uniform(0, TWO_PI);
  const phase = rnd.uniform(0, TWO_PI);
  switch (id) {
    case 1: {
      // Hand clap: hands meet at the midline in front of the chest and part again.
      const f = rnd.uniform(1.6, 2.4);
      const height = rnd.uniform(0.35, 0.75);
      const open = rnd.uniform(0.45, 0.75) * amp;
      const sharp = rnd.uniform(0.6, 1.4);
      const hand = subject.handRadius;
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        const g = open * Math.pow(0.5 - 0.5 * Math.cos(TWO_PI * f * tau + phase), sharp);
        const dy = 0.05 * Math.sin(TWO_PI * f * tau * 0.5);
        out.rx = sh - hand - g / 2; out.ry = height + dy;
        out.lx = -sh + hand + g / 2; out.ly = height + dy;
      };
    }
    case 2:
    case 3: {
      // Hand wave: forearm raised, swinging about the elbow.
      const s = id === 2 ? -1 : 1;
      const f = rnd.uniform(1.6, 2.6);
      const a = rnd.uniform(0.35, 0.6) * amp;
      const elbowAngle = rnd.uniform(0.5, 0.9); // upper arm raised out from the body, rad from down
      const tilt = rnd.uniform(-0.1, 0.3);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, s === -1 ? 1 : -1);
        const ex = s * subject.upperArm * Math.sin(elbowAngle);
        const ey = subject.upperArm * Math.cos(elbowAngle);
        const th = s * tilt + a * Math.sin(TWO_PI * f * tau + phase);
        const hx = ex + subject.forearm * Math.sin(th);
        const hy = ey - subject.forearm * Math.cos(th);
        if (s === -1) { out.rx = hx; out.ry = hy; } else { out.lx = hx; out.ly = hy; }
      };
    }
    case 4:
    case 5:
    case 6:
    case 7: {
      // Arm circles in the image plane.
      const { side: s, dir } = circleSideAndDirection(id, clockwise);
      const f = rnd.uniform(0.7, 1.1);
      const ox = s * rnd.uniform(0.1, 0.3), oy = rnd.uniform(-0.2, 0.05);
      const radius = Math.min(reach * 0.97 - Math.hypot(ox, oy), reach * rnd.uniform(0.6, 0.75) * amp);
      const ecc = rnd.uniform(0.85, 1.1);
      return armCircle(subject, idlePhase, phase, { side: s, dir, f, ox, oy, radius, ecc });
    }
    case 8: {
      // Arm roll: forearms rolling around each other in front of the chest; `variant` picks the
      // direction (the real CSVs hold two arm-roll rows per trial).
      const dir = variant === 0 ? 1 : -1;
      const f = rnd.uniform(1.4, 2.2);
      const r = rnd.uniform(0.2, 0.3) * amp;
      const height = rnd.uniform(0.45, 0.75);
      const sep = rnd.uniform(0.08, 0.16);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        const phi = phase + dir * TWO_PI * f * tau;
        out.rx = sh - sep + r * Math.cos(phi); out.ry = height + r * Math.sin(phi);
        out.lx = -sh + sep + r * Math.cos(phi + Math.PI); out.ly = height + r * Math.sin(phi + Math.PI);
      };
    }
    case 9: {
      // Air drums: alternating downward strikes in front of the waist, hands wandering
      // between drums and now and then up to a cymbal.
      const f = rnd.uniform(1.8, 2.8);
      const a = rnd.uniform(0.25, 0.4) * amp;
      const height = rnd.uniform(0.6, 0.85);
      const spread = rnd.uniform(0.25, 0.45);
      const wander = rnd.uniform(0.1, 0.25);
      const fw = rnd.uniform(0.2, 0.45);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        const w = TWO_PI * f * tau + phase;
        const cym = Math.max(0, Math.sin(TWO_PI * fw * tau + phase)) ** 4;
        out.rx = sh - spread + wander * Math.sin(TWO_PI * fw * tau); out.ry = height - a * Math.abs(Math.sin(w)) ** 0.7 - 0.35 * cym;
        out.lx = -sh + spread + wander * Math.sin(TWO_PI * fw * tau + 2); out.ly = height - a * Math.abs(Math.cos(w)) ** 0.7;
      };
    }
    case 10: {
      // Air guitar: the left hand holds the neck out to the side and slides along it, the right
      // hand strums in front of the hip.
      const f = rnd.uniform(2.2, 3.4);
      const a = rnd.uniform(0.18, 0.3) * amp;
      const neckX = rnd.uniform(0.7, 0.9) * reach, neckY = rnd.uniform(0.15, 0.45);
      const slide = rnd.uniform(0.08, 0.18);
      const fs = rnd.uniform(0.3, 0.7);
      const strumX = rnd.uniform(0.35, 0.6), strumY = rnd.uniform(0.85, 1.0);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        const sl = slide * Math.sin(TWO_PI * fs * tau + phase);
        out.lx = neckX + sl; out.ly = neckY - 0.35 * sl;
        out.rx = strumX; out.ry = strumY + a * Math.sin(TWO_PI * f * tau + phase);
      };
    }
    case 11: {
      // Other gestures: unstructured movement of both arms (sums of incommensurate sinusoids)
      // and of the body.
      const comps = Array.from({ length: 4 }, () => ({
        f: rnd.uniform(0.25, 1.4), ax: rnd.uniform(0.05, 0.3) * amp, ay: rnd.uniform(0.05, 0.3) * amp,
        px: rnd.uniform(0, TWO_PI), py: rnd.uniform(0, TWO_PI), arm: rnd.int(2),
      }));
      const rBase = [rnd.uniform(-0.2, 0.4), rnd.uniform(0.2, 0.9)] as const;
      const lBase = [rnd.uniform(-0.4, 0.2), rnd.uniform(0.2, 0.9)] as const;
      const lean = rnd.uniform(0.05, 0.2);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        out.rx = rBase[0]; out.ry = rBase[1]; out.lx = lBase[0]; out.ly = lBase[1];
        for (const c of comps) {
          const dx = c.ax * Math.sin(TWO_PI * c.f * tau + c.px), dy = c.ay * Math.sin(TWO_PI * c.f * tau + c.py);
          if (c.arm === 0) { out.rx += dx; out.ry += dy; } else { out.lx += dx; out.ly += dy; }
        }
        out.leanX += lean * Math.sin(TWO_PI * 0.3 * tau + phase);
      };
    }
  }
}

/** Mean summed speed (U/s) of hands and elbows over `seconds` of a motion at nominal speed. */
export function motionEnergy(motion: Motion, subject: Subject, seconds = 4, rate = 100): number {
  const p = poseTargets();
  const j = joints();
  const n = Math.round(seconds * rate);
  let prev: number[] | null = null;
  let sum = 0;
  for (let k = 0; k <= n; k++) {
    motion(k / rate, p);
    solvePose(subject, p, j);
    const cur = [j.rhx, j.rhy, j.rex, j.rey, j.lhx, j.lhy, j.lex, j.ley];
    if (prev) {
      for (let q = 0; q < 8; q += 2) sum += Math.hypot(cur[q]! - prev[q]!, cur[q + 1]! - prev[q + 1]!);
    }
    prev = cur;
  }
  return (sum / subject.unit) / seconds;
}

/** Common motion energy target (U/s), about the middle of the classes' natural range. */
export const TARGET_ENERGY = 4.5;

export interface Performance {
  motion: Motion;
  /** Time-scale factor applied to reach the target energy (1 = as drawn). */
  tempo: number;
}

/**
 * One performance of gesture `id` by `subject`: its style is drawn from `rnd`, then its tempo is
 * scaled (within [0.6, 1.7]) so that the motion energy equals TARGET_ENERGY × the subject's
 * personal speed × a per-performance vigour factor.
 */
export interface PerformanceStyle {
  /** Style of the class (default 'a'). */
  style?: MotionStyle;
  /** Extra tempo factor on top of the energy normalisation (default 1). */
  tempo?: number;
  /** Arm-circle convention (default 'camera', the original motion). */
  clockwise?: ClockwiseConvention;
}

export function makePerformance(id: GestureClassId, subject: Subject, rnd: Random, variant = 0, o: PerformanceStyle = {}): Performance {
  const raw = rawMotion(id, subject, rnd, variant, o.style ?? 'a', o.clockwise ?? 'camera');
  const vigour = Math.exp(0.2 * rnd.normal());
  const energy = motionEnergy(raw, subject);
  const tempo = Math.min(1.7, Math.max(0.6, (TARGET_ENERGY * subject.speed * vigour) / Math.max(energy, 1e-6))) * (o.tempo ?? 1);
  return { motion: (tau, out) => raw(tau * tempo, out), tempo };
}

/**
 * Styles 'b' and 'c' of each class (null: the class has no such style and keeps 'a'). They
 * differ in which joint drives the motion, its size, plane and rhythm, as different people
 * perform the same instruction.
 */
function styledMotion(id: GestureClassId, subject: Subject, rnd: Random, variant: number, style: MotionStyle, clockwise: ClockwiseConvention): Motion | null {
  const amp = subject.amplitude;
  const reach = subject.upperArm + subject.forearm;
  const sh = subject.shoulderHalf;
  const idlePhase = rnd.uniform(0, TWO_PI);
  const phase = rnd.uniform(0, TWO_PI);
  const b = style === 'b';
  switch (id) {
    case 1: {
      // b: clapping high, in front of the face, small opening; c: low, wide, slow claps.
      const f = b ? rnd.uniform(2.2, 3.2) : rnd.uniform(1.1, 1.7);
      const height = b ? rnd.uniform(-0.25, 0.05) : rnd.uniform(0.8, 1.0);
      const open = (b ? rnd.uniform(0.25, 0.4) : rnd.uniform(0.8, 1.1)) * amp;
      const hand = subject.handRadius;
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        const g = open * (0.5 - 0.5 * Math.cos(TWO_PI * f * tau + phase));
        out.rx = sh - hand - g / 2; out.ry = height;
        out.lx = -sh + hand + g / 2; out.ly = height;
      };
    }
    case 2:
    case 3: {
      // b: waving from the wrist (forearm still, small fast hand swing); c: the whole arm
      // raised and swinging about the shoulder.
      const s = id === 2 ? -1 : 1;
      const f = b ? rnd.uniform(2.5, 3.5) : rnd.uniform(1.0, 1.6);
      const a = (b ? rnd.uniform(0.12, 0.2) : rnd.uniform(0.3, 0.5)) * amp;
      const lift = rnd.uniform(0.5, 0.9);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, s === -1 ? 1 : -1);
        const sw = a * Math.sin(TWO_PI * f * tau + phase);
        let hx: number, hy: number;
        if (b) {
          const ex = s * subject.upperArm * Math.sin(lift), ey = subject.upperArm * Math.cos(lift);
          hx = ex + s * 0.05 + sw; hy = ey - subject.forearm * 0.95;
        } else {
          // Arm straight up and out, swinging about the shoulder (angle from vertical, outwards).
          const ang = 0.35 + sw;
          hx = s * reach * 0.95 * Math.sin(ang); hy = -reach * 0.95 * Math.cos(ang);
        }
        if (s === -1) { out.rx = hx; out.ry = hy; } else { out.lx = hx; out.ly = hy; }
      };
    }
    case 4:
    case 5:
    case 6:
    case 7: {
      // b: small fast circles; c: a circle in a plane turned away from the camera (a narrow
      // ellipse on the sensor), slower.
      const { side: s, dir } = circleSideAndDirection(id, clockwise);
      const f = b ? rnd.uniform(1.2, 1.8) : rnd.uniform(0.5, 0.8);
      const ox = s * rnd.uniform(0.1, 0.35), oy = rnd.uniform(-0.25, 0.1);
      const radius = Math.min(reach * 0.97 - Math.hypot(ox, oy), reach * (b ? rnd.uniform(0.3, 0.45) : rnd.uniform(0.6, 0.8)) * amp);
      const ecc = b ? rnd.uniform(0.85, 1.15) : rnd.uniform(0.3, 0.55);
      return armCircle(subject, idlePhase, phase, { side: s, dir, f, ox, oy, radius, ecc });
    }
    case 8: {
      // b: big, low rolls; c: rolls seen edge-on (flat ellipses), fast.
      const dir = variant === 0 ? 1 : -1;
      const f = b ? rnd.uniform(1.0, 1.5) : rnd.uniform(2.0, 2.8);
      const r = (b ? rnd.uniform(0.3, 0.42) : rnd.uniform(0.2, 0.3)) * amp;
      const squash = b ? 1 : rnd.uniform(0.25, 0.45);
      const height = b ? rnd.uniform(0.75, 0.95) : rnd.uniform(0.4, 0.7);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        const phi = phase + dir * TWO_PI * f * tau;
        out.rx = sh - 0.12 + r * Math.cos(phi); out.ry = height + squash * r * Math.sin(phi);
        out.lx = -sh + 0.12 + r * Math.cos(phi + Math.PI); out.ly = height + squash * r * Math.sin(phi + Math.PI);
      };
    }
    case 9: {
      // b: quick small strikes, hands close together; c: one hand keeps a fast hi-hat beat, the
      // other strikes big and slow.
      const f = b ? rnd.uniform(3, 4) : rnd.uniform(1.6, 2.4);
      const a = (b ? rnd.uniform(0.12, 0.2) : rnd.uniform(0.3, 0.45)) * amp;
      const height = rnd.uniform(0.6, 0.85);
      const spread = b ? rnd.uniform(0.4, 0.5) : rnd.uniform(0.2, 0.35);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        const w = TWO_PI * f * tau + phase;
        out.rx = sh - spread; out.ry = height - a * Math.abs(Math.sin(w)) ** 0.7;
        out.lx = -sh + spread;
        out.ly = b ? height - a * Math.abs(Math.cos(w)) ** 0.7 : height - 0.4 * a * Math.abs(Math.sin(2 * w)) ** 0.7;
      };
    }
    case 10: {
      // b: big strums at the chest; c: the neck raised high (rock pose), slow wide strums.
      const f = b ? rnd.uniform(2.5, 3.5) : rnd.uniform(1.2, 1.8);
      const a = (b ? rnd.uniform(0.3, 0.4) : rnd.uniform(0.35, 0.5)) * amp;
      const neckX = rnd.uniform(0.6, 0.85) * reach, neckY = b ? rnd.uniform(0.3, 0.5) : rnd.uniform(-0.35, 0.0);
      const strumX = rnd.uniform(0.35, 0.6), strumY = b ? rnd.uniform(0.55, 0.7) : rnd.uniform(0.85, 1.0);
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        out.lx = neckX + 0.05 * Math.sin(TWO_PI * 0.4 * tau); out.ly = neckY;
        out.rx = strumX; out.ry = strumY + a * Math.sin(TWO_PI * f * tau + phase);
      };
    }
    case 11: {
      // b: a hand to the head (scratching, adjusting glasses); c: slow stretching of both arms.
      const f = b ? rnd.uniform(2, 4) : rnd.uniform(0.2, 0.4);
      const side = rnd.next() < 0.5 ? -1 : 1;
      return (tau, out) => {
        defaultPoles(out);
        idle(subject, idlePhase, tau, out, 0);
        if (b) {
          const x = -side * sh * 0.6 + 0.06 * Math.sin(TWO_PI * f * tau), y = -0.55 + 0.05 * Math.cos(TWO_PI * f * tau * 1.3);
          if (side < 0) { out.rx = sh - 0.3 + x * 0.2; out.ry = y; } else { out.lx = -sh + 0.3 + x * 0.2; out.ly = y; }
        } else {
          const e = 0.5 - 0.5 * Math.cos(TWO_PI * f * tau + phase);
          out.rx = -0.2 - 0.7 * e * reach; out.ry = reach * 0.9 - 1.6 * e * reach;
          out.lx = 0.2 + 0.7 * e * reach; out.ly = reach * 0.9 - 1.6 * e * reach;
        }
      };
    }
  }
}
