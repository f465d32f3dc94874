/**
 * Domain randomisation of the gesture simulator: the families along which people, framing,
 * sensor, motion and scene vary between recordings, each with a range (numbers) or a set of
 * choices (names) from which every trial draws its own value.
 *
 * Ranges are options so that a training set and a held-out test set can be drawn from disjoint
 * parts of a family, e.g. `texture=uniform` for training and `texture=striped,printed,textured`
 * for testing, or `thresholds=0.1:0.25` against `thresholds=0.3:0.5`. A spec string
 * `family=value,family=lo:hi,...` (`parseDomainSpec`) overrides the defaults family by family;
 * choices are separated by `|` or `,` (a comma followed by a name that is not a family belongs to
 * the previous family). `off` turns randomisation off: the simulator then draws exactly what it
 * drew before randomisation existed (its own streams are untouched), which is the "old" domain
 * of the transfer benchmark.
 *
 * Every draw of a trial is recorded (`TrialDomain`), with a coarse tag per family (`tags`) that
 * `spikeline eval --by-domain` groups accuracy by.
 */
import { Random } from '../util/random.js';

/** Categorical families and their choices. */
export const CHOICE_FAMILIES = {
  /** Clothing and skin: flat (events only at outlines) or patterned (events inside limbs). */
  texture: ['uniform', 'striped', 'printed', 'textured'],
  /** Person darker than the room or lighter. */
  polarity: ['dark', 'light'],
  sleeves: ['short', 'long'],
  hands: ['mitten', 'fingers'],
  hair: ['none', 'short', 'long'],
  background: ['plain', 'textured', 'cluttered'],
  /** Motion style of every class (wave from the wrist / forearm / whole arm, circle planes, ...). */
  style: ['a', 'b', 'c'],
} as const;

/** Numeric families: [lo, hi] ranges, drawn uniformly (log-uniformly where marked). */
export const RANGE_FAMILIES = {
  /** Limb radius multiplier. */
  thickness: [0.7, 1.5],
  /** Arm length multiplier (upper arm and forearm). */
  limbs: [0.88, 1.12],
  /** Probability of each accessory (glasses, hat, bag). */
  accessories: [0.25, 0.25],
  /** Visible height of the person (head top to hips) as a fraction of the frame height. */
  distance: [0.5, 1.3],
  /** Horizontal / vertical offset of the body from the frame centre, fraction of the frame. */
  offsetx: [-0.25, 0.25],
  offsety: [-0.12, 0.12],
  /** Camera roll, degrees. */
  roll: [-10, 10],
  /** Camera shake amplitude, pixels (the whole scene moves). */
  shake: [0, 0.6],
  /** Mean contrast threshold, log units. */
  thresholds: [0.1, 0.5],
  /** Per-pixel threshold mismatch, relative standard deviation. */
  mismatch: [0.02, 0.15],
  /** Refractory period, µs. */
  refractory: [50, 2000],
  /** Background-activity rate, multiple of the lighting's own (log-uniform). */
  noise: [0.3, 5],
  /** Shot-noise rate of a dark pixel, Hz (brighter pixels fire less, as in v2e). */
  shot: [0, 1],
  /** Hot-pixel count. */
  hotpixels: [0, 8],
  /** Photoreceptor cutoff at full illumination, Hz (lower in the dark; log-uniform). */
  bandwidth: [30, 500],
  /** Timestamp jitter, µs (standard deviation). */
  jitter: [0, 300],
  /** Tempo multiplier of each performance (log-uniform). */
  tempo: [0.5, 2],
  /** Body sway amplitude, body units. */
  sway: [0, 0.25],
  /** Probability that the subject takes a step during a gesture. */
  steps: [0, 0.3],
  /** Probability of a passer-by or a moving object behind the subject during a gesture. */
  passerby: [0, 0.3],
  /** Illumination multiplier on top of the lighting condition's (dim scenes below 1). */
  brightness: [0.3, 1.2],
} as const satisfies Record<string, readonly [number, number]>;

/** Range families drawn log-uniformly (a factor of 10 matters as much at both ends). */
const LOG_UNIFORM = new Set(['noise', 'bandwidth', 'tempo']);

