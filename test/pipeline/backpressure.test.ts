import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEventFile } from '../../src/formats/index.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { createPipelineSource } from '../../src/pipeline/sources.js';
import type { StatusMessage } from '../../src/sinks/messages.js';
import type { StepOutput } from '../../src/snn/model-api.js';
import { halfEvents } from './helpers.js';
import { TinyModel } from './tiny-model.js';

/** A model slower than a file replayed as fast as possible: 1 ms per step. */
class SlowModel extends TinyModel {
  override step(frame: Float32Array): StepOutput {
    const end = performance.now() + 1;
    while (performance.now() < end);
    return super.step(frame);
  }
}

const STEPS = 400;

async function replayThrough(path: string, policy: 'pause' | 'drop-newest'): Promise<{ dropped: number; steps: number }> {
  const config = parsePipelineConfig({
    name: `backpressure-${policy}`,
    source: { type: 'file', path, speed: 0, buffer: { events: 100_000, policy } },
    model: { path: '/unused' },
    server: { port: 0 },
    inference: { mode: 'step' },
    sinks: {},
  });
  const source = await createPipelineSource(config.source);
  assert.equal(source.valve !== undefined, policy === 'pause');
  const model = new SlowModel();
  const pipeline = new Pipeline(config, { source, model, modelName: 'slow', backend: 'test', serve: false });
  let last: StatusMessage | undefined;
  pipeline.messages.subscribe((m) => {
    if (m.type === 'status') last = m;
  });
  await pipeline.start();
  await pipeline.done;
  await pipeline.stop();
  return { dropped: last!.source.eventsDropped, steps: model.stepsRun };
}

test('buffer policy pause: a file replayed as fast as possible into a slower model loses nothing (drop-newest loses events)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-backpressure-'));
  try {
    const path = join(dir, 'steps.aedat4');
    // 400 steps of 10 ms with 500 events each, one packet per step (as cameras write them): 200k
    // events, read in milliseconds, classified in ~0.4 s.
    const packets = Array.from({ length: STEPS }, (_, k) => halfEvents(k % 2 ? 'left' : 'right', k * 10_000, (k + 1) * 10_000, 500));
    await writeEventFile(path, packets, { format: 'aedat4' });
    const paused = await replayThrough(path, 'pause');
    assert.equal(paused.dropped, 0);
    assert.equal(paused.steps, STEPS);
    const dropping = await replayThrough(path, 'drop-newest');
    assert.ok(dropping.dropped > 0, 'the same replay overflows a dropping buffer (the test setup is an overload)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('buffer policy pause is refused for UDP, which cannot be paused', () => {
  assert.throws(
    () => parsePipelineConfig({ name: 'u', source: { type: 'udp', url: 'udp://127.0.0.1:3333', protocol: 'spif', sensor: { width: 32, height: 32 }, buffer: { policy: 'pause' } }, model: { path: 'm' } }),
    /source\.buffer\.policy.*pause/,
  );
});
