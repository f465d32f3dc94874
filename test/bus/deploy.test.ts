/** Static checks of the scaled-out deployment (no Docker engine here): files parse and agree with the code. */
import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { loadPipelineConfig } from '../../src/pipeline/config.js';
import { BusWorkerMetrics } from '../../src/sinks/bus-metrics.js';
import { GatewayMetrics } from '../../src/sinks/gateway-metrics.js';

const PROMTOOL = '/usr/bin/promtool';

test('compose-line: nats, postgres, cameras, workers, gateway, Prometheus, Grafana; mounted files exist; worker config valid', () => {
  const compose = parse(readFileSync('deploy/compose-line.yaml', 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
  };
  assert.deepEqual(Object.keys(compose.services).sort(), ['cameras', 'gateway', 'grafana', 'nats', 'postgres', 'prometheus', 'worker']);
  assert.ok(compose.services.nats!.command!.includes('-js'));
  assert.deepEqual(compose.services.gateway!.command!.slice(0, 2), ['gateway', 'nats://nats:4222']);
  assert.equal(compose.services.worker!.environment!.SPIKELINE_TOKEN, `\${SPIKELINE_TOKEN:?set SPIKELINE_TOKEN}`);
  for (const s of Object.values(compose.services)) {
    for (const v of s.volumes ?? []) {
      const local = v.split(':')[0]!;
      if (local.startsWith('./')) assert.ok(existsSync(join('deploy', local)), `${local} exists`);
    }
  }
  process.env.SPIKELINE_TOKEN ??= 'x';
  const worker = loadPipelineConfig('deploy/line-worker.yaml');
  assert.equal(worker.source.type === 'nats' && worker.source.cameras, '*');
  assert.equal(worker.server.port, 9100);
  const local = loadPipelineConfig('pipelines/line-worker.yaml');
  assert.equal(local.source.type === 'nats' && local.source.cameras, '*');
});

test('Grafana line dashboard: camera template variable, per-camera row repeated, every metric exists in the code', () => {
  const dash = JSON.parse(readFileSync('deploy/grafana/dashboards/spikeline-line.json', 'utf8')) as {
    templating: { list: { name: string; query: { query: string } }[] };
    panels: { type: string; repeat?: string; title: string; datasource?: { uid: string }; targets?: { expr: string; datasource: { uid: string } }[] }[];
  };
  const camera = dash.templating.list.find((v) => v.name === 'camera');
  assert.ok(camera);
  assert.match(camera.query.query, /label_values\(spikeline_gateway_\w+, camera\)/);
  assert.ok(dash.panels.some((p) => p.type === 'row' && p.repeat === 'camera'));
  const registry = new Registry();
  new BusWorkerMetrics(registry);
  new GatewayMetrics(registry);
  const known = new Set(registry.getMetricsAsArray().map((m) => m.name));
  for (const p of dash.panels.filter((x) => x.type !== 'row')) {
    assert.equal(p.datasource?.uid, 'spikeline-prometheus', p.title);
    for (const t of p.targets ?? []) {
      assert.equal(t.datasource.uid, 'spikeline-prometheus');
      for (const [name] of t.expr.matchAll(/spikeline_\w+/g)) assert.ok(known.has(name.replace(/_bucket$/, '')), `${p.title}: ${name} is not a metric`);
    }
  }
});

test('Prometheus line config passes promtool check config', (t) => {
  const unavailable = skipUnlessInstalled(!(!existsSync(PROMTOOL)), `${PROMTOOL} not found: install the Debian package "prometheus"`);
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-promline-'));
  writeFileSync(join(dir, 'token'), 'x');
  writeFileSync(join(dir, 'p.yml'), readFileSync('deploy/prometheus-line.yml', 'utf8').replaceAll('/tmp/token', join(dir, 'token')));
  const r = spawnSync(PROMTOOL, ['check', 'config', join(dir, 'p.yml')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
