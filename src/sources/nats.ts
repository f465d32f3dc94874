/**
 * One camera's event stream read back from NATS JetStream (`spikeline.events.<camera>`, see
 * nats-bus.ts) through its durable consumer `spikeline-<camera>`, with explicit acks.
 *
 * Each emitted batch carries `ack()`: the consumer of the stream calls it once the batch has been
 * binned, so the consumer's ack floor is exactly "processed up to here". On subscribe the source
 * resumes from that floor: it reads the durable's ack floor, deletes the durable and recreates it
 * starting right after the floor. Batches the previous reader had received but not acknowledged
 * (it died, or gave the camera up) are therefore delivered again at once and in order, instead
 * of after an ack timeout and out of order; they are counted as redelivered. Deleting the
 * durable also fences a previous reader that is still alive: its acks no longer count, and its
 * source fails with an error saying so (else it would wait on the deleted consumer for ever).
 *
 * A message that is not a valid SLEV frame is counted as malformed and terminated (never
 * redelivered); the stream goes on.
 *
 * A publisher's frames can be stored out of order when its server restarts: frames lost in the
 * outage are sent again after later ones were stored. A frame whose publisher sequence (its
 * message id, nats-bus.ts `frameId`) is behind one already read from the same publisher came late:
 * it is acknowledged and skipped, counted in `stats.stale`, so event time never goes back.
 * Copies of a stream sequence already emitted (redeliveries) are skipped too.
 */
import { AckPolicy, ConsumerEvents, DeliverPolicy, nanos, type ConsumerInfo, type NatsConnection } from 'nats';
import type { EventBatch } from '../events/index.js';
import type { FlowValve } from '../operators/bounded-buffer.js';
import { busManager, cameraConsumer, checkCameraName, EVENTS_STREAM, eventsSubject, parseFrameId } from './nats-bus.js';
import { makeSource, type EventSource } from './status.js';
import { decodeWsFrame } from './ws-frame.js';

/** A batch from the bus: `ack()` tells JetStream it has been processed. */
export type AckableBatch = EventBatch & { ack?: () => void };

export interface NatsCameraSourceOptions {
  nc: NatsConnection;
  camera: string;
  /** Batches delivered and not yet acknowledged, at most (the consumer's max_ack_pending). Default 256. */
  maxAckPending?: number;
  /** Stops pulling while paused (the runner's `pause` buffer policy). */
  valve?: FlowValve;
}

/** Where the source resumed, read from the durable consumer before it was recreated. */
export interface NatsResume {
  /** Last stream sequence acknowledged by the previous reader (0 = none). */
  ackFloor: number;
  /** Batches the previous reader received without acknowledging: delivered again now. */
  unacked: number;
  /** Wall time of the previous reader's last ack (epoch ms), when the server reports it. */
  lastAckAt: number | undefined;
  /** Whether a previous reader existed at all. */
  existed: boolean;
}

/** Bus counters of one camera source (plain numbers that only grow, except the lag fields). */
export interface NatsSourceStats {
  acked: number;
  /** Batches delivered again: flagged redelivered by JetStream, plus the takeover's unacked ones. */
  redelivered: number;
  /** Batches in the stream after the last one received (consumer lag in batches). */
  pendingBatches: number;
  /** Publish time (epoch ms) of the last batch received. */
  lastPublishedAt: number;
  /** Events per batch received so far (to turn pending batches into events). */
  meanBatchEvents: number;
  resume: NatsResume | undefined;
}

export type NatsCameraSource = EventSource & { readonly bus: NatsSourceStats };

