// The generated base64 modules must be exactly what their .wat sources assemble to: an edited
// .wat without `node --import tsx scripts/build-wasm.ts` would otherwise ship stale kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASM_MODULES, assembleWat } from '../../scripts/wasm-modules.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

for (const m of WASM_MODULES) {
  test(`${m.out} is the assembly of ${m.wat}`, async () => {
    const generated = readFileSync(join(root, m.out), 'utf8');
    const b64 = new RegExp(`export const ${m.constant} =\\s*'([A-Za-z0-9+/=]+)'`).exec(generated)?.[1];
    assert.ok(b64, `${m.out} declares ${m.constant}`);
    const expected = Buffer.from(await assembleWat(join(root, m.wat))).toString('base64');
    assert.ok(b64 === expected, `${m.out} is stale: run node --import tsx scripts/build-wasm.ts`);
  });
}
