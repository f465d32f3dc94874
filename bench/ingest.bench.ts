/**
 * Network ingest on loopback: N synthetic events (10M; quick: 1M) arrive at spikeline's TCP
 * client source, which decodes them into batches; the figure is events/s from subscription to
 * the last event, with zero loss checked (count and checksum). The camera end is a worker thread
 * writing pre-encoded stream bytes (DV's NetworkWriter / cAER framing) as fast as the socket
 * takes them, so the figure is the client's ingest rate, not the encoder's. The WebSocket case
 * runs spikeline's own server in the same process (encoding included), so it is conservative.
 */
import { Worker } from 'node:worker_threads';
import { Observable } from 'rxjs';
import { allocateBatch, EventSummary, sliceBatch, type EventBatch } from '../src/events/index.js';
import { Aedat3PacketEncoder, Aedat4Encoder, concatChunks, encodeAedat3NetworkHeader } from '../src/formats/index.js';
import { FlowValve } from '../src/operators/index.js';
import { serveEvents, tcpSource, wsSource, type EventSource } from '../src/sources/index.js';
import type { Benchmark } from './harness.js';
import { Random } from '../src/util/random.js';

/** A minimal TCP "camera": serves the given bytes to each client, honouring socket backpressure. */
const CAMERA = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const bytes = new Uint8Array(workerData.buffer);
const server = net.createServer((s) => {
  let o = 0;
  const pump = () => {
    while (o < bytes.length) {
      const end = Math.min(bytes.length, o + (1 << 20));
      const ok = s.write(bytes.subarray(o, end));
      o = end;
      if (!ok) return void s.once('drain', pump);
    }
    s.end();
  };
  pump();
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
parentPort.on('message', () => server.close(() => process.exit(0)));
`;

function encodeStream(ev: EventBatch, protocol: 'dv' | 'aedat3', compression: 'none' | 'lz4'): Uint8Array {
  const parts: Uint8Array[] = [];
  if (protocol === 'dv') {
    const enc = new Aedat4Encoder({ sensor: ev.sensor, compression, framing: 'network' });
    parts.push(enc.begin());
    for (let i = 0; i < ev.length; i += 65536) parts.push(enc.encode(sliceBatch(ev, i, i + 65536)));
  } else {
    const enc = new Aedat3PacketEncoder();
    parts.push(encodeAedat3NetworkHeader(1, 0n));
    for (let i = 0; i < ev.length; i += 65536) parts.push(enc.encode(sliceBatch(ev, i, i + 65536)));
  }
  return concatChunks(parts);
}

async function measure(src: EventSource, expected: EventSummary): Promise<{ seconds: number; ok: boolean }> {
  const summary = new EventSummary();
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => src.subscribe({ next: (b) => summary.add(b), error: reject, complete: resolve }));
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, ok: summary.events === expected.events && summary.checksum === expected.checksum && src.stats.malformed === 0 };
}

async function tcpIngest(bytes: Uint8Array, make: (url: string) => EventSource, expected: EventSummary): Promise<{ seconds: number; ok: boolean }> {
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.length));
  copy.set(bytes);
  const worker = new Worker(CAMERA, { eval: true, workerData: { buffer: copy.buffer } });
  const port = await new Promise<number>((r) => worker.once('message', r));
  try {
    return await measure(make(`tcp://127.0.0.1:${port}`), expected);
  } finally {
    worker.postMessage('stop');
    await new Promise((r) => worker.once('exit', r));
  }
}

const sensor = { width: 346, height: 260 };

function events(n: number): EventBatch {
  const random = new Random(12345);
  const next = () => random.nextUint32();
  const b = allocateBatch(n, sensor);
  let t = 1_700_000_000_000_000;
  for (let i = 0; i < n; i++) {
    const r = next();
    b.x[i] = r % 346;
    b.y[i] = (r >>> 9) % 260;
    b.p[i] = (r >>> 20) & 1;
    t += r & 3;
    b.t[i] = t;
  }
  return b;
}

/** Emits 64k-event views, yielding to the event loop and honouring the valve (a camera-like source). */
function pacedSource(ev: EventBatch, valve: FlowValve): Observable<EventBatch> {
  return new Observable((sub) => {
    let i = 0;
    let stopped = false;
    const step = () => {
      if (stopped) return;
      for (let k = 0; k < 8 && i < ev.length && !valve.paused; k++, i += 65536) sub.next(sliceBatch(ev, i, i + 65536));
      if (i >= ev.length) sub.complete();
      else if (valve.paused) {
        const off = valve.onChange((paused) => {
          if (!paused) {
            off();
            setImmediate(step);
          }
        });
      } else setImmediate(step);
    };
    setImmediate(step);
    return () => void (stopped = true);
  });
}

async function wsIngest(ev: EventBatch, expected: EventSummary): Promise<{ seconds: number; ok: boolean }> {
  const valve = new FlowValve();
  const server = await serveEvents(pacedSource(ev, valve), { url: 'ws://127.0.0.1:0/events', sensor, valve });
  const r = await measure(wsSource(server.url, { reconnect: false }), expected);
  await server.done;
  return r;
}

const bench: Benchmark = {
  name: 'ingest (loopback network sources)',
  async run({ report, quick }) {
    const n = quick ? 1_000_000 : 10_000_000;
    const ev = events(n);
    const expected = new EventSummary().add(ev);
    const cases: Array<[string, Uint8Array, (u: string) => EventSource, number | string]> = [
      ['DV TCP (AEDAT 4 network, no compression)', encodeStream(ev, 'dv', 'none'), (u) => tcpSource(u, { reconnect: false }), 20],
      ['DV TCP (AEDAT 4 network, LZ4)', encodeStream(ev, 'dv', 'lz4'), (u) => tcpSource(u, { reconnect: false }), '-'],
      ['AEDAT 3.1 TCP (cAER network)', encodeStream(ev, 'aedat3', 'none'), (u) => tcpSource(u, { protocol: 'aedat3', reconnect: false, sensor }), '-'],
    ];
    for (const [name, bytes, make, target] of cases) {
      const { seconds, ok } = await tcpIngest(bytes, make, expected);
      report({ name, value: n / seconds / 1e6, unit: 'Mev/s', extra: { events: n, MB: Number((bytes.length / 1e6).toFixed(1)), zero_loss: ok ? 'yes' : 'NO', target } });
    }
    const { seconds, ok } = await wsIngest(ev, expected);
    report({ name: 'WebSocket frames (spikeline server in-process, encoding included)', value: n / seconds / 1e6, unit: 'Mev/s', extra: { events: n, zero_loss: ok ? 'yes' : 'NO' } });
  },
};

export default bench;
