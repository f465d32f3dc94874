/**
 * WebAssembly hot loops (kernels.wat) for the decoders that dominate throughput: AEDAT 2.0
 * records and AEDAT 3.1 polarity packets (SIMD, 8 events per step), AEDAT 4 event structs
 * (SIMD, 8 per step) and LZ4 blocks. Each
 * decoder owns one arena (module instance with its own memory) until its end(), which hands
 * it to the next decoder (WasmArena.release): input bytes are copied in,
 * events come out as columns in the same memory and are copied out into arrays the emitted
 * batch owns (the arena is overwritten by the next push): piece by piece (copyOut, AEDAT 2.0 /
 * 3.1, so the arena stays small) or whole (ChunkDecoder.emitBatch, AEDAT 4). Falls back to the
 * JS loops when WebAssembly SIMD is unavailable or SPIKELINE_NO_WASM=1.
 */
import type { EventBatch, SensorGeometry } from '../../events/index.js';
import type { OutputColumns } from '../output.js';
import { KERNELS_WASM_BASE64 } from './kernels-wasm.js';
import { lazyWasmModule, WASM_PAGE, WebAssemblyApi, type WasmMemory } from '../../util/wasm.js';

interface KernelExports {
  memory: WasmMemory;
  aedat3(src: number, count: number, epoch: number, ox: number, oy: number, ot: number, op: number, n: number, cfg: number): number;
  aedat2(src: number, end: number, ox: number, oy: number, ot: number, op: number, cfg: number): number;
  aedat2dvs(src: number, end: number, ox: number, oy: number, ot: number, op: number, cfg: number): number;
  evts(src: number, count: number, ox: number, oy: number, ot: number, op: number, n: number, cfg: number): number;
  outside(ox: number, oy: number, n: number, w: number, h: number): number;
  lz4block(s: number, end: number, d: number, dstart: number, dend: number): number;
  errpos: { value: number };
}

const kernelModule = lazyWasmModule(KERNELS_WASM_BASE64, 'kernels');

export function wasmKernelsAvailable(): boolean {
  return kernelModule() !== null;
}

/** Column and input offsets of one arena layout. */
export interface ArenaLayout {
  input: number;
  ox: number;
  oy: number;
  op: number;
  ot: number;
  capacity: number;
}

/**
 * Arenas of ended decoders, reused by the next ones. A fresh instance costs an instantiation,
 * memory growth and a page fault per 4 KiB first touched: on a 1 MB real AEDAT 4 recording that
 * was half the decode time. A few are kept (files decoded in parallel), none over 64 MiB.
 */
const idleArenas: WasmArena[] = [];
const IDLE_ARENAS = 4;
const IDLE_ARENA_MAX_BYTES = 64 << 20;

export class WasmArena {
  readonly k: KernelExports;
  private bytes: Uint8Array;

  private constructor(instance: { readonly exports: unknown }) {
    this.k = instance.exports as unknown as KernelExports;
    this.bytes = new Uint8Array(this.k.memory.buffer);
  }

  /**
   * An arena (an idle one if any), or undefined when WebAssembly kernels are unavailable. Its
   * memory holds whatever the last user left: the kernels write their constants on every call
   * and the decoders read back only what they wrote.
   */
  static create(): WasmArena | undefined {
    const idle = idleArenas.pop();
    if (idle) return idle;
    const mod = kernelModule();
    return mod ? new WasmArena(new WebAssemblyApi.Instance(mod, {})) : undefined;
  }

  /** Hands the arena to the next decoder; the caller must not use it afterwards. */
  release(): void {
    if (idleArenas.length < IDLE_ARENAS && this.k.memory.buffer.byteLength <= IDLE_ARENA_MAX_BYTES && !idleArenas.includes(this)) idleArenas.push(this);
  }

  /** Current memory bytes (re-read after any grow). */
  get u8(): Uint8Array {
    if (this.bytes.buffer !== this.k.memory.buffer) this.bytes = new Uint8Array(this.k.memory.buffer);
    return this.bytes;
  }

  /** Ensures memory holds `bytes` bytes. */
  reserve(bytes: number): void {
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) this.k.memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
  }

  /** Input region of `inputBytes` at `base`, then columns for `capacity` events. */
  layout(base: number, inputBytes: number, capacity: number): ArenaLayout {
    const input = base;
    const ot = align8(input + inputBytes);
    const ox = ot + capacity * 8;
    const oy = ox + align8(capacity * 2);
    const op = oy + align8(capacity * 2);
    this.reserve(op + align8(capacity) + 16);
    return { input, ox, oy, op, ot, capacity };
  }

  /**
   * Index of the first of the layout's `n` events outside `sensor`, else `n` (SIMD scan);
   * undefined for sensors wider or taller than 16 bits (the caller scans in JS).
   */
  firstOutside(l: ArenaLayout, n: number, sensor: SensorGeometry): number | undefined {
    if (sensor.width > 0xffff || sensor.height > 0xffff) return undefined;
    return this.k.outside(l.ox, l.oy, n, sensor.width, sensor.height);
  }

  /**
   * The first `n` events of a layout as views of the arena: valid until the decoder's next
   * kernel call, so the decoder copies them (copyBatch) before they leave it.
   */
  view(l: ArenaLayout, n: number, sensor: SensorGeometry): EventBatch {
    const buf = this.k.memory.buffer;
    return { x: new Uint16Array(buf, l.ox, n), y: new Uint16Array(buf, l.oy, n), t: new Float64Array(buf, l.ot, n), p: new Uint8Array(buf, l.op, n), length: n, sensor };
  }

  /**
   * Copies the layout's first `n` events into `dest` from event `at` on: a decoder that decodes
   * piece by piece copies each piece, right after its kernel call, into the columns of the batch
   * it will emit.
   */
  copyOut(l: ArenaLayout, n: number, dest: OutputColumns, at: number): void {
    const buf = this.k.memory.buffer;
    dest.x.set(new Uint16Array(buf, l.ox, n), at);
    dest.y.set(new Uint16Array(buf, l.oy, n), at);
    dest.t.set(new Float64Array(buf, l.ot, n), at);
    dest.p.set(new Uint8Array(buf, l.op, n), at);
  }
}

function align8(v: number): number {
  return (v + 7) & ~7;
}
