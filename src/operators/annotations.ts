import type { EventBatch, FrameTensor } from '../events/index.js';

/**
 * A labelled time range of a recording (DVS128 Gesture style): class `classId` from `start`
 * (inclusive) to `end` (exclusive), µs in the stream's time base.
 */
export interface Annotation {
  readonly classId: number;
  readonly label?: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Dataset labels travel beside the events: a source may attach the annotations overlapping a
 * batch's time span, and every operator here carries them to its output batches and frames.
 */
export type Annotated<T> = T & { readonly annotations?: readonly Annotation[] };
export type AnnotatedBatch = Annotated<EventBatch>;
export type AnnotatedFrames = Annotated<FrameTensor>;

/** `out` with `from`'s annotations attached (when `from` has any and `out` is a new object). */
export function carryAnnotations<T extends object>(out: T, from: object): Annotated<T> {
  const a = (from as { annotations?: readonly Annotation[] }).annotations;
  if (a === undefined || out === from) return out;
  return Object.assign(out, { annotations: a });
}

/** Annotations from `sources` overlapping [start, end), deduplicated by identity. */
export function annotationsOverlapping(sources: Iterable<object>, start: number, end: number): Annotation[] | undefined {
  let out: Annotation[] | undefined;
  for (const s of sources) {
    const list = (s as { annotations?: readonly Annotation[] }).annotations;
    if (!list) continue;
    for (const a of list) {
      if (a.start < end && a.end > start && !(out ?? []).includes(a)) (out ??= []).push(a);
    }
  }
  return out;
}
