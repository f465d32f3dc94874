import { Observable, type OperatorFunction } from 'rxjs';
import { GestureDecider, type DecisionOptions, type GestureTransition } from './decision.js';

export interface ScoredStep {
  /** End of the step or window the probabilities belong to, event time µs. */
  endUs: number;
  probabilities: ArrayLike<number>;
}

/**
 * The decision stage as an RxJS operator: per-step probabilities in, gesture starts and ends out
 * (see GestureDecider). Event time going backwards (a restarted camera, a looped replay) starts a
 * new epoch: the gesture in progress ends and smoothing starts over. On completion a gesture in
 * progress ends at the last step; on error nothing more is emitted.
 */
export function decideGestures(classes: number, options: DecisionOptions): OperatorFunction<ScoredStep, GestureTransition> {
  return (source) =>
    new Observable<GestureTransition>((subscriber) => {
      const decider = new GestureDecider(classes, options);
      const emit = (t: GestureTransition) => subscriber.next(t);
      let lastEndUs = -Infinity;
      return source.subscribe({
        next: (s) => {
          if (s.endUs < lastEndUs) decider.finish(emit);
          lastEndUs = s.endUs;
          decider.step(s.endUs, s.probabilities, emit);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          decider.finish(emit);
          subscriber.complete();
        },
      });
    });
}
