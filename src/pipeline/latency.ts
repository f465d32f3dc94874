/**
 * End-to-end latency: when did the last event of a scored time step arrive? The runner records
 * the wall time at which each raw batch arrived (before any queueing); a result ending at event
 * time `endUs` is then measured from the arrival of the latest batch starting before `endUs`.
 */

/** Arrival wall times of recent raw batches, a ring of the last 4096. */
export class ArrivalLog {
  private readonly tFirst = new Float64Array(4096);
  private readonly at = new Float64Array(4096);
  private head = 0;
  private size = 0;

  record(tFirst: number, now: number): void {
    const i = (this.head + this.size) % this.tFirst.length;
    this.tFirst[i] = tFirst;
    this.at[i] = now;
    if (this.size < this.tFirst.length) this.size++;
    else this.head = (this.head + 1) % this.tFirst.length;
  }

  /** Arrival time of the latest batch starting before `endUs`: the one holding the step's last event. */
  arrivalOfLastEventBefore(endUs: number): number | undefined {
    const n = this.tFirst.length;
    for (let k = this.size - 1; k >= 0; k--) {
      const i = (this.head + k) % n;
      if (this.tFirst[i]! < endUs) {
        // Older batches cannot hold the last event of any later step: forget them.
        this.head = i;
        this.size -= k;
        return this.at[i]!;
      }
    }
    return undefined;
  }

  /** Milliseconds from the arrival of a result's last event to `now`; null when unknown (no events). */
  latencyMs(endUs: number, events: number, now: number): number | null {
    const arrival = events > 0 ? this.arrivalOfLastEventBefore(endUs) : undefined;
    return arrival === undefined ? null : now - arrival;
  }
}
