/**
 * Model specification: a backbone (ordered layers) plus skip connections, as JSON.
 *
 * Layer i reads the output of layer i-1 (layer 0 reads the input frames [H, W, 2K], K sub-bins).
 * A skip {from, to, type} takes the output of layer `from` (from < to):
 *  - ASC (addition, ResNet-style) adds it to the pre-activation of layer `to` (after BN,
 *    before the neuron), as REF-8 does;
 *  - DSC (concatenation, DenseNet-style) concatenates it to the input of layer `to` along
 *    channels; with `project: true` the source first goes through a 1x1 convolution to the
 *    channel count of `to`'s main input, so the concatenation adds that many channels, not the
 *    source's;
 *  - SEW (spike-element-wise ADD, SEW-ResNet) adds it to the output *spikes* of layer `to`
 *    (after its neuron), so the identity path carries spikes past the neuron and the sum goes on
 *    to the next layer. `to` must be spiking and have the source's channel count.
 * When shapes differ the skip is adapted: average pooling by an integer factor when the source
 * is spatially larger, and for ASC a 1x1 convolution when channel counts differ. The adaptation
 * is written back into the resolved spec (`adapt`). Skips may only end at conv / dwconv layers.
 */
import { readFile } from 'node:fs/promises';
import { denoiseProblem, STEPPINGS, subBinsProblem, type DenoiseSetting, type Preprocessing, type Stepping } from './model-api.js';
import { neuronProblems, type NeuronConfig } from './neuron.js';

export type LayerSpec =
  | { type: 'conv'; out: number; kernel?: number; bn?: boolean; neuron?: NeuronConfig | null }
  | { type: 'dwconv'; kernel?: number; bn?: boolean; neuron?: NeuronConfig | null }
  | { type: 'pool'; kind?: 'avg' | 'max'; size?: number }
  | { type: 'gap' }
  | { type: 'linear'; out: number; neuron?: NeuronConfig | null };

export type SkipType = 'ASC' | 'DSC' | 'SEW';

export const SKIP_TYPES: readonly SkipType[] = ['ASC', 'DSC', 'SEW'];

export interface SkipAdapt {
  /** Average-pooling factor applied to the source (1 = none). */
  pool: number;
  /** 1x1 projection: to `to`'s output channels (ASC), or to its main input's channels (DSC with `project`). */
  project: boolean;
}

export interface SkipSpec {
  from: number;
  to: number;
  type: SkipType;
  /** DSC only: project the source (1x1 convolution) to the channel count of `to`'s main input. */
  project?: boolean;
  /** Filled in by resolveSpec. */
  adapt?: SkipAdapt;
}

/**
 * How a spec's input frames are made from events, recorded by the search that trained it (the
 * spatial size is `input`): `spikeline train --spec` bins the data the same way.
 */
export interface SpecTraining {
  /** Integer spatial downsample of the sensor. */
  downsample: number;
  /** Time steps per sample. */
  steps: number;
  /** Event time per step, µs. */
  stepUs: number;
  encoding: Preprocessing['encoding'];
  /** Temporal sub-bins per step as input channels (absent: 1; input.channels is 2·subBins). */
  subBins?: number;
  /** How windows are cut into steps (absent: 'stretch', what specs before the field were searched with; Preprocessing.stepping). */
  stepping?: Stepping;
  /** Background-activity filter over each recording before binning (absent: none; Preprocessing.denoise). */
  denoise?: DenoiseSetting;
}

export const ENCODINGS: readonly Preprocessing['encoding'][] = ['count', 'clip', 'binary', 'log'];

export interface ModelSpec {
  name?: string;
  input: { height: number; width: number; channels: number };
  /** Input preparation the spec was searched with (absent in hand-written specs). */
  training?: SpecTraining;
  classes: number;
  /** Default neuron for every layer whose `neuron` is undefined (null = no neuron). */
  neuron?: NeuronConfig;
  layers: LayerSpec[];
  skips: SkipSpec[];
}

export interface Shape3 {
  h: number;
  w: number;
  c: number;
}

/** A spec whose skips carry their adaptation, plus the shapes of every layer. */
export interface ResolvedSpec {
  spec: ModelSpec;
  /** Shape of the main input of each layer (before DSC concatenation). */
  inShapes: Shape3[];
  /** Shape of each layer's input after DSC concatenation. */
  catShapes: Shape3[];
  outShapes: Shape3[];
}

