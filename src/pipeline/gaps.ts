/**
 * Interruptions of a live source, seen at each status interval: an outage starts when the source
 * reports itself disconnected and ends when it is connected again. Replays have no outages.
 */
export class GapTracker {
  /** Outages that ended so far. */
  count = 0;
  private since: number | undefined;

  constructor(private readonly live: boolean) {}

  /** Returns the outage's duration in ms when this update ends one. */
  update(connected: boolean, now: number): number | undefined {
    if (!connected && this.since === undefined && this.live) this.since = now;
    if (!connected || this.since === undefined) return undefined;
    const durationMs = now - this.since;
    this.since = undefined;
    this.count++;
    return durationMs;
  }
}
