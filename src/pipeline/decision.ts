/**
 * The decision stage's functional core: turns the classifier's per-step class probabilities into
 * one start and one end per gesture performance. Plain numbers in, plain records out; no RxJS,
 * no clock (every time is the stream's event time, µs), so it runs the same live, over a
 * recorded predictions file and in tests.
 *
 * Per step (a prediction ending at `endUs`):
 * 1. Smoothing: an exponential moving average of the probabilities with time constant
 *    `smoothingMs` (the weight of a step depends on the event time it covers, so step mode,
 *    `emitEvery` and window strides all smooth alike; 0 = no smoothing).
 * 2. The lead: the class with the highest smoothed probability, unless it is the background
 *    class or below `offThreshold`. The lead's onset is the start of the step it took the lead
 *    (a step starts where the previous one ended; the first step of an epoch is an instant).
 * 3. Start: while idle, the lead becomes a gesture once its smoothed probability reaches
 *    `onThreshold`, it has led for at least `minDurationMs` and its smoothed probability has
 *    stayed at or above `onThreshold` over the last `confirmMs` (counted from the start of the
 *    first step of that run, so one step at or above it already covers its own length);
 *    `startUs` is the onset, `decidedUs` the end of the deciding step, `confidence` the smoothed
 *    probability then. `confirmMs` with little smoothing is the fast onset rule: a short burst
 *    of confident steps is rejected without the lag smoothing adds to every decision.
 * 4. End (hysteresis): the gesture lasts while its smoothed probability stays at or above
 *    `offThreshold` and no other foreground class overtakes it at `onThreshold` or more; `endUs`
 *    is the end of its last step above `offThreshold`, `confidence` the mean smoothed
 *    probability over its decided steps. A class that overtakes becomes the new lead at once.
 *
 * `classOnThreshold` replaces `onThreshold` for the classes it names, in both uses.
 *
 * Without a background class, `onThreshold` is a confidence rejection: a lead that never gets
 * sure enough is never reported. With one (a model trained on idle data), "nothing" is a class
 * of its own and simply never leads.
 */

export interface DecisionOptions {
  /** Time constant of the exponential smoothing, ms (0 = none). */
  smoothingMs: number;
  /** Smoothed probability at which a lead becomes a gesture. */
  onThreshold: number;
  /** Smoothed probability below which a gesture ends (<= onThreshold: hysteresis). */
  offThreshold: number;
  /** A class must lead this long (event time) before a gesture is announced, ms. */
  minDurationMs: number;
  /** The lead must stay at or above onThreshold this long before it is announced, ms (default 0). */
  confirmMs?: number;
  /** onThreshold of particular classes (class index -> threshold), e.g. a catch-all class idle periods resemble. */
  classOnThreshold?: Readonly<Record<number, number>>;
  /** Index of the "nothing happening" class of the model, if it has one. */
  backgroundClass?: number;
}

export interface GestureStart {
  phase: 'start';
  /** 1, 2, 3… per decider: the start and end of one performance share it. */
  id: number;
  classId: number;
  startUs: number;
  decidedUs: number;
  confidence: number;
}

export interface GestureEnd {
  phase: 'end';
  id: number;
  classId: number;
  startUs: number;
  endUs: number;
  confidence: number;
}

export type GestureTransition = GestureStart | GestureEnd;

/** Checks option ranges, naming the offending field. */
export function checkDecisionOptions(o: DecisionOptions, classes: number): void {
  const fail = (field: string, why: string) => {
    throw new RangeError(`decision.${field}: ${why}`);
  };
  if (!(o.smoothingMs >= 0)) fail('smoothingMs', `must be >= 0, got ${o.smoothingMs}`);
  if (!(o.minDurationMs >= 0)) fail('minDurationMs', `must be >= 0, got ${o.minDurationMs}`);
  if (!((o.confirmMs ?? 0) >= 0)) fail('confirmMs', `must be >= 0, got ${o.confirmMs}`);
  if (!(o.onThreshold > 0 && o.onThreshold <= 1)) fail('onThreshold', `must be in (0, 1], got ${o.onThreshold}`);
  if (!(o.offThreshold >= 0 && o.offThreshold <= o.onThreshold)) fail('offThreshold', `must be in [0, onThreshold = ${o.onThreshold}], got ${o.offThreshold}`);
  for (const [k, on] of Object.entries(o.classOnThreshold ?? {})) {
    if (!(Number(k) >= 0 && Number(k) < classes)) fail('classOnThreshold', `class ${k} is not one of the model's ${classes} classes`);
    if (!(on > 0 && on <= 1 && on >= o.offThreshold)) fail('classOnThreshold', `class ${k}: must be in [offThreshold = ${o.offThreshold}, 1], got ${on}`);
  }
  const bg = o.backgroundClass;
  if (bg !== undefined && !(Number.isInteger(bg) && bg >= 0 && bg < classes)) fail('background', `class ${bg} is not one of the model's ${classes} classes`);
}

