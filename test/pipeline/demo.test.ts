import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL_DIR } from '../../src/pipeline/launch.js';
import { Recorder, sleep } from './helpers.js';
import { spawnCli } from '../support/process.js';

test('`spikeline demo` serves live predictions of the simulated camera with the bundled model, with no external service', async (t) => {
  if (!existsSync(join(BUNDLED_MODEL_DIR, 'model.json'))) {
    t.skip(`no bundled model in ${BUNDLED_MODEL_DIR} yet`);
    return;
  }
  const run = spawnCli('demo', '--port', '0');
  const { child, exited } = run;
  t.after(() => child.kill('SIGKILL'));
  for (let i = 0; i < 1200 && !/websocket +ws:\/\/\S+\/ws/.test(run.stdout); i++) {
    assert.equal(child.exitCode, null, run.stderr);
    await sleep(50);
  }
  assert.match(run.stdout, /^dashboard +http:\/\/127\.0\.0\.1:\d+\/$/m);
  assert.match(run.stdout, /^metrics +http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
  const client = new Recorder(/websocket +(ws:\/\/\S+\/ws)/.exec(run.stdout)![1]!);
  await client.until((m) => m.filter((x) => x.type === 'prediction').length >= 3 && m.some((x) => x.type === 'frame'), 60_000);
  const hello = client.of('hello')[0]!;
  assert.equal(hello.pipeline, 'demo');
  assert.equal(hello.classes.length, 12);
  assert.equal(hello.classes.at(-1), 'background');
  child.kill('SIGTERM');
  assert.equal(await client.closed(), 1001);
  assert.equal(await exited, 0, run.stderr);
});
