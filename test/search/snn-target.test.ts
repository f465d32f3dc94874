import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backbone } from '../../src/snn/backbones.js';
import { validateSpec } from '../../src/snn/spec.js';
import { SKIP_CHOICES, SearchSpace, skipOfChoice, skipParamName } from '../../src/search/space.js';
import { snnAdapter, trialData, withSkips } from '../../src/search/snn-target.js';
import { initBackend } from '../../src/snn/backend.js';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { splitValidation, type LabelledEvents } from '../../src/snn/data.js';
import { Random, deriveSeed } from '../../src/util/random.js';

for (const name of ['resnet18', 'densenet121', 'mobilenetv2', 'gesture'] as const) {
  test(`${name}: candidate pairs are buildable and include the ANN's own skips`, () => {
    const adapter = snnAdapter({ backbone: name, data: '/nonexistent', size: 32, widthMult: 0.25 });
    const base = backbone(name, { height: 32, width: 32, widthMult: 0.25 });
    assert.ok(adapter.candidatePairs!.length > 0);
    for (const [from, to] of adapter.candidatePairs!) {
      const target = base.layers[to]!;
      assert.ok(target.type === 'conv' || target.type === 'dwconv', `pair ${from}->${to} ends at ${target.type}`);
      for (const choice of adapter.allowedTypes!(from, to)) {
        assert.deepEqual(validateSpec(withSkips(base, [skipOfChoice(from, to, choice)])), []);
        if (choice.startsWith('DSC')) assert.ok(to - from >= 2);
      }
    }
    // Every skip type is placeable somewhere in the deep backbones.
    if (name !== 'gesture') assert.deepEqual(new Set(adapter.candidatePairs!.flatMap(([f, t]) => adapter.allowedTypes!(f, t))), new Set(SKIP_CHOICES), name);
    const space = new SearchSpace(adapter, { maxSkips: base.skips.length, skipTypes: SKIP_CHOICES });
    // The original configuration is a point of the space (so the search can find it again).
    assert.deepEqual(space.check(space.encode(adapter.originalSkips)), []);
    for (let i = 0; i < 30; i++) {
      const p = space.sampleRandom(new Random(deriveSeed(1, i)));
      assert.deepEqual(validateSpec(space.candidate(p).spec), []);
    }
  });
}

test('a searched SEW or projected DSC skip decodes into the spec the engine builds', () => {
  const adapter = snnAdapter({ backbone: 'resnet18', data: '/x', size: 16, widthMult: 0.25 });
  const space = new SearchSpace(adapter, { maxSkips: 2, skipTypes: SKIP_CHOICES });
  const params = space.encode([{ from: 1, to: 3, type: 'SEW' }, { from: 0, to: 4, type: 'DSC', project: true }]);
  assert.equal(params[skipParamName(0, 4)], 'DSC-1x1');
  assert.equal(params[skipParamName(1, 3)], 'SEW');
  const spec = space.candidate(params).spec;
  assert.deepEqual(spec.skips, [{ from: 0, to: 4, type: 'DSC', project: true }, { from: 1, to: 3, type: 'SEW' }]);
  assert.deepEqual(validateSpec(spec), []);
});

test('searched neuron settings go into the default neuron of the spec', () => {
  const base = backbone('gesture', {});
  const spec = withSkips(base, [{ from: 0, to: 2, type: 'DSC' }], { tau: 3, threshold: 0.8, alpha: 5 });
  assert.deepEqual(spec.neuron, { kind: 'lif', tau: 3, vThreshold: 0.8, alpha: 5 });
  assert.deepEqual(spec.skips, [{ from: 0, to: 2, type: 'DSC' }]);
  assert.equal(withSkips(base, []).neuron, base.neuron);
  const space = new SearchSpace(snnAdapter({ backbone: 'gesture', data: '/x' }), { maxSkips: 2 });
  assert.ok(space.distributions.has(skipParamName(0, 2)));
});

test('validation split is stratified and deterministic', () => {
  const samples = Array.from({ length: 50 }, (_, i) => ({ label: i % 5, i }));
  const { train, val } = splitValidation(samples, 0.2);
  assert.equal(val.length, 10);
  assert.equal(train.length, 40);
  for (let c = 0; c < 5; c++) assert.equal(val.filter((s) => s.label === c).length, 2);
  assert.deepEqual(splitValidation(samples, 0.2).val, val);
  // Small classes still get one validation sample; singletons stay in training.
  const small = [0, 0, 0, 0, 1, 1, 2].map((label, i) => ({ label, i }));
  const s = splitValidation(small, 0.2);
  assert.deepEqual(s.val.map((x) => x.label).sort(), [0, 1]);
  assert.equal(s.train.length, 5);
});

test('--val-by user: trials validate on people they never train on; the test split is untouched', async () => {
  await initBackend();
  // gesture-mini's training recording under four people's names.
  const mini = resolve('fixtures/gesture-mini');
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-valby-'));
  const people = ['user02', 'user03', 'user05', 'user07'];
  for (const u of people) {
    symlinkSync(join(mini, 'user02_led.aedat'), join(dir, `${u}_led.aedat`));
    symlinkSync(join(mini, 'user02_led_labels.csv'), join(dir, `${u}_led_labels.csv`));
  }
  symlinkSync(join(mini, 'user24_led.aedat'), join(dir, 'user24_led.aedat'));
  symlinkSync(join(mini, 'user24_led_labels.csv'), join(dir, 'user24_led_labels.csv'));
  writeFileSync(join(dir, 'trials_to_train.txt'), people.map((u) => `${u}_led.aedat`).join('\n') + '\n');
  writeFileSync(join(dir, 'trials_to_test.txt'), 'user24_led.aedat\n');
  const o = { backbone: 'gesture' as const, data: dir, size: 16, steps: 4, valFraction: 0.25 };
  const byUser = await trialData({ ...o, valBy: 'user' });
  // Gesture datasets hold event samples, which name their person.
  const users = (xs: readonly object[]) => [...new Set(xs.map((x) => (x as LabelledEvents).user))].sort();
  assert.deepEqual(users(byUser.test), ['user05']);
  assert.deepEqual(users(byUser.train), ['user02', 'user03', 'user07']);
  // By sample (the default) the people validated on are trained on too.
  const bySample = await trialData(o);
  assert.ok(users(bySample.test).length > 1);
  for (const u of users(bySample.test)) assert.ok(users(bySample.train).includes(u!), u);
  assert.equal(byUser.train.length + byUser.test.length, bySample.train.length + bySample.test.length);
  const final = await trialData({ ...o, valBy: 'user', evaluateOn: 'test' });
  assert.deepEqual(users(final.test), ['user24']);
  assert.deepEqual(users(final.train), people);
});
