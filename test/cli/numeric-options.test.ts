/**
 * Every numeric option of every command, given a value outside what its usage text promises,
 * is refused before any work starts: exit code 2, and a message naming the flag, the accepted
 * range and the value. The ranges below are written from the usage texts and the meaning of
 * each option, not read from the implementation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commands } from '../../src/cli/commands/index.js';
import { runCliBatch } from './capture.js';

const dir = mkdtempSync(join(tmpdir(), 'spikeline-numeric-'));
const file = join(dir, 'absent.aedat');

/** Arguments each command needs before it looks at its numeric options (none of them is read). */
const base: Record<string, string[]> = {
  info: [file],
  convert: [file, join(dir, 'out.aedat4')],
  replay: [file, '--serve', 'tcp://127.0.0.1:0'],
  record: [file, join(dir, 'out.aedat4')],
  frames: [file, join(dir, 'out.npy'), '--event-count', '100'],
  'frames mode': [file, join(dir, 'out.npy')],
  train: ['--data', dir, '--out', join(dir, 'train')],
  eval: ['--model', dir, '--data', dir],
  search: ['--backbone', 'synthetic', '--trials', '3', '--workers', '0', '--study', join(dir, 'never.db')],
  'search report': ['report', join(dir, 'never.db')],
  'search rank': ['rank', '--backbone', 'gesture', '--data', dir, '--out', join(dir, 'rank.json')],
  experiment: ['skip-connections', '--data', dir, '--out', join(dir, 'experiment')],
  'experiment transfer': ['transfer', '--out', join(dir, 'transfer')],
  simulate: ['gesture', '--out', join(dir, 'gesture')],
  render: [file, '--out', join(dir, 'x.png')],
  'camera-sim': ['--serve', 'tcp://127.0.0.1:0'],
  run: ['pipelines/demo.yaml'],
  demo: [],
  score: [file, '--decide'],
  publish: [file, 'nats://127.0.0.1:1', '--camera', 'cam'],
  gateway: ['nats://127.0.0.1:1'],
};

const INT1 = 'an integer >= 1';
const INT0 = 'an integer >= 0';
const POS = 'a number > 0';
const SEED = 'an integer from 0 to 4294967295';
const PORT = 'an integer from 0 to 65535';
const SIZE = '1, 2, 4, 8, 16, 32, 64 or 128';

