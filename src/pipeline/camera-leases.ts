/**
 * Which worker owns which camera, kept in two JetStream key-value buckets whose entries expire
 * (bucket TTL = the lease time), so nothing but JetStream is needed to agree:
 *
 * - `spikeline-workers`: one key per live worker, re-put every renewal; a killed worker's key
 *   expires, and the others see one worker fewer.
 * - `spikeline-camera-leases`: one key per owned camera, valued with the owner's id. A worker
 *   claims a camera with an atomic create (fails if any live lease exists), renews it with an
 *   update checked against the revision it holds (fails if the lease expired and someone else
 *   claimed it meanwhile; an entry still holding its own id means a renewal was stored but its
 *   answer lost), and hands it over by deleting it at that revision.
 *
 * All workers of a line must use the same lease time (the buckets are created with it).
 */
import type { KV, NatsConnection } from 'nats';
import { BUS_API_TIMEOUT_MS } from '../sources/index.js';

export const LEASES_BUCKET = 'spikeline-camera-leases';
export const WORKERS_BUCKET = 'spikeline-workers';

export type RenewResult = 'renewed' | 'lost' | 'unreachable' | 'not-held';

interface Lease {
  revision: number;
  /** performance.now() of the last successful create / update. */
  renewedAt: number;
  /** The renewal in flight, which a release waits for: it moves the revision the delete is checked against. */
  renewing?: Promise<RenewResult>;
}

export class CameraLeases {
  private readonly held = new Map<string, Lease>();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  private constructor(
    private readonly leases: KV,
    private readonly workers: KV,
    readonly workerId: string,
    readonly ttlMs: number,
  ) {}

  /**
   * Creates the buckets if missing (with the bus's long API timeout: a server may still be
   * recovering), then binds them with requests that give up after a quarter of the lease time,
   * so a renewal lost in a server restart is tried again (renewals run every third of it) before
   * the lease expires.
   */
  static async open(nc: NatsConnection, workerId: string, ttlMs: number): Promise<CameraLeases> {
    const setup = nc.jetstream({ timeout: BUS_API_TIMEOUT_MS });
    await Promise.all([setup.views.kv(LEASES_BUCKET, { ttl: ttlMs, history: 1 }), setup.views.kv(WORKERS_BUCKET, { ttl: ttlMs, history: 1 })]);
    const js = nc.jetstream({ timeout: Math.max(250, Math.floor(ttlMs / 4)) });
    const [leases, workers] = await Promise.all([js.views.kv(LEASES_BUCKET, { bindOnly: true }), js.views.kv(WORKERS_BUCKET, { bindOnly: true })]);
    return new CameraLeases(leases, workers, workerId, ttlMs);
  }

  /** Cameras this worker holds a lease on. */
  get owned(): string[] {
    return [...this.held.keys()];
  }

  /** Announces this worker as live (call at least every ttl / 2). */
  async heartbeat(): Promise<void> {
    await this.workers.put(this.workerId, this.encoder.encode(String(Date.now())));
  }

  /** Ids of the workers whose announcement has not expired, this one included once announced. */
  async liveWorkers(): Promise<string[]> {
    const ids: string[] = [];
    for await (const k of await this.workers.keys()) ids.push(k);
    return ids.sort();
  }

  /**
   * Claims a camera. Resolves false when another worker holds a live lease. `handedOver` tells
   * whether the previous owner released it (true) or its lease expired / it had none (false).
   */
  async claim(camera: string): Promise<{ claimed: boolean; handedOver: boolean }> {
    const before = await this.leases.get(camera);
    if (before && before.operation === 'PUT') return { claimed: false, handedOver: false };
    try {
      const revision = await this.leases.create(camera, this.encoder.encode(this.workerId));
      this.held.set(camera, { revision, renewedAt: performance.now() });
      return { claimed: true, handedOver: before?.operation === 'DEL' };
    } catch (err) {
      if (isRevisionConflict(err)) return { claimed: false, handedOver: false };
      throw err;
    }
  }

  /**
   * Renews a held lease. `lost`: another worker holds it now, or it could not be renewed for a
   * whole TTL (it has expired on the server); the camera must be given up at once.
   * `unreachable`: the bus did not answer, the lease may still be valid. `not-held`: the camera
   * was released (or its loss already reported).
   */
  renew(camera: string): Promise<RenewResult> {
    const lease = this.held.get(camera);
    if (!lease) return Promise.resolve('not-held');
    lease.renewing = this.renewLease(camera, lease);
    return lease.renewing;
  }

  private async renewLease(camera: string, lease: Lease): Promise<RenewResult> {
    try {
      lease.revision = await this.leases.update(camera, this.encoder.encode(this.workerId), lease.revision);
      lease.renewedAt = performance.now();
      return 'renewed';
    } catch (err) {
      // A renewal whose answer was lost (timed out, yet stored) moved the revision on: the lease
      // is still this worker's when the entry holds its id.
      if (isRevisionConflict(err) && (await this.holdsEntry(camera, lease))) return 'renewed';
      if (isRevisionConflict(err) || performance.now() - lease.renewedAt >= this.ttlMs) {
        this.held.delete(camera);
        return 'lost';
      }
      return 'unreachable';
    }
  }

  /** Whether the live entry of `camera` names this worker; if so, `lease` takes its revision. */
  private async holdsEntry(camera: string, lease: Lease): Promise<boolean> {
    const entry = await this.leases.get(camera).catch(() => null);
    if (entry?.operation !== 'PUT' || this.decoder.decode(entry.value) !== this.workerId) return false;
    lease.revision = entry.revision;
    lease.renewedAt = performance.now() - Math.max(0, Date.now() - entry.created.getTime());
    return true;
  }

  /**
   * Gives a camera up so another worker can claim it at once (best effort: else it expires). A
   * renewal in flight is waited for, since the delete is checked against the revision it leaves.
   */
  async release(camera: string): Promise<void> {
    const lease = this.held.get(camera);
    this.held.delete(camera);
    if (!lease) return;
    const renewed = await lease.renewing;
    if (renewed === 'lost') return;
    await this.leases.delete(camera, { previousSeq: lease.revision }).catch(() => undefined);
  }

  /** Forgets the announcement of this worker (graceful stop). */
  async leave(): Promise<void> {
    await this.workers.delete(this.workerId).catch(() => undefined);
  }
}

function isRevisionConflict(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test((err as Error).message);
}
