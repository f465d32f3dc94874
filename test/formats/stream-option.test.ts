/**
 * A stream id the file does not have is an error listing the streams it has (it used to give
 * 0 events and exit 0); formats without streams refuse a stream id instead of ignoring it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertEventFile, inspectEventFile } from '../../src/formats/index.js';
import { cliArgs } from '../support/process.js';
import { REAL, REPO_ROOT, sharedSkip } from './helpers.js';
import { randomEvents, writeNmnist } from './reference-writers.js';

const BAR = join(REPO_ROOT, 'fixtures', 'formats-bar.aedat4');
const GESTURE = join(REPO_ROOT, 'fixtures', 'gesture-mini', 'user02_led.aedat');

test('spikeline info --stream with an id the AEDAT 4 file lacks fails and lists its streams', () => {
  const r = spawnSync(process.execPath, cliArgs('info', BAR, '--stream', '7'), { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stdout);
  assert.match(r.stderr, /formats-bar\.aedat4: byte \d+: stream 7 does not exist; streams in the file: 0 EVTS events 128x128/);
});

test('AEDAT 4: a missing stream and a non-event stream are errors naming the streams present', { skip: sharedSkip }, async () => {
  const sample = join(REAL, 'sample.aedat4');
  await assert.rejects(inspectEventFile(sample, { streamId: 5 }), /stream 5 does not exist; streams in the file: 0 EVTS events 320x240, 2 IMUS imu, 3 TRIG triggers/);
  await assert.rejects(inspectEventFile(sample, { streamId: 2 }), /stream 2 is IMUS, not an EVTS event stream; streams in the file: 0 EVTS/);
  assert.equal((await inspectEventFile(sample, { streamId: 0 })).events, 111954);
});

test('AEDAT 3.1: a source id the header does not declare is an error (info and convert)', async () => {
  await assert.rejects(inspectEventFile(GESTURE, { sourceId: 4 }), /source 4 does not exist; streams in the file: 1 events DVS128 128x128/);
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-stream-'));
  try {
    await assert.rejects(convertEventFile(GESTURE, join(dir, 'o.aedat4'), { to: 'aedat4', sourceId: 4 }), /source 4 does not exist/);
    assert.equal((await inspectEventFile(GESTURE, { sourceId: 1 })).events, 257523);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a stream id on a format without streams is refused, not ignored', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-stream-'));
  try {
    const path = join(dir, 'n.bin');
    await writeFile(path, writeNmnist(randomEvents(1, 100, 34, 34)));
    await assert.rejects(inspectEventFile(path, { streamId: 1 }), /n\.bin: byte 0: a stream id was given, but nmnist files have no streams/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
