/**
 * Multi-objective helpers. Values are compared after turning every objective into one to
 * minimise (maximised objectives are negated), so "a dominates b" means a is no worse in every
 * objective and strictly better in at least one.
 */
export type Direction = 'maximize' | 'minimize';

/** Objective values as minimisation losses. */
export function toLoss(values: readonly number[], directions: readonly Direction[]): number[] {
  return values.map((v, i) => (directions[i] === 'maximize' ? -v : v));
}

export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) strictly = true;
  }
  return strictly;
}

/**
 * Non-dominated sorting (Deb et al., NSGA-II): returns the rank of every point, 0 for the
 * Pareto front, 1 for the front once rank 0 is removed, and so on. `losses` are minimised.
 */
export function nondominatedRanks(losses: readonly (readonly number[])[]): number[] {
  const n = losses.length;
  const dominatedBy = new Array<number>(n).fill(0);
  const dominating: number[][] = losses.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(losses[i]!, losses[j]!)) {
        dominating[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominates(losses[j]!, losses[i]!)) {
        dominating[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  }
  const rank = new Array<number>(n).fill(-1);
  let current = [...Array(n).keys()].filter((i) => dominatedBy[i] === 0);
  let r = 0;
  while (current.length > 0) {
    const next: number[] = [];
    for (const i of current) {
      rank[i] = r;
      for (const j of dominating[i]!) if (--dominatedBy[j]! === 0) next.push(j);
    }
    current = next;
    r++;
  }
  return rank;
}

/** Indices of the non-dominated points (duplicates of a front point are all kept). */
export function paretoFront(losses: readonly (readonly number[])[]): number[] {
  return nondominatedRanks(losses).flatMap((r, i) => (r === 0 ? [i] : []));
}

/** NSGA-II crowding distance of each point within one front (boundary points get Infinity). */
export function crowdingDistance(losses: readonly (readonly number[])[]): number[] {
  const n = losses.length;
  const dist = new Array<number>(n).fill(0);
  if (n <= 2) return dist.fill(Infinity);
  const m = losses[0]!.length;
  for (let k = 0; k < m; k++) {
    const order = [...Array(n).keys()].sort((a, b) => losses[a]![k]! - losses[b]![k]!);
    const lo = losses[order[0]!]![k]!;
    const hi = losses[order[n - 1]!]![k]!;
    dist[order[0]!] = Infinity;
    dist[order[n - 1]!] = Infinity;
    if (hi === lo) continue;
    for (let i = 1; i < n - 1; i++) {
      dist[order[i]!]! += (losses[order[i + 1]!]![k]! - losses[order[i - 1]!]![k]!) / (hi - lo);
    }
  }
  return dist;
}

/** Hypervolume dominated by 2-objective minimisation points, bounded by `reference`. */
export function hypervolume2d(losses: readonly (readonly number[])[], reference: readonly [number, number]): number {
  const pts = losses
    .filter((p) => p[0]! < reference[0] && p[1]! < reference[1])
    .map((p) => [p[0]!, p[1]!] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let volume = 0;
  let bestY = reference[1];
  for (const [x, y] of pts) {
    if (y >= bestY) continue;
    volume += (reference[0] - x) * (bestY - y);
    bestY = y;
  }
  return volume;
}
