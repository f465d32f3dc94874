/**
 * Named search targets for the CLI: `synthetic` (the cheap known-optimum objective, no data
 * needed) and, through snn-target.ts, the SNN engine's backbones trained on a dataset.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BACKBONES } from '../snn/backbones.js';
import type { TargetRef } from './objective.js';
import { SearchConfigError } from './run.js';
import { SNN_TARGET_MODULE, isBackboneName, type SnnTargetOptions } from './snn-target.js';
import { SYNTHETIC_MODULE, type SyntheticOptions } from './synthetic.js';

export function syntheticTargetRef(options: SyntheticOptions = {}): TargetRef {
  return { module: SYNTHETIC_MODULE, export: 'syntheticTarget', options: { backbone: 'synthetic', ...options } };
}

export const SEARCH_BACKBONES: readonly string[] = ['synthetic', ...BACKBONES];

export interface TargetChoice {
  data?: string;
  widthMult: number;
  steps: number;
  size: number;
  trainLimit?: number;
  lr?: number;
  batchSize?: number;
  threshold?: number;
  /** Validation held out by recording or person (absent: by sample). */
  valBy?: SnnTargetOptions['valBy'];
  stepping?: SnnTargetOptions['stepping'];
}

/** The target of `spikeline search --backbone NAME`. */
export function searchTargetRef(name: string, choice: TargetChoice): TargetRef {
  if (name === 'synthetic') return syntheticTargetRef();
  if (!isBackboneName(name)) throw new SearchConfigError(`--backbone must be one of ${SEARCH_BACKBONES.join(', ')}, got "${name}"`);
  if (choice.data === undefined) throw new SearchConfigError(`--data DIR is required for backbone ${name}`);
  if (!existsSync(choice.data)) throw new SearchConfigError(`--data ${choice.data}: no such folder`);
  const options: SnnTargetOptions = { backbone: name, data: resolve(choice.data), widthMult: choice.widthMult, steps: choice.steps, size: choice.size, limit: choice.trainLimit, lr: choice.lr, batchSize: choice.batchSize, threshold: choice.threshold, ...(choice.valBy ? { valBy: choice.valBy } : {}), ...(choice.stepping ? { stepping: choice.stepping } : {}) };
  return { module: SNN_TARGET_MODULE, export: 'snnTarget', options };
}