/** [command, flag, bad value, accepted range as the message must state it] */
const table: [string, string, string, string][] = [
  ['info', 'stream', '-1', INT0],
  ['convert', 'stream', '1.5', INT0],
  ['info', 'sensor', '346', 'WxH, each an integer from 1 to 65535'],
  ['convert', 'sensor', '0x260', 'WxH, each an integer from 1 to 65535'],
  ['frames', 'sensor', '346x70000', 'WxH, each an integer from 1 to 65535'],
  ['replay', 'speed', '-1', 'a number >= 0'],
  ['replay', 'start', '-5', 'a number >= 0'],
  ['replay', 'stop', '0', 'a number > 0'],
  ['replay', 'udp-rate', '0', INT1],
  ['record', 'sensor', '0x128', 'WxH, each an integer from 1 to 65535'],
  ['frames mode', 'n-time-bins', '0', INT1],
  ['frames mode', 'time-window', '-100', POS],
  ['frames mode', 'event-count', '2.5', INT1],
  ['frames mode', 'n-event-bins', '-3', INT1],
  ['frames', 'overlap', '100', 'an integer >= 0 and < 100'],
  ['frames', 'downsample', '0', INT1],
  ['train', 'downsample', '3', '1, 2, 4, 8 or 16'],
  ['train', 'steps', '0', INT1],
  ['train', 'sub-bins', '0', INT1],
  ['train', 'sub-bins', '1.5', INT1],
  ['train', 'step-us', '0', POS],
  ['train', 'limit', '0', INT1],
  ['train', 'val-fraction', '1', 'a number >= 0 and < 1'],
  ['train', 'width-mult', '-1', POS],
  ['train', 'epochs', '1.5', INT1],
  ['train', 'batch', '0', INT1],
  ['train', 'seed', '-1', SEED],
  ['train', 'lr', '-1', POS],
  ['train', 'weight-decay', '-0.1', 'a number >= 0'],
  ['train', 'label-smoothing', '1', 'a number >= 0 and < 1'],
  ['train', 'threads', '0', INT1],
  ['eval', 'limit', '0', INT1],
  ['eval', 'batch', '-4', INT1],
  ['eval', 'windows', '0', INT1],
  ['search', 'trials', '0', INT1],
  ['search', 'startup', '-1', INT0],
  ['search', 'eta', '1', 'an integer >= 2'],
  ['search', 'min-epochs', '0', INT1],
  ['search', 'epochs', '0', INT1],
  ['search', 'max-skips', '-1', INT0],
  ['search', 'min-skips', '-1', 'an integer from 0 to 6'],
  ['search', 'workers', '-2', INT0],
  ['search', 'seed', '1.5', SEED],
  ['search', 'width-mult', '0', POS],
  ['search', 'steps', '0', INT1],
  ['search', 'size', '48', SIZE],
  ['search', 'limit', '0', INT1],
  ['search', 'lr', '0', POS],
  ['search', 'batch-size', '0', INT1],
  ['search', 'threshold', '-1', POS],
  ['search report', 'tolerance', '-0.1', 'a number >= 0 and <= 1'],
  ['search report', 'trial', '-1', INT0],
  ['search rank', 'configs', '2', 'an integer >= 3'],
  ['search rank', 'low-steps', '0', INT1],
  ['search rank', 'low-limit', '0', INT1],
  ['search rank', 'low-epochs', '0', INT1],
  ['search rank', 'truth-seeds', '0', INT1],
  ['search rank', 'score-batch', '1', 'an integer >= 2'],
  ['experiment', 'trials', '0', INT1],
  ['experiment', 'label-smoothing', '1', 'a number >= 0 and < 1'],
  ['experiment', 'search-epochs', '0', INT1],
  ['experiment', 'min-epochs', '-1', INT1],
  ['experiment', 'epochs', '0', INT1],
  ['experiment', 'size', '0', SIZE],
  ['experiment', 'steps', '-8', INT1],
  ['experiment', 'width-mult', '0', POS],
  ['experiment', 'limit', '0', INT1],
  ['experiment', 'lr', '-1', POS],
  ['experiment transfer', 'seeds', '0', INT1],
  ['experiment transfer', 'train-users', '0', INT1],
  ['experiment transfer', 'test-users', '-1', INT1],
  ['experiment transfer', 'duration-per-gesture', '0', POS],
  ['experiment transfer', 'downsample', '3', '1, 2, 4, 8 or 16'],
  ['experiment transfer', 'step-us', '0', POS],
  ['experiment transfer', 'batch', '0', INT1],
  ['experiment', 'threshold', '0', POS],
  ['experiment', 'batch-size', '0', INT1],
  ['experiment', 'max-skips', '-1', INT0],
  ['experiment', 'workers', '-1', INT0],
  ['experiment', 'seed', '-1', SEED],
  ['experiment', 'search-seed', '1.5', SEED],
  ['experiment', 'seeds', '0', INT1],
  ['simulate', 'users', '30', 'an integer from 1 to 29'],
  ['simulate', 'seed', '4294967296', SEED],
  ['simulate', 'duration-per-gesture', '0', POS],
  ['simulate', 'gap', '-1', 'a number >= 0'],
  ['simulate', 'max-lightings-per-user', '0', 'an integer from 1 to 5'],
  ['simulate', 'threshold', '0', POS],
  ['simulate', 'frame-us', '0', INT1],
  ['simulate', 'mains', '55', '50 or 60'],
  ['simulate', 'idle', '1.5', 'a number >= 0 and <= 1'],
  ['simulate', 'idle-seconds', '0', POS],
  ['simulate', 'workers', '0', INT1],
  ['render', 'frames', '0', INT1],
  ['render', 'scale', '17', 'an integer from 1 to 16'],
  ['render', 'columns', '0', INT1],
  ['camera-sim', 'seed', '-1', SEED],
  ['camera-sim', 'gesture-seconds', '0', POS],
  ['camera-sim', 'gap', '-1', 'a number >= 0'],
  ['camera-sim', 'speed', '-1', POS],
  ['camera-sim', 'duration', '-1', POS],
  ['camera-sim', 'idle', '-0.5', 'a number >= 0 and <= 1'],
  ['camera-sim', 'idle-seconds', '0', POS],
  ['run', 'port', '70000', PORT],
  ['demo', 'port', '-1', PORT],
  ['score', 'smoothing-ms', '-1', 'a number >= 0'],
  ['score', 'on', '1.5', 'a number >= 0 and <= 1'],
  ['score', 'off', '-0.1', 'a number >= 0 and <= 1'],
  ['score', 'min-duration-ms', '-5', 'a number >= 0'],
  ['score', 'confirm-ms', '-1', 'a number >= 0'],
  ['publish', 'speed', '-1', 'a number >= 0'],
  ['publish', 'seed', '-2', SEED],
  ['publish', 'sensor', '128x0', 'WxH, each an integer from 1 to 65535'],
  ['publish', 'max-bytes', '0', INT1],
  ['gateway', 'port', '65536', PORT],
];

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('every numeric option refuses a value outside its range, naming the flag and the range', async () => {
  // Negative values are given as the next argument (`--speed -1`), the way users type them.
  const results = await runCliBatch(table.map(([command, flag, bad]) => [command.split(' ')[0]!, ...base[command]!, `--${flag}`, bad]));
  table.forEach(([command, flag, bad, range], i) => {
    const r = results[i]!;
    const what = `${command} --${flag} ${bad}`;
    assert.equal(r.code, 2, `${what}: exit ${r.code}, ${r.err}`);
    assert.match(r.err, new RegExp(`--${escapeRegExp(flag)} must be ${escapeRegExp(range)}, got "${escapeRegExp(bad)}"`), what);
  });
});

