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
