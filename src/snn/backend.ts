/**
 * TensorFlow.js backend selection: `@tensorflow/tfjs-node` (native TensorFlow) when it is
 * installed (optional peer dependency), else the WASM backend (SIMD when the runtime validates
 * it), else the plain CPU backend. The choice is made once per process and reported by
 * `describeBackend()` for logs, metrics labels and `spikeline info --backend`.
 *
 * Only TensorFlow.js TFJS_VERSION is accepted (tfjs-version.ts).
 *
 * WASM threads: tfjs 4.22 disables them in Node (tfjs issue 3830) and its XNNPACK thread pool
 * stays at one thread even when the worker bootstrap is patched, so WASM runs single-threaded.
 */
import * as tf from '@tensorflow/tfjs-core';
import { requireTfjsVersion } from './tfjs-version.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** tfjs backend name in use. */
  name: BackendName;
  /** WASM SIMD in use (false for other backends). */
  simd: boolean;
  /** Compute threads the backend uses (1 for WASM and CPU here). */
  threads: number;
  tfjsVersion: string;
  /** Why this backend was chosen (e.g. "tfjs-node not installed"). */
  reason: string;
}

let current: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

/** Backend names accepted by initBackend / SPIKELINE_BACKEND. */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

async function tryNode(): Promise<string | null> {
  try {
    // A variable specifier keeps TypeScript and bundlers from resolving the optional package.
    const spec = '@tensorflow/tfjs-node';
    await import(spec);
    if (await tf.setBackend('tensorflow')) return null;
    return 'tfjs-node installed but the tensorflow backend failed to initialise';
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === 'ERR_MODULE_NOT_FOUND' ? 'tfjs-node not installed' : `tfjs-node failed to load: ${(err as Error).message}`;
  }
}

/** null when the WASM backend is in use, else why not. */
async function tryWasm(): Promise<string | null> {
  let version: string;
  try {
    ({ version_wasm: version } = await import('@tensorflow/tfjs-backend-wasm'));
  } catch (err) {
    return `WASM backend failed to load: ${(err as Error).message}`;
  }
  requireTfjsVersion('@tensorflow/tfjs-backend-wasm', version);
  try {
    return (await tf.setBackend('wasm')) ? null : 'WASM backend failed to initialise';
  } catch (err) {
    return `WASM backend failed to initialise: ${(err as Error).message}`;
  }
}

async function select(choice: BackendChoice): Promise<BackendInfo> {
  requireTfjsVersion('@tensorflow/tfjs-core', tf.version_core);
  const reasons: string[] = [];
  const base = { tfjsVersion: tf.version_core, threads: 1 };
  if (choice === 'auto' || choice === 'tensorflow') {
    const why = await tryNode();
    if (why === null) return { ...base, name: 'tensorflow', simd: false, reason: 'native TensorFlow via tfjs-node' };
    if (choice === 'tensorflow') throw new Error(`backend "tensorflow" unavailable: ${why}`);
    reasons.push(why);
  }
  if (choice === 'auto' || choice === 'wasm') {
    const why = await tryWasm();
    if (why === null) {
      const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
      return { ...base, name: 'wasm', simd, reason: [...reasons, simd ? 'WASM with SIMD' : 'WASM without SIMD'].join('; ') };
    }
    if (choice === 'wasm') throw new Error(`backend "wasm" unavailable: ${why}`);
    // CI: the WASM-vs-JS comparisons must not silently compare the CPU backend with itself.
    if (process.env.SPIKELINE_REQUIRE_WASM === '1') throw new Error(`${why} (SPIKELINE_REQUIRE_WASM=1 forbids the CPU fallback)`);
    reasons.push(why);
  }
  requireTfjsVersion('@tensorflow/tfjs-backend-cpu', (await import('@tensorflow/tfjs-backend-cpu')).version_cpu);
  if (!(await tf.setBackend('cpu'))) throw new Error('no TensorFlow.js backend could be initialised');
  return { ...base, name: 'cpu', simd: false, reason: [...reasons, 'plain JS CPU backend (slow)'].join('; ') };
}

/**
 * Initialises the best available backend once per process (later calls return the same
 * result; asking for a different explicit backend switches to it). `choice` defaults to
 * SPIKELINE_BACKEND or 'auto'.
 */
export async function initBackend(choice?: BackendChoice): Promise<BackendInfo> {
  const wanted = choice ?? parseChoice(process.env.SPIKELINE_BACKEND);
  if (current && (wanted === 'auto' || wanted === current.name)) return current;
  if (pending && wanted === 'auto') return pending;
  pending = select(wanted).then(async (info) => {
    await tf.ready();
    const { registerSnnKernels } = await import('./kernels.js');
    const { registerGradients } = await import('./gradients.js');
    registerSnnKernels();
    registerGradients();
    current = info;
    return info;
  });
  try {
    return await pending;
  } finally {
    pending = null;
  }
}

function parseChoice(v: string | undefined): BackendChoice {
  if (v === undefined || v === '') return 'auto';
  if ((BACKEND_CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(`SPIKELINE_BACKEND="${v}": expected one of ${BACKEND_CHOICES.join(', ')}`);
}

/** The backend in use, or null before initBackend() resolved. */
export function describeBackend(): BackendInfo | null {
  return current;
}

/** One-line human description, e.g. "wasm (SIMD, 1 thread), tfjs 4.22.0: tfjs-node not installed; WASM with SIMD". */
export function backendLine(info: BackendInfo | null = current): string {
  if (!info) return 'backend not initialised';
  const simd = info.name === 'wasm' ? (info.simd ? 'SIMD, ' : 'no SIMD, ') : '';
  return `${info.name} (${simd}${info.threads} thread${info.threads === 1 ? '' : 's'}), tfjs ${info.tfjsVersion}: ${info.reason}`;
}
