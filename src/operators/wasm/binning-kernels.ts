/**
 * The binning histogram loop as WebAssembly SIMD (binning-kernels.wat). One instance per thread
 * (binning is synchronous), whose memory holds one chunk of x, y, p columns, the downsampling
 * tables of the factor last used, and a uint32 histogram grown to the largest grid seen. Every
 * chunk of a slice is copied in and counted; the caller then takes the counts as float32 and
 * copies or adds them into its frame. Unavailable (null) without WebAssembly SIMD or with SPIKELINE_NO_WASM=1; binning then
 * runs its TypeScript loops, which give the same frames.
 */
import type { EventBatch } from '../../events/index.js';
import type { Downsampler } from '../functional/spatial.js';
import { lazyWasmModule, WASM_PAGE, WebAssemblyApi, type WasmMemory } from '../../util/wasm.js';
import { BINNING_KERNELS_WASM_BASE64 } from './binning-kernels-wasm.js';

type Layout = 'CHUNK' | 'X' | 'Y' | 'P' | 'LX' | 'LY' | 'HIST';

interface BinningExports extends Record<Layout, { readonly value: number }> {
  memory: WasmMemory;
  count(n: number, width: number): void;
  count16(n: number, width: number): void;
  count_lut(n: number, width: number): void;
  to_f32(cells: number): void;
}

const binningModule = lazyWasmModule(BINNING_KERNELS_WASM_BASE64, 'binning-kernels');

export class HistogramKernel {
  private readonly k: BinningExports;
  private readonly chunk: number;
  // Views of the memory, re-taken whenever it grows (growing detaches the old buffer).
  private x = new Uint16Array(0);
  private y = new Uint16Array(0);
  private p = new Uint8Array(0);
  private lx = new Uint16Array(0);
  private ly = new Uint16Array(0);
  /** The histogram, as many cells as the memory holds (whole v128s). */
  private hist = new Uint32Array(0);
  private histF32 = new Float32Array(0);
  private tablesOf: Downsampler | undefined;

  private constructor(exports: unknown) {
    this.k = exports as BinningExports;
    this.chunk = this.k.CHUNK.value;
    this.views();
  }

  /** The kernel of this thread, or null when WebAssembly SIMD is unavailable. */
  static shared(): HistogramKernel | null {
    if (shared === undefined) {
      const mod = binningModule();
      shared = mod ? new HistogramKernel(new WebAssemblyApi.Instance(mod, {}).exports) : null;
    }
    return shared;
  }

  /**
   * Zeroes the first `cells` histogram cells, growing the memory if needed; false when it
   * cannot grow that far (the caller falls back to its own loops).
   */
  clear(cells: number): boolean {
    if (cells > this.hist.length) {
      const mem = this.k.memory, need = this.k.HIST.value + 16 * Math.ceil(cells / 4) - mem.buffer.byteLength;
      try {
        mem.grow(Math.ceil(need / WASM_PAGE));
      } catch {
        return false;
      }
      this.views();
    }
    this.hist.fill(0, 0, cells);
    return true;
  }

  /**
   * Adds the events [start, end) of `batch` to the histogram of a grid `width` pixels wide and
   * `cells` cells in all (as mapped through `down`'s tables when given). Events must lie inside
   * the grid.
   */
  count(batch: EventBatch, start: number, end: number, width: number, cells: number, down?: Downsampler): void {
    if (down && this.tablesOf !== down) {
      this.lx.set(down.lutX);
      this.ly.set(down.lutY);
      this.tablesOf = down;
    }
    const { x, y, p } = batch;
    const kernel = down ? this.k.count_lut : cells <= 0x10000 ? this.k.count16 : this.k.count;
    for (let s = start; s < end; s += this.chunk) {
      const e = Math.min(end, s + this.chunk);
      this.x.set(x.subarray(s, e));
      this.y.set(y.subarray(s, e));
      this.p.set(p.subarray(s, e));
      kernel(e - s, width);
    }
  }

  /** The first `cells` counts as float32 (converted in place: `clear` before counting again). */
  counts(cells: number): Float32Array {
    this.k.to_f32(cells);
    return this.histF32.subarray(0, cells);
  }

  private views(): void {
    const buf = this.k.memory.buffer, k = this.k, C = this.chunk;
    this.x = new Uint16Array(buf, k.X.value, C);
    this.y = new Uint16Array(buf, k.Y.value, C);
    this.p = new Uint8Array(buf, k.P.value, C);
    this.lx = new Uint16Array(buf, k.LX.value, 0x10000);
    this.ly = new Uint16Array(buf, k.LY.value, 0x10000);
    this.hist = new Uint32Array(buf, k.HIST.value, ((buf.byteLength - k.HIST.value) >>> 4) << 2);
    this.histF32 = new Float32Array(buf, k.HIST.value, this.hist.length);
  }
}

let shared: HistogramKernel | null | undefined;