/** Named ranges accepted for some families (`distance=far`). */
const RANGE_ALIASES: Record<string, Record<string, readonly [number, number]>> = {
  distance: { far: [0.5, 0.75], mid: [0.75, 0.95], near: [0.95, 1.3] },
};

export type ChoiceFamily = keyof typeof CHOICE_FAMILIES;
export type RangeFamily = keyof typeof RANGE_FAMILIES;
export type Family = ChoiceFamily | RangeFamily;

/** What a trial may draw from: per family a range or a subset of its choices; null = off. */
export interface DomainRanges {
  choices: { [F in ChoiceFamily]: readonly (typeof CHOICE_FAMILIES)[F][number][] };
  ranges: { [F in RangeFamily]: readonly [number, number] };
}

export const FAMILIES: readonly Family[] = [...Object.keys(CHOICE_FAMILIES), ...Object.keys(RANGE_FAMILIES)] as Family[];

export function defaultDomain(): DomainRanges {
  return {
    choices: Object.fromEntries(Object.entries(CHOICE_FAMILIES).map(([k, v]) => [k, [...v]])) as unknown as DomainRanges['choices'],
    ranges: Object.fromEntries(Object.entries(RANGE_FAMILIES).map(([k, v]) => [k, [v[0], v[1]]])) as unknown as DomainRanges['ranges'],
  };
}

const isChoiceFamily = (f: string): f is ChoiceFamily => f in CHOICE_FAMILIES;
const isRangeFamily = (f: string): f is RangeFamily => f in RANGE_FAMILIES;

/**
 * Parses `off`, `on` / empty (the defaults) or `family=value,...` over the defaults. Throws a
 * RangeError naming the family and the bad value.
 */
export function parseDomainSpec(spec: string): DomainRanges | null {
  const s = spec.trim();
  if (s === 'off') return null;
  const d = defaultDomain();
  if (s === '' || s === 'on') return d;
  // Split on commas, then glue parts without "=" to the previous family (choice lists).
  const items: [string, string][] = [];
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      const last = items[items.length - 1];
      if (!last) throw new RangeError(`domain spec "${spec}": "${part}" has no family= before it`);
      last[1] += `|${part.trim()}`;
    } else {
      items.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
    }
  }
  for (const [family, value] of items) {
    if (isChoiceFamily(family)) {
      const allowed = CHOICE_FAMILIES[family] as readonly string[];
      const picked = value.split('|').map((v) => v.trim()).filter((v) => v !== '');
      for (const v of picked) {
        if (!allowed.includes(v)) throw new RangeError(`domain family ${family}: "${v}" is not one of ${allowed.join(', ')}`);
      }
      if (picked.length === 0) throw new RangeError(`domain family ${family}: no choice given (${allowed.join(', ')})`);
      (d.choices as unknown as Record<string, string[]>)[family] = [...new Set(picked)];
    } else if (isRangeFamily(family)) {
      d.ranges[family] = parseRange(family, value);
    } else {
      throw new RangeError(`domain spec: unknown family "${family}" (families: ${FAMILIES.join(', ')})`);
    }
  }
  return d;
}

function parseRange(family: RangeFamily, value: string): readonly [number, number] {
  const alias = RANGE_ALIASES[family]?.[value];
  if (alias) return alias;
  const m = /^(-?[\d.]+(?:e-?\d+)?)(?::(-?[\d.]+(?:e-?\d+)?))?$/.exec(value);
  const lo = m ? Number(m[1]) : NaN, hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) {
    const names = RANGE_ALIASES[family] ? ` or one of ${Object.keys(RANGE_ALIASES[family]).join(', ')}` : '';
    throw new RangeError(`domain family ${family}: "${value}" is not a number or a range lo:hi with lo <= hi${names}`);
  }
  return [lo, hi];
}

