/**
 * The one TensorFlow.js release spikeline runs on. The SNN kernels read tensors in place on the
 * WASM backend's heap (its `dataIdMap` offsets and `HEAPF32`, not public API) and wrap its
 * Identity kernel, so another release could break them silently: package.json pins exactly this
 * version of every @tensorflow package, and a different one is refused with a clear error.
 */
export const TFJS_VERSION = '4.22.0';

/** Throws unless `pkg` (a @tensorflow package) reports version TFJS_VERSION. */
export function requireTfjsVersion(pkg: string, found: string): void {
  if (found === TFJS_VERSION) return;
  throw new Error(
    `${pkg} ${found} is loaded, but spikeline works only with TensorFlow.js ${TFJS_VERSION} (it reads the WASM backend's internals): ` +
      `install ${pkg}@${TFJS_VERSION} (npm dedupes it when your application pins the same version)`,
  );
}
