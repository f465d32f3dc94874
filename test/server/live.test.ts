/**
 * End to end on real pieces: a DV TCP camera (a looping DVS128 Gesture recording served over
 * AEDAT 4 network framing) -> the pipeline with the real SNN -> the dashboard in headless
 * Chromium, and a real Prometheus scraping /metrics that must answer every PromQL expression of
 * the Grafana dashboard.
 */
import { after, before, test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import { CHROMIUM, hasChromium, launchChromium } from '../support/chromium.js';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { launchPipeline } from '../../src/pipeline/launch.js';
import type { Pipeline } from '../../src/pipeline/runner.js';
import { replayFile, serveEvents, type EventServer } from '../../src/sources/index.js';
import { servingModelDir } from '../pipeline/model-fixture.js';
import { sleep } from '../pipeline/helpers.js';
import { freePort } from '../support/process.js';

const PROMETHEUS = '/usr/bin/prometheus';
const RECORDING = 'fixtures/gesture-mini/user02_led.aedat';

let camera: EventServer;
let pipeline: Pipeline;

before(async () => {
  camera = await serveEvents(replayFile(RECORDING, { loop: true, speed: 1 }), { url: 'tcp://127.0.0.1:0', sensor: { width: 128, height: 128 } });
  const config = parsePipelineConfig({
    name: 'live-test',
    source: { type: 'tcp', url: camera.url },
    filters: [{ type: 'denoise', durationUs: 5000 }],
    model: { path: await servingModelDir() },
    inference: { mode: 'step' },
    previews: { enabled: true, size: 64 },
    server: { port: 0 },
    statusIntervalMs: 500,
  });
  pipeline = await launchPipeline(config);
});

after(async () => {
  await pipeline?.stop();
  await camera?.close();
});

test('the dashboard shows live predictions in headless Chromium', { timeout: 90_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!hasChromium()), `${CHROMIUM} not found: install the Debian package "chromium" to run the dashboard test`);
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const browser = await launchChromium();
  const { context } = browser;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${pipeline.url}/`);
    // Page-side code is passed as strings: this file is type-checked without DOM types.
    const until = (expr: string, timeout = 10_000) => page.waitForFunction(expr, undefined, { timeout });
    const read = (id: string) => page.evaluate(`document.getElementById(${JSON.stringify(id)})?.textContent ?? ''`) as Promise<string>;
    await until(`Number(document.getElementById('prediction-count')?.textContent) >= 5`, 30_000);
    const label = await read('label');
    assert.ok(label && label !== '-', `a class label is shown (got "${label}")`);
    assert.match(await read('confidence'), /% confidence/);
    await until(`document.querySelectorAll('#layers > div').length > 0`);
    await until(`/events, t =/.test(document.getElementById('frame-info')?.textContent ?? '')`);
    await until(`document.getElementById('state')?.textContent === 'running'`);
    assert.equal(await read('conn'), 'live');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a real Prometheus scraping the pipeline answers every PromQL expression of the Grafana dashboard', { timeout: 90_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!existsSync(PROMETHEUS)), `${PROMETHEUS} not found: install the Debian package "prometheus" to run this test`);
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const dashboard = JSON.parse(readFileSync('deploy/grafana/dashboards/spikeline.json', 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((x) => ({ panel: p.title, expr: x.expr })));
  assert.ok(exprs.length >= 20);
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-prom-'));
  const target = new URL(pipeline.url!).host;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: spikeline\n    static_configs: [ { targets: ["${target}"] } ]\n`,
  );
  const port = await freePort();
  const prom: ChildProcess = spawn(
    PROMETHEUS,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: 'ignore' },
  );
  try {
    const api = `http://127.0.0.1:${port}/api/v1`;
    const query = async (q: string) => {
      const r = await fetch(`${api}/query?query=${encodeURIComponent(q)}`);
      return (await r.json()) as { status: string; error?: string; data: { result: unknown[] } };
    };
    // Wait for several scrapes so that rate() windows hold enough samples.
    for (let i = 0; i < 120; i++) {
      try {
        const r = await query('count_over_time(up{job="spikeline"}[1m])');
        if (r.status === 'success' && Number((r.data.result[0] as { value?: [number, string] } | undefined)?.value?.[1]) >= 6) break;
      } catch {
        // not up yet
      }
      await sleep(500);
    }
    const missing: string[] = [];
    for (const { panel, expr } of exprs) {
      const r = await query(expr.replaceAll('$__rate_interval', '5s'));
      if (r.status !== 'success') missing.push(`${panel}: ${expr}: ${r.error}`);
      else if (r.data.result.length === 0) missing.push(`${panel}: ${expr}: no data`);
    }
    assert.deepEqual(missing, []);
  } finally {
    prom.kill('SIGTERM');
    await new Promise((r) => prom.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
