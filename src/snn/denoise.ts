/**
 * A model's denoise step (Preprocessing.denoise) on recorded data, and its `--denoise DUR[:N]`
 * form. The live path runs the same filter as the `denoise` operator (pipeline/stages.ts).
 */
import type { EventBatch } from '../events/index.js';
import { BackgroundActivityFilter } from '../operators/functional/noise.js';
import { parseDurationUs } from '../util/duration.js';
import type { DenoiseSetting } from './model-api.js';

/**
 * One recording's whole event stream (file order) through a fresh filter: what a live filter that
 * started with the recording would keep, so samples cut from it afterwards see the live stream.
 */
export function denoiseRecording(events: EventBatch, d: DenoiseSetting): EventBatch {
  return new BackgroundActivityFilter(d.durationUs, d.neighbours).filter(events);
}

/** Parses `DUR[:N]` (e.g. `10ms`, `10ms:4`; a bare number is µs; N defaults to 8). */
export function parseDenoise(text: string): DenoiseSetting {
  const [dur = '', n, ...rest] = text.split(':');
  if (rest.length > 0) throw new RangeError(`expected DUR[:N] (e.g. 10ms or 10ms:4), got "${text}"`);
  const durationUs = parseDurationUs(dur, 'us');
  if (!(durationUs > 0)) throw new RangeError(`the duration must be > 0 µs, got "${dur}"`);
  if (n !== undefined && n !== '4' && n !== '8') throw new RangeError(`neighbours N must be 4 or 8, got "${n}"`);
  return { durationUs, neighbours: n === '4' ? 4 : 8 };
}

/** The `--denoise` form of a setting, e.g. `10000us:8`; `none` for no filter. */
export function formatDenoise(d: DenoiseSetting | undefined): string {
  return d ? `${d.durationUs}us:${d.neighbours}` : 'none';
}
