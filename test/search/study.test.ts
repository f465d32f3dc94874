import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AshaPruner } from '../../src/search/pruner.js';
import { SqliteStudyStore } from '../../src/search/storage-sqlite.js';
import { Study, type StudyConfig } from '../../src/search/study.js';
import { SYNTHETIC_MODULE } from '../../src/search/synthetic.js';
import { renderReport } from '../../src/search/report.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'spikeline-study-'));

function config(over: Partial<StudyConfig> = {}, targetOptions: object = {}): StudyConfig {
  return {
    name: 't',
    seed: 5,
    objective: 'accuracy',
    target: { module: SYNTHETIC_MODULE, export: 'syntheticTarget', options: targetOptions },
    space: { maxSkips: 4 },
    sampler: { name: 'tpe', startupTrials: 5 },
    pruner: { name: 'none' },
    maxEpochs: 6,
    ...over,
  };
}

test('in-process study records spec, seed, curves and metrics of every trial', async () => {
  const study = await Study.open(join(tmp(), 'a.db'), config({ objective: 'accuracy-synops' }));
  const events: string[] = [];
  const summary = await study.run({ trials: 12, workers: 0, onEvent: (e) => events.push(e.type) });
  assert.equal(summary.finished, 12);
  assert.equal(summary.complete, 12);
  assert.equal(summary.epochs, 12 * 6);
  const trials = await study.trials();
  assert.deepEqual(trials.map((t) => t.number), [...Array(12).keys()]);
  for (const t of trials) {
    assert.equal(t.curve.length, 6);
    assert.equal(t.values!.length, 2);
    assert.equal(t.values![0], t.metrics!.accuracy);
    assert.equal(t.values![1], t.metrics!.synops);
    assert.ok(Array.isArray((t.spec as { skips: unknown[] }).skips));
    assert.ok(Number.isInteger(t.seed));
  }
  assert.equal(new Set(trials.map((t) => t.seed)).size, 12);
  assert.ok(summary.front.length >= 1);
  assert.equal(events.filter((e) => e === 'trial-end').length, 12);
  await study.close();
});

test('a study with baselines runs the ANN skips and no skips first, marked, and the sampler sees them', async () => {
  const original = [
    { from: 0, to: 2, type: 'ASC' as const },
    { from: 3, to: 6, type: 'DSC' as const },
  ];
  const path = join(tmp(), 'b.db');
  const study = await Study.open(path, config({ baselines: ['ann', 'none'], sampler: { name: 'random' } }, { original }));
  await study.run({ trials: 5, workers: 0 });
  const trials = await study.trials();
  assert.equal(trials[0]!.params.baseline, 'ann');
  assert.deepEqual((trials[0]!.spec as { skips: unknown[] }).skips, original);
  assert.equal(trials[1]!.params.baseline, 'none');
  assert.deepEqual((trials[1]!.spec as { skips: unknown[] }).skips, []);
  assert.ok(trials.slice(2).every((t) => t.params.baseline === undefined));
  await study.close();
  const html = renderReport(config({ baselines: ['ann', 'none'] }), trials, undefined);
  assert.match(html, /baseline: ANN skips<\/span> 0→2 ASC, 3→6 DSC/);
  assert.match(html, /baseline: no skips<\/span> <\/td>/);
  // Without baselines in the config (studies made before them) trial 0 is sampled.
  const plain = await Study.open(join(tmp(), 'p.db'), config({ sampler: { name: 'random' } }, { original }));
  await plain.run({ trials: 1, workers: 0 });
  assert.equal((await plain.trials())[0]!.params.baseline, undefined);
  await plain.close();
});

test('a baseline the space cannot express (more skips than maxSkips) is left out; identical baselines run once', async () => {
  const original = [
    { from: 0, to: 2, type: 'ASC' as const },
    { from: 3, to: 6, type: 'DSC' as const },
  ];
  const study = await Study.open(join(tmp(), 'c.db'), config({ baselines: ['ann', 'none'], space: { maxSkips: 1 } }, { original }));
  assert.deepEqual(study.baselines.map((b) => b.baseline), ['none']);
  await study.close();
  const same = await Study.open(join(tmp(), 'd.db'), config({ baselines: ['ann', 'none'] }));
  assert.deepEqual(same.baselines.map((b) => b.baseline), ['ann']);
  await same.close();
});

