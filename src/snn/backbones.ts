/**
 * Backbone factories: ANN architectures adapted to SNNs and scaled to the input size and a
 * width multiplier so they train on a 2-core CPU. All convolutions are stride 1 'same';
 * downsampling is 2x2 pooling (average by default, as in SpikingJelly's spiking ResNets for
 * event data). Each returns a ModelSpec whose skips the search may replace.
 */
import type { NeuronConfig } from './neuron.js';
import type { LayerSpec, ModelSpec, SkipSpec } from './spec.js';

export type BackboneName = 'plain' | 'resnet18' | 'densenet121' | 'mobilenetv2' | 'gesture' | 'ref8';
export const BACKBONES: readonly BackboneName[] = ['plain', 'resnet18', 'densenet121', 'mobilenetv2', 'gesture', 'ref8'];

export interface BackboneOptions {
  height?: number;
  width?: number;
  /** Input channels (2 polarities). */
  channels?: number;
  classes?: number;
  /** Channel width multiplier (default 1; 0.25-0.5 trains quickly on CPU). */
  widthMult?: number;
  neuron?: NeuronConfig;
}

const ch = (c: number, m: number): number => Math.max(4, Math.round(c * m));

/** Number of 2x poolings that keep at least a 4x4 map (at most `max`). */
function poolBudget(h: number, w: number, max: number): number {
  let n = 0;
  while (n < max && h % 2 === 0 && w % 2 === 0 && h / 2 >= 4 && w / 2 >= 4) {
    h /= 2;
    w /= 2;
    n++;
  }
  return n;
}

function base(name: string, o: BackboneOptions, layers: LayerSpec[], skips: SkipSpec[]): ModelSpec {
  return {
    name,
    input: { height: o.height ?? 32, width: o.width ?? 32, channels: o.channels ?? 2 },
    classes: o.classes ?? 11,
    ...(o.neuron ? { neuron: o.neuron } : {}),
    layers,
    skips,
  };
}

/** REF-8 exactly as shared/anchors/snn_torch.py (input 32x32x2, 11 classes). */
export function ref8(o: BackboneOptions = {}): ModelSpec {
  const layers: LayerSpec[] = [
    { type: 'conv', out: 32 },
    { type: 'conv', out: 32 },
    { type: 'conv', out: 32 },
    { type: 'pool', kind: 'avg', size: 2 },
    { type: 'conv', out: 64 },
    { type: 'conv', out: 64 },
    { type: 'pool', kind: 'avg', size: 2 },
    { type: 'conv', out: 128 },
    { type: 'conv', out: 128 },
    { type: 'pool', kind: 'avg', size: 2 },
  ];
  const skips: SkipSpec[] = [
    { from: 0, to: 2, type: 'ASC' },
    { from: 4, to: 5, type: 'ASC' },
    { from: 7, to: 8, type: 'ASC' },
  ];
  return base('ref8', { height: 32, width: 32, channels: 2, classes: 11, ...o }, layers, skips);
}

/** VGG-like: stages of conv-conv-pool, no skips. */
export function plain(o: BackboneOptions = {}): ModelSpec {
  const m = o.widthMult ?? 1;
  const stages = poolBudget(o.height ?? 32, o.width ?? 32, 3);
  const layers: LayerSpec[] = [];
  for (let s = 0; s < stages; s++) {
    const c = ch(32 << s, m);
    layers.push({ type: 'conv', out: c }, { type: 'conv', out: c }, { type: 'pool', kind: 'max', size: 2 });
  }
  return base('plain', o, layers, []);
}

/** ResNet-18-style: a stem, then stages of two basic blocks (conv-conv with an ASC around each). */
export function resnet18(o: BackboneOptions = {}): ModelSpec {
  const m = o.widthMult ?? 1;
  const stages = Math.min(4, poolBudget(o.height ?? 32, o.width ?? 32, 3) + 1);
  const layers: LayerSpec[] = [{ type: 'conv', out: ch(16, m) }];
  const skips: SkipSpec[] = [];
  for (let s = 0; s < stages; s++) {
    if (s > 0) layers.push({ type: 'pool', kind: 'avg', size: 2 });
    const c = ch(16 << s, m);
    for (let b = 0; b < 2; b++) {
      const from = layers.length - 1;
      layers.push({ type: 'conv', out: c }, { type: 'conv', out: c });
      skips.push({ from, to: layers.length - 1, type: 'ASC' });
    }
  }
  layers.push({ type: 'gap' });
  return base('resnet18', o, layers, skips);
}

