/**
 * Event-driven convolution, fused LIF and BatchNorm kernels (spike-kernels.wat) running inside the TensorFlow.js WASM
 * backend's memory: the module imports that memory, so tensors are read and written in place.
 * Unavailable (null) on other backends, without WebAssembly SIMD, or with SPIKELINE_NO_WASM=1;
 * callers then use the dense TensorFlow.js ops.
 */
import { SPIKE_KERNELS_WASM_BASE64 } from './spike-kernels-wasm.js';
import { lazyWasmModule, WASM_PAGE, WebAssemblyApi, type WasmMemory as FullMemory } from '../../util/wasm.js';

/** Only the heap buffer is used: the TensorFlow.js backend's memory or one created here. */
type WasmMemory = Pick<FullMemory, 'buffer'>;

export interface SpikeKernels {
  readonly memory: WasmMemory;
  /** mode 0: out += conv(x, f); mode 1: f += filter gradient of conv(x, ·) for dy = out. */
  spike_conv(x: number, f: number, out: number, N: number, H: number, W: number, Ci: number, Co: number, K: number, mode: 0 | 1): void;
  count_nonzero(x: number, n: number): number;
  lif_forward(x: number, v: number, s: number, h: number, counts: number, T: number, M: number, batch: number, keep: number, g: number, bias: number, vTh: number, vr: number, hard: number): void;
  channel_sums(x: number, dy: number, mean: number, n: number, C: number, s1: number, s2: number): void;
  channel_affine(P: number, Q: number, n: number, C: number, a: number, b: number, k: number, out: number): void;
  lif_backward(gs: number, h: number, s: number, gx: number, gv: number, T: number, M: number, keep: number, g: number, vTh: number, vr: number, hard: number, detach: number, surrogate: number, alpha: number): void;
}

const spikeModule = lazyWasmModule(SPIKE_KERNELS_WASM_BASE64, 'spike-kernels'); // null: dense ops only
const instances = new WeakMap<WasmMemory, SpikeKernels>();

/** The kernels bound to a WASM heap (one instance per memory), or null when unavailable. */
export function spikeKernelsFor(memory: WasmMemory | undefined): SpikeKernels | null {
  const mod = spikeModule();
  if (!mod || !memory) return null;
  let k = instances.get(memory);
  if (!k) {
    const e = new WebAssemblyApi.Instance(mod, { env: { memory } }).exports as Omit<SpikeKernels, 'memory'>;
    k = { memory, spike_conv: e.spike_conv, count_nonzero: e.count_nonzero, lif_forward: e.lif_forward, lif_backward: e.lif_backward, channel_sums: e.channel_sums, channel_affine: e.channel_affine };
    instances.set(memory, k);
  }
  return k;
}

/**
 * The kernels over a memory of their own of at least `bytes` bytes (zeroed), for code that lays
 * out its buffers itself (the streaming step engine); null when WebAssembly SIMD is unavailable.
 */
export function spikeKernelsWithMemory(bytes: number): SpikeKernels | null {
  if (!spikeModule()) return null;
  return spikeKernelsFor(new WebAssemblyApi.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE)) }));
}

/** Whether every view lives in the kernels' memory (tensors of the WASM backend): their byteOffsets are then heap pointers. */
export function onHeap(k: SpikeKernels | null, ...views: (Float32Array | Float64Array | null | undefined)[]): k is SpikeKernels {
  return k !== null && views.every((v) => v == null || v.buffer === k.memory.buffer);
}
