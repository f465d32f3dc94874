/**
 * "No gesture" periods and distractors: what people in front of a line camera do between
 * gestures (stand still, fidget, walk out of view and back, carry something across) and what
 * passes behind them (another person, a moving object). They make events that belong to no
 * gesture class, so a live model can learn to say "nothing".
 */
import { Random } from '../../util/random.js';
import { restMotion, type Motion } from './gestures.js';
import type { Subject } from './person.js';
import { fillCapsule, fillConvexPolygon, fillEllipse, type Box, type Image } from './raster.js';

export const IDLE_KINDS = ['still', 'fidget', 'walk', 'carry', 'passerby'] as const;
export type IdleKind = (typeof IDLE_KINDS)[number];

const TWO_PI = 2 * Math.PI;
const smooth = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : x * x * (3 - 2 * x));

/**
 * Body motion of an idle period of `seconds`: `walk` and `carry` leave the frame sideways by
 * `exitUnits` body units and come back before the end; `fidget` moves a hand a little (touching
 * the face, shifting weight); `still` and `passerby` only keep the rest pose's small drift.
 */
export function idleMotion(kind: IdleKind, subject: Subject, rnd: Random, seconds: number, exitUnits: number): Motion {
  const rest = restMotion(subject, rnd);
  const side = rnd.next() < 0.5 ? -1 : 1;
  const reach = subject.upperArm + subject.forearm;
  const f = rnd.uniform(0.3, 0.8), phase = rnd.uniform(0, TWO_PI);
  const hold = rnd.uniform(0.6, 0.9);
  return (tau, out) => {
    rest(tau, out);
    const u = seconds > 0 ? tau / seconds : 1;
    if (kind === 'fidget') {
      const e = 0.5 - 0.5 * Math.cos(TWO_PI * f * tau + phase);
      if (side < 0) { out.rx -= 0.15 * e; out.ry -= 0.6 * e * reach; } else { out.lx += 0.15 * e; out.ly -= 0.6 * e * reach; }
      out.leanX += 0.15 * Math.sin(TWO_PI * 0.2 * tau + phase);
    } else if (kind === 'walk' || kind === 'carry') {
      // Out over the first ~40 %, away, back over the last ~40 %; a walking bob meanwhile.
      const away = smooth(u / 0.4) * (1 - smooth((u - 0.6) / 0.4));
      out.leanX += side * exitUnits * away;
      out.bobY += 0.05 * Math.abs(Math.sin(TWO_PI * 1.8 * tau)) * (away > 0 && away < 1 ? 1 : 0);
      if (kind === 'carry') {
        out.rx = subject.shoulderHalf - 0.25; out.ry = reach * hold;
        out.lx = -subject.shoulderHalf + 0.25; out.ly = reach * hold;
      }
    }
  };
}

/** A person or an object crossing the frame behind the subject. */
export interface Passerby {
  kind: 'person' | 'object';
  start: number;
  end: number;
  /** Crossing direction (+1 left to right on the sensor). */
  dir: 1 | -1;
  /** Height on the sensor as a fraction of the frame (farther = smaller), vertical place. */
  scale: number;
  y: number;
  reflectance: number;
  /** Walking cadence, Hz. */
  cadence: number;
}

export function makePasserby(rnd: Random, start: number, end: number, background: number): Passerby {
  const darker = rnd.next() < 0.5;
  return {
    kind: rnd.next() < 0.7 ? 'person' : 'object',
    start,
    end,
    dir: rnd.next() < 0.5 ? 1 : -1,
    scale: rnd.uniform(0.35, 0.7),
    y: rnd.uniform(0.45, 0.65),
    reflectance: darker ? background * rnd.uniform(0.3, 0.6) : Math.min(0.95, background * rnd.uniform(1.6, 2.5)),
    cadence: rnd.uniform(1.5, 2.2),
  };
}

/** Draws `p` at time `t` (µs) if it is in view, growing `box`. */
export function drawPasserby(img: Image, p: Passerby, t: number, box: Box): void {
  if (t < p.start || t >= p.end) return;
  const { width: w, height: h } = img;
  const u = (t - p.start) / (p.end - p.start);
  const size = p.scale * h;
  const x = p.dir > 0 ? -0.3 * size + u * (w + 0.6 * size) : w + 0.3 * size - u * (w + 0.6 * size);
  const y = p.y * h;
  if (p.kind === 'object') {
    // A cart or a box on a trolley: a rectangle with a handle.
    const bw = 0.5 * size, bh = 0.3 * size;
    fillConvexPolygon(img, [x - bw / 2, y, x + bw / 2, y, x + bw / 2, y + bh, x - bw / 2, y + bh], p.reflectance, box);
    fillCapsule(img, x - p.dir * bw / 2, y, x - p.dir * (bw / 2 + 0.1 * size), y - 0.2 * size, 0.02 * size + 0.3, p.reflectance, box);
    return;
  }
  const swing = 0.35 * Math.sin(TWO_PI * p.cadence * (t - p.start) * 1e-6);
  const hip = y + 0.1 * size, shoulder = y - 0.3 * size, leg = 0.45 * size;
  fillCapsule(img, x, shoulder, x, hip, 0.09 * size, p.reflectance, box);
  fillEllipse(img, x, shoulder - 0.13 * size, 0.07 * size, 0.08 * size, p.reflectance, box);
  for (const s of [1, -1]) {
    fillCapsule(img, x, hip, x + s * leg * Math.sin(swing), hip + leg * Math.cos(swing), 0.04 * size + 0.3, p.reflectance, box);
    fillCapsule(img, x, shoulder + 0.03 * size, x - s * 0.3 * size * Math.sin(swing), shoulder + 0.3 * size, 0.03 * size + 0.3, p.reflectance, box);
  }
}