test('the SEW baseline: the ANN skips with every additive one spike-element-wise where the space allows SEW; absent when that changes nothing', async () => {
  const original = [
    { from: 0, to: 2, type: 'ASC' as const },
    { from: 3, to: 6, type: 'DSC' as const },
  ];
  const study = await Study.open(join(tmp(), 'e.db'), config({ baselines: ['ann', 'none', 'sew'], space: { maxSkips: 4, skipTypes: ['ASC', 'DSC', 'SEW'] } }, { original }));
  assert.deepEqual(study.baselines.map((b) => b.baseline), ['ann', 'none', 'sew']);
  const sew = study.baselines[2]!;
  assert.equal(sew['skip:0-2'], 'SEW');
  assert.equal(sew['skip:3-6'], 'DSC');
  assert.equal(Object.entries(sew).filter(([k, v]) => k.startsWith('skip:') && v !== 'none').length, 2);
  await study.run({ trials: 3, workers: 0 });
  assert.deepEqual((await study.trials()).map((t) => t.params.baseline), ['ann', 'none', 'sew']);
  await study.close();
  // Without SEW in the space (the seed paper's ASC / DSC), or without additive ANN skips, it is the ANN's: run once.
  const paper = await Study.open(join(tmp(), 'f.db'), config({ baselines: ['ann', 'none', 'sew'] }, { original }));
  assert.deepEqual(paper.baselines.map((b) => b.baseline), ['ann', 'none']);
  await paper.close();
  const dense = await Study.open(join(tmp(), 'g.db'), config({ baselines: ['ann', 'none', 'sew'], space: { maxSkips: 4, skipTypes: ['ASC', 'DSC', 'SEW'] } }, { original: [original[1]!] }));
  assert.deepEqual(dense.baselines.map((b) => b.baseline), ['ann', 'none']);
  await dense.close();
});

test('baselines are never pruned: a candidate is chosen over them only by beating their final accuracy', async () => {
  // The ANN skips are the ideal ones (quality 0.85), so "no skips" (0.55) trails every rung.
  const original = [
    { from: 0, to: 2, type: 'ASC' as const },
    { from: 2, to: 5, type: 'DSC' as const },
    { from: 4, to: 7, type: 'ASC' as const },
  ];
  const study = await Study.open(
    join(tmp(), 'p.db'),
    config({ baselines: ['ann', 'none'], sampler: { name: 'random' }, pruner: { name: 'asha', minEpochs: 1, eta: 3 }, maxEpochs: 9 }, { original }),
  );
  await study.run({ trials: 10, workers: 0 });
  const trials = await study.trials();
  for (const t of trials.slice(0, 2)) {
    assert.equal(t.state, 'complete', `baseline ${String(t.params.baseline)}`);
    assert.equal(t.curve.length, 9);
  }
  // The pruner is at work on the others, and the trailing baseline raised their bar.
  assert.ok(trials.slice(2).some((t) => t.state === 'pruned'));
  await study.close();
});

test('a resumed study continues where it stopped and proposes what an uninterrupted one would', async () => {
  const dir = tmp();
  const whole = await Study.open(join(dir, 'whole.db'), config());
  await whole.run({ trials: 10, workers: 0 });
  const split = await Study.open(join(dir, 'split.db'), config());
  await split.run({ trials: 6, workers: 0 });
  await split.close();
  const resumed = await Study.open(join(dir, 'split.db'));
  await resumed.run({ trials: 10, workers: 0 });
  assert.deepEqual(
    (await resumed.trials()).map((t) => t.params),
    (await whole.trials()).map((t) => t.params),
  );
  await whole.close();
  await resumed.close();
});

test('a trial a kill interrupted is rerun as the uninterrupted study ran it, and its partial curve does not count at the rungs', async () => {
  const dir = tmp();
  const c = config({ maxEpochs: 9, pruner: { name: 'asha', minEpochs: 1, eta: 3 } }, { noise: 0.05 });
  const whole = await Study.open(join(dir, 'whole.db'), c);
  await whole.run({ trials: 12, workers: 0 });
  const expected = await whole.trials();
  await whole.close();
  // The same study killed during trial 4, after its first epochs (up to three).
  const path = join(dir, 'killed.db');
  const split = await Study.open(path, c);
  await split.run({ trials: 4, workers: 0 });
  await split.close();
  const store = SqliteStudyStore.open(path);
  const cut = expected[4]!;
  await store.startTrial(5, () => ({ params: cut.params, spec: cut.spec, seed: cut.seed }));
  for (const [i, m] of cut.curve.slice(0, 3).entries()) await store.recordEpoch(4, i + 1, m!);
  await store.close();
  const resumed = await Study.open(path);
  await resumed.run({ trials: 12, workers: 0 });
  const trials = await resumed.trials();
  assert.equal(trials[4]!.state, 'interrupted');
  const key = (t: (typeof trials)[number]) => ({ params: t.params, seed: t.seed, state: t.state, curve: t.curve });
  assert.deepEqual(
    trials.filter((t) => t.state !== 'interrupted').map(key),
    expected.map(key),
  );
  await resumed.close();
});

