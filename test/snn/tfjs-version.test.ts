// spikeline reads TensorFlow.js internals, so it runs on one pinned release only: package.json
// pins it exactly (what the lockfile installs), and any other version is refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TFJS_VERSION, requireTfjsVersion } from '../../src/snn/tfjs-version.js';

const root = join(import.meta.dirname, '../..');
const json = (file: string) => JSON.parse(readFileSync(join(root, file), 'utf8'));

test('package.json pins every @tensorflow package to exactly the version the lockfile installs', () => {
  const pkg = json('package.json');
  const lock = json('package-lock.json');
  const specs = { ...pkg.dependencies, ...pkg.peerDependencies } as Record<string, string>;
  const tfjs = Object.keys(specs).filter((name) => name.startsWith('@tensorflow/'));
  assert.deepEqual(tfjs.sort(), ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core', '@tensorflow/tfjs-node']);
  for (const name of tfjs) assert.equal(specs[name], TFJS_VERSION, `${name} in package.json`);
  for (const name of tfjs.filter((n) => n !== '@tensorflow/tfjs-node')) {
    assert.equal(lock.packages[`node_modules/${name}`].version, TFJS_VERSION, `${name} in package-lock.json`);
  }
});

test('another TensorFlow.js version is refused with an error naming the package, both versions and the fix', () => {
  assert.doesNotThrow(() => requireTfjsVersion('@tensorflow/tfjs-core', TFJS_VERSION));
  assert.throws(
    () => requireTfjsVersion('@tensorflow/tfjs-backend-wasm', '4.21.0'),
    (e: Error) => /@tensorflow\/tfjs-backend-wasm 4\.21\.0 is loaded.*only with TensorFlow\.js 4\.22\.0.*install @tensorflow\/tfjs-backend-wasm@4\.22\.0/.test(e.message),
  );
});
