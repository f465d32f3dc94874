/**
 * CIFAR10-DVS layout (Li et al. 2017) — spec §5. A root folder with one folder per class
 * (`airplane` … `truck`, class id = index in CIFAR10_DVS_CLASSES) holding recordings named
 * `cifar10_<class>_<i>.aedat` (AEDAT 2.0, DVS128 layout, original figshare release) or
 * `.aedat4` (tonic's DV re-encoding).
 *
 * Split (there is no official one): per class, files are ordered by their index `i` (numeric;
 * then by name), and the first `testFraction` of them (default 0.1, rounded) are the test set —
 * for the full dataset exactly SpikingJelly's "i < 100 → test" split; the rest train.
 *
 * Orientation: `canonical` (x = 127 − rx, y = 127 − ry, ON = 1 − b) or `spikingjelly`
 * (transposed, to reproduce models trained with SpikingJelly's loader, spec §2.5). The
 * transpose applies to AEDAT 2.0 files only (the AEDAT 4 convention is unverified, spec §14).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventBatch } from '../events/index.js';
import { FormatError } from './errors.js';
import { readEvents } from './io.js';
import { encodeEvents } from './writer.js';

export const CIFAR10_DVS_CLASSES: readonly string[] = Object.freeze(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
export const CIFAR10_DVS_SENSOR = Object.freeze({ width: 128, height: 128 });

export interface Cifar10DvsEntry {
  path: string;
  classId: number;
  className: string;
  /** Recording index parsed from the name (`…_<i>.aedat`), or -1. */
  index: number;
  split: 'train' | 'test';
}

export interface Cifar10DvsOptions {
  /** Fraction of each class used as test set (first files by index). Default 0.1. */
  testFraction?: number;
}

function indexOf(name: string): number {
  const m = /(\d+)\.aedat4?$/i.exec(name);
  return m ? Number(m[1]) : -1;
}

/** Every recording of the layout with its class and split, classes in id order. */
export async function listCifar10Dvs(root: string, options: Cifar10DvsOptions = {}): Promise<Cifar10DvsEntry[]> {
  const fraction = options.testFraction ?? 0.1;
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`testFraction must be in [0, 1], got ${fraction}`);
  let dirs: string[];
  try {
    dirs = await readdir(root);
  } catch {
    throw new FormatError('CIFAR10-DVS root folder not readable', 0, root);
  }
  const out: Cifar10DvsEntry[] = [];
  let found = 0;
  for (const [classId, className] of CIFAR10_DVS_CLASSES.entries()) {
    const dir = dirs.find((d) => d.toLowerCase() === className);
    if (!dir) continue;
    found++;
    const files = (await readdir(join(root, dir))).filter((f) => /\.aedat4?$/i.test(f));
    files.sort((a, b) => indexOf(a) - indexOf(b) || (a < b ? -1 : a > b ? 1 : 0));
    const tests = Math.round(files.length * fraction);
    files.forEach((f, k) => out.push({ path: join(root, dir, f), classId, className, index: indexOf(f), split: k < tests ? 'test' : 'train' }));
  }
  if (found === 0) throw new FormatError(`no class folder (${CIFAR10_DVS_CLASSES.join(', ')})`, 0, root);
  return out;
}

/** Events of one recording in the chosen orientation. */
export async function loadCifar10DvsSample(entry: Cifar10DvsEntry, orientation: 'canonical' | 'spikingjelly' = 'canonical'): Promise<EventBatch> {
  return readEvents(entry.path, { layout: 'dvs128', transpose: orientation === 'spikingjelly' && !/\.aedat4$/i.test(entry.path) });
}

/** Writes one recording into the layout (`aedat2` as the original release, or `aedat4`). */
export async function writeCifar10DvsSample(root: string, classId: number, index: number, events: EventBatch, format: 'aedat2' | 'aedat4' = 'aedat2'): Promise<string> {
  const className = CIFAR10_DVS_CLASSES[classId];
  if (!className) throw new RangeError(`CIFAR10-DVS class id ${classId} outside 0..9`);
  const dir = join(root, className);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `cifar10_${className}_${index}.${format === 'aedat2' ? 'aedat' : 'aedat4'}`);
  await writeFile(path, await encodeEvents([events], { format, sensor: CIFAR10_DVS_SENSOR }));
  return path;
}
