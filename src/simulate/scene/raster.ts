/**
 * Anti-aliased shape filling on a row-major Float32 image of linear reflectance. Coverage of a
 * pixel is approximated from the signed distance of its centre to the shape edge
 * (clamp(0.5 − d, 0, 1)), which makes intensities change continuously as shapes move by
 * sub-pixel amounts; without it the simulator would only see whole-pixel jumps.
 */
export interface Image {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** Pixel bounding box [x0, x1) × [y0, y1), clipped to the image. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/**
 * A surface pattern (clothing print, skin texture) attached to a shape: it multiplies the
 * shape's reflectance by exp(contrast·(f − ½)), f ∈ [0, 1] a function of the shape's own
 * coordinates (along and across a limb, or relative to a centre), so it moves with the shape and
 * makes events inside it, not only at its outline.
 */
export interface Pattern {
  kind: 'striped' | 'printed' | 'textured';
  /** Spatial period, pixels. */
  period: number;
  /** Log contrast between the pattern's darkest and brightest parts. */
  contrast: number;
  /** Cosine and sine of the orientation (makePattern). */
  cos: number;
  sin: number;
}

const SINE_STEPS = 1024;
const SINE = Float32Array.from({ length: SINE_STEPS + 1 }, (_, k) => Math.sin((2 * Math.PI * k) / SINE_STEPS));

/** sin(2π·cycles) from a table (linear interpolation, error < 2·10⁻⁵): patterns are the hot path. */
function sinCycles(cycles: number): number {
  const x = (cycles - Math.floor(cycles)) * SINE_STEPS;
  const i = x | 0;
  const a = SINE[i]!;
  return a + (SINE[i + 1]! - a) * (x - i);
}

/** Reflectance factor of `p` at shape coordinates (u, v), pixels. */
export function patternFactor(p: Pattern, u: number, v: number): number {
  const c = p.cos, s = p.sin;
  const a = (u * c + v * s) / p.period, b = (v * c - u * s) / p.period;
  let f: number;
  if (p.kind === 'striped') {
    // Soft-edged stripes (anti-aliased over about a pixel).
    f = Math.min(1, Math.max(0, 0.5 + sinCycles(a) * p.period * 0.5));
  } else if (p.kind === 'printed') {
    // Dots on a lattice, radius 0.3 period, anti-aliased.
    const du = a - Math.round(a), dv = b - Math.round(b);
    f = Math.min(1, Math.max(0, (0.3 - Math.sqrt(du * du + dv * dv)) * p.period + 0.5));
  } else {
    // Fabric-like texture: a product of incommensurate gratings.
    f = 0.5 + 0.3 * sinCycles(a) * sinCycles(1.37 * b) + 0.2 * sinCycles(0.61 * (a + b));
  }
  // exp(x) to second order: |x| <= 0.4 here, within 1 %.
  const x = p.contrast * (f - 0.5);
  return 1 + x + 0.5 * x * x;
}

/** A pattern with its orientation's cosine and sine worked out once. */
export function makePattern(kind: Pattern['kind'], period: number, contrast: number, angle: number): Pattern {
  return { kind, period, contrast, cos: Math.cos(angle), sin: Math.sin(angle) };
}

export function emptyBox(): Box {
  return { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
}

function clipBox(img: Image, minX: number, minY: number, maxX: number, maxY: number, box?: Box): Box | null {
  const x0 = Math.max(0, Math.floor(minX));
  const y0 = Math.max(0, Math.floor(minY));
  const x1 = Math.min(img.width, Math.ceil(maxX) + 1);
  const y1 = Math.min(img.height, Math.ceil(maxY) + 1);
  if (x0 >= x1 || y0 >= y1) return null;
  if (box) {
    if (x0 < box.x0) box.x0 = x0;
    if (y0 < box.y0) box.y0 = y0;
    if (x1 > box.x1) box.x1 = x1;
    if (y1 > box.y1) box.y1 = y1;
  }
  return { x0, y0, x1, y1 };
}

/** Segment (ax,ay)–(bx,by) thickened to radius r (a limb), blended towards `value`. */
export function fillCapsule(img: Image, ax: number, ay: number, bx: number, by: number, r: number, value: number, box?: Box, pattern?: Pattern): void {
  const b = clipBox(img, Math.min(ax, bx) - r - 1, Math.min(ay, by) - r - 1, Math.max(ax, bx) + r + 1, Math.max(ay, by) + r + 1, box);
  if (!b) return;
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const inv = len2 > 1e-12 ? 1 / len2 : 0;
  const len = Math.sqrt(len2);
  const { data, width } = img;
  for (let y = b.y0; y < b.y1; y++) {
    const py = y + 0.5 - ay;
    const row = y * width;
    for (let x = b.x0; x < b.x1; x++) {
      const px = x + 0.5 - ax;
      let s = (px * dx + py * dy) * inv;
      s = s < 0 ? 0 : s > 1 ? 1 : s;
      const ex = px - s * dx, ey = py - s * dy;
      const cov = r + 0.5 - Math.sqrt(ex * ex + ey * ey);
      if (cov > 0) {
        const i = row + x;
        const c = cov >= 1 ? 1 : cov;
        // Pattern coordinates: along the limb and across it (signed), so it turns with the limb.
        const v = pattern ? Math.min(0.98, value * patternFactor(pattern, s * len, len > 1e-9 ? (px * dy - py * dx) / len : px)) : value;
        data[i] = data[i]! + (v - data[i]!) * c;
      }
    }
  }
}

/** Axis-aligned ellipse (centre, radii) blended towards `value`. */
export function fillEllipse(img: Image, cx: number, cy: number, rx: number, ry: number, value: number, box?: Box, pattern?: Pattern): void {
  const b = clipBox(img, cx - rx - 1, cy - ry - 1, cx + rx + 1, cy + ry + 1, box);
  if (!b) return;
  const { data, width } = img;
  const irx = 1 / rx, iry = 1 / ry;
  const scale = Math.min(rx, ry);
  for (let y = b.y0; y < b.y1; y++) {
    const ny = (y + 0.5 - cy) * iry;
    for (let x = b.x0; x < b.x1; x++) {
      const nx = (x + 0.5 - cx) * irx;
      // Distance in pixels approximated by scaling the normalised radius error.
      const cov = 0.5 - (Math.sqrt(nx * nx + ny * ny) - 1) * scale;
      if (cov > 0) {
        const i = y * width + x;
        const c = cov >= 1 ? 1 : cov;
        const v = pattern ? Math.min(0.98, value * patternFactor(pattern, x + 0.5 - cx, y + 0.5 - cy)) : value;
        data[i] = data[i]! + (v - data[i]!) * c;
      }
    }
  }
}

/**
 * Convex polygon given as [x0, y0, x1, y1, ...] in clockwise order on screen (y down), blended
 * towards `value`; optionally shaded by `gradient` per pixel of y (a vertical fold/light falloff).
 */
export function fillConvexPolygon(
  img: Image, pts: readonly number[], value: number, box?: Box, gradient = 0, pattern?: Pattern, originX = 0, originY = 0,
): void {
  const n = pts.length / 2;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let k = 0; k < n; k++) {
    minX = Math.min(minX, pts[2 * k]!); maxX = Math.max(maxX, pts[2 * k]!);
    minY = Math.min(minY, pts[2 * k + 1]!); maxY = Math.max(maxY, pts[2 * k + 1]!);
  }
  const b = clipBox(img, minX - 1, minY - 1, maxX + 1, maxY + 1, box);
  if (!b) return;
  // Outward unit normals and offsets of each edge: d = n·p − c > 0 outside.
  const nx = new Float64Array(n), ny = new Float64Array(n), nc = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const ax = pts[2 * k]!, ay = pts[2 * k + 1]!;
    const bx = pts[(2 * k + 2) % (2 * n)]!, by = pts[(2 * k + 3) % (2 * n)]!;
    let ex = by - ay, ey = -(bx - ax);
    const len = Math.hypot(ex, ey) || 1;
    ex /= len; ey /= len;
    nx[k] = ex; ny[k] = ey; nc[k] = ex * ax + ey * ay;
  }
  const { data, width } = img;
  for (let y = b.y0; y < b.y1; y++) {
    const py = y + 0.5;
    const v = value + gradient * (py - minY);
    // Pixel centres px with every edge distance ≤ −0.5 are fully covered, those with some
    // distance ≥ 0.5 not at all: per edge, a bound on px. Only the pixels between the two
    // intervals need the per-edge coverage computation.
    let in0 = -Infinity, in1 = Infinity, out0 = -Infinity, out1 = Infinity;
    for (let k = 0; k < n; k++) {
      const a = nx[k]!, r = nc[k]! - ny[k]! * py;
      if (a > 1e-12) {
        in1 = Math.min(in1, (r - 0.5) / a);
        out1 = Math.min(out1, (r + 0.5) / a);
      } else if (a < -1e-12) {
        in0 = Math.max(in0, (r - 0.5) / a);
        out0 = Math.max(out0, (r + 0.5) / a);
      } else {
        if (-r > -0.5) { in0 = Infinity; }
        if (-r >= 0.5) { out0 = Infinity; }
      }
    }
    const xs = Math.max(b.x0, Math.floor(out0 - 0.5));
    const xe = Math.min(b.x1, Math.ceil(out1 - 0.5) + 1);
    for (let x = xs; x < xe; x++) {
      const px = x + 0.5;
      const i = y * width + x;
      const vp = pattern ? Math.min(0.98, v * patternFactor(pattern, px - originX, py - originY)) : v;
      if (px >= in0 && px <= in1) {
        data[i] = vp;
        continue;
      }
      let d = -Infinity;
      for (let k = 0; k < n; k++) {
        const e = nx[k]! * px + ny[k]! * py - nc[k]!;
        if (e > d) d = e;
      }
      const cov = 0.5 - d;
      if (cov > 0) {
        const c = cov >= 1 ? 1 : cov;
        data[i] = data[i]! + (vp - data[i]!) * c;
      }
    }
  }
}
