import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { firstValueFrom, from, lastValueFrom, Subject, take, toArray, filter } from 'rxjs';
import { concatBatches, sliceBatch, type EventBatch } from '../../src/events/index.js';
import {
  encodeWsFrame, sendUdp, serveEvents, tcpSource, udpSource, wsSource, type EventSource, type SourceState,
} from '../../src/sources/index.js';
import { randomEvents, rows } from '../support/events.js';

const sensor = { width: 128, height: 128 };

function chunks(b: EventBatch, size: number): EventBatch[] {
  const out: EventBatch[] = [];
  for (let i = 0; i < b.length; i += size) out.push(sliceBatch(b, i, i + size));
  return out;
}

for (const protocol of ['dv', 'aedat3'] as const) {
  test(`TCP ${protocol}: our server to our client, every event exactly`, async () => {
    const ev = randomEvents(50_000, sensor, 21, 2_000_000, protocol === 'dv' ? 1_605_537_493_718_345 : 10);
    const server = await serveEvents(from(chunks(ev, 3000)), { url: 'tcp://127.0.0.1:0', protocol, sensor, ...(protocol === 'dv' ? { compression: 'lz4' as const } : {}) });
    const src = tcpSource(server.url, { protocol, reconnect: false });
    const got = await lastValueFrom(src.pipe(toArray()));
    await server.done;
    assert.deepEqual(rows(concatBatches(got)), rows(ev));
    assert.deepEqual(concatBatches(got).sensor, sensor);
    assert.equal(src.stats.events, 50_000);
    assert.equal(src.stats.malformed, 0);
    assert.equal(src.stats.state, 'closed');
  });
}

test('WebSocket: our server to our client, malformed messages counted and skipped', async () => {
  const ev = randomEvents(20_000, { width: 346, height: 260 }, 22, 1_000_000, 5_000_000);
  const server = await serveEvents(from(chunks(ev, 1000)), { url: 'ws://127.0.0.1:0/events', sensor: ev.sensor });
  const src = wsSource(server.url, { reconnect: false });
  const got = await lastValueFrom(src.pipe(toArray()));
  assert.deepEqual(rows(concatBatches(got)), rows(ev));

  // A raw WebSocket server sending garbage, a text message and one good frame.
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => {
    ws.send(new Uint8Array([1, 2, 3]));
    ws.send('hello');
    ws.send(encodeWsFrame(sliceBatch(ev, 0, 5)));
    ws.close();
  });
  const port = (wss.address() as { port: number }).port;
  const bad = wsSource(`ws://127.0.0.1:${port}/`, { reconnect: false });
  const good = await lastValueFrom(bad.pipe(toArray()));
  assert.equal(concatBatches(good).length, 5);
  assert.equal(bad.stats.malformed, 2);
  await new Promise((r) => wss.close(r));
});