/** The spec string of a DomainRanges (only the families that differ from the defaults). */
export function formatDomainSpec(d: DomainRanges | null): string {
  if (d === null) return 'off';
  const def = defaultDomain();
  const parts: string[] = [];
  for (const f of Object.keys(CHOICE_FAMILIES) as ChoiceFamily[]) {
    if (d.choices[f].join('|') !== def.choices[f].join('|')) parts.push(`${f}=${d.choices[f].join('|')}`);
  }
  for (const f of Object.keys(RANGE_FAMILIES) as RangeFamily[]) {
    const [lo, hi] = d.ranges[f];
    if (lo !== def.ranges[f][0] || hi !== def.ranges[f][1]) parts.push(`${f}=${lo === hi ? lo : `${lo}:${hi}`}`);
  }
  return parts.length ? parts.join(',') : 'on';
}

/** Draws a value of a range family. */
/**
 * Draws a value of a range family. Every draw takes exactly one number from `rnd`, whatever the
 * range, so narrowing one family never changes what the others draw.
 */
export function drawRange(d: DomainRanges, f: RangeFamily, rnd: Random): number {
  const [lo, hi] = d.ranges[f];
  const q = rnd.next();
  if (LOG_UNIFORM.has(f) && lo > 0) return Math.exp(Math.log(lo) + (Math.log(hi) - Math.log(lo)) * q);
  return lo + (hi - lo) * q;
}

/** Draws a choice (one number from `rnd`, as drawRange). */
export function drawChoice<F extends ChoiceFamily>(d: DomainRanges, f: F, rnd: Random): DomainRanges['choices'][F][number] {
  return rnd.pick(d.choices[f]);
}

/** Appearance of a subject in one recording. */
export interface AppearanceDraw {
  texture: (typeof CHOICE_FAMILIES)['texture'][number];
  polarity: 'dark' | 'light';
  sleeves: 'short' | 'long';
  hands: 'mitten' | 'fingers';
  hair: 'none' | 'short' | 'long';
  thickness: number;
  limbs: number;
  glasses: boolean;
  hat: boolean;
  bag: boolean;
  /** Pattern period (body units), contrast (log units) and orientation (rad) of the texture. */
  patternPeriod: number;
  patternContrast: number;
  patternAngle: number;
}

export interface FramingDraw {
  /** Visible height fraction, offsets (fractions of the frame), roll (deg), shake (px). */
  distance: number;
  offsetx: number;
  offsety: number;
  roll: number;
  shake: number;
}

export interface SensorDraw {
  threshold: number;
  mismatch: number;
  refractoryUs: number;
  noiseFactor: number;
  shotRateHz: number;
  hotPixels: number;
  bandwidthHz: number;
  jitterUs: number;
}

export interface SceneDraw {
  background: 'plain' | 'textured' | 'cluttered';
  brightness: number;
}

/** Per-recording motion parameters (each gesture then draws its own style and tempo). */
export interface MotionDraw {
  sway: number;
  steps: number;
  passerby: number;
}

/** Every draw of one recording, plus the family tags eval --by-domain groups by. */
export interface TrialDomain {
  appearance: AppearanceDraw;
  framing: FramingDraw;
  sensor: SensorDraw;
  scene: SceneDraw;
  motion: MotionDraw;
  tags: Record<string, string>;
}

/** A coarse, readable bin of a numeric draw: [lo, lo + step) with lo a multiple of step. */
export function binTag(v: number, step: number): string {
  const lo = Math.floor(v / step + 1e-9) * step;
  const r = (x: number): string => String(Math.round(x * 1000) / 1000);
  return `${r(lo)}-${r(lo + step)}`;
}

