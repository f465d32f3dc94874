/**
 * The dashboard's gesture timeline in headless Chromium: a pipeline (test source with ground-truth
 * annotations, the tiny model, the decision stage) publishes gestures; the page must list them
 * and draw them under the ground truth.
 */
import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import { CHROMIUM, hasChromium, launchChromium } from '../support/chromium.js';
import assert from 'node:assert/strict';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { Pipeline } from '../../src/pipeline/runner.js';
import { TinyModel } from '../pipeline/tiny-model.js';
import { halfEvents, TestSource } from '../pipeline/helpers.js';


test('the dashboard shows detected gestures on a timeline under the ground truth', { timeout: 90_000 }, async (t) => {
  const unavailable = skipUnlessInstalled(!(!hasChromium()), `${CHROMIUM} not found: install the Debian package "chromium" to run the dashboard test`);
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  const source = new TestSource();
  const config = parsePipelineConfig({
    name: 'gestures',
    source: { type: 'tcp', url: 'tcp://127.0.0.1:7777' },
    model: { path: '/unused' },
    server: { port: 0 },
    inference: { mode: 'step', resetEvery: 4 },
    decision: { smoothingMs: 0, onThreshold: 0.9, offThreshold: 0.6, minDurationMs: 20 },
  });
  const pipeline = new Pipeline(config, { source, model: new TinyModel(), modelName: 'tiny', backend: 'test' });
  t.after(() => pipeline.stop());
  await pipeline.start();

  const browser = await launchChromium();
  const { context } = browser;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${pipeline.url}/`);
    const until = (expr: string, timeout = 20_000) => page.waitForFunction(expr, undefined, { timeout });
    const read = (expr: string) => page.evaluate(expr) as Promise<string>;
    await until(`document.getElementById('conn')?.textContent === 'live'`);
    // Ground truth: "left" for the first 80 ms, "right" for the next 80 ms.
    const annotations = [{ classId: 0, label: 'left', start: 0, end: 80_000 }, { classId: 1, label: 'right', start: 80_000, end: 160_000 }];
    source.subject.next(Object.assign(halfEvents('left', 0, 80_000, 50), { annotations }));
    source.subject.next(Object.assign(halfEvents('right', 80_000, 160_000, 50), { annotations }));
    source.subject.next(Object.assign(halfEvents('right', 160_000, 170_000, 1), { annotations }));
    await until(`Number(document.getElementById('gesture-count')?.textContent) >= 2`);
    await until(`document.getElementById('gesture-timeline')?.dataset.gestures === '2' && document.getElementById('gesture-timeline')?.dataset.truth === '2'`);
    const list = await read(`document.getElementById('gesture-list').textContent`);
    assert.match(list, /right/);
    assert.match(list, /left · at 0\.0 s for 0\.1 s/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