test('ASHA prunes poor trials early and spends fewer epochs than full training', async () => {
  const dir = tmp();
  const full = await Study.open(join(dir, 'full.db'), config({ maxEpochs: 9, sampler: { name: 'random' } }));
  const asha = await Study.open(join(dir, 'asha.db'), config({ maxEpochs: 9, sampler: { name: 'random' }, pruner: { name: 'asha', minEpochs: 1, eta: 3 } }));
  const f = await full.run({ trials: 20, workers: 0 });
  const a = await asha.run({ trials: 20, workers: 0 });
  assert.ok(a.pruned > 0);
  assert.ok(a.epochs < f.epochs * 0.7, `ASHA epochs ${a.epochs} vs full ${f.epochs}`);
  // Same sampler and seed: the same candidates; the best one must survive pruning here.
  assert.ok(Math.abs(a.best!.values![0]! - f.best!.values![0]!) < 0.05);
  for (const t of (await asha.trials()).filter((t) => t.state === 'pruned')) assert.ok(t.curve.length < 9);
  await full.close();
  await asha.close();
});

test('ASHA rungs judge each trial by its best validation accuracy so far, not by its latest (noisy) epoch', async () => {
  const eta = 3;
  // Per-epoch noise as large as the differences between candidates, as on small validation sets.
  const study = await Study.open(join(tmp(), 'best.db'), config({ maxEpochs: 9, sampler: { name: 'random' }, pruner: { name: 'asha', minEpochs: 1, eta } }, { noise: 0.2, timeConstant: 1 }));
  await study.run({ trials: 40, workers: 0 });
  const trials = await study.trials(); // sequential: a trial's peers at a rung are the earlier trials
  const bestAt = (t: (typeof trials)[number], epoch: number) => Math.max(...t.curve.slice(0, epoch).map((m) => m!.accuracy));
  let decisions = 0;
  let latestWouldDiffer = 0;
  for (const [k, t] of trials.entries()) {
    for (const rung of [1, 3]) {
      if (t.curve.length < rung) continue;
      const peers = trials.slice(0, k).filter((p) => p.curve.length >= rung);
      if (peers.length + 1 < 2) continue;
      const keepAt = (value: (p: (typeof trials)[number]) => number) => {
        const all = [...peers, t].map(value).sort((a, b) => b - a);
        return value(t) >= all[Math.max(1, Math.floor(all.length / eta)) - 1]!;
      };
      const kept = keepAt((p) => bestAt(p, rung));
      assert.equal(t.curve.length > rung || t.state === 'complete', kept, `trial ${k} at rung ${rung}`);
      if (kept !== keepAt((p) => p.curve[rung - 1]!.accuracy)) latestWouldDiffer++;
      decisions++;
    }
  }
  assert.ok(decisions > 20 && latestWouldDiffer > 0, `${decisions} rung decisions, ${latestWouldDiffer} that the latest epoch would have decided otherwise`);
  await study.close();
});

test('the sampler does not propose a network a trial already has (a repeat measures only seed noise)', async () => {
  // A small space (19 networks: 3 skip pairs x none / ASC / DSC, at most 2 skips), so that plain random draws repeat.
  const study = await Study.open(join(tmp(), 'dup.db'), config({ sampler: { name: 'random' }, baselines: ['none'], space: { maxSkips: 2 }, maxEpochs: 1 }, { layers: 4 }));
  await study.run({ trials: 10, workers: 0 });
  const specs = (await study.trials()).map((t) => JSON.stringify(t.spec));
  assert.equal(new Set(specs).size, specs.length, `repeated networks among ${specs.length} trials`);
  await study.close();
});

test('trials run in parallel worker threads', async () => {
  const study = await Study.open(join(tmp(), 'w.db'), config({}, { epochDelayMs: 5 }));
  let maxRunning = 0;
  let running = 0;
  const summary = await study.run({
    trials: 6,
    workers: 2,
    onEvent: (e) => {
      if (e.type === 'trial-start') maxRunning = Math.max(maxRunning, ++running);
      if (e.type === 'trial-end') running--;
    },
  });
  assert.equal(summary.complete, 6);
  assert.equal(maxRunning, 2);
  await study.close();
});

