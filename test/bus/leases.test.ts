/**
 * Camera leases on a real nats-server -js: a renewal whose answer was lost (stored, but the
 * client timed out, as in a server restart) leaves the lease with this worker; an entry another
 * worker wrote takes it away.
 */
import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { CameraLeases, LEASES_BUCKET } from '../../src/pipeline/camera-leases.js';
import { freePort } from '../support/process.js';
import { NATS_SERVER, startNatsServer } from '../support/nats.js';

test('leases: a renewal stored without its answer keeps the lease; another worker\'s entry loses it', { timeout: 60_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(NATS_SERVER !== undefined, 'nats-server not found: install the Debian package "nats-server" to run this test');
  if (unavailable) return t.skip(unavailable);
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-leases-'));
  const port = await freePort();
  const server = await startNatsServer(port, dir);
  const nc = await connect({ servers: `nats://127.0.0.1:${port}` });
  t.after(async () => {
    await nc.close();
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
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
