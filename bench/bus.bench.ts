/**
 * Scaling out on NATS JetStream, on a real `nats-server -js` (Debian package) on loopback:
 *
 * - publish: 4 cameras' batches stored by JetStream (publish acks awaited), events/s;
 * - through the bus with 1 and 2 workers (`spikeline run` child processes, `cameras: "*"`):
 *   the workers own the 4 cameras first, then the backlog is published and the figure is total
 *   events / time until every camera's durable consumer has acknowledged its last batch
 *   (decoded, binned and classified by the model);
 * - failover: with 2 workers, one is killed with SIGKILL; the time until the survivor holds
 *   all 4 leases, and until every moved camera has a new prediction.
 *
 * Every worker runs the bundled model; events are 1 Mev/s of event time per camera in 10 000-event
 * batches. Skipped (with a note) when nats-server is not installed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, StringCodec, type NatsConnection } from 'nats';
import { allocateBatch, type EventBatch } from '../src/events/index.js';
import { LEASES_BUCKET } from '../src/pipeline/camera-leases.js';
import { NatsEventSink } from '../src/sinks/nats-events.js';
import { cameraConsumer, ensureEventStream, EVENTS_STREAM } from '../src/sources/nats-bus.js';
import type { Benchmark } from './harness.js';

const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p));
const CAMERAS = ['cam-1', 'cam-2', 'cam-3', 'cam-4'];
const BATCH = 10_000;
const BATCH_US = 10_000;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function startServer(port: number, dir: string): Promise<ChildProcess> {
  const p = spawn(NATS_SERVER!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((ok, fail) => {
    let log = '';
    p.stderr!.on('data', (d: Buffer) => (log += d.toString()).includes('Server is ready') && ok());
    p.once('exit', () => fail(new Error(`nats-server exited: ${log}`)));
  });
  return p;
}

/** Batch k of camera c: BATCH events spread over BATCH_US µs, positions varying per batch. */
function batchOf(c: number, k: number): EventBatch {
  const b = allocateBatch(BATCH, { width: 128, height: 128 });
  for (let i = 0; i < BATCH; i++) {
    b.t[i] = 1e9 + k * BATCH_US + Math.floor((i * BATCH_US) / BATCH);
    b.x[i] = (i * 7 + k * 5 + c * 31) % 128;
    b.y[i] = (i * 13 + k * 3) % 128;
    b.p[i] = i & 1;
  }
  return b;
}

function worker(config: string): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));", '--', 'run', config],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
}

