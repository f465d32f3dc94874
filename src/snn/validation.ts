/**
 * Validation splits that hold out whole recordings or whole people. Validating on other gestures
 * of the people a network trains on rewards memorising those people (a wider network won on such
 * a split and did no better on any test set of unseen people), so model selection wants people,
 * or at least recordings, that training never sees.
 */
import { appendTo } from '../util/multimap.js';

export const VALIDATION_GROUPS = ['sample', 'recording', 'user'] as const;
/** What splitValidation holds out: single samples, whole recordings, or whole people. */
export type ValidationGroup = (typeof VALIDATION_GROUPS)[number];

/** The parts of a sample a split looks at (LabelledEvents has them). */
export interface Groupable {
  label: number;
  source?: string;
  recording?: string;
  user?: string;
}

/**
 * Holds out about round(G · fraction) of the G groups (at least one, never all), at evenly spaced
 * positions in order of first appearance, then mends class coverage: a class whose groups were all
 * held out gets its last one back, and a class in two or more groups without validation samples
 * has its smallest group held out when that leaves every class some training samples. No
 * randomness: the same samples give the same split. Throws when a sample names no group or there
 * are fewer than two groups.
 */
export function splitByGroup<T extends Groupable>(train: readonly T[], fraction: number, by: 'recording' | 'user'): { train: T[]; val: T[] } {
  const members = new Map<string, number[]>();
  train.forEach((s, i) => {
    const key = s[by];
    if (key === undefined) {
      const hint = by === 'user' ? ' (CIFAR10-DVS samples name no person: hold out by recording, each sample is its own)' : '';
      throw new Error(`validation by ${by}: sample ${s.source ?? i} names no ${by}${hint}`);
    }
    appendTo(members, key, i);
  });
  const keys = [...members.keys()];
  if (keys.length < 2) {
    throw new Error(`validation by ${by}: the training data has ${keys.length ? `one ${by} (${keys[0]})` : `no ${by}`}; holding one out needs two or more`);
  }
  const k = Math.min(keys.length - 1, Math.max(1, Math.round(keys.length * fraction)));
  const held = new Set<string>();
  for (let j = 0; j < k; j++) held.add(keys[Math.floor(((j + 0.5) * keys.length) / k)]!);

  const labelsOf = new Map(keys.map((g) => [g, new Set(members.get(g)!.map((i) => train[i]!.label))]));
  const groupsOf = new Map<number, string[]>();
  for (const g of keys) for (const c of labelsOf.get(g)!) appendTo(groupsOf, c, g);
  const classes = [...groupsOf.keys()].sort((a, b) => a - b);
  const trained = (c: number, without?: string) => groupsOf.get(c)!.some((g) => g !== without && !held.has(g));
  for (const c of classes) if (!trained(c)) held.delete(groupsOf.get(c)!.at(-1)!);
  for (const c of classes) {
    const groups = groupsOf.get(c)!;
    if (groups.length < 2 || groups.some((g) => held.has(g))) continue;
    const size = (g: string) => members.get(g)!.length;
    const fits = groups.filter((g) => [...labelsOf.get(g)!].every((d) => trained(d, g)));
    const pick = fits.reduce<string | undefined>((best, g) => (best === undefined || size(g) < size(best) ? g : best), undefined);
    if (pick !== undefined) held.add(pick);
  }
  const isHeld = (s: T) => held.has(s[by]!);
  return { train: train.filter((s) => !isHeld(s)), val: train.filter(isHeld) };
}
