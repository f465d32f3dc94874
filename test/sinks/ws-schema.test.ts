/**
 * Every message type on `/ws`, taken from real traffic of a running pipeline over a real
 * WebSocket, validated against the published JSON Schema (`/schema/ws.json`) by a real
 * validator (ajv, draft 2020-12), as published and with undocumented fields refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchFromArrays } from '../../src/events/index.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { WS_MESSAGE_SCHEMA } from '../../src/sinks/ws-schema.js';
import { halfEvents, messageSchemaErrors, Recorder, sleep, TestSource } from '../pipeline/helpers.js';
import { TinyModel } from '../pipeline/tiny-model.js';

test('every message type of real /ws traffic validates against the published schema', async (t) => {
  const source = new TestSource();
  const config = parsePipelineConfig({ name: 'schema', source: { type: 'tcp', url: 'tcp://127.0.0.1:1' }, model: { path: '/unused' }, server: { port: 0 }, statusIntervalMs: 100, previews: { enabled: true, size: 16 },
    inference: { mode: 'step', resetEvery: 4 }, decision: { smoothingMs: 0, onThreshold: 0.9, offThreshold: 0.6, minDurationMs: 20 } });
  const pipeline = new Pipeline(config, { source, model: new TinyModel(), modelName: 'tiny', backend: 'test' });
  t.after(() => pipeline.stop());
  await pipeline.start();
  // The schema served is the one validated here.
  assert.deepEqual(await (await fetch(`${pipeline.url}/schema/ws.json`)).json(), JSON.parse(JSON.stringify(WS_MESSAGE_SCHEMA)));
  const ws = new Recorder(`${pipeline.url!.replace('http', 'ws')}/ws`);
  await ws.opened();
  ws.socket.send(JSON.stringify({ type: 'ping' }));
  // Left, then right: a gesture starts, is overtaken (its end) and the next one starts.
  source.subject.next(halfEvents('left', 0, 80_000, 50));
  source.subject.next(halfEvents('right', 80_000, 160_000, 50));
  await ws.until((m) => m.some((x) => (x.type as string) === 'pong') && m.filter((x) => x.type === 'gesture').length >= 3);
  // A connection lost and back: a gap.
  source.healthValue = { ...source.healthValue, state: 'reconnecting', connected: false };
  await sleep(250);
  source.healthValue = { ...source.healthValue, state: 'connected', connected: true };
  await ws.until((m) => m.some((x) => x.type === 'gap'));
  // A camera the model cannot take: a status with its problem.
  source.subject.next(batchFromArrays({ x: [1], y: [1], t: [60_000], p: [1] }, { width: 64, height: 64 }));
  await ws.until((m) => m.some((x) => x.type === 'status' && x.problem !== undefined));

  // Gesture messages share one type; the schema defines each phase.
  const defOf = (m: { type: string; phase?: unknown }) => (m.type === 'gesture' ? `gesture${m.phase === 'start' ? 'Start' : 'End'}` : m.type);
  const types = new Set<string>(ws.messages.map(defOf));
  assert.deepEqual([...types].sort(), Object.keys(WS_MESSAGE_SCHEMA.$defs).sort(), 'every message type of the schema was seen');
  for (const m of ws.messages) assert.deepEqual(messageSchemaErrors(m), [], JSON.stringify(m));
});

test('the validator refuses what the schema does not allow', () => {
  const prediction = {
    type: 'prediction', seq: 0, time: 1, classId: 0, label: 'left', confidence: 0.75, probabilities: [0.75, 0.25],
    window: { startUs: 0, endUs: 10_000 }, steps: 1, events: 3, latencyMs: null, inferenceMs: 0.1,
  };
  assert.deepEqual(messageSchemaErrors(prediction), []);
  const errors = (m: unknown) => messageSchemaErrors(m).join('\n');
  assert.match(errors({ ...prediction, confidence: 1.5 }), /must be <= 1/);
  assert.match(errors({ ...prediction, seq: -1 }), /must be >= 0/);
  assert.match(errors({ ...prediction, latencyMs: 'soon' }), /must be number,null/);
  const { label: _label, ...unlabelled } = prediction;
  assert.match(errors(unlabelled), /must have required property 'label'/);
  assert.match(errors({ ...prediction, window: { startUs: 0, endUs: 1, steps: 2 } }), /must NOT have additional properties/);
  assert.match(errors({ type: 'no-such-type', time: 1 }), /must match exactly one schema in oneOf/);
  // Published as open objects; the strict copy catches fields sent but not documented.
  const extra = errors({ ...prediction, note: 'undocumented' });
  assert.doesNotMatch(extra, /^schema:/m);
  assert.match(extra, /^strict schema: .*must NOT have additional properties/m);
});
