import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { TinyModel } from '../pipeline/tiny-model.js';
import { halfEvents, TestSource } from '../pipeline/helpers.js';

const PROMTOOL = '/usr/bin/promtool';

async function scrapeAfterTraffic(): Promise<string> {
  const source = new TestSource();
  const config = parsePipelineConfig({
    name: 'prom',
    source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' },
    model: { path: '/unused' },
    filters: [{ type: 'refractory', periodUs: 100 }, { type: 'denoise' }],
    server: { port: 0 },
  });
  const pipeline = new Pipeline(config, { source, model: new TinyModel(), modelName: 'tiny', backend: 'wasm' });
  await pipeline.start();
  try {
    source.subject.next(halfEvents('left', 0, 50_000, 200));
    source.subject.next(halfEvents('right', 50_000, 100_000, 200));
    await new Promise((r) => setTimeout(r, 50));
    return await (await fetch(`${pipeline.url}/metrics`)).text();
  } finally {
    await pipeline.stop();
  }
}

test('/metrics exposes every serving metric with spikeline_ names and base units', async () => {
  const text = await scrapeAfterTraffic();
  const names = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].map((m) => `${m[1]} ${m[2]}`));
  for (const expected of [
    'spikeline_events_received_total counter',
    'spikeline_events_dropped_total counter',
    'spikeline_malformed_packets_total counter',
    'spikeline_packets_lost_total counter',
    'spikeline_packets_stale_total counter',
    'spikeline_filter_events_in_total counter',
    'spikeline_filter_events_dropped_total counter',
    'spikeline_bins_total counter',
    'spikeline_inference_duration_seconds histogram',
    'spikeline_end_to_end_latency_seconds histogram',
    'spikeline_predictions_total counter',
    'spikeline_prediction_confidence histogram',
    'spikeline_layer_firing_rate gauge',
    'spikeline_synops_total counter',
    'spikeline_energy_joules_total counter',
    'spikeline_ws_clients gauge',
    'spikeline_ws_messages_dropped_total counter',
    'spikeline_backend_info gauge',
    'spikeline_model_info gauge',
    'spikeline_process_resident_memory_bytes gauge',
    'spikeline_nodejs_eventloop_lag_seconds gauge',
  ]) {
    assert.ok(names.has(expected), `missing ${expected}`);
  }
  for (const n of names) assert.match(n, /^spikeline_/);
  // Filter stages are counted by position and type; refractory removed some of the dense events.
  const refractoryIn = Number(/spikeline_filter_events_in_total\{filter="0:refractory"\} (\d+)/.exec(text)?.[1]);
  assert.equal(refractoryIn, 2000);
  assert.match(text, /spikeline_events_dropped_total\{source="test:\/\/camera",reason="buffer_overflow"\} 0/);
  assert.match(text, /spikeline_backend_info\{backend="wasm"\} 1/);
});

test('promtool check metrics accepts the exposition', async (t) => {
  const unavailable = skipUnlessInstalled(existsSync(PROMTOOL), `${PROMTOOL} not found: install the Debian package "prometheus" to run this check`);
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const text = await scrapeAfterTraffic();
  const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
});