export class GestureDecider {
  private readonly smoothed: Float64Array;
  private readonly tauUs: number;
  private readonly minDurationUs: number;
  private readonly confirmUs: number;
  /** onThreshold per class. */
  private readonly on: Float64Array;
  /** End of the previous step; NaN before the first step of an epoch. */
  private lastEndUs = Number.NaN;
  private lead = -1;
  private leadSince = 0;
  /** Start of the lead's current run of steps at or above onThreshold; NaN when below. */
  private sureSince = Number.NaN;
  private active: { id: number; classId: number; startUs: number; sum: number; steps: number } | undefined;
  private nextId = 1;

  constructor(
    readonly classes: number,
    private readonly options: DecisionOptions,
  ) {
    checkDecisionOptions(options, classes);
    this.smoothed = new Float64Array(classes);
    this.tauUs = options.smoothingMs * 1000;
    this.minDurationUs = options.minDurationMs * 1000;
    this.confirmUs = (options.confirmMs ?? 0) * 1000;
    this.on = new Float64Array(classes).fill(options.onThreshold);
    for (const [k, on] of Object.entries(options.classOnThreshold ?? {})) this.on[Number(k)] = on;
  }

  /** Feeds one prediction (probabilities of the step or window ending at `endUs`). */
  step(endUs: number, probabilities: ArrayLike<number>, emit: (t: GestureTransition) => void): void {
    if (probabilities.length !== this.classes) {
      throw new RangeError(`decision: got ${probabilities.length} probabilities, the model has ${this.classes} classes`);
    }
    const s = this.smoothed;
    const first = Number.isNaN(this.lastEndUs);
    const stepStart = first ? endUs : this.lastEndUs;
    const dt = endUs - stepStart;
    const a = first || this.tauUs === 0 ? 1 : 1 - Math.exp(-Math.max(0, dt) / this.tauUs);
    let top = 0;
    for (let k = 0; k < s.length; k++) {
      // A weighted sum, not s + a (p - s): a = 1 (no smoothing) then gives p exactly, so a
      // probability at a threshold is at it.
      s[k] = (1 - a) * s[k]! + a * probabilities[k]!;
      if (s[k]! > s[top]!) top = k;
    }
    const { offThreshold, backgroundClass } = this.options;
    const on = this.on;
    const foregroundTop = top !== backgroundClass && s[top]! >= offThreshold ? top : -1;

    const g = this.active;
    if (g) {
      const overtaken = foregroundTop !== g.classId && foregroundTop >= 0 && s[foregroundTop]! >= on[foregroundTop]!;
      if (s[g.classId]! < offThreshold || overtaken) {
        emit({ phase: 'end', id: g.id, classId: g.classId, startUs: g.startUs, endUs: stepStart, confidence: g.sum / g.steps });
        this.active = undefined;
        this.lead = -1;
        this.sureSince = Number.NaN;
      } else {
        g.sum += s[g.classId]!;
        g.steps++;
      }
    }
    if (!this.active) {
      if (foregroundTop !== this.lead) {
        this.lead = foregroundTop;
        this.leadSince = stepStart;
        this.sureSince = Number.NaN;
      }
      const sure = this.lead >= 0 && s[this.lead]! >= on[this.lead]!;
      if (!sure) this.sureSince = Number.NaN;
      else if (Number.isNaN(this.sureSince)) this.sureSince = stepStart;
      if (sure && endUs - this.leadSince >= this.minDurationUs && endUs - this.sureSince >= this.confirmUs) {
        const id = this.nextId++;
        this.active = { id, classId: this.lead, startUs: this.leadSince, sum: s[this.lead]!, steps: 1 };
        emit({ phase: 'start', id, classId: this.lead, startUs: this.leadSince, decidedUs: endUs, confidence: s[this.lead]! });
      }
    }
    this.lastEndUs = endUs;
  }

  /**
   * Ends the stream or its current epoch (the model was reset, event time jumped): a gesture in
   * progress ends at the last step seen, and smoothing starts afresh. Gesture ids keep counting.
   */
  finish(emit: (t: GestureTransition) => void): void {
    const g = this.active;
    if (g) emit({ phase: 'end', id: g.id, classId: g.classId, startUs: g.startUs, endUs: this.lastEndUs, confidence: g.sum / g.steps });
    this.active = undefined;
    this.lead = -1;
    this.sureSince = Number.NaN;
    this.lastEndUs = Number.NaN;
    this.smoothed.fill(0);
  }
}
