import type { Observable } from 'rxjs';
import type { EventBatch } from '../events/index.js';
import type { Annotation } from '../operators/annotations.js';
import type { FlowValve } from '../operators/bounded-buffer.js';

/** What the runner needs to know about a source's health (polled every status interval and scrape). */
export interface SourceHealth {
  /** Human-readable state, e.g. "connected", "reconnecting", "replaying", "ended". */
  state: string;
  /** Live sources: the socket is up. Replay sources: true while replaying. */
  connected: boolean;
  /** Cumulative events lost inside the source, by reason (e.g. "malformed", "sequence_gap"). */
  dropped: Record<string, number>;
  malformedPackets: number;
  /** Datagrams known lost (sequence gaps) or partial packets dropped. */
  lostPackets: number;
  /** Duplicated or late datagrams skipped (their events were already delivered or counted lost). */
  stalePackets: number;
  reconnects: number;
}

/** A source as the runner uses it: the event stream plus its health. */
export interface PipelineSource {
  /** Label in metrics and status, e.g. "tcp://127.0.0.1:7777". */
  readonly name: string;
  /** Live sources (sockets) count toward readiness only while connected. */
  readonly live: boolean;
  /** Drop reasons the source can report (declared as zero in /metrics up front). */
  readonly dropReasons: readonly string[];
  /** `ack`, when present, is called once the batch has been binned (a bus source then acknowledges it). */
  readonly events: Observable<EventBatch & { annotations?: readonly Annotation[]; ack?: () => void }>;
  health(): SourceHealth;
  /** The true class at event time `tUs`, when the source knows it (the camera simulator does). */
  truthAt?(tUs: number): string | undefined;
  /** The valve the source honours (stops reading while closed), for the `pause` buffer policy. */
  readonly valve?: FlowValve;
  /** Releases resources the source holds beyond its subscription (e.g. an in-process camera). */
  close?(): Promise<void>;
}
