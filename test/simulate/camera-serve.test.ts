import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveEvents, tcpSource } from '../../src/sources/index.js';
import { simulatedCamera, type GestureAnnouncement } from '../../src/simulate/camera.js';

test('camera-sim over DV TCP: a client decodes the live 128x128 stream while gestures are announced', async () => {
  const gestures: GestureAnnouncement[] = [];
  const camera = simulatedCamera({ lighting: 'fluorescent', gestureSeconds: 0.5, gapSeconds: 0.2, onGesture: (g) => gestures.push(g) });
  const server = await serveEvents(camera, { url: 'tcp://127.0.0.1:0', protocol: 'dv', sensor: { width: 128, height: 128 }, backpressure: 'drop' });
  let events = 0;
  let first = Infinity, last = -Infinity;
  let maxX = 0, maxY = 0;
  const sub = tcpSource(server.url, { protocol: 'dv', reconnect: false }).subscribe((b) => {
    events += b.length;
    for (let i = 0; i < b.length; i++) {
      first = Math.min(first, b.t[i]!);
      last = Math.max(last, b.t[i]!);
      maxX = Math.max(maxX, b.x[i]!);
      maxY = Math.max(maxY, b.y[i]!);
    }
    assert.deepEqual(b.sensor, { width: 128, height: 128 });
  });
  const until = Date.now() + 15_000;
  while ((gestures.length < 1 || events < 5000) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  sub.unsubscribe();
  await server.close();
  assert.ok(events >= 5000, `${events} events received`);
  assert.ok(gestures.length >= 1);
  assert.ok(maxX < 128 && maxY < 128);
  // Unix-µs timestamps close to now.
  assert.ok(Math.abs(first / 1000 - Date.now()) < 60_000, `first timestamp ${first}`);
  assert.ok(last > first);
});
