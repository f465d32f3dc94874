/**
 * The line's front end on real pieces: pipelines publishing per camera through a real
 * nats-server -> `spikeline gateway` -> its dashboard in headless Chromium (camera picker), and
 * a real Prometheus scraping a bus worker and the gateway that must answer every PromQL
 * expression of the Grafana line dashboard.
 */
import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import { hasChromium, launchChromium } from '../support/chromium.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { launchBusWorker } from '../../src/pipeline/bus-worker.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { Gateway } from '../../src/server/gateway.js';
import { NatsEventSink } from '../../src/sinks/nats-events.js';
import { busManager, ensureEventStream } from '../../src/sources/nats-bus.js';
import { allocateBatch } from '../../src/events/index.js';
import { halfEvents, TestSource } from '../pipeline/helpers.js';
import { TinyModel } from '../pipeline/tiny-model.js';
import { freePort } from '../support/process.js';
import { NATS_SERVER, startNatsServer, until } from '../support/nats.js';


/** Registers cleanups that run after the test, the last registered first (clients before servers). */
function lastFirst(t: { after(fn: () => Promise<void>): void }): (fn: () => unknown) => void {
  const stack: (() => unknown)[] = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return (fn) => void stack.push(fn);
}
const PROMETHEUS = '/usr/bin/prometheus';

test('gateway dashboard in headless Chromium: a camera picker, each camera showing its own predictions', { timeout: 90_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!NATS_SERVER || !hasChromium()), 'needs the Debian packages "nats-server" and "chromium"');
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const cleanup = lastFirst(t);
  const port = await freePort();
  const server = await startNatsServer(port);
  const url = `nats://127.0.0.1:${port}`;
  cleanup(() => server.kill('SIGKILL'));
  const gateway = new Gateway({ url, port: 0 });
  await gateway.start();
  cleanup(() => gateway.stop());
  // Two cameras: "west" sees events on the left half of its sensor, "east" on the right.
  const cameras = { west: 'left', east: 'right' } as const;
  const feeds: (() => void)[] = [];
  for (const [camera, side] of Object.entries(cameras)) {
    const source = new TestSource();
    const config = parsePipelineConfig({ name: camera, source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' }, model: { path: '/unused' }, sinks: { prometheus: { enabled: false }, nats: { url, camera } } });
    const pipeline = new Pipeline(config, { source, model: new TinyModel(), modelName: 'tiny', backend: 'test', serve: false });
    await pipeline.start();
    cleanup(() => pipeline.stop());
    let t0 = 0;
    feeds.push(() => source.subject.next(halfEvents(side, t0, (t0 += 50_000), 20)));
  }
  const feeding = setInterval(() => feeds.forEach((f) => f()), 50);
  cleanup(() => clearInterval(feeding));

  const browser = await launchChromium();
  const { context } = browser;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${gateway.url}/?camera=east`);
    const wait = (expr: string) => page.waitForFunction(expr, undefined, { timeout: 20_000 });
    await wait(`document.getElementById('camera').options.length === 2 && !document.getElementById('camera').hidden`);
    const options = await page.evaluate(`[...document.getElementById('camera').options].map((o) => o.value).sort()`);
    assert.deepEqual(options, ['east', 'west']);
    await wait(`Number(document.getElementById('prediction-count').textContent) >= 3`);
    assert.equal(await page.evaluate(`document.getElementById('label').textContent`), 'right');
    await page.selectOption('#camera', 'west');
    await wait(`document.getElementById('label').textContent === 'left'`);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a real Prometheus scraping a bus worker and the gateway answers every PromQL expression of the line dashboard', { timeout: 120_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!NATS_SERVER || !existsSync(PROMETHEUS)), 'needs the Debian packages "nats-server" and "prometheus"');
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const cleanup = lastFirst(t);
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-line-'));
  cleanup(() => rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const server = await startNatsServer(port, join(dir, 'store'));
  cleanup(() => server.kill('SIGKILL'));
  const url = `nats://127.0.0.1:${port}`;
  const nc = await connect({ servers: url });
  cleanup(() => nc.close());
  await ensureEventStream(await busManager(nc));
  const sink = new NatsEventSink({ nc, camera: 'cam-1' });
  let k = 0;
  const publish = () => {
    const b = allocateBatch(2000, { width: 128, height: 128 });
    for (let i = 0; i < 2000; i++) [b.t[i], b.x[i], b.y[i], b.p[i]] = [1e9 + k * 50_000 + i * 25, (i * 7 + k) % 128, (i * 13) % 128, i & 1];
    k++;
    sink.publish(b);
  };
  publish();
  await sink.flush();

  const gateway = new Gateway({ url, port: 0 });
  await gateway.start();
  cleanup(() => gateway.stop());
  const config = parsePipelineConfig({ name: 'line', source: { type: 'nats', url, cameras: '*' }, model: { path: 'fixtures/model' }, server: { port: 0 }, statusIntervalMs: 200, sinks: { nats: { url } } });
  const worker = await launchBusWorker(config);
  cleanup(() => worker.stop());
  const feeding = setInterval(publish, 50);
  cleanup(() => clearInterval(feeding));
  await until(() => gateway.cameraList().includes('cam-1'), 'the worker publishing cam-1');

  const dashboard = JSON.parse(readFileSync('deploy/grafana/dashboards/spikeline-line.json', 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((x) => ({ panel: p.title, expr: x.expr })));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: line\n    static_configs: [ { targets: ["${new URL(worker.url!).host}", "${new URL(gateway.url).host}"] } ]\n`,
  );
  const promPort = await freePort();
  const prom: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    { stdio: 'ignore' },
  );
  cleanup(() => prom.kill('SIGKILL'));
  const query = async (q: string) => {
    const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
    return (await r.json()) as { status: string; error?: string; data: { result: unknown[] } };
  };
  await until(async () => {
    const r = await query('min(count_over_time(up{job="line"}[1m]))').catch(() => undefined);
    return r?.status === 'success' && Number((r.data.result[0] as { value?: [number, string] } | undefined)?.value?.[1]) >= 6;
  }, 'six scrapes of the worker and the gateway');
  const missing: string[] = [];
  for (const { panel, expr } of exprs) {
    const r = await query(expr.replaceAll('$__rate_interval', '5s').replaceAll('$camera', 'cam-1'));
    if (r.status !== 'success') missing.push(`${panel}: ${expr}: ${r.error}`);
    else if (r.data.result.length === 0) missing.push(`${panel}: ${expr}: no data`);
  }
  assert.deepEqual(missing, []);
});
