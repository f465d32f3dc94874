/**
 * Camera leases on a real nats-server -js: a renewal whose answer was lost (stored, but the
 * client timed out, as in a server restart) leaves the lease with this worker; an entry another
 * worker wrote takes it away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CameraLeases, LEASES_BUCKET } from '../../src/pipeline/camera-leases.js';
import { jetStreamBus } from '../support/nats.js';

test('leases: a renewal stored without its answer keeps the lease; another worker\'s entry loses it', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const nc = bus.nc;
  const leases = await CameraLeases.open(nc, 'worker-a', 30_000);
  assert.deepEqual(await leases.claim('cam'), { claimed: true, handedOver: false });
  assert.equal(await leases.renew('cam'), 'renewed');
  // What a renewal the client gave up on leaves behind: the entry rewritten with this worker's id.
  const kv = await nc.jetstream().views.kv(LEASES_BUCKET, { bindOnly: true });
  const entry = (await kv.get('cam'))!;
  await kv.update('cam', new TextEncoder().encode('worker-a'), entry.revision);
  assert.equal(await leases.renew('cam'), 'renewed');
  assert.equal(await leases.renew('cam'), 'renewed');
  assert.deepEqual(leases.owned, ['cam']);
  // Another worker's entry (its claim after this lease expired): lost, given up at once.
  await kv.put('cam', new TextEncoder().encode('worker-b'));
  assert.equal(await leases.renew('cam'), 'lost');
  assert.deepEqual(leases.owned, []);
});

test('leases: a release while a renewal is in flight hands the camera over at once, and the renewal is not read as a lost lease', { timeout: 60_000 }, async (t) => {
  const bus = await jetStreamBus(t);
  if (!bus) return;
  const a = await CameraLeases.open(bus.nc, 'worker-a', 30_000);
  const b = await CameraLeases.open(bus.nc, 'worker-b', 30_000);
  assert.equal((await a.claim('cam')).claimed, true);
  // The renewal's update and the release's delete go out together; the server stores the update
  // first, so a delete at the revision held before it would be refused and the lease kept.
  const renewal = a.renew('cam');
  await a.release('cam');
  assert.notEqual(await renewal, 'lost');
  assert.deepEqual(await b.claim('cam'), { claimed: true, handedOver: true }, 'free at once, handed over, not left to expire');
  // A camera no longer held (released, or lost before) is not reported lost again.
  assert.equal(await a.renew('cam'), 'not-held');
});