async function poll(pred: () => Promise<boolean>, everyMs = 20, limitMs = 600_000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!(await pred())) {
    if (performance.now() > end) throw new Error('bus bench: timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

class Line {
  readonly sc = StringCodec();
  private constructor(
    readonly nc: NatsConnection,
    readonly config: string,
  ) {}

  static async open(url: string, dir: string): Promise<Line> {
    const nc = await connect({ servers: url });
    await ensureEventStream(await nc.jetstreamManager());
    const config = join(dir, 'worker.yaml');
    writeFileSync(
      config,
      [
        'name: bus-bench',
        `source: { type: nats, url: "${url}", cameras: "*", leaseMs: 2000 }`,
        `model: { path: ${JSON.stringify(resolve('fixtures/model'))} }`,
        'server: { port: 0 }',
        `sinks: { nats: { url: "${url}", types: [prediction] }, prometheus: { processMetrics: false } }`,
        '',
      ].join('\n'),
    );
    return new Line(nc, config);
  }

  async owners(): Promise<Map<string, string>> {
    const kv = await this.nc.jetstream().views.kv(LEASES_BUCKET, { ttl: 2000, history: 1 });
    const out = new Map<string, string>();
    for (const c of CAMERAS) {
      const e = await kv.get(c);
      if (e?.operation === 'PUT') out.set(c, this.sc.decode(e.value));
    }
    return out;
  }

  /** Publishes `batches` per camera (interleaved), waiting for every JetStream ack. */
  async publish(from: number, batches: number): Promise<void> {
    const sinks = CAMERAS.map((camera) => new NatsEventSink({ nc: this.nc, camera }));
    for (let k = from; k < from + batches; k++) {
      for (let c = 0; c < CAMERAS.length; c++) {
        sinks[c]!.publish(batchOf(c, k));
        if (sinks[c]!.backlogFull) await sinks[c]!.whenRoom();
      }
    }
    for (const s of sinks) await s.flush();
  }

  /** True once every camera's consumer has acknowledged everything in the stream. */
  async drained(): Promise<boolean> {
    const jsm = await this.nc.jetstreamManager();
    for (const c of CAMERAS) {
      const info = await jsm.consumers.info(EVENTS_STREAM, cameraConsumer(c)).catch(() => undefined);
      if (!info || info.num_pending > 0 || info.num_ack_pending > 0) return false;
    }
    return true;
  }
}

const bench: Benchmark = {
  name: 'bus (NATS JetStream: publish, workers, failover)',
  async run({ report, quick }) {
    if (!NATS_SERVER) {
      process.stdout.write('  skipped: nats-server not installed (Debian package "nats-server")\n');
      return;
    }
    const perCamera = quick ? 50 : 400;
    const total = perCamera * BATCH * CAMERAS.length;
    for (const workers of [0, 1, 2]) {
      const dir = mkdtempSync(join(tmpdir(), 'spikeline-bus-bench-'));
      const port = await freePort();
      const server = await startServer(port, join(dir, 'store'));
      const line = await Line.open(`nats://127.0.0.1:${port}`, dir);
      const children: ChildProcess[] = [];
      try {
        if (workers === 0) {
          const t0 = performance.now();
          await line.publish(0, perCamera);
          const s = (performance.now() - t0) / 1000;
          report({ name: 'publish 4 cameras, JetStream acks awaited', value: total / s / 1e6, unit: 'Mev/s', extra: { events: total, messages: perCamera * 4 } });
          continue;
        }
        // Cameras exist once they have a batch; the workers take them before the backlog arrives.
        await line.publish(0, 1);
        for (let w = 0; w < workers; w++) children.push(worker(line.config));
        const fair = Math.ceil(CAMERAS.length / workers);
        await poll(async () => {
          const owners = [...(await line.owners()).values()];
          return owners.length === CAMERAS.length && new Set(owners).size === workers && children.every((ch) => owners.filter((o) => o.includes(`-${ch.pid}-`)).length === fair);
        }, 100);
        await poll(() => line.drained(), 50);
        const t0 = performance.now();
        await line.publish(1, perCamera);
        await poll(() => line.drained());
        const s = (performance.now() - t0) / 1000;
        report({ name: `through the bus, ${workers} worker(s), 4 cameras`, value: total / s / 1e6, unit: 'Mev/s', extra: { events: total, seconds: s.toFixed(2) } });

        if (workers === 2) {
          // Failover: a trickle of batches keeps predictions coming; kill -9 one worker.
          const victim = children[0]!;
          const moved = [...(await line.owners())].filter(([, o]) => o.includes(`-${victim.pid}-`)).map(([c]) => c);
          const seen = new Set<string>();
          const sub = line.nc.subscribe('spikeline.prediction.*');
          let killedAt = Infinity;
          void (async () => {
            for await (const m of sub) if (performance.now() > killedAt) seen.add(m.subject.split('.').pop()!);
          })();
          let k = 1 + perCamera;
          let trickle = true;
          const feeding = (async () => {
            while (trickle) {
              await line.publish(k, 1);
              k++;
              await new Promise((r) => setTimeout(r, 50));
            }
          })();
          await new Promise((r) => setTimeout(r, 500));
          killedAt = performance.now();
          victim.kill('SIGKILL');
          await poll(async () => [...(await line.owners()).values()].every((o) => o.includes(`-${children[1]!.pid}-`)));
          const leasesMoved = (performance.now() - killedAt) / 1000;
          await poll(async () => moved.every((c) => seen.has(c)));
          const resumed = (performance.now() - killedAt) / 1000;
          trickle = false;
          await feeding;
          sub.unsubscribe();
          report({ name: 'failover after kill -9: leases on the survivor', value: leasesMoved, unit: 's', extra: { leaseMs: 2000, cameras: moved.length } });
          report({ name: 'failover after kill -9: predictions of moved cameras', value: resumed, unit: 's', extra: { leaseMs: 2000 } });
        }
      } finally {
        for (const ch of children) ch.kill('SIGKILL');
        await line.nc.close();
        server.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      }
    }
  },
};

export default bench;
