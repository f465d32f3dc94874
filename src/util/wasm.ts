/**
 * What the hand-written WebAssembly kernels (formats, operators, SNN) share: minimal typings —
 * the project's TypeScript libs (ES2022, no DOM) do not declare WebAssembly — and compiling a
 * module once, on first use.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A compiled module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}

export const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const WASM_PAGE = 65536;

/**
 * A getter for the module in `base64` (called `name` in errors), compiled on first use; null
 * with SPIKELINE_NO_WASM=1 or when the engine rejects it (no WebAssembly, or no SIMD), and
 * callers then run their TypeScript loops. With SPIKELINE_REQUIRE_WASM=1 (CI) a module that fails to compile throws
 * the engine's error instead, so a broken kernel cannot hide behind the fallback.
 */
export function lazyWasmModule(base64: string, name = '(unnamed)'): () => WasmModule | null {
  let compiled: WasmModule | null | undefined;
  return () => {
    if (compiled === undefined) {
      try {
        if (process.env['SPIKELINE_NO_WASM'] === '1') return (compiled = null);
        if (!WebAssemblyApi) throw new Error('this runtime has no WebAssembly (node --jitless?)');
        compiled = new WebAssemblyApi.Module(Buffer.from(base64, 'base64'));
      } catch (err) {
        if (process.env['SPIKELINE_REQUIRE_WASM'] === '1') {
          throw new Error(`WebAssembly module ${name} failed to compile (SPIKELINE_REQUIRE_WASM=1 forbids the TypeScript fallback): ${(err as Error).message}`, { cause: err });
        }
        compiled = null;
      }
    }
    return compiled;
  };
}