export class SpecError extends Error {
  constructor(readonly reasons: string[]) {
    super(`invalid model spec: ${reasons.join('; ')}`);
    this.name = 'SpecError';
  }
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function layerNeuron(spec: ModelSpec, l: LayerSpec): NeuronConfig | null {
  if (l.type !== 'conv' && l.type !== 'dwconv' && l.type !== 'linear') return null;
  if (l.neuron === null) return null;
  return l.neuron ?? spec.neuron ?? { kind: 'lif' };
}

export { layerNeuron };

/** Checks a spec and computes shapes and skip adaptations; reasons are collected, not thrown. */
export function tryResolveSpec(input: unknown): { resolved: ResolvedSpec | null; reasons: string[] } {
  const reasons: string[] = [];
  const spec = input as ModelSpec;
  if (typeof spec !== 'object' || spec === null) return { resolved: null, reasons: ['spec: must be an object'] };
  const inp = spec.input;
  if (!inp || !isPosInt(inp.height) || !isPosInt(inp.width) || !isPosInt(inp.channels)) reasons.push('input: height, width and channels must be positive integers');
  if (!isPosInt(spec.classes) || spec.classes < 2) reasons.push('classes: must be an integer >= 2');
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) reasons.push('layers: must be a non-empty array');
  if (spec.skips !== undefined && !Array.isArray(spec.skips)) reasons.push('skips: must be an array');
  if (spec.neuron) reasons.push(...neuronProblems(spec.neuron, 'neuron'));
  if (spec.training !== undefined) {
    const problems = trainingProblems(spec.training);
    reasons.push(...problems);
    const k = spec.training.subBins ?? 1;
    if (problems.length === 0 && isPosInt(inp?.channels) && inp.channels !== 2 * k) reasons.push(`input.channels: ${inp.channels}, but training.subBins ${k} makes frames of ${2 * k} channels (ON and OFF per sub-bin)`);
  }
  if (reasons.length) return { resolved: null, reasons };

  const skips = spec.skips ?? [];
  const inShapes: Shape3[] = [];
  const catShapes: Shape3[] = [];
  const outShapes: Shape3[] = [];
  const resolvedSkips: SkipSpec[] = skips.map((s) => ({ ...s }));
  let cur: Shape3 = { h: inp.height, w: inp.width, c: inp.channels };
  let flat = false;
  spec.layers.forEach((l, i) => {
    const at = `layers[${i}]`;
    inShapes.push(cur);
    let catC = cur.c;
    resolvedSkips.forEach((s, k) => {
      if (s.to !== i || s.type !== 'DSC' || !outShapes[s.from]) return;
      const src = outShapes[s.from]!;
      const pool = adaptPool(src, cur, `skips[${k}]`, reasons);
      if (pool) {
        s.adapt = { pool, project: s.project === true };
        catC += s.project === true ? cur.c : src.c;
      }
    });
    const cat: Shape3 = { ...cur, c: catC };
    catShapes.push(cat);
    const neuron = layerNeuron(spec, l);
    if (neuron) reasons.push(...neuronProblems(neuron, `${at}.neuron`));
    switch (l.type) {
      case 'conv':
      case 'dwconv': {
        const k = l.kernel ?? 3;
        if (flat) reasons.push(`${at}: ${l.type} after a linear layer (input is flat)`);
        if (!isPosInt(k) || k % 2 === 0) reasons.push(`${at}.kernel: ${k} must be a positive odd integer`);
        if (l.type === 'conv' && !isPosInt(l.out)) reasons.push(`${at}.out: must be a positive integer`);
        cur = { ...cat, c: l.type === 'conv' ? l.out : cat.c };
        break;
      }
      case 'pool': {
        const k = l.size ?? 2;
        if (!isPosInt(k)) reasons.push(`${at}.size: must be a positive integer`);
        else if (cat.h % k || cat.w % k) reasons.push(`${at}: input ${cat.h}x${cat.w} is not divisible by pool size ${k}`);
        if (l.kind !== undefined && l.kind !== 'avg' && l.kind !== 'max') reasons.push(`${at}.kind: "${String(l.kind)}" is not avg or max`);
        cur = { h: Math.floor(cat.h / k), w: Math.floor(cat.w / k), c: cat.c };
        break;
      }
      case 'gap':
        cur = { h: 1, w: 1, c: cat.c };
        break;
      case 'linear':
        if (!isPosInt(l.out)) reasons.push(`${at}.out: must be a positive integer`);
        cur = { h: 1, w: 1, c: l.out };
        flat = true;
        break;
      default:
        reasons.push(`${at}.type: "${String((l as { type: unknown }).type)}" is not one of conv, dwconv, pool, gap, linear`);
    }
    outShapes.push(cur);
    resolvedSkips.forEach((s, k) => {
      if (s.to !== i || (s.type !== 'ASC' && s.type !== 'SEW') || !outShapes[s.from]) return;
      const src = outShapes[s.from]!;
      const pool = adaptPool(src, cur, `skips[${k}]`, reasons);
      if (!pool) return;
      if (s.type === 'ASC') s.adapt = { pool, project: src.c !== cur.c };
      else if (src.c !== cur.c) reasons.push(`skips[${k}]: SEW adds spikes channel by channel, source has ${src.c} channels, target ${cur.c}`);
      else if (!neuron) reasons.push(`skips[${k}]: SEW adds to the spikes of layer ${s.to}, which has no neuron`);
      else s.adapt = { pool, project: false };
    });
  });
  const n = spec.layers.length;
  resolvedSkips.forEach((s, k) => {
    const at = `skips[${k}]`;
    if (!SKIP_TYPES.includes(s.type)) reasons.push(`${at}.type: "${String(s.type)}" is not one of ${SKIP_TYPES.join(', ')}`);
    if (s.project !== undefined && (s.type !== 'DSC' || typeof s.project !== 'boolean')) reasons.push(`${at}.project: only a DSC skip takes project (true or false)`);
    if (!Number.isInteger(s.from) || !Number.isInteger(s.to) || s.from < 0 || s.to >= n) {
      reasons.push(`${at}: from/to must be layer indices in 0..${n - 1}`);
      return;
    }
    if (s.from >= s.to) reasons.push(`${at}: from (${s.from}) must be an earlier layer than to (${s.to})`);
    const target = spec.layers[s.to]!;
    if (target.type !== 'conv' && target.type !== 'dwconv') reasons.push(`${at}: skips must end at a conv or dwconv layer, layer ${s.to} is ${target.type}`);
    const src = spec.layers[s.from]!;
    if (src.type === 'linear') reasons.push(`${at}: source layer ${s.from} is linear (flat output)`);
  });
  const seen = new Set<string>();
  resolvedSkips.forEach((s, k) => {
    const key = `${s.from}>${s.to}`;
    if (seen.has(key)) reasons.push(`skips[${k}]: duplicate skip ${s.from} -> ${s.to}`);
    seen.add(key);
  });
  if (reasons.length) return { resolved: null, reasons };
  return { resolved: { spec: { ...spec, skips: resolvedSkips }, inShapes, catShapes, outShapes }, reasons };
}

