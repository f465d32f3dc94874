/**
 * Training checkpoints (OUT/checkpoint): the model folder after the last finished epoch, Adam's
 * or SGD's moments (optimizer.bin) and state.json (epoch, optimizer step, curves). The shuffle,
 * augmentation and learning rate need no state: each epoch reseeds them from (seed, epoch).
 *
 * A folder is replaced whole, never file by file: it is written beside as `DIR.next` and swapped
 * in by renames, so a training killed at any instant leaves one complete checkpoint (the previous
 * epoch's or this one's; settleFolder finishes a swap cut half-way) and a resume continues exactly
 * where that one ends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, saveModel, writeAtomic, type SavedModel } from './io.js';
import type { SnnModel } from './model.js';
import type { Preprocessing } from './model-api.js';

export interface OptimState {
  step: number;
  m: tf.Variable[];
  v: tf.Variable[];
}

/**
 * Replaces folder `dir` by what `write` puts in the empty folder it is given. `write` must create
 * `marker` last: a `.next` folder holding it is complete (see settleFolder).
 */
export async function replaceFolder(dir: string, write: (tmp: string) => Promise<void>): Promise<void> {
  const next = `${dir}.next`;
  const old = `${dir}.old`;
  await rm(next, { recursive: true, force: true });
  await write(next);
  await rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, old);
  await rename(next, dir);
  await rm(old, { recursive: true, force: true });
}

/**
 * Whether `dir` holds a complete folder written by replaceFolder (with `marker`), after finishing a
 * swap a kill cut between its two renames (only `.next` left, complete).
 */
export async function settleFolder(dir: string, marker: string): Promise<boolean> {
  if (existsSync(join(dir, marker))) return true;
  if (!existsSync(join(`${dir}.next`, marker))) return false;
  await rm(dir, { recursive: true, force: true });
  await rename(`${dir}.next`, dir);
  return true;
}

export async function saveCheckpoint<C>(dir: string, saved: Omit<SavedModel, 'meta'>, st: OptimState, epoch: number, curves: C[]): Promise<void> {
  await replaceFolder(dir, async (tmp) => {
    await saveModel(tmp, saved);
    const parts = [...st.m, ...st.v].map((t) => t.dataSync() as Float32Array);
    const bin = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of parts) {
      bin.set(p, off);
      off += p.length;
    }
    await writeFile(join(tmp, 'optimizer.bin'), new Uint8Array(bin.buffer));
    await writeAtomic(join(tmp, 'state.json'), JSON.stringify({ epoch, step: st.step, curves }) + '\n');
  });
}

/** Whether `dir` holds a checkpoint to resume from. */
export function hasCheckpoint(dir: string): Promise<boolean> {
  return settleFolder(dir, 'state.json');
}

/** Loads a checkpoint into the model's weights and the optimizer state; returns its epoch, curves and the frames it was trained on. */
export async function loadCheckpoint<C>(dir: string, model: SnnModel, st: OptimState): Promise<{ epoch: number; curves: C[]; preprocessing: Preprocessing }> {
  const saved = await loadModel(dir);
  model.setWeights(saved.model.weights(), dir);
  saved.model.dispose();
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { epoch: number; step: number; curves: C[] };
  const buf = await readFile(join(dir, 'optimizer.bin'));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let off = 0;
  for (const t of [...st.m, ...st.v]) {
    if (off + t.size > all.length) throw new Error(`${join(dir, 'optimizer.bin')}: too short for the model's optimizer state`);
    tf.tidy(() => t.assign(tf.tensor(all.subarray(off, off + t.size), t.shape)));
    off += t.size;
  }
  st.step = state.step;
  return { epoch: state.epoch, curves: state.curves, preprocessing: saved.preprocessing };
}