/** Reads one camera's batches from JetStream; see the file comment for ack and resume semantics. */
export function natsCameraSource(options: NatsCameraSourceOptions): NatsCameraSource {
  const camera = checkCameraName(options.camera);
  const subject = eventsSubject(camera);
  const bus: NatsSourceStats = { acked: 0, redelivered: 0, pendingBatches: 0, lastPublishedAt: 0, meanBatchEvents: 0, resume: undefined };
  const source = makeSource(`nats:${camera}`, (ctx) => {
    let stop: (() => void) | undefined;
    let closed = false;
    const run = async () => {
      ctx.setState('connecting');
      const jsm = await busManager(options.nc);
      const name = cameraConsumer(camera);
      let prior: ConsumerInfo | undefined;
      try {
        prior = await jsm.consumers.info(EVENTS_STREAM, name);
      } catch (err) {
        if (!/consumer not found/i.test((err as Error).message)) throw err;
      }
      const floor = prior ? ackFloor(prior) : 0;
      const lastAck = prior?.ack_floor.last_active as unknown;
      bus.resume = {
        ackFloor: floor,
        unacked: prior?.num_ack_pending ?? 0,
        lastAckAt: typeof lastAck === 'string' ? Date.parse(lastAck) : undefined,
        existed: prior !== undefined,
      };
      bus.redelivered += bus.resume.unacked;
      if (prior) await jsm.consumers.delete(EVENTS_STREAM, name);
      await jsm.consumers.add(EVENTS_STREAM, {
        durable_name: name,
        filter_subject: subject,
        ack_policy: AckPolicy.Explicit,
        ...(floor > 0 ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: floor + 1 } : { deliver_policy: DeliverPolicy.All }),
        max_ack_pending: options.maxAckPending ?? 256,
        // Only a stalled reader hits this: the owner acks in order as it bins.
        ack_wait: nanos(60_000),
      });
      if (closed) return;
      const consumer = await options.nc.jetstream().consumers.get(EVENTS_STREAM, name);
      const messages = await consumer.consume({ max_messages: Math.min(64, options.maxAckPending ?? 256) });
      stop = () => void messages.stop();
      if (closed) return stop();
      let fenced: Error | undefined;
      void (async () => {
        // A reader that recreated the durable (the camera's next owner) fences this one, which
        // would otherwise wait on the deleted consumer for ever, silently.
        for await (const s of await messages.status()) {
          if (s.type !== ConsumerEvents.ConsumerDeleted) continue;
          fenced = new Error(`nats source ${camera}: its durable consumer ${name} was deleted (another reader took the camera over)`);
          stop?.();
          return;
        }
      })();
      ctx.setState('open');
      const order = new PublisherOrder();
      // Stream sequences emitted and acknowledged so far (both in stream order).
      let emittedSeq = 0;
      let ackedSeq = 0;
      for await (const m of messages) {
        if (options.valve?.paused) await resumed(options.valve);
        ctx.stats.packets++;
        ctx.stats.bytes += m.data.length;
        bus.pendingBatches = m.info.pending;
        bus.lastPublishedAt = m.info.timestampNanos / 1e6;
        if (m.redelivered) bus.redelivered++;
        if (m.seq <= emittedSeq) {
          // A copy of a batch this reader already has (an ack lost in a server restart, or a
          // stalled pipeline past ack_wait): the original's ack settles it unless it came already.
          if (m.seq <= ackedSeq) m.ack();
          continue;
        }
        if (order.late(parseFrameId(m.headers?.get('Nats-Msg-Id')))) {
          ctx.stats.stale++;
          m.ack();
          continue;
        }
        emittedSeq = m.seq;
        let batch: AckableBatch;
        try {
          batch = decodeWsFrame(m.data);
        } catch (err) {
          ctx.stats.malformed++;
          ctx.noteError(new Error(`${subject} stream sequence ${m.seq}: ${(err as Error).message}`));
          m.term();
          continue;
        }
        bus.meanBatchEvents += (batch.length - bus.meanBatchEvents) / ctx.stats.packets;
        batch.ack = () => {
          m.ack();
          ackedSeq = Math.max(ackedSeq, m.seq);
          bus.acked++;
        };
        ctx.emit(batch);
      }
      if (closed) return;
      if (fenced) ctx.fail(fenced);
      else ctx.complete();
    };
    run().catch((err: Error) => {
      if (!closed) ctx.fail(new Error(`nats source ${camera}: ${err.message}`));
    });
    return () => {
      closed = true;
      stop?.();
    };
  });
  return Object.assign(source, { bus });
}

/** Highest frame sequence read per publisher (the few most recent publishers of a camera). */
class PublisherOrder {
  private static readonly KEPT = 16;
  private readonly last = new Map<string, number>();

  /** True when `id` is behind a frame already read from its publisher; records it otherwise. */
  late(id: { prefix: string; seq: number } | undefined): boolean {
    if (!id) return false;
    const last = this.last.get(id.prefix);
    if (last !== undefined && id.seq <= last) return true;
    this.last.delete(id.prefix);
    this.last.set(id.prefix, id.seq);
    if (this.last.size > PublisherOrder.KEPT) this.last.delete(this.last.keys().next().value!);
    return false;
  }
}

/**
 * The last stream sequence a durable has settled. One recreated to start at sequence S reports an
 * ack floor of 0 until its first ack, yet everything before S was settled by an earlier reader:
 * read as 0, an owner that acknowledged nothing would send the next one back to the stream start.
 */
function ackFloor(prior: ConsumerInfo): number {
  const start = prior.config.opt_start_seq ?? 0;
  return Math.max(prior.ack_floor.stream_seq, start - 1);
}

function resumed(valve: FlowValve): Promise<void> {
  return new Promise((resolve) => {
    const off = valve.onChange((paused) => {
      if (paused) return;
      off();
      resolve();
    });
  });
}