test('DV TCP: a byte capture built from spec §6-7 by hand, delivered in 3-byte fragments', async () => {
  const capture = handBuiltDvCapture();
  const server = createServer((s: Socket) => {
    let o = 0;
    const step = () => {
      if (o >= capture.length) return void s.end();
      s.write(capture.subarray(o, o + 3));
      o += 3;
      setImmediate(step);
    };
    step();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const src = tcpSource(`tcp://127.0.0.1:${port}`, { protocol: 'dv', reconnect: false });
  const b = concatBatches(await lastValueFrom(src.pipe(toArray())));
  assert.deepEqual(rows(b), [[154, 204, 1605537493718345, 0], [319, 0, 1605537493718400, 1]]);
  assert.deepEqual(b.sensor, { width: 320, height: 240 });
  server.close();
});

test('AEDAT 3.1 TCP and jAER UDP: byte captures built from spec §8 / §9 by hand, over real sockets', async () => {
  // cAER TCP stream: 20-byte network header (magic, sequence 0, version 1, RAW, source 1) then
  // one polarity packet (28-byte header + 8-byte events: valid | pol << 1 | y << 2 | x << 17, ts).
  const pkt = new Uint8Array(28 + 16);
  const pv = new DataView(pkt.buffer);
  pv.setUint16(0, 1, true); pv.setInt16(2, 1, true); pv.setInt32(4, 8, true); pv.setInt32(8, 4, true);
  pv.setInt32(12, 1, true); pv.setInt32(16, 2, true); pv.setInt32(20, 2, true); pv.setInt32(24, 2, true);
  pv.setUint32(28, ((10 << 17) | (20 << 2) | (1 << 1) | 1) >>> 0, true); pv.setInt32(32, 5, true);
  pv.setUint32(36, ((127 << 17) | (0 << 2) | 0 | 1) >>> 0, true); pv.setInt32(40, 7, true);
  const head = new Uint8Array(20);
  head.set([0x58, 0x66, 0x9a, 0x0b, 0xc9, 0x8b, 0x37, 0x1d]);
  head[16] = 1;
  head[18] = 1;
  const server = createServer((sock: Socket) => {
    sock.write(head.subarray(0, 7));
    setTimeout(() => sock.end(Buffer.concat([head.subarray(7), pkt])), 5);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const b = concatBatches(await lastValueFrom(tcpSource(`tcp://127.0.0.1:${port}`, { protocol: 'aedat3', reconnect: false }).pipe(toArray())));
  // eventTSOverflow = 1: t = 2^31 + ts.
  assert.deepEqual(rows(b), [[10, 20, 2 ** 31 + 5, 1], [127, 0, 2 ** 31 + 7, 0]]);
  server.close();

  // jAER datagram: BE sequence 1, then (address, timestamp) with DVS128 raw bits (x = 127 - rx,
  // y = 127 - ry, ON when bit 0 is 0).
  const { createSocket } = await import('node:dgram');
  let udpPort = 0;
  let ready!: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  const src = udpSource('udp://127.0.0.1:0', { protocol: 'jaer', onListening: (a) => ((udpPort = a.port), ready()) });
  const got = firstValueFrom(src);
  await listening;
  const d = Buffer.from([0, 0, 0, 1, 0x00, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x03, 0xe8]); // ry=10, rx=5, b=0, t=1000
  const tx = createSocket('udp4');
  await new Promise<void>((r) => tx.send(d, udpPort, '127.0.0.1', () => r()));
  tx.close();
  assert.deepEqual(rows(await got), [[122, 117, 1000, 1]]);
});

test('UDP aedat3, jaer and spif: our sender to our receiver on loopback', async () => {
  for (const protocol of ['aedat3', 'jaer', 'spif'] as const) {
    const ev = randomEvents(5000, sensor, 23, 1_000_000, 1000);
    let port = 0;
    let ready!: () => void;
    const listening = new Promise<void>((r) => (ready = r));
    const src: EventSource = udpSource('udp://127.0.0.1:0', { protocol, sensor, onListening: (a) => ((port = a.port), ready()) });
    const received: EventBatch[] = [];
    let n = 0;
    const done = new Promise<void>((resolve, reject) => {
      const sub = src.subscribe({
        next(b) {
          received.push(b);
          n += b.length;
          if (n >= 5000) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    await listening;
    const stats = await sendUdp(from(chunks(ev, 500)), `udp://127.0.0.1:${port}`, { protocol, maxDatagramsPerSecond: 4000 });
    await done;
    const got = concatBatches(received);
    if (protocol === 'spif') {
      // SPIF carries no time: events get the receive clock; coordinates and polarity survive.
      assert.deepEqual(Array.from(got.x), Array.from(ev.x));
      assert.deepEqual(Array.from(got.p), Array.from(ev.p));
      for (let i = 1; i < got.length; i++) assert.ok(got.t[i]! >= got.t[i - 1]!);
    } else {
      assert.deepEqual(rows(got), rows(ev), protocol);
    }
    assert.equal(src.stats.lost, 0, protocol);
    assert.equal(stats.events, 5000);
  }
});

test('a TCP source killed mid-stream reconnects with backoff and resumes; the gap is reported', async () => {
  const first = randomEvents(3000, sensor, 24, 100_000, 1_000_000);
  const second = randomEvents(3000, sensor, 25, 100_000, 2_000_000);
  const live = new Subject<EventBatch>();
  const a = await serveEvents(live, { url: 'tcp://127.0.0.1:0', sensor, waitForClient: true });
  const port = a.address.port;
  const src = tcpSource(`tcp://127.0.0.1:${port}`, { protocol: 'dv', initialDelayMs: 20, maxDelayMs: 100 });
  const states: SourceState[] = [];
  const stateSub = src.status$.subscribe((s) => states.push(s));
  const received: EventBatch[] = [];
  let total = 0;
  let resolveFirst!: () => void, resolveAll!: () => void;
  const gotFirst = new Promise<void>((r) => (resolveFirst = r));
  const gotAll = new Promise<void>((r) => (resolveAll = r));
  const sub = src.subscribe((b) => {
    received.push(b);
    total += b.length;
    if (total >= 3000) resolveFirst();
    if (total >= 6000) resolveAll();
  });
  await firstValueFrom(src.status$.pipe(filter((s) => s === 'open')));
  await new Promise((r) => setTimeout(r, 20));
  for (const c of chunks(first, 500)) live.next(c);
  await gotFirst;
  // Kill the camera: error the stream (sockets destroyed), then bring a new one up on the port.
  live.error(new Error('camera unplugged'));
  await a.done.catch(() => undefined);
  const live2 = new Subject<EventBatch>();
  const b = await serveEvents(live2, { url: `tcp://127.0.0.1:${port}`, sensor });
  await firstValueFrom(src.status$.pipe(filter((s) => s === 'open'), take(1)));
  while (b.stats.clients === 0) await new Promise((r) => setTimeout(r, 5));
  for (const c of chunks(second, 500)) live2.next(c);
  await gotAll;
  sub.unsubscribe();
  stateSub.unsubscribe();
  await b.close();
  assert.deepEqual(rows(concatBatches(received)), [...rows(first), ...rows(second)]);
  assert.equal(src.stats.reconnects, 1);
  assert.ok(states.includes('reconnecting'), states.join(','));
});

test('TCP: garbage after the header is counted as malformed and the client reconnects', async () => {
  let connections = 0;
  const server = createServer((s: Socket) => {
    connections++;
    const cap = handBuiltDvCapture();
    s.write(cap.subarray(0, 4 + new DataView(cap.buffer).getUint32(0, true))); // header only
    s.write(new Uint8Array([0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f])); // packet claiming 2 GiB
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const src = tcpSource(`tcp://127.0.0.1:${port}`, { protocol: 'dv', initialDelayMs: 10, maxDelayMs: 20, maxRetries: 2 });
  await assert.rejects(lastValueFrom(src), /byte|packet|size|large/i);
  assert.ok(src.stats.malformed >= 2, `malformed ${src.stats.malformed}`);
  assert.ok(connections >= 2);
  server.close();
});

/**
 * A DV network stream assembled byte by byte from the spec: u32 length + IOHeader FlatBuffer
 * (§6.3: compression 0, dataTablePosition -1, infoNode XML with sizeX/sizeY), then one packet
 * (stream 0) holding a size-prefixed EventPacket FlatBuffer (§6.6) with two 16-byte events.
 */
function handBuiltDvCapture(): Uint8Array {
  const xml = '<dv version="2.0"><node name="outInfo" path="/outInfo/"><node name="0" path="/outInfo/0/">' +
    '<attr key="typeIdentifier" type="string">EVTS</attr><node name="info" path="/outInfo/0/info/">' +
    '<attr key="sizeX" type="int">320</attr><attr key="sizeY" type="int">240</attr></node></node></node></dv>';
  const text = new TextEncoder().encode(xml);
  // IOHeader flatbuffer: [root u32][ident 'IOHE'][vtable: 10 bytes][pad 2][table: soffset, i32 compression, i64 dtp, u32 str]
  const vt = 8; // vtable at B+8: u16 vtBytes=10, u16 tableBytes=24, field offsets: 4, 8, 16
  const table = 20; // table at B+20
  const strAt = table + 24; // string at B+44
  const fb = new Uint8Array(strAt + 4 + text.length + 1 + 3);
  const v = new DataView(fb.buffer);
  v.setUint32(0, table, true);
  fb.set([0x49, 0x4f, 0x48, 0x45], 4); // IOHE
  v.setUint16(vt, 10, true); v.setUint16(vt + 2, 24, true);
  v.setUint16(vt + 4, 4, true); v.setUint16(vt + 6, 8, true); v.setUint16(vt + 8, 16, true);
  v.setInt32(table, table - vt, true); // soffset back to the vtable
  v.setInt32(table + 4, 0, true); // compression NONE
  v.setBigInt64(table + 8, -1n, true); // dataTablePosition
  v.setUint32(table + 16, strAt - (table + 16), true); // infoNode string offset
  v.setUint32(strAt, text.length, true);
  fb.set(text, strAt + 4);
  // EventPacket: [root u32][ident 'EVTS'][vtable 6 bytes: 6, 8, field0 @4][pad][table: soffset, u32 vec][vec: count + 2x16 bytes]
  const ev = new Uint8Array(8 + 8 + 8 + 8 + 4 + 32);
  const e = new DataView(ev.buffer);
  const evt = 16, vec = 28;
  e.setUint32(0, evt, true);
  ev.set([0x45, 0x56, 0x54, 0x53], 4); // EVTS
  e.setUint16(8, 6, true); e.setUint16(10, 8, true); e.setUint16(12, 4, true);
  e.setInt32(evt, evt - 8, true);
  e.setUint32(evt + 4, vec - (evt + 4), true);
  e.setUint32(vec, 2, true);
  const put = (i: number, t: bigint, x: number, y: number, p: number) => {
    const o = vec + 4 + 16 * i;
    e.setBigInt64(o, t, true); e.setInt16(o + 8, x, true); e.setInt16(o + 10, y, true); ev[o + 12] = p;
  };
  put(0, 1605537493718345n, 154, 204, 0);
  put(1, 1605537493718400n, 319, 0, 1);
  const payload = new Uint8Array(4 + ev.length);
  new DataView(payload.buffer).setUint32(0, ev.length, true);
  payload.set(ev, 4);
  const out = new Uint8Array(4 + fb.length + 8 + payload.length);
  const o = new DataView(out.buffer);
  o.setUint32(0, fb.length, true);
  out.set(fb, 4);
  o.setInt32(4 + fb.length, 0, true);
  o.setInt32(8 + fb.length, payload.length, true);
  out.set(payload, 12 + fb.length);
  return out;
}

