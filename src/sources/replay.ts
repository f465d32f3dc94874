/**
 * File replay source: streams a recording (any format the formats area detects) as batches,
 * paced by event time.
 *
 * - `speed` (default 1): event time runs `speed` times faster than wall time; 0 = as fast as
 *   possible (no pacing; the file is read as fast as the consumer takes it).
 * - `start` / `stop`: offsets in µs from the first event of the file; only events with
 *   first + start <= t < first + stop are played.
 * - `loop`: replays forever; each pass is shifted by the played span + 1 µs, so timestamps keep
 *   increasing across passes (windowing operators and recorders see one continuous stream).
 * - `annotations`: dataset labels (e.g. DVS128 Gesture segments, in the file's time base); every
 *   emitted batch carries the ones overlapping its time span (shifted along with loops).
 * - `valve`: a bounded buffer's pause line; replay waits while it is closed. Unpaced (speed 0)
 *   reads are then emitted in pieces of at most 16k events, so a pause takes effect within one
 *   piece rather than one whole read (which can hold 100k+ events) overshooting the buffer.
 * Pacing granularity is `tickUs` of event time (default 1000 µs × speed): batches are cut at
 * tick boundaries and each piece is released when the wall clock reaches its first event.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { lowerBoundTime, sliceBatch, type EventBatch } from '../events/index.js';
import { openEventFile, type ReadOptions } from '../formats/index.js';
import type { Annotation } from '../operators/annotations.js';
import type { FlowValve } from '../operators/bounded-buffer.js';
import { makeSource, type EventSource } from './status.js';

export interface ReplayOptions {
  readonly speed?: number;
  readonly loop?: boolean;
  /** µs after the first event where playback starts (default 0). */
  readonly start?: number;
  /** µs after the first event where playback stops (exclusive; default end of file). */
  readonly stop?: number;
  readonly annotations?: readonly Annotation[];
  readonly valve?: FlowValve;
  /** Pacing granularity in event-time µs; default 1000 × speed. */
  readonly tickUs?: number;
  /** Options for the file decoder (stream id, sensor override, …). */
  readonly read?: ReadOptions;
  /** Wall clock used for pacing (default: performance.now and timers); tests pass a virtual one. */
  readonly clock?: ReplayClock;
}

export interface ReplayClock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<unknown>;
}

const WALL_CLOCK: ReplayClock = { now: () => performance.now(), sleep };

export function replayFile(path: string, options: ReplayOptions = {}): EventSource {
  const speed = options.speed ?? 1;
  if (!(speed >= 0) || !Number.isFinite(speed)) throw new RangeError(`replay: speed must be >= 0 (0 = as fast as possible), got ${speed}`);
  const start = options.start ?? 0;
  const stop = options.stop ?? Infinity;
  if (!(start >= 0) || !(stop > start)) throw new RangeError(`replay: need 0 <= start < stop, got start=${start} stop=${stop}`);
  const tick = options.tickUs ?? 1000 * Math.max(1, speed);
  const clock = options.clock ?? WALL_CLOCK;
  return makeSource(path, (ctx) => {
    let stopped = false;
    let release: (() => void) | undefined; // wakes a paused replay when unsubscribed
    const waitValve = async () => {
      const v = options.valve;
      if (!v?.paused) return;
      await new Promise<void>((res) => {
        const off = v.onChange((paused) => {
          if (!paused) done();
        });
        const done = () => {
          off();
          release = undefined;
          res();
        };
        release = done;
      });
    };

    const run = async () => {
      ctx.setState('connecting');
      let shift = 0;
      let wall0 = Number.NaN; // wall ms at which event time `evt0` plays
      let evt0 = Number.NaN;
      while (!stopped) {
        const file = await openEventFile(path, { ...options.read, source: path });
        ctx.setState('open');
        let first = Number.NaN;
        let last = Number.NaN;
        let firstPlayed = Number.NaN;
        let outside = 0;
        for await (const raw of file) {
          if (stopped) return;
          ctx.stats.bytes = file.decoder.stats.bytes;
          // Events outside the sensor, dropped by the decoder.
          ctx.stats.droppedEvents += (file.decoder.stats.skipped['outOfRange'] ?? 0) - outside;
          outside = file.decoder.stats.skipped['outOfRange'] ?? 0;
          if (raw.length === 0) continue;
          if (Number.isNaN(first)) first = raw.t[0]!;
          const lo = lowerBoundTime(raw.t, first + start);
          const hi = stop === Infinity ? raw.length : lowerBoundTime(raw.t, first + stop, lo);
          if (lo >= hi) {
            if (raw.t[0]! >= first + stop) break;
            continue;
          }
          if (Number.isNaN(firstPlayed)) firstPlayed = raw.t[lo]!;
          const batch = shift === 0 ? sliceBatch(raw, lo, hi) : shifted(sliceBatch(raw, lo, hi), shift);
          last = batch.t[batch.length - 1]!;
          for (const piece of speed > 0 ? cutByTime(batch, tick) : options.valve ? cutByCount(batch, UNPACED_PIECE) : [batch]) {
            await waitValve();
            if (stopped) return;
            if (speed > 0) {
              const t = piece.t[0]!;
              if (Number.isNaN(wall0)) {
                wall0 = clock.now();
                evt0 = t;
              }
              const due = wall0 + (t - evt0) / 1000 / speed;
              const wait = due - clock.now();
              if (wait > 1) await clock.sleep(wait);
              if (stopped) return;
            }
            ctx.emit(withLabels(piece, options.annotations, shift));
          }
          if (hi < raw.length) break; // reached `stop`
        }
        if (!options.loop || Number.isNaN(last)) break;
        // The next pass's first event plays 1 µs after this pass's last one.
        shift = last + 1 - firstPlayed;
      }
      if (!stopped) ctx.complete();
    };
    run().catch((err) => {
      if (!stopped) ctx.fail(err);
    });
    return () => {
      stopped = true;
      release?.();
    };
  });
}

function shifted(b: EventBatch, by: number): EventBatch {
  const t = new Float64Array(b.length);
  for (let i = 0; i < b.length; i++) t[i] = b.t[i]! + by;
  return { x: b.x, y: b.y, t, p: b.p, length: b.length, sensor: b.sensor };
}

/** Events per piece of an unpaced replay that honours a valve. */
const UNPACED_PIECE = 16_384;

/** Views of `b` of at most `n` events each. */
function* cutByCount(b: EventBatch, n: number): Generator<EventBatch> {
  for (let i = 0; i < b.length; i += n) yield sliceBatch(b, i, i + n);
}

/** Views of `b` cut at multiples of `tick` µs of event time. */
function* cutByTime(b: EventBatch, tick: number): Generator<EventBatch> {
  let i = 0;
  while (i < b.length) {
    const edge = (Math.floor(b.t[i]! / tick) + 1) * tick;
    const j = lowerBoundTime(b.t, edge, i + 1);
    yield sliceBatch(b, i, j);
    i = j;
  }
}

function withLabels(b: EventBatch, annotations: readonly Annotation[] | undefined, shift: number): EventBatch {
  if (!annotations || annotations.length === 0) return b;
  const t0 = b.t[0]! - shift, t1 = b.t[b.length - 1]! - shift;
  const hits = annotations.filter((a) => a.start <= t1 && a.end > t0);
  if (hits.length === 0) return b;
  const moved = shift === 0 ? hits : hits.map((a) => ({ ...a, start: a.start + shift, end: a.end + shift }));
  return Object.assign({ ...b }, { annotations: moved });
}
