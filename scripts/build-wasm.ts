#!/usr/bin/env node
// Assembles the hand-written WebAssembly kernels (.wat) into TypeScript modules holding the
// binary as base64, with the devDependency `wabt`:  node --import tsx scripts/build-wasm.ts
// Arguments, if any, select modules by a substring of their .wat path.
// test/util/wasm-modules.test.ts fails when a generated module is stale.
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASM_MODULES, assembleWat, generatedModuleSource } from './wasm-modules.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
for (const m of WASM_MODULES.filter((w) => only.length === 0 || only.some((o) => w.wat.includes(o)))) {
  const bytes = await assembleWat(join(root, m.wat));
  writeFileSync(join(root, m.out), generatedModuleSource(m, bytes));
  console.log(`${m.wat} -> ${m.out} (${bytes.length} bytes)`);
}
