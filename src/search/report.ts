/**
 * Study reports: a self-contained HTML page (Pareto plot and learning curves as inline SVG, trial
 * table, specs of the Pareto-optimal trials) and the choice of the spec to export for training.
 */
import { OBJECTIVES } from './objective.js';
import type { StoredTrial } from './storage.js';
import { BASELINE_LABEL, baselineOf, directionsOf, summarize, type StudyConfig } from './study.js';

export interface ChooseOptions {
  /** Export this trial number instead of choosing. */
  trial?: number;
  /**
   * Accuracy (absolute, e.g. 0.02 = 2 points) that may be given up for lower energy: among the
   * complete trials within `tolerance` of the best accuracy, the one with the lowest energy
   * figure (the study's second objective, else SynOps) wins. Default 0: the most accurate.
   */
  tolerance?: number;
}

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/** Energy figure a study trades against accuracy. */
export function energyKey(config: StudyConfig): 'synops' | 'meanRate' {
  return config.objective === 'accuracy-rate' ? 'meanRate' : 'synops';
}

export function chooseTrial(trials: readonly StoredTrial[], config: StudyConfig, options: ChooseOptions = {}): StoredTrial {
  if (options.trial !== undefined) {
    const t = trials.find((x) => x.number === options.trial);
    if (!t) throw new ReportError(`trial ${options.trial} is not in the study`);
    if (t.state !== 'complete') throw new ReportError(`trial ${options.trial} is ${t.state}, not complete`);
    return t;
  }
  const complete = trials.filter((t) => t.state === 'complete' && t.metrics);
  if (complete.length === 0) throw new ReportError('the study has no complete trial yet');
  const key = energyKey(config);
  const best = Math.max(...complete.map((t) => t.metrics!.accuracy));
  const tol = options.tolerance ?? 0;
  return complete
    .filter((t) => t.metrics!.accuracy >= best - tol - 1e-12)
    .sort((a, b) => a.metrics![key] - b.metrics![key] || b.metrics!.accuracy - a.metrics!.accuracy || a.number - b.number)[0]!;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function fmt(v: number | undefined | null, digits = 3): string {
  if (v === undefined || v === null || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1e4) return v.toExponential(2);
  return v.toFixed(digits);
}

function skipsOf(spec: unknown): { from: number; to: number; type: string; project?: boolean }[] {
  const s = (spec as { skips?: { from: number; to: number; type: string; project?: boolean }[] } | null)?.skips;
  return Array.isArray(s) ? s : [];
}

function ticks(lo: number, hi: number, n = 5): number[] {
  if (hi <= lo) return [lo];
  const step = (hi - lo) / (n - 1);
  return Array.from({ length: n }, (_, i) => lo + i * step);
}

interface Point {
  x: number;
  y: number;
  label: string;
  cls: string;
}

function scatterSvg(points: Point[], front: Point[], xLabel: string, yLabel: string): string {
  const W = 640;
  const H = 400;
  const m = { l: 64, r: 44, t: 16, b: 48 };
  if (points.length === 0) return '<p>No finished trials to plot.</p>';
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 0.05, y1 + 0.05];
  const px = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (y: number): number => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(yLabel)} against ${esc(xLabel)}">`];
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`);
  for (const t of ticks(x0, x1)) out.push(`<text x="${px(t).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${fmt(t, 3)}</text>`);
  for (const t of ticks(y0, y1)) out.push(`<text x="${m.l - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${fmt(t, 3)}</text>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`);
  const sorted = [...front].sort((a, b) => a.x - b.x);
  if (sorted.length > 1) {
    const d = sorted.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    out.push(`<path class="front" d="${d}" fill="none" stroke="#d62728" stroke-width="1.5"/>`);
  }
  for (const p of points) {
    out.push(`<circle class="${p.cls}" cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="${p.cls === 'front' ? 5 : 3.5}"><title>${esc(p.label)}</title></circle>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

function curvesSvg(trials: readonly StoredTrial[], maxEpochs: number): string {
  const W = 640;
  const H = 300;
  const m = { l: 64, r: 20, t: 16, b: 44 };
  const withCurves = trials.filter((t) => t.curve.length > 0);
  if (withCurves.length === 0) return '';
  const px = (e: number): number => m.l + ((e - 1) / Math.max(1, maxEpochs - 1)) * (W - m.l - m.r);
  const py = (a: number): number => H - m.b - a * (H - m.t - m.b);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="validation accuracy per epoch">`];
  out.push(`<rect x="${m.l}" y="${m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`);
  for (const a of [0, 0.25, 0.5, 0.75, 1]) out.push(`<text x="${m.l - 6}" y="${(py(a) + 4).toFixed(1)}" text-anchor="end" font-size="11">${a.toFixed(2)}</text>`);
  const step = Math.max(1, Math.ceil((maxEpochs - 1) / 6));
  for (let e = 1; e <= maxEpochs; e += step) out.push(`<text x="${px(e).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle" font-size="11">${e}</text>`);
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">epoch</text>`);
  out.push(`<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle" font-size="12">validation accuracy</text>`);
  for (const t of withCurves) {
    const d = t.curve.map((c, i) => (c ? `${i === 0 ? 'M' : 'L'}${px(i + 1).toFixed(1)},${py(c.accuracy).toFixed(1)}` : '')).join(' ');
    out.push(`<path class="curve ${t.state}" d="${d}" fill="none"><title>trial ${t.number} (${t.state})</title></path>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

export function renderReport(config: StudyConfig, trials: readonly StoredTrial[], chosen: StoredTrial | undefined): string {
  const directions = directionsOf(config);
  const summary = summarize(trials, directions);
  const frontSet = new Set(summary.front);
  const key = energyKey(config);
  const keyLabel = key === 'synops' ? 'SynOps per sample' : 'mean firing rate (spikes / neuron / step)';
  const finished = trials.filter((t) => (t.state === 'complete' || t.state === 'pruned') && t.metrics);
  // The accuracy/energy front over complete trials, whatever the study optimised (for a
  // single-objective study the table's ★ marks its best trials instead).
  const complete = finished.filter((t) => t.state === 'complete');
  const energyFront = new Set(
    complete
      .filter((t) => !complete.some((o) => o.metrics!.accuracy >= t.metrics!.accuracy && o.metrics![key] <= t.metrics![key] && (o.metrics!.accuracy > t.metrics!.accuracy || o.metrics![key] < t.metrics![key])))
      .map((t) => t.number),
  );
  const point = (t: StoredTrial): Point => ({
    x: t.metrics![key],
    y: t.metrics!.accuracy,
    label: `trial ${t.number} (${t.state}): accuracy ${fmt(t.metrics!.accuracy)}, ${key} ${fmt(t.metrics![key])}, ${skipsOf(t.spec).length} skips`,
    cls: energyFront.has(t.number) ? 'front' : t.state,
  });
  const points = finished.map(point);
  const frontPts = complete.filter((t) => energyFront.has(t.number)).map(point);
  const spanMs = trials.length ? Math.max(...trials.map((t) => t.finishedAt ?? t.startedAt)) - Math.min(...trials.map((t) => t.startedAt)) : 0;
  const target = config.target.options as { backbone?: string } | undefined;
  const rows = trials.map((t) => {
    const skips = skipsOf(t.spec);
    const baseline = baselineOf(t);
    const duration = t.finishedAt ? ((t.finishedAt - t.startedAt) / 1000).toFixed(1) : '–';
    const neuron = Object.entries(t.params)
      .filter(([k]) => !k.startsWith('skip:') && k !== 'baseline')
      .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v, 3) : v}`)
      .join(' ');
    return `<tr class="${t.state}${frontSet.has(t.number) ? ' on-front' : ''}${chosen?.number === t.number ? ' chosen' : ''}"><td>${t.number}</td><td>${t.state}${frontSet.has(t.number) ? ' ★' : ''}</td><td>${fmt(t.metrics?.accuracy)}</td><td>${fmt(t.metrics?.meanRate, 4)}</td><td>${fmt(t.metrics?.synops, 0)}</td><td>${t.curve.filter(Boolean).length}</td><td>${skips.length}</td><td class="skips">${baseline ? `<span class="baseline">baseline: ${BASELINE_LABEL[baseline]}</span> ` : ''}${esc(skips.map((s) => `${s.from}→${s.to} ${s.type}${s.project ? '+1x1' : ''}`).join(', '))}</td><td>${esc(neuron)}</td><td>${t.seed}</td><td>${duration}</td><td>${esc(t.error ?? '')}</td></tr>`;
  });
  const bestSpecs = trials
    .filter((t) => frontSet.has(t.number))
    .map((t) => `<details${chosen?.number === t.number ? ' open' : ''}><summary>trial ${t.number}: accuracy ${fmt(t.metrics?.accuracy)}, ${key} ${fmt(t.metrics?.[key])}${chosen?.number === t.number ? ' (exported)' : ''}</summary><pre>${esc(JSON.stringify(t.spec, null, 2))}</pre></details>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>spikeline search: ${esc(config.name)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
td.skips{text-align:left;max-width:420px}tr.on-front{background:#fff3f0}tr.chosen{outline:2px solid #d62728}
tr.pruned,tr.failed,tr.interrupted{color:#888}
circle.complete{fill:#1f77b4;opacity:.7}circle.pruned{fill:none;stroke:#999}circle.front{fill:#d62728}
path.curve{stroke:#1f77b4;stroke-width:1;opacity:.6}path.curve.pruned{stroke:#bbb}
pre{background:#f6f6f6;padding:8px;overflow:auto;max-height:400px}
</style></head><body>
<h1>Search study “${esc(config.name)}”</h1>
<p>Backbone <b>${esc(target?.backbone ?? 'unknown')}</b>, objective <b>${esc(config.objective)}</b> (${OBJECTIVES[config.objective].names.map((n, i) => `${directions[i]} ${n}`).join(', ')}),
sampler ${esc(config.sampler.name)}, pruner ${esc(config.pruner.name)}, ${config.maxEpochs} epochs per full trial, seed ${config.seed}.</p>
<p>${trials.length} trials: ${summary.complete} complete, ${summary.pruned} pruned, ${summary.failed} failed, ${summary.interrupted} interrupted;
${summary.epochs} epochs trained in ${(spanMs / 3600000).toFixed(2)} h.
${chosen ? `Exported: trial ${chosen.number} (accuracy ${fmt(chosen.metrics?.accuracy)}, ${key} ${fmt(chosen.metrics?.[key])}).` : ''}</p>
<h2>Accuracy against ${esc(keyLabel)}</h2>
<p>Red: the Pareto front of complete trials (higher accuracy, lower ${esc(key)}). Hollow: pruned trials at the epoch they stopped.</p>
${scatterSvg(points, frontPts, keyLabel, 'validation accuracy')}
<h2>Learning curves</h2>
${curvesSvg(trials, config.maxEpochs)}
<h2>Trials</h2>
<table><thead><tr><th>#</th><th>state</th><th>accuracy</th><th>mean rate</th><th>SynOps</th><th>epochs</th><th>skips</th><th>skip list</th><th>neuron</th><th>seed</th><th>s</th><th>error</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
<h2>Specs on the Pareto front</h2>
${bestSpecs.join('\n') || '<p>No complete trial yet.</p>'}
</body></html>
`;
}
