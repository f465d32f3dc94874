/**
 * The background-activity filter's loop as WebAssembly SIMD (noise-kernels.wat). Each filter
 * owns one instance with its own memory, holding the per-pixel last-time map for the filter's
 * lifetime plus input and output columns for one chunk: every chunk of a batch is copied in,
 * filtered, and its kept events copied out into the batch output. The kernel reads the
 * neighbours' last times directly (two per v128 load), so, unlike the TypeScript loops, it needs
 * no support map and no time-inversion fallback. Unavailable (undefined) without WebAssembly
 * SIMD or with SPIKELINE_NO_WASM=1; the filter then runs its TypeScript loops.
 */
import type { EventBatch, SensorGeometry } from '../../events/index.js';
import { allocateFilterOutput, keptPrefix } from '../functional/filter.js';
import { NOISE_KERNELS_WASM_BASE64 } from './noise-kernels-wasm.js';
import { lazyWasmModule, WASM_PAGE, WebAssemblyApi, type WasmMemory } from '../../util/wasm.js';

/** Filters the `n` events of the input columns into the output columns, returns how many were kept. */
type Kernel = (n: number, stride: number, d: number) => number;
type Layout = 'CHUNK' | 'IT' | 'IX' | 'IY' | 'IP' | 'OT' | 'OX' | 'OY' | 'OP' | 'MAP';

interface NoiseExports extends Record<Layout, { readonly value: number }> {
  memory: WasmMemory;
  ba8: Kernel;
  ba4: Kernel;
}

const noiseModule = lazyWasmModule(NOISE_KERNELS_WASM_BASE64, 'noise-kernels'); // null: the TypeScript loops are used

export function noiseKernelsAvailable(): boolean {
  return noiseModule() !== null;
}

export class BackgroundActivityKernel {
  private readonly k: NoiseExports;
  private stride = 0;
  private height = 0;
  // Views of the memory, re-taken whenever it grows (growing detaches the old buffer).
  private it = new Float64Array(0);
  private ix = new Uint16Array(0);
  private iy = new Uint16Array(0);
  private ip = new Uint8Array(0);
  private ot = new Float64Array(0);
  private ox = new Uint16Array(0);
  private oy = new Uint16Array(0);
  private op = new Uint8Array(0);
  private map = new Float64Array(0);

  private constructor(exports: unknown) {
    this.k = exports as NoiseExports;
  }

  /** A kernel with its own memory, or undefined when WebAssembly SIMD is unavailable. */
  static create(): BackgroundActivityKernel | undefined {
    const mod = noiseModule();
    return mod ? new BackgroundActivityKernel(new WebAssemblyApi.Instance(mod, {}).exports) : undefined;
  }

  /**
   * Sizes the map for `sensor` (bordered layout: row stride width + 2) with every pixel never
   * fired (-Infinity); false when the memory cannot grow that far (the caller falls back).
   */
  allocate(sensor: SensorGeometry): boolean {
    const S = sensor.width + 2, cells = S * (sensor.height + 2);
    // Column and map offsets are the module's (constants folded into its loads and stores).
    const { CHUNK, IT, IX, IY, IP, OT, OX, OY, OP, MAP } = this.k;
    const C = CHUNK.value;
    const mem = this.k.memory, bytes = MAP.value + 8 * cells, have = mem.buffer.byteLength;
    if (bytes > have) {
      try {
        mem.grow(Math.ceil((bytes - have) / WASM_PAGE));
      } catch {
        return false; // over the 4 GiB address space or out of memory
      }
    }
    const buf = mem.buffer;
    this.it = new Float64Array(buf, IT.value, C);
    this.ix = new Uint16Array(buf, IX.value, C);
    this.iy = new Uint16Array(buf, IY.value, C);
    this.ip = new Uint8Array(buf, IP.value, C);
    this.ot = new Float64Array(buf, OT.value, C);
    this.ox = new Uint16Array(buf, OX.value, C);
    this.oy = new Uint16Array(buf, OY.value, C);
    this.op = new Uint8Array(buf, OP.value, C);
    this.map = new Float64Array(buf, MAP.value, cells).fill(-Infinity);
    this.stride = S;
    this.height = sensor.height;
    return true;
  }

  /**
   * The events of `batch` with a neighbour (8 or 4) less than `duration` µs before them, updating
   * the map; `batch` itself when all are kept (see `keptPrefix`). Events must lie inside the
   * allocated sensor (as for the TypeScript loops, nothing is checked per event: events just
   * outside give unspecified results, events far outside a RangeError).
   */
  select(batch: EventBatch, neighbours: 4 | 8, duration: number): EventBatch {
    const n = batch.length;
    const { x, y, t, p } = batch;
    const out = allocateFilterOutput(n, batch.sensor);
    const kernel = neighbours === 8 ? this.k.ba8 : this.k.ba4, S = this.stride, C = this.it.length;
    let k = 0;
    for (let s = 0; s < n; s += C) {
      const e = Math.min(n, s + C);
      this.it.set(t.subarray(s, e));
      this.ix.set(x.subarray(s, e));
      this.iy.set(y.subarray(s, e));
      this.ip.set(p.subarray(s, e));
      let kept: number;
      try {
        kept = kernel(e - s, S, duration);
      } catch (err) {
        // A trap: an event far outside the sensor addressed beyond the memory.
        throw new RangeError(`background-activity: events ${s}..${e - 1} of the batch are not all inside the ${S - 2}x${this.height} sensor (${String(err)})`);
      }
      out.t.set(this.ot.subarray(0, kept), k);
      out.x.set(this.ox.subarray(0, kept), k);
      out.y.set(this.oy.subarray(0, kept), k);
      out.p.set(this.op.subarray(0, kept), k);
      k += kept;
    }
    return keptPrefix(batch, out, k);
  }

  /** Copy of the last event time per pixel, row-major without the border (-Infinity: never fired). */
  lastTimes(): Float64Array {
    const S = this.stride, W = S - 2, H = this.height;
    const out = new Float64Array(W * H);
    for (let yy = 0; yy < H; yy++) out.set(this.map.subarray((yy + 1) * S + 1, (yy + 1) * S + 1 + W), yy * W);
    return out;
  }
}
