/**
 * Model folders: everything a pipeline needs to run a trained SNN.
 *   model.json          format tag, class names, training summary and a tfjs weightsManifest
 *   weights.bin         float32 little-endian weights in manifest order (tfjs layout)
 *   spec.json           the resolved ModelSpec (skips with their adaptation)
 *   preprocessing.json  how events become input frames (Preprocessing; subBins absent = 1, denoise absent = none)
 */
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { denoiseProblem, inputChannels, subBinsProblem, type Preprocessing } from './model-api.js';
import { buildModel, type SnnModel } from './model.js';
import { ENCODINGS, type ModelSpec } from './spec.js';
import { SnnStreamingModel, type ResetPolicy } from './streaming.js';
import { initBackend } from './backend.js';

export const MODEL_FORMAT = 'spikeline-snn/1';

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface ModelJson {
  format: string;
  classes: string[];
  /** Free-form training summary (accuracy, epochs, time). */
  meta?: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

export interface SavedModel {
  model: SnnModel;
  classes: string[];
  preprocessing: Preprocessing;
  meta?: Record<string, unknown>;
}

export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

/** Writes a model folder (created if missing; files replaced atomically one by one). */
export async function saveModel(dir: string, saved: SavedModel): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ws = saved.model.weights();
  const total = ws.reduce((a, w) => a + w.data.length, 0);
  const bin = new Float32Array(total);
  let off = 0;
  for (const w of ws) {
    bin.set(w.data, off);
    off += w.data.length;
  }
  const json: ModelJson = {
    format: MODEL_FORMAT,
    classes: saved.classes,
    ...(saved.meta ? { meta: saved.meta } : {}),
    weightsManifest: [{ paths: ['weights.bin'], weights: ws.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })) }],
  };
  await writeAtomic(join(dir, 'weights.bin'), new Uint8Array(bin.buffer));
  await writeAtomic(join(dir, 'spec.json'), JSON.stringify(saved.model.spec, null, 2) + '\n');
  await writeAtomic(join(dir, 'preprocessing.json'), JSON.stringify(saved.preprocessing, null, 2) + '\n');
  await writeAtomic(join(dir, 'model.json'), JSON.stringify(json, null, 2) + '\n');
}

async function readJson<T>(path: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${path}: invalid JSON (${(err as Error).message})`);
  }
}

const PREPROCESSING_FIELDS = ['sensorWidth', 'sensorHeight', 'downsample', 'height', 'width', 'stepUs', 'steps'] as const;

function checkPreprocessing(p: Preprocessing, path: string): Preprocessing {
  for (const f of PREPROCESSING_FIELDS) {
    if (!(typeof p[f] === 'number' && p[f] > 0)) throw new Error(`${path}: field ${f} must be a positive number`);
  }
  if (!ENCODINGS.includes(p.encoding)) throw new Error(`${path}: field encoding must be one of ${ENCODINGS.join(', ')}`);
  // Absent in folders written before sub-bins existed: 1.
  const bad = p.subBins === undefined ? undefined : subBinsProblem(p.subBins, p.stepUs);
  if (bad) throw new Error(`${path}: field subBins ${bad}`);
  // Absent in folders written before denoise existed, and in models trained without it: none.
  const badDenoise = p.denoise === undefined ? undefined : denoiseProblem(p.denoise);
  if (badDenoise) throw new Error(`${path}: field ${badDenoise}`);
  return p;
}

/** Loads a model folder written by saveModel (initialises the backend if needed). */
export async function loadModel(dir: string): Promise<SavedModel> {
  await initBackend();
  const json = await readJson<ModelJson>(join(dir, 'model.json'));
  if (json.format !== MODEL_FORMAT) throw new Error(`${join(dir, 'model.json')}: format "${json.format}" is not ${MODEL_FORMAT}`);
  const spec = await readJson<ModelSpec>(join(dir, 'spec.json'));
  const preprocessing = checkPreprocessing(await readJson<Preprocessing>(join(dir, 'preprocessing.json')), join(dir, 'preprocessing.json'));
  if (spec.input?.channels !== inputChannels(preprocessing)) {
    throw new Error(`${join(dir, 'spec.json')}: input.channels is ${spec.input?.channels}, but preprocessing.json's subBins ${preprocessing.subBins ?? '(absent: 1)'} makes frames of ${inputChannels(preprocessing)} channels (ON and OFF per sub-bin)`);
  }
  const model = buildModel(spec);
  const group = json.weightsManifest[0];
  if (!group) throw new Error(`${join(dir, 'model.json')}: weightsManifest is empty`);
  const binPath = join(dir, group.paths[0] ?? 'weights.bin');
  const buf = await readFile(binPath);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const ws: { name: string; shape: number[]; data: Float32Array }[] = [];
  let off = 0;
  for (const w of group.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (off + n > all.length) throw new Error(`${binPath}: ${all.length * 4} bytes, too short for weight ${w.name} at offset ${off * 4}`);
    ws.push({ name: w.name, shape: w.shape, data: all.subarray(off, off + n) });
    off += n;
  }
  if (off !== all.length) throw new Error(`${binPath}: ${(all.length - off) * 4} bytes left after the last weight`);
  model.setWeights(ws, binPath);
  return { model, classes: json.classes, preprocessing, ...(json.meta ? { meta: json.meta } : {}) };
}

/** Loads a model folder as a StreamingModel. */
export async function loadStreamingModel(dir: string, resetPolicy: ResetPolicy = 'manual'): Promise<SnnStreamingModel> {
  const m = await loadModel(dir);
  return new SnnStreamingModel(m.model, { classes: m.classes, preprocessing: m.preprocessing, resetPolicy });
}
