/**
 * Named search targets for the CLI: `synthetic` (the cheap known-optimum objective, no data
 * needed) and, through snn-target.ts, the SNN engine's backbones trained on a dataset.
 */
import type { TargetRef } from './objective.js';
import { SearchConfigError } from './run.js';
import { SYNTHETIC_MODULE, type SyntheticOptions } from './synthetic.js';

export function syntheticTargetRef(options: SyntheticOptions = {}): TargetRef {
  return { module: SYNTHETIC_MODULE, export: 'syntheticTarget', options: { backbone: 'synthetic', ...options } };
}

export const SEARCH_BACKBONES = ['synthetic'] as const;

export interface TargetChoice {
  data?: string;
  widthMult: number;
  steps: number;
  size: number;
  trainLimit?: number;
}

/** The target of `spikeline search --backbone NAME`. */
export function searchTargetRef(backbone: string, choice: TargetChoice): TargetRef {
  void choice;
  if (backbone === 'synthetic') return syntheticTargetRef();
  throw new SearchConfigError(`--backbone must be one of ${SEARCH_BACKBONES.join(', ')}, got "${backbone}"`);
}
