import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../src/snn/backend.js';
import { buildModel, type SnnModel } from '../../src/snn/model.js';
import type { ModelSpec } from '../../src/snn/spec.js';
import { gesture } from '../../src/snn/backbones.js';
import { SnnStreamingModel } from '../../src/snn/streaming.js';
import { StepEngine } from '../../src/snn/step-engine.js';
import { randomSource } from '../../src/util/random.js';
import { skipUnlessWasm } from '../support/require.js';

before(async () => {
  await initBackend();
});

/** Running BN statistics and bias-like spread so that eval-mode layers spike at useful rates. */
function perturb(m: SnnModel, seed: number): void {
  const r = randomSource(seed);
  for (const [name, buf] of m.buffers) {
    for (let i = 0; i < buf.length; i++) buf[i] = name.endsWith('.mean') ? (r() - 0.5) * 0.2 : 0.02 + r() * 0.03;
  }
  m.invalidateFolded();
}

/** Every layer type, skip type and adaptation, and neuron variant the engine compiles. */
const MIXED: ModelSpec = {
  input: { height: 16, width: 16, channels: 2 },
  classes: 7,
  neuron: { kind: 'lif', tau: 2 },
  layers: [
    { type: 'conv', out: 6, kernel: 5, bn: false, neuron: { kind: 'if', vReset: null, vThreshold: 0.5 } }, // 0: soft reset, 6 channels (TS neuron path)
    { type: 'pool', kind: 'max', size: 2 }, // 1
    { type: 'dwconv', neuron: { kind: 'plif', tau: 3, decayInput: false } }, // 2
    { type: 'conv', out: 8 }, // 3: DSC from 0 (pooled), ASC from 2 (projected)
    { type: 'conv', out: 8, neuron: null }, // 4: ASC from 3 (identity), no neuron
    { type: 'conv', out: 6 }, // 5: SEW from 2 (identity), DSC from 3 (projected to 8 channels)
    { type: 'conv', out: 6 }, // 6: SEW from 0 (pooled)
    { type: 'pool', kind: 'avg', size: 2 }, // 7
    { type: 'gap' }, // 8
    { type: 'linear', out: 12, neuron: { kind: 'lif', vThreshold: 0.05 } }, // 9
  ],
  skips: [
    { from: 0, to: 3, type: 'DSC' },
    { from: 2, to: 3, type: 'ASC' },
    { from: 3, to: 4, type: 'ASC' },
    { from: 2, to: 5, type: 'SEW' },
    { from: 3, to: 5, type: 'DSC', project: true },
    { from: 0, to: 6, type: 'SEW' },
  ],
};

function frames(n: number, size: number, density: number, seed: number): Float32Array[] {
  const r = randomSource(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: size }, () => (r() < density ? 1 + Math.floor(r() * 3) : 0)));
}

function compare(spec: ModelSpec, seed: number, density: number): void {
  const m = buildModel(spec, seed);
  perturb(m, seed + 1);
  const pre = { sensorWidth: 64, sensorHeight: 64, downsample: 4, height: spec.input.height, width: spec.input.width, stepUs: 1000, steps: 8, encoding: 'count' as const };
  const classes = Array.from({ length: spec.classes }, (_, i) => `c${i}`);
  const ref = new SnnStreamingModel(m, { classes, preprocessing: pre, runtime: 'tfjs' });
  const engines = [true, false].map((wasm) => new StepEngine(m, { wasm }));
  skipUnlessWasm(engines[0]!.usesWasm, 'the step engine has no WebAssembly kernels'); // CI: the WASM path must be compared
  const size = spec.input.height * spec.input.width * spec.input.channels;
  const perLayer: number[] = [];
  const sums = engines.map(() => new Float64Array(spec.classes));
  let steps = 0;
  for (const [t, f] of frames(12, size, density, seed + 2).entries()) {
    if (t === 8) {
      ref.reset();
      for (const e of engines) e.reset();
      for (const s of sums) s.fill(0);
      steps = 0;
    }
    const want = ref.step(f);
    steps++;
    for (const [k, e] of engines.entries()) {
      const out = new Float32Array(spec.classes);
      const spikes: number[] = [];
      e.step(f, out, spikes);
      const where = `${spec.name ?? 'mixed'} step ${t} (${e.usesWasm ? 'wasm' : 'ts'})`;
      assert.deepEqual(spikes, want.firing.layers.map((l) => l.spikes), `${where}: spikes per layer`);
      spikes.forEach((n, j) => (perLayer[j] = (perLayer[j] ?? 0) + n));
      // The reference reports the running mean of the head outputs since the last reset.
      for (let c = 0; c < spec.classes; c++) {
        sums[k]![c]! += out[c]!;
        const mean = sums[k]![c]! / steps;
        assert.ok(Math.abs(mean - want.logits[c]!) < 1e-4, `${where}: class ${c} ${mean} vs ${want.logits[c]}`);
      }
    }
  }
  assert.ok(perLayer.every((n) => n > 0), `every spiking layer must spike for the comparison to see it: ${perLayer.join(', ')}`);
  ref.dispose();
}

test('compiled step engine: same spikes as the TensorFlow.js step, every layer type (WASM and TS paths)', () => {
  compare(MIXED, 11, 0.3);
  compare(gesture({ height: 16, width: 16, classes: 4, widthMult: 0.5 }), 21, 0.2);
});
