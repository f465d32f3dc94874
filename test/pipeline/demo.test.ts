import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_MODEL_DIR } from '../../src/pipeline/launch.js';
import { Recorder, sleep } from './helpers.js';

test('`spikeline demo` serves live predictions of the simulated camera with the bundled model, with no external service', async (t) => {
  if (!existsSync(join(BUNDLED_MODEL_DIR, 'model.json'))) {
    t.skip(`no bundled model in ${BUNDLED_MODEL_DIR} yet`);
    return;
  }
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));", '--', 'demo', '--port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => child.kill('SIGKILL'));
  for (let i = 0; i < 1200 && !/websocket +ws:\/\/\S+\/ws/.test(stdout); i++) {
    assert.equal(child.exitCode, null, stderr);
    await sleep(50);
  }
  assert.match(stdout, /^dashboard +http:\/\/127\.0\.0\.1:\d+\/$/m);
  assert.match(stdout, /^metrics +http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
  const client = new Recorder(/websocket +(ws:\/\/\S+\/ws)/.exec(stdout)![1]!);
  await client.until((m) => m.filter((x) => x.type === 'prediction').length >= 3 && m.some((x) => x.type === 'frame'), 60_000);
  const hello = client.of('hello')[0]!;
  assert.equal(hello.pipeline, 'demo');
  assert.equal(hello.classes.length, 11);
  child.kill('SIGTERM');
  assert.equal(await client.closed(), 1001);
  assert.equal(await exited, 0, stderr);
});
