/**
 * Accuracy by randomisation family: reads the per-trial and per-row draws a synthetic folder's
 * `synthetic.json` recorded and groups per-sample correctness by each family's tag (e.g.
 * texture=striped, thresholds=0.3-0.4, distance=far, style=c), so a held-out family can be read
 * value by value. Samples are named `trial#row` (the CSV row), as the dataset loader names them.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gestureTags, type GestureDomain } from './domain.js';
import { MANIFEST } from './dataset.js';

/** Family tags of one trial and of each of its CSV rows. */
export interface TrialTags {
  trial: Record<string, string>;
  rows: Record<string, string>[];
}

export interface DomainGroup {
  family: string;
  value: string;
  correct: number;
  total: number;
}

interface ManifestTrial {
  name: string;
  domain?: { tags: Record<string, string> };
  rows?: { domain?: GestureDomain }[];
}

/**
 * Tags of every trial of the folder's manifest. Throws naming the file when it is missing or was
 * generated without domain randomisation (nothing to group by).
 */
export async function readTrialTags(root: string): Promise<Map<string, TrialTags>> {
  const path = join(root, MANIFEST);
  let manifest: { trials?: ManifestTrial[] };
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as { trials?: ManifestTrial[] };
  } catch (err) {
    throw new Error(`${path}: cannot read the synthetic dataset manifest (${(err as Error).message}); --by-domain needs a folder written by spikeline simulate gesture`);
  }
  const out = new Map<string, TrialTags>();
  for (const t of manifest.trials ?? []) {
    const lighting = /^user\d+_(.+)$/.exec(t.name)?.[1] ?? 'unknown';
    out.set(t.name, {
      trial: { lighting, ...(t.domain?.tags ?? {}) },
      rows: (t.rows ?? []).map((r) => (r.domain ? gestureTags(r.domain) : {})),
    });
  }
  if (![...out.values()].some((t) => Object.keys(t.trial).length > 1)) {
    throw new Error(`${path}: no trial has domain-randomisation draws (generated with --domain off?), nothing to group by`);
  }
  return out;
}

/**
 * Correct / total per (family, value) over samples named `trial#row`, with their true labels and
 * predictions in the same order. Samples of trials the manifest does not know are an error.
 */
export function accuracyByDomain(
  samples: readonly { source?: string; label: number }[], predictions: readonly number[], tags: ReadonlyMap<string, TrialTags>,
): DomainGroup[] {
  if (samples.length !== predictions.length) throw new RangeError(`${samples.length} samples but ${predictions.length} predictions`);
  const groups = new Map<string, DomainGroup>();
  samples.forEach((s, k) => {
    const m = /^(.+)#(\d+)$/.exec(s.source ?? '');
    const t = m ? tags.get(m[1]!) : undefined;
    if (!m || !t) throw new Error(`sample "${s.source}" is not a trial#row of the manifest`);
    const all = { ...t.trial, ...(t.rows[Number(m[2])] ?? {}) };
    for (const [family, value] of Object.entries(all)) {
      const key = `${family}\u0000${value}`;
      const g = groups.get(key) ?? { family, value, correct: 0, total: 0 };
      g.total++;
      if (predictions[k] === s.label) g.correct++;
      groups.set(key, g);
    }
  });
  return [...groups.values()].sort((a, b) => a.family.localeCompare(b.family) || a.value.localeCompare(b.value, 'en', { numeric: true }));
}

/** One line per family: `family  value 93.1 % (27/29)  value ...`. */
export function formatByDomain(groups: readonly DomainGroup[]): string {
  const byFamily = new Map<string, DomainGroup[]>();
  for (const g of groups) byFamily.set(g.family, [...(byFamily.get(g.family) ?? []), g]);
  const w = Math.max(...[...byFamily.keys()].map((f) => f.length), 6);
  const lines = ['accuracy by domain family (value: accuracy, correct/total):'];
  for (const [family, gs] of byFamily) {
    lines.push(`  ${family.padEnd(w)}  ${gs.map((g) => `${g.value} ${((100 * g.correct) / g.total).toFixed(1)} % (${g.correct}/${g.total})`).join('   ')}`);
  }
  return lines.join('\n');
}
