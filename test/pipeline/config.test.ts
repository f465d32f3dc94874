import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPipelineConfig, parsePipelineYaml } from '../../src/pipeline/config.js';
import { ConfigError } from '../../src/pipeline/schema.js';
import { demoConfig, openModel } from '../../src/pipeline/launch.js';
import { initBackend } from '../../src/snn/backend.js';

const issues = (text: string): string[] => {
  try {
    parsePipelineYaml(text, 'bad.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues.map((i) => `${i.path}${i.line ? `@${i.line}` : ''}: ${i.reason}`);
  }
  assert.fail('config was accepted');
};

test('every ready config in pipelines/ validates', () => {
  const files = readdirSync('pipelines').filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const c = loadPipelineConfig(join('pipelines', f));
    assert.ok(c.model.path.startsWith('/'), `${f}: model path resolved`);
  }
  const demo = loadPipelineConfig('pipelines/demo.yaml');
  assert.equal(demo.source.type, 'simulator');
  assert.ok(demo.sinks.jsonl && demo.sinks.nats && demo.sinks.websocket && demo.sinks.prometheus);
});

test('defaults are filled in', () => {
  const c = parsePipelineYaml('name: x\nsource: { type: tcp, url: "tcp://127.0.0.1:7777" }\nmodel: { path: m }\n', '/tmp/p/x.yaml');
  assert.equal(c.model.path, '/tmp/p/m');
  assert.equal(c.server.host, '127.0.0.1');
  assert.equal(c.server.port, 8080);
  assert.equal(c.server.tokenEnv, undefined);
  assert.equal(c.inference.mode, 'step');
  assert.equal(c.inference.emitEvery, 1);
  assert.equal(c.source.type === 'tcp' && c.source.protocol, 'dv');
  assert.equal(c.statusIntervalMs, 1000);
});

test('errors name the field path, its line and the reason, all at once', () => {
  assert.deepEqual(
    issues(`name: demo
source:
  type: tcp
  url: tcp://127.0.0.1:7777
  protocl: dv
filters:
  - type: refractory
    periodUs: -5
  - type: blur
model:
  path: 3
sinks:
  websocket: { heartbeatMs: fast }
`),
    [
      'source.protocl@5: unknown field (expected one of: url, protocol, buffer, reconnect)',
      'filters[0].periodUs@8: must be > 0, got -5',
      'filters[1].type@9: must be one of "polarity", "crop", "orient", "downsample", "refractory", "denoise", "hotPixel", "rateLimit", got "blur"',
      'model.path@11: must be a string, got 3',
      'sinks.websocket.heartbeatMs@13: must be a number, got "fast"',
    ],
  );
  assert.deepEqual(issues('name: x\nmodel: { path: m }\n'), ['source: is required']);
  assert.deepEqual(issues('name: x\nsource: { type: udp, url: "udp://127.0.0.1:3333", protocol: spif }\nmodel: { path: m }\n'), ['source.sensor@2: is required']);
});

test('cross-field rules: window stride, token on non-loopback hosts, port range', () => {
  assert.deepEqual(
    issues(`name: x
source: { type: tcp, url: "tcp://127.0.0.1:70000" }
model: { path: m }
inference: { mode: window, window: { steps: 4, stride: 8 } }
server: { host: 0.0.0.0 }
`),
    [
      'inference.window.stride@4: must be <= inference.window.steps (4), got 8',
      'server.tokenEnv@5: is required when server.host (0.0.0.0) is not a loopback address',
      'source.url@2: port must be 1-65535, got 70000',
    ],
  );
});

test('simulator source: scene options with defaults, a bad domain spec named by field', () => {
  const c = parsePipelineYaml('name: x\nsource: { type: simulator }\nmodel: { path: m }\n', 'x.yaml');
  assert.deepEqual(c.source, { type: 'simulator', seed: 1, speed: 1, domain: 'on', clockwise: 'subject', idle: 0.4 });
  const issuesOf = issues(`name: x
source: { type: simulator, clockwise: sideways, idle: 2 }
model: { path: m }
`);
  assert.equal(issuesOf.length, 2, issuesOf.join('\n'));
  assert.match(issuesOf[0]!, /^source\.clockwise@2: /);
  assert.match(issuesOf[1]!, /^source\.idle@2: /);
  const domain = issues('name: x\nsource: { type: simulator, domain: "texture=velvet" }\nmodel: { path: m }\n');
  assert.equal(domain.length, 1, domain.join('\n'));
  assert.match(domain[0]!, /^source\.domain@2: .*velvet/);
});

test('YAML syntax errors are reported with their line', () => {
  const [first] = issues('name: x\nsource: [unclosed\n');
  assert.match(first!, /^@\d: YAML syntax/);
});

test('the built-in demo config records gesture events and draws what the bundled model knows', () => {
  const c = demoConfig({ jsonl: '/tmp/demo.jsonl' });
  assert.deepEqual(c.sinks.jsonl?.types, ['prediction', 'gesture', 'status', 'gap']);
  assert.equal(c.decision.enabled, true);
  assert.deepEqual(c.source, { type: 'simulator', seed: 1, speed: 1, domain: 'off', clockwise: 'subject', idle: 0 });
});

test('inference.readoutSteps reaches the streaming model; 0 is refused', async () => {
  await initBackend();
  const yaml = (extra: string) => `name: x\nsource: { type: tcp, url: "tcp://127.0.0.1:7777" }\nmodel: { path: ${join(process.cwd(), 'fixtures/model')} }\ninference: { mode: step, resetEvery: 0${extra} }\n`;
  const opened = await openModel(parsePipelineYaml(yaml(', readoutSteps: 8'), '/tmp/x.yaml'));
  assert.equal(opened.model.readoutSteps, 8);
  opened.model.dispose();
  const plain = await openModel(parsePipelineYaml(yaml(''), '/tmp/x.yaml'));
  assert.equal(plain.model.readoutSteps, plain.model.preprocessing.steps, 'default: the model window');
  plain.model.dispose();
  assert.ok(issues(yaml(', readoutSteps: 0')).some((i) => i.startsWith('inference.readoutSteps')));
});