const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** Draws one recording's domain from its own stream `rnd`. */
export function drawTrialDomain(d: DomainRanges, rnd: Random): TrialDomain {
  const p = drawRange(d, 'accessories', rnd);
  const appearance: AppearanceDraw = {
    texture: drawChoice(d, 'texture', rnd),
    polarity: drawChoice(d, 'polarity', rnd),
    sleeves: drawChoice(d, 'sleeves', rnd),
    hands: drawChoice(d, 'hands', rnd),
    hair: drawChoice(d, 'hair', rnd),
    thickness: round(drawRange(d, 'thickness', rnd)),
    limbs: round(drawRange(d, 'limbs', rnd)),
    glasses: rnd.next() < p,
    hat: rnd.next() < p,
    bag: rnd.next() < p,
    patternPeriod: round(rnd.uniform(0.12, 0.35)),
    patternContrast: round(rnd.uniform(0.35, 0.8)),
    patternAngle: round(rnd.uniform(0, Math.PI)),
  };
  const framing: FramingDraw = {
    distance: round(drawRange(d, 'distance', rnd)),
    offsetx: round(drawRange(d, 'offsetx', rnd)),
    offsety: round(drawRange(d, 'offsety', rnd)),
    roll: round(drawRange(d, 'roll', rnd), 2),
    shake: round(drawRange(d, 'shake', rnd), 3),
  };
  const sensor: SensorDraw = {
    threshold: round(drawRange(d, 'thresholds', rnd)),
    mismatch: round(drawRange(d, 'mismatch', rnd)),
    refractoryUs: Math.round(drawRange(d, 'refractory', rnd)),
    noiseFactor: round(drawRange(d, 'noise', rnd)),
    shotRateHz: round(drawRange(d, 'shot', rnd)),
    hotPixels: Math.round(drawRange(d, 'hotpixels', rnd)),
    bandwidthHz: Math.round(drawRange(d, 'bandwidth', rnd)),
    jitterUs: Math.round(drawRange(d, 'jitter', rnd)),
  };
  const scene: SceneDraw = { background: drawChoice(d, 'background', rnd), brightness: round(drawRange(d, 'brightness', rnd)) };
  const motion: MotionDraw = { sway: round(drawRange(d, 'sway', rnd)), steps: round(drawRange(d, 'steps', rnd)), passerby: round(drawRange(d, 'passerby', rnd)) };
  const a = appearance, f = framing, s = sensor;
  const tags: Record<string, string> = {
    texture: a.texture, polarity: a.polarity, sleeves: a.sleeves, hands: a.hands, hair: a.hair,
    thickness: binTag(a.thickness, 0.25), accessories: [a.glasses && 'glasses', a.hat && 'hat', a.bag && 'bag'].filter(Boolean).join('+') || 'none',
    distance: f.distance < 0.75 ? 'far' : f.distance < 0.95 ? 'mid' : 'near',
    offsetx: binTag(f.offsetx, 0.1), offsety: binTag(f.offsety, 0.1), roll: binTag(f.roll, 5), shake: binTag(f.shake, 0.2),
    thresholds: binTag(s.threshold, 0.1), mismatch: binTag(s.mismatch, 0.05), refractory: binTag(s.refractoryUs, 500),
    noise: s.noiseFactor < 1 ? '<1x' : s.noiseFactor < 2 ? '1-2x' : '>=2x', shot: binTag(s.shotRateHz, 0.25),
    hotpixels: binTag(s.hotPixels, 3), bandwidth: s.bandwidthHz < 100 ? '<100Hz' : s.bandwidthHz < 250 ? '100-250Hz' : '>=250Hz',
    jitter: binTag(s.jitterUs, 100), background: scene.background, brightness: binTag(scene.brightness, 0.3),
    sway: binTag(motion.sway, 0.1), steps: binTag(motion.steps, 0.1), passerby: binTag(motion.passerby, 0.1),
  };
  return { appearance, framing, sensor, scene, motion, tags };
}

/** Per-gesture motion draws: style and tempo (recorded per label row). */
export interface GestureDomain {
  style: 'a' | 'b' | 'c';
  tempo: number;
  step: boolean;
  passerby: boolean;
}

export function drawGestureDomain(d: DomainRanges, trial: TrialDomain, rnd: Random): GestureDomain {
  return {
    style: drawChoice(d, 'style', rnd),
    tempo: round(drawRange(d, 'tempo', rnd)),
    step: rnd.next() < trial.motion.steps,
    passerby: rnd.next() < trial.motion.passerby,
  };
}

export function gestureTags(g: GestureDomain): Record<string, string> {
  return { style: g.style, tempo: g.tempo < 0.8 ? 'slow' : g.tempo < 1.25 ? 'normal' : 'fast' };
}
