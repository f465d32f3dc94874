/** Static checks of the deployment files (no Docker engine here): they parse, agree with each other and with the code. */
import { test } from 'node:test';
import { skipUnlessInstalled } from '../support/require.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const PROMTOOL = '/usr/bin/promtool';

test('compose file: spikeline, Prometheus and Grafana wired together, token required for the exposed pipeline', () => {
  const compose = parse(readFileSync('deploy/compose.yaml', 'utf8')) as { services: Record<string, { command?: string[]; volumes?: string[]; depends_on?: string[]; environment?: Record<string, string> }> };
  assert.deepEqual(Object.keys(compose.services).sort(), ['grafana', 'prometheus', 'spikeline']);
  const cmd = compose.services.spikeline!.command!;
  assert.deepEqual(cmd.slice(0, 2), ['run', 'pipelines/demo.yaml']);
  assert.ok(existsSync(cmd[1]!));
  assert.equal(cmd[cmd.indexOf('--host') + 1], '0.0.0.0');
  assert.equal(cmd[cmd.indexOf('--token-env') + 1], 'SPIKELINE_TOKEN');
  for (const v of [...compose.services.prometheus!.volumes!, ...compose.services.grafana!.volumes!]) {
    const local = v.split(':')[0]!;
    if (local.startsWith('./')) assert.ok(existsSync(join('deploy', local)), `${local} exists`);
  }
});

test('Grafana: provisioned datasource uid is the one every dashboard panel uses', () => {
  const ds = parse(readFileSync('deploy/grafana/provisioning/datasources/prometheus.yaml', 'utf8')) as { datasources: { uid: string; type: string }[] };
  const uid = ds.datasources[0]!.uid;
  const dash = JSON.parse(readFileSync('deploy/grafana/dashboards/spikeline.json', 'utf8')) as { uid: string; panels: { type: string; datasource?: { uid: string }; targets?: { datasource: { uid: string } }[] }[] };
  const panels = dash.panels.filter((p) => p.type !== 'row');
  assert.ok(panels.length >= 12);
  for (const p of panels) {
    assert.equal(p.datasource?.uid, uid);
    for (const t of p.targets ?? []) assert.equal(t.datasource.uid, uid);
  }
  const provider = parse(readFileSync('deploy/grafana/provisioning/dashboards/spikeline.yaml', 'utf8')) as { providers: { options: { path: string } }[] };
  assert.equal(provider.providers[0]!.options.path, '/var/lib/grafana/dashboards');
});

test('Prometheus configs pass promtool check config', (t) => {
  const unavailable = skipUnlessInstalled(!(!existsSync(PROMTOOL)), `${PROMTOOL} not found: install the Debian package "prometheus"`);
  if (unavailable) {
    t.skip(unavailable);
    return;
  }
  assert.equal(spawnSync(PROMTOOL, ['check', 'config', 'deploy/prometheus.yml'], { encoding: 'utf8' }).status, 0);
  // The compose variant reads its token from a file the container creates; check it with a stand-in.
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-promcfg-'));
  writeFileSync(join(dir, 'token'), 'x');
  writeFileSync(join(dir, 'p.yml'), readFileSync('deploy/prometheus-compose.yml', 'utf8').replaceAll('/tmp/token', join(dir, 'token')));
  const r = spawnSync(PROMTOOL, ['check', 'config', join(dir, 'p.yml')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('Dockerfile: multi-stage, production dependencies only, non-root, healthcheck on /healthz', () => {
  const d = readFileSync('Dockerfile', 'utf8');
  assert.ok((d.match(/^FROM /gm) ?? []).length >= 3);
  assert.match(d, /npm ci --omit=dev/);
  assert.match(d, /^USER node$/m);
  assert.match(d, /^HEALTHCHECK .*\n?.*\/healthz/m);
  assert.match(d, /^ENTRYPOINT \["node", "bin\/spikeline.js"\]$/m);
  for (const dir of ['bin', 'pipelines', 'fixtures']) assert.ok(existsSync(dir));
  const ignore = readFileSync('.dockerignore', 'utf8').split('\n');
  for (const x of ['node_modules', '.git', 'data']) assert.ok(ignore.includes(x));
});