test('a range may depend on another option: --min-skips up to --max-skips', async () => {
  const [r] = await runCliBatch([['search', ...base.search!, '--max-skips', '2', '--min-skips', '3']]);
  assert.equal(r!.code, 2, r!.err);
  assert.match(r!.err, /--min-skips must be an integer from 0 to 2, got "3"/);
});

test('non-numbers and empty values are refused as well', async () => {
  const bad = ['fast', '', '1e999', '0x'];
  const results = await runCliBatch(bad.map((b) => ['replay', ...base.replay!, '--speed', b]));
  bad.forEach((b, i) => {
    assert.equal(results[i]!.code, 2, `--speed "${b}": ${results[i]!.err}`);
    assert.match(results[i]!.err, new RegExp(`--speed must be a number >= 0, got "${escapeRegExp(b)}"`));
  });
});

/** Numeric placeholders of the usage texts (`--lr X`, `--steps N`, `--sensor WxH`, …). */
const NUMERIC = /--([a-z-]+) (N|X|S|SEC|US|MS|HZ|T|M|A|ID|F|C|WxH|N\|LIST)\b/g;
const NOT_NUMERIC = new Set(['convert --format', 'convert --compression', 'record --compression', 'replay --compression', 'search --sampler', 'record --token', 'gateway --subject']);

test('the table covers every numeric option in every usage text', () => {
  const covered = new Set(table.map(([c, f]) => `${c.split(' ')[0]} --${f}`));
  const missing: string[] = [];
  for (const c of commands) {
    for (const m of c.usage.matchAll(NUMERIC)) {
      const key = `${c.name} --${m[1]}`;
      if (!NOT_NUMERIC.has(key) && !covered.has(key)) missing.push(key);
    }
  }
  assert.deepEqual(missing, []);
});