function trainingProblems(t: SpecTraining): string[] {
  if (typeof t !== 'object' || t === null) return ['training: must be an object'];
  const reasons: string[] = [];
  if (!isPosInt(t.downsample)) reasons.push('training.downsample: must be a positive integer');
  if (!isPosInt(t.steps)) reasons.push('training.steps: must be a positive integer');
  if (!(typeof t.stepUs === 'number' && t.stepUs > 0)) reasons.push('training.stepUs: must be a number > 0');
  if (!ENCODINGS.includes(t.encoding)) reasons.push(`training.encoding: must be one of ${ENCODINGS.join(', ')}`);
  if (t.subBins !== undefined) {
    const bad = subBinsProblem(t.subBins, t.stepUs);
    if (bad) reasons.push(`training.subBins: ${bad}`);
  }
  if (t.stepping !== undefined && !STEPPINGS.includes(t.stepping)) reasons.push(`training.stepping: must be one of ${STEPPINGS.join(', ')}`);
  if (t.denoise !== undefined) {
    const bad = denoiseProblem(t.denoise);
    if (bad) reasons.push(`training.${bad}`);
  }
  return reasons;
}

function adaptPool(src: Shape3, dst: Shape3, at: string, reasons: string[]): number {
  if (src.h < dst.h || src.w < dst.w) {
    reasons.push(`${at}: source ${src.h}x${src.w} is smaller than target ${dst.h}x${dst.w} (no upsampling)`);
    return 0;
  }
  const f = src.h / dst.h;
  if (!Number.isInteger(f) || src.w / dst.w !== f) {
    reasons.push(`${at}: source ${src.h}x${src.w} is not an integer multiple of target ${dst.h}x${dst.w}`);
    return 0;
  }
  return f;
}

/** Output channels of a projected skip's 1x1 convolution (see SkipAdapt.project). */
export function projectionChannels(r: ResolvedSpec, s: SkipSpec): number {
  return (s.type === 'DSC' ? r.inShapes[s.to]! : r.outShapes[s.to]!).c;
}

/** Reasons the spec is invalid; empty when it can be built. */
export function validateSpec(spec: unknown): string[] {
  return tryResolveSpec(spec).reasons;
}

/** Resolves the spec or throws SpecError listing every reason. */
export function resolveSpec(spec: ModelSpec): ResolvedSpec {
  const { resolved, reasons } = tryResolveSpec(spec);
  if (!resolved) throw new SpecError(reasons);
  return resolved;
}

/**
 * Reads a model spec JSON file (what `spikeline search report --export` writes), refusing with
 * the file name: a file that is not JSON, a spec of the synthetic search objective (it describes
 * no network), and an invalid spec (every reason listed).
 */
export async function readSpecFile(path: string): Promise<ModelSpec> {
  let spec: unknown;
  try {
    spec = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw new Error(`${path}: cannot read the spec file (${(err as NodeJS.ErrnoException).code})`);
    throw new Error(`${path}: not a JSON model spec (spikeline search report --export writes one)`);
  }
  if ((spec as { backbone?: unknown } | null)?.backbone === 'synthetic') {
    throw new Error(
      `${path}: a spec of the synthetic search objective (a study made with --backbone synthetic), which stands for no network and cannot be trained; export a spec from a study of an SNN backbone (--backbone NAME --data DIR)`,
    );
  }
  const reasons = validateSpec(spec);
  if (reasons.length) throw new Error(`${path}: invalid model spec: ${reasons.join('; ')}`);
  return spec as ModelSpec;
}
