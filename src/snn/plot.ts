/** Training-curve plot as a standalone SVG: loss (left axis) and accuracy (right axis) per epoch. */
import type { EpochMetrics } from './train.js';

const W = 640;
const H = 320;
const M = { l: 50, r: 50, t: 30, b: 40 };

function path(points: [number, number][]): string {
  return points.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}

export function curvesSvg(curves: readonly EpochMetrics[]): string {
  const n = curves.length;
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const xs = (e: number) => M.l + (n <= 1 ? pw / 2 : ((e - 1) / (n - 1)) * pw);
  const losses = curves.flatMap((c) => [c.trainLoss, c.testLoss ?? c.trainLoss]);
  const maxLoss = Math.max(1e-6, ...losses);
  const yl = (v: number) => M.t + ph - (v / maxLoss) * ph;
  const ya = (v: number) => M.t + ph - v * ph;
  const series: { name: string; color: string; pts: [number, number][]; dash?: string }[] = [
    { name: 'train loss', color: '#d62728', pts: curves.map((c) => [xs(c.epoch), yl(c.trainLoss)]) },
    { name: 'test loss', color: '#d62728', dash: '4 3', pts: curves.filter((c) => c.testLoss !== null).map((c) => [xs(c.epoch), yl(c.testLoss!)]) },
    { name: 'train acc', color: '#1f77b4', pts: curves.map((c) => [xs(c.epoch), ya(c.trainAccuracy)]) },
    { name: 'test acc', color: '#1f77b4', dash: '4 3', pts: curves.filter((c) => c.testAccuracy !== null).map((c) => [xs(c.epoch), ya(c.testAccuracy!)]) },
  ];
  const lines = series
    .filter((s) => s.pts.length)
    .map((s) => `<path d="${path(s.pts)}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
  const legend = series.map((s, i) => `<text x="${M.l + i * 130}" y="18" fill="${s.color}" font-size="12">${s.dash ? '- - ' : '— '}${s.name}</text>`);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="${M.l - 6}" y="${(M.t + ph - f * ph + 4).toFixed(1)}" text-anchor="end" font-size="10">${(f * maxLoss).toPrecision(2)}</text>` +
      `<text x="${W - M.r + 6}" y="${(M.t + ph - f * ph + 4).toFixed(1)}" font-size="10">${Math.round(f * 100)}%</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    ...ticks,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle" font-size="12">epoch (1..${n})</text>`,
    ...lines,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

export interface XySeries {
  name: string;
  color: string;
  /** Faint dots (every point tried). */
  dots?: readonly [number, number][];
  /** A line with marked points, each with an optional hover title and a small label beside it. */
  line?: readonly { x: number; y: number; title?: string; label?: string }[];
  /** Points ringed (a chosen setting). */
  rings?: readonly [number, number][];
}

export interface XyPlot {
  title: string;
  xLabel: string;
  yLabel: string;
  xMax: number;
  yMax: number;
  series: readonly XySeries[];
  /** A shaded target region [0, x] × [0, y]. */
  target?: { x: number; y: number; label: string };
  /** Extra legend lines. */
  notes?: readonly string[];
}

/** Scatter/line chart as a standalone SVG; points outside [0, xMax] × [0, yMax] are left out. */
export function xyPlotSvg(p: XyPlot): string {
  const w = 760;
  const h = 480;
  const m = { l: 60, r: 200, t: 36, b: 50 };
  const pw = w - m.l - m.r;
  const ph = h - m.t - m.b;
  const xs = (v: number) => m.l + (v / p.xMax) * pw;
  const ys = (v: number) => m.t + ph - (v / p.yMax) * ph;
  const inside = (x: number, y: number) => x >= 0 && x <= p.xMax && y >= 0 && y <= p.yMax;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${m.l}" y="20" font-size="14">${p.title}</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const vx = (p.xMax * k) / 5;
    const vy = (p.yMax * k) / 5;
    out.push(`<line x1="${xs(vx).toFixed(1)}" y1="${m.t}" x2="${xs(vx).toFixed(1)}" y2="${m.t + ph}" stroke="#eee"/><text x="${xs(vx).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${Number(vx.toFixed(2))}</text>`);
    out.push(`<line x1="${m.l}" y1="${ys(vy).toFixed(1)}" x2="${m.l + pw}" y2="${ys(vy).toFixed(1)}" stroke="#eee"/><text x="${m.l - 6}" y="${(ys(vy) + 4).toFixed(1)}" text-anchor="end">${Number(vy.toFixed(2))}</text>`);
  }
  if (p.target) {
    const t = p.target;
    out.push(`<rect x="${xs(0)}" y="${ys(t.y).toFixed(1)}" width="${(xs(t.x) - xs(0)).toFixed(1)}" height="${(ys(0) - ys(t.y)).toFixed(1)}" fill="#2ca02c" fill-opacity="0.15" stroke="#2ca02c"/>`);
    out.push(`<text x="${xs(0) + 4}" y="${(ys(t.y) - 4).toFixed(1)}" fill="#2ca02c">${t.label}</text>`);
  }
  out.push(`<text x="${m.l + pw / 2}" y="${h - 12}" text-anchor="middle">${p.xLabel}</text>`);
  out.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${p.yLabel}</text>`);
  p.series.forEach((s, i) => {
    // One dot per pixel: thousands of settings often land on the same spot.
    const seen = new Set<string>();
    for (const [x, y] of s.dots ?? []) {
      const at = `${Math.round(xs(x))},${Math.round(ys(y))}`;
      if (!inside(x, y) || seen.has(at)) continue;
      seen.add(at);
      out.push(`<circle cx="${xs(x).toFixed(1)}" cy="${ys(y).toFixed(1)}" r="2" fill="${s.color}" fill-opacity="0.25"/>`);
    }
    const line = (s.line ?? []).filter((q) => inside(q.x, q.y));
    if (line.length) {
      out.push(`<path d="${path(line.map((q) => [xs(q.x), ys(q.y)]))}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
      for (const q of line) {
        out.push(`<circle cx="${xs(q.x).toFixed(1)}" cy="${ys(q.y).toFixed(1)}" r="3.5" fill="${s.color}">${q.title ? `<title>${q.title}</title>` : ''}</circle>`);
        if (q.label) out.push(`<text x="${(xs(q.x) + 5).toFixed(1)}" y="${(ys(q.y) - 5).toFixed(1)}" font-size="9" fill="${s.color}">${q.label}</text>`);
      }
    }
    for (const [x, y] of s.rings ?? []) if (inside(x, y)) out.push(`<circle cx="${xs(x).toFixed(1)}" cy="${ys(y).toFixed(1)}" r="7" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<rect x="${w - m.r + 12}" y="${m.t + i * 20}" width="12" height="12" fill="${s.color}"/><text x="${w - m.r + 30}" y="${m.t + i * 20 + 10}">${s.name}</text>`);
  });
  (p.notes ?? []).forEach((n, i) => out.push(`<text x="${w - m.r + 12}" y="${m.t + (p.series.length + 1 + i) * 18}" fill="#555">${n}</text>`));
  out.push('</svg>', '');
  return out.join('\n');
}
