/**
 * Multi-fidelity pruning over epochs. ASHA (asynchronous successive halving, Li et al. 2020):
 * rungs sit at minEpochs·eta^k epochs; a trial reaching a rung continues only if its accuracy
 * there (the study passes each trial's best so far) is within the top 1/eta of every accuracy
 * recorded at that rung so far (by any trial, finished or running), otherwise it stops.
 * Asynchronous promotion suits parallel workers: no trial waits for a full rung to fill, at the
 * price of early trials being judged on few peers.
 * Pruning always looks at accuracy (the objective every study maximises), also in
 * multi-objective studies: a configuration that cannot learn is not worth its energy figures.
 */
export interface Pruner {
  readonly name: string;
  /** True when the trial should stop after `epoch` (1-based) given the accuracies recorded at that epoch by other trials. */
  shouldPrune(epoch: number, accuracy: number, peers: readonly number[]): boolean;
}

export class NoPruner implements Pruner {
  readonly name = 'none';
  shouldPrune(): boolean {
    return false;
  }
}

export interface AshaOptions {
  /** First rung, in epochs (default 1). */
  minEpochs?: number;
  /** Reduction factor: the top 1/eta of a rung go on (default 3). */
  eta?: number;
  /** A rung decides only once it holds at least this many accuracies, this trial's included (default 2). */
  minPeers?: number;
}

export class AshaPruner implements Pruner {
  readonly name = 'asha';
  readonly minEpochs: number;
  readonly eta: number;
  readonly minPeers: number;

  constructor(options: AshaOptions = {}) {
    this.minEpochs = options.minEpochs ?? 1;
    this.eta = options.eta ?? 3;
    this.minPeers = options.minPeers ?? 2;
    if (!(Number.isInteger(this.minEpochs) && this.minEpochs >= 1)) throw new RangeError(`asha minEpochs must be an integer >= 1, got ${this.minEpochs}`);
    if (!(this.eta >= 2)) throw new RangeError(`asha eta must be >= 2, got ${this.eta}`);
  }

  /** True when `epoch` is a rung: minEpochs·eta^k for some k >= 0. */
  isRung(epoch: number): boolean {
    for (let r = this.minEpochs; r <= epoch; r *= this.eta) {
      if (Math.abs(r - epoch) < 1e-9) return true;
    }
    return false;
  }

  shouldPrune(epoch: number, accuracy: number, peers: readonly number[]): boolean {
    if (!this.isRung(epoch)) return false;
    const all = [...peers, accuracy].filter(Number.isFinite).sort((a, b) => b - a);
    if (all.length < this.minPeers) return false;
    const keep = Math.max(1, Math.floor(all.length / this.eta));
    return !(accuracy >= all[keep - 1]!);
  }
}