/** DenseNet-121-style: dense blocks where every layer receives all earlier block outputs (DSC), with transition conv + pool. */
export function densenet121(o: BackboneOptions = {}): ModelSpec {
  const m = o.widthMult ?? 1;
  const growth = ch(12, m);
  const blocks = Math.min(3, poolBudget(o.height ?? 32, o.width ?? 32, 3) + 1);
  const perBlock = [3, 4, 4];
  const layers: LayerSpec[] = [{ type: 'conv', out: 2 * growth }];
  const skips: SkipSpec[] = [];
  for (let b = 0; b < blocks; b++) {
    const start = layers.length - 1; // block input
    const members: number[] = [start];
    for (let j = 0; j < perBlock[b]!; j++) {
      const idx = layers.length;
      layers.push({ type: 'conv', out: growth });
      // input = previous layer (main path) + every earlier member of the block except the direct predecessor
      for (const f of members) if (f !== idx - 1) skips.push({ from: f, to: idx, type: 'DSC' });
      members.push(idx);
    }
    if (b < blocks - 1) {
      const idx = layers.length;
      layers.push({ type: 'conv', out: ch(24 << b, m), kernel: 1 });
      for (const f of members) if (f !== idx - 1) skips.push({ from: f, to: idx, type: 'DSC' });
      layers.push({ type: 'pool', kind: 'avg', size: 2 });
    }
  }
  layers.push({ type: 'gap' });
  return base('densenet121', o, layers, skips);
}

/** MobileNetV2-style inverted residuals: 1x1 expand (spiking), 3x3 depthwise (spiking), 1x1 project (no neuron), ASC when shapes match. */
export function mobilenetv2(o: BackboneOptions = {}): ModelSpec {
  const m = o.widthMult ?? 1;
  const stages = Math.min(3, poolBudget(o.height ?? 32, o.width ?? 32, 3) + 1);
  const layers: LayerSpec[] = [{ type: 'conv', out: ch(16, m) }];
  const skips: SkipSpec[] = [];
  let c = ch(16, m);
  for (let s = 0; s < stages; s++) {
    if (s > 0) layers.push({ type: 'pool', kind: 'avg', size: 2 });
    const out = ch(16 << s, m);
    for (let b = 0; b < 2; b++) {
      const from = layers.length - 1;
      layers.push({ type: 'conv', out: out * 4, kernel: 1 }, { type: 'dwconv', kernel: 3 }, { type: 'conv', out, kernel: 1, neuron: null });
      if (c === out && b > 0) skips.push({ from, to: layers.length - 1, type: 'ASC' });
      c = out;
    }
  }
  // The last projection has no neuron: a spiking 1x1 conv turns it back into spikes.
  layers.push({ type: 'conv', out: ch(64, m), kernel: 1 }, { type: 'gap' });
  return base('mobilenetv2', o, layers, skips);
}

/** Compact gesture net (DVS gesture-sized): 4 conv-pool stages, one ASC. Small enough for quick CPU training. */
export function gesture(o: BackboneOptions = {}): ModelSpec {
  const m = o.widthMult ?? 1;
  const stages = poolBudget(o.height ?? 32, o.width ?? 32, 3);
  const layers: LayerSpec[] = [];
  const skips: SkipSpec[] = [];
  for (let s = 0; s < stages; s++) {
    const c = ch(16 << Math.min(s, 2), m);
    layers.push({ type: 'conv', out: c });
    if (s === 1) {
      layers.push({ type: 'conv', out: c });
      skips.push({ from: layers.length - 2, to: layers.length - 1, type: 'ASC' });
    }
    layers.push({ type: 'pool', kind: 'avg', size: 2 });
  }
  return base('gesture', o, layers, skips);
}

const FACTORIES: Record<BackboneName, (o?: BackboneOptions) => ModelSpec> = { plain, resnet18, densenet121, mobilenetv2, gesture, ref8 };

export function backbone(name: BackboneName, o: BackboneOptions = {}): ModelSpec {
  const f = FACTORIES[name];
  if (!f) throw new Error(`unknown backbone "${name}": expected one of ${BACKBONES.join(', ')}`);
  return f(o);
}