test('ASHA peers are each other trial once, also when a slow reread of the storage overlaps a running trial\'s epoch', async (t) => {
  const store = SqliteStudyStore.open<StudyConfig>(join(tmp(), 'slow.db'), config({ maxEpochs: 9, sampler: { name: 'random' }, pruner: { name: 'asha', minEpochs: 1, eta: 3 } }, { epochDelayMs: 2 }));
  // A storage whose reads answer late, as over a network: each reread returns once a running
  // trial has recorded its next epoch.
  const recorded = new Map<number, Set<number>>();
  let wake: (() => void) | undefined;
  const slow = new Proxy(store, {
    get(target, prop) {
      if (prop === 'recordEpoch') {
        return async (number: number, epoch: number, metrics: Parameters<typeof store.recordEpoch>[2]) => {
          await target.recordEpoch(number, epoch, metrics);
          recorded.set(epoch, (recorded.get(epoch) ?? new Set()).add(number));
          wake?.();
        };
      }
      if (prop === 'trials') {
        return async () => {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 50);
          });
          wake = undefined;
          return target.trials();
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  // Every decision's peers must be the other trials that recorded that epoch (its own is recorded already).
  const wrong: string[] = [];
  const shouldPrune = AshaPruner.prototype.shouldPrune;
  t.mock.method(AshaPruner.prototype, 'shouldPrune', function (this: AshaPruner, epoch: number, accuracy: number, peers: readonly number[]) {
    const others = recorded.get(epoch)!.size - 1;
    if (peers.length !== others) wrong.push(`epoch ${epoch}: ${peers.length} peers, ${others} other trials`);
    return shouldPrune.call(this, epoch, accuracy, peers);
  });
  const study = await Study.load(slow);
  await study.run({ trials: 8, workers: 2 });
  await study.close();
  assert.deepEqual(wrong, []);
});

test('a failing trial is recorded as failed and the study goes on', async () => {
  const bad = join(tmp(), 'bad.db');
  // The target loads in the main thread (adapter) but its objective throws in every trial.
  const s = await Study.open(bad, config({}, { failTrials: true }));
  const summary = await s.run({ trials: 3, workers: 0 });
  assert.equal(summary.failed, 3);
  assert.match((await s.trials())[0]!.error!, /synthetic failure/);
  await s.close();
});

test('kill -9 mid-study loses at most the running trials; the study resumes', async () => {
  const path = join(tmp(), 'crash.db');
  const script = fileURLToPath(new URL('./fixtures/run-study.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, path, '40', '2'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.once('exit', r));
  // Wait until some trials have finished, then kill without warning.
  let finishedBefore = 0;
  for (let i = 0; i < 400 && finishedBefore < 4; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try {
      const s = SqliteStudyStore.open(path, undefined, { readonly: true });
      finishedBefore = (await s.trials()).filter((t) => t.state !== 'running').length;
      await s.close();
    } catch {
      // not created yet
    }
  }
  child.kill('SIGKILL');
  await exited;
  const after = SqliteStudyStore.open(path, undefined, { readonly: true });
  const killed = await after.trials();
  await after.close();
  const done = killed.filter((t) => t.state !== 'running');
  const running = killed.filter((t) => t.state === 'running');
  assert.ok(done.length >= 4, `only ${done.length} trials finished before the kill`);
  assert.ok(running.length <= 2, `${running.length} trials were running with 2 workers`);
  assert.equal(done.filter((t) => t.state === 'failed').length, 0);
  for (const t of done.filter((t) => t.state === 'complete')) assert.equal(t.curve.length, 6);

  const resumed = await Study.open(path);
  const summary = await resumed.run({ trials: done.length + 3, workers: 0 });
  const trials = await resumed.trials();
  assert.equal(summary.interrupted, running.length);
  assert.equal(summary.finished, done.length + 3);
  // Finished trials are untouched by the crash and the resume.
  for (const t of done) assert.deepEqual(trials.find((x) => x.number === t.number), t);
  await resumed.close();
});

test('the time budget stops launching trials and ends running ones at their next epoch', async () => {
  const study = await Study.open(join(tmp(), 'budget.db'), config({ maxEpochs: 50 }, { epochDelayMs: 10 }));
  const summary = await study.run({ trials: 10, workers: 0, budgetMs: 120 });
  const trials = await study.trials();
  assert.equal(trials.length, 1);
  assert.equal(trials[0]!.state, 'interrupted');
  assert.ok(trials[0]!.curve.length < 50);
  assert.equal(summary.finished, 0);
  await study.close();
});
