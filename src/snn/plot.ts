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
