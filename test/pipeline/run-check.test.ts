/**
 * `spikeline run --check` checks what a real start would (model, source file, camera size,
 * overrides, bindable ports, tokens, JSONL path) and names each problem; and `spikeline run`
 * before a camera the model cannot take stays up and says so once (issue 11, items 14 and 7).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { batchFromArrays, type EventBatch } from '../../src/events/index.js';
import { writeEventFile } from '../../src/formats/index.js';
import { serveEvents } from '../../src/sources/index.js';
import { servingModelDir } from './model-fixture.js';
import { sleep } from './helpers.js';
import { spawnCli } from '../support/process.js';

async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnCli(...args);
  const code = await run.exited;
  return { code, stdout: run.stdout, stderr: run.stderr };
}

/** A small recording of `width` x `height` (events spread over the sensor). */
async function recording(path: string, width: number, height: number): Promise<void> {
  const n = 200;
  const x = Array.from({ length: n }, (_, k) => (k * 37) % width);
  const y = Array.from({ length: n }, (_, k) => (k * 23) % height);
  await writeEventFile(path, [batchFromArrays({ x, y, t: x.map((_, k) => k * 1000), p: x.map((_, k) => k % 2) }, { width, height })], { format: 'aedat4' });
}

test('run --check: a startable config is valid; every problem a start would hit is named, overrides included', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-check-'));
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  t.after(() => {
    taken.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const model = await servingModelDir();
  await recording(join(dir, 'dvs128.aedat4'), 128, 128);
  await recording(join(dir, 'dvxplorer.aedat4'), 320, 240);
  const yaml = (name: string, body: string) => {
    writeFileSync(join(dir, `${name}.yaml`), `name: ${name}\n${body}`);
    return join(dir, `${name}.yaml`);
  };

  const good = yaml('good', `source: { type: file, path: dvs128.aedat4 }\nmodel: { path: "${model}" }\nserver: { port: 0 }\nsinks: { jsonl: { path: out/p.jsonl } }\n`);
  const ok = await cli('run', good, '--check');
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /good\.yaml: valid \(good\)/);
  assert.match(ok.stdout, /source: camera sensor 128x128 fits the model/);
  assert.match(ok.stdout, /server: http:\/\/127\.0\.0\.1:\d+ can be bound/);

  // Missing model and source file, unwritable JSONL (under a file), a taken --port: all reported at once.
  writeFileSync(join(dir, 'plain'), 'not a folder');
  const port = (taken.address() as { port: number }).port;
  const broken = yaml('broken', `source: { type: file, path: missing.aedat4 }\nmodel: { path: no-model }\nsinks: { jsonl: { path: plain/p.jsonl } }\n`);
  const bad = await cli('run', broken, '--check', '--port', String(port));
  assert.equal(bad.code, 1, bad.stdout);
  assert.match(bad.stderr, /broken\.yaml: would not start \(broken\)/);
  assert.match(bad.stderr, new RegExp(`model\\.path ${dir}/no-model: ${dir}/no-model/model\\.json: cannot read`));
  assert.match(bad.stderr, new RegExp(`source\\.path ${dir}/missing\\.aedat4: .*ENOENT`));
  assert.match(bad.stderr, new RegExp(`server: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
  assert.match(bad.stderr, new RegExp(`sinks\\.jsonl\\.path ${dir}/plain/p\\.jsonl: ${dir}/plain is not a folder`));
  assert.equal(bad.stdout, '');

  // --host is applied before checking: a non-loopback host needs a token.
  const exposed = await cli('run', good, '--check', '--host', '0.0.0.0');
  assert.equal(exposed.code, 1);
  assert.match(exposed.stderr, /server\.tokenEnv: is required when server\.host \(0\.0\.0\.0\) is not a loopback address/);
  const noToken = await cli('run', good, '--check', '--host', '0.0.0.0', '--token-env', 'SPIKELINE_TEST_UNSET_TOKEN');
  assert.equal(noToken.code, 1);
  assert.match(noToken.stderr, /server\.tokenEnv: environment variable SPIKELINE_TEST_UNSET_TOKEN is not set/);

  // A 320x240 recording before the 128x128 model: refused with model.fit error, fine with scale.
  const wide = yaml('wide', `source: { type: file, path: dvxplorer.aedat4 }\nmodel: { path: "${model}" }\nserver: { port: 0 }\n`);
  const refused = await cli('run', wide, '--check');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /source: camera sensor 320x240 does not fit the model, which takes 128x128 \(downsampled by 4 to 32x32\)/);
  const scaled = yaml('scaled', `source: { type: file, path: dvxplorer.aedat4 }\nmodel: { path: "${model}", fit: scale }\nserver: { port: 0 }\n`);
  const fits = await cli('run', scaled, '--check');
  assert.equal(fits.code, 0, fits.stderr);
  assert.match(fits.stdout, /source: camera sensor 320x240: scaled to the model's 128x128 \(model\.fit: scale\)/);
  // A UDP camera: its configured sensor is checked, and its listening address must be free.
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  t.after(() => udp.close());
  const udpPort = udp.address().port;
  const busy = yaml('udp', `source: { type: udp, url: "udp://127.0.0.1:${udpPort}", protocol: spif, sensor: { width: 346, height: 260 } }\nmodel: { path: "${model}" }\nserver: { port: 0 }\n`);
  const udpCheck = await cli('run', busy, '--check');
  assert.equal(udpCheck.code, 1);
  assert.match(udpCheck.stderr, /source: camera sensor 346x260 does not fit the model/);
  assert.match(udpCheck.stderr, new RegExp(`source\\.url udp://127\\.0\\.0\\.1:${udpPort}: cannot bind \\(EADDRINUSE\\)`));
});

test('spikeline run before a 320x240 DV camera and the 128x128 model: one clear line, not ready, still serving', { timeout: 120_000 }, async (t) => {
  const feed = new Subject<EventBatch>();
  const camera = await serveEvents(feed, { url: 'tcp://127.0.0.1:0', sensor: { width: 320, height: 240 } });
  let tt = 0;
  const timer = setInterval(() => {
    const x = Array.from({ length: 100 }, (_, k) => (k * 37) % 320);
    feed.next(batchFromArrays({ x, y: x.map((_, k) => (k * 23) % 240), t: x.map((_, k) => tt + k * 100), p: x.map((_, k) => k % 2) }, { width: 320, height: 240 }));
    tt += 10_000;
  }, 10);
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-fit-run-'));
  writeFileSync(join(dir, 'p.yaml'), `name: dvxplorer\nsource: { type: tcp, url: "${camera.url}" }\nmodel: { path: "${await servingModelDir()}" }\nserver: { port: 0 }\nstatusIntervalMs: 200\n`);
  const run = spawnCli('run', join(dir, 'p.yaml'));
  t.after(async () => {
    clearInterval(timer);
    run.child.kill('SIGKILL');
    await camera.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const end = Date.now() + 60_000;
  while (!/health +(http:\/\/\S+)\/healthz/.test(run.stdout) || !/does not fit the model/.test(run.stderr)) {
    if (Date.now() > end || run.child.exitCode !== null) assert.fail(`no refusal line; stderr: ${run.stderr}`);
    await sleep(50);
  }
  const base = /health +(http:\/\/\S+)\/healthz/.exec(run.stdout)![1]!;
  await sleep(500);
  const lines = run.stderr.split('\n').filter((l) => l.includes('does not fit the model'));
  assert.deepEqual(lines, [
    'spikeline run: camera sensor 320x240 does not fit the model, which takes 128x128 (downsampled by 4 to 32x32): its events are dropped until a 128x128 camera connects (model.fit: error; center-crop or scale would adapt it)',
  ]);
  assert.doesNotMatch(run.stderr, /RangeError|pipeline error/);
  assert.equal((await fetch(`${base}/readyz`)).status, 503);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, 0, run.stderr);
});
