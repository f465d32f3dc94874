// CI (.ci/run) sets SPIKELINE_REQUIRE_WASM=1 and SPIKELINE_REQUIRE_SHARED=1: a WebAssembly kernel
// that does not load, or a missing ../shared, must fail the suite instead of skipping tests.
// A real missing kernel comes from `node --jitless` (no WebAssembly at all); a missing ../shared
// from a copy of the repository with no ../shared beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { lazyWasmModule } from '../../src/util/wasm.js';

const root = resolve(import.meta.dirname, '../..');

/** Runs test files in a child `node --test` with `env` added; its exit status and output. */
function runTests(files: string[], env: Record<string, string>, cwd = root, nodeFlags: string[] = []) {
  // Without NODE_TEST_CONTEXT, the child is a test run of its own, not a subprocess of this one.
  const { NODE_TEST_CONTEXT: _, ...parent } = process.env;
  const r = spawnSync(process.execPath, [...nodeFlags, '--import', 'tsx', '--test', '--test-force-exit', ...files], {
    cwd,
    env: { ...parent, SPIKELINE_REQUIRE_WASM: '', SPIKELINE_REQUIRE_SHARED: '', ...env },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

function withEnv<T>(name: string, value: string, f: () => T): T {
  const old = process.env[name];
  process.env[name] = value;
  try {
    return f();
  } finally {
    if (old === undefined) delete process.env[name];
    else process.env[name] = old;
  }
}

test('a WebAssembly module that fails to compile: null (fallback) normally, an error naming it under SPIKELINE_REQUIRE_WASM=1', () => {
  const notWasm = Buffer.from('not a module').toString('base64');
  assert.equal(withEnv('SPIKELINE_REQUIRE_WASM', '', () => lazyWasmModule(notWasm, 'broken')()), null);
  assert.throws(() => withEnv('SPIKELINE_REQUIRE_WASM', '1', () => lazyWasmModule(notWasm, 'broken')()), /WebAssembly module broken failed to compile/);
});

test('without WebAssembly the kernel comparison tests skip, and fail under SPIKELINE_REQUIRE_WASM=1', () => {
  const files = ['test/operators/noise-wasm.test.ts', 'test/formats/aedat2-kernel.test.ts'];
  const relaxed = runTests(files, {}, root, ['--jitless']);
  assert.equal(relaxed.status, 0, relaxed.out);
  assert.match(relaxed.out, /# skipped 5/);
  const strict = runTests(files, { SPIKELINE_REQUIRE_WASM: '1' }, root, ['--jitless']);
  assert.notEqual(strict.status, 0, strict.out);
  assert.match(strict.out, /noise-kernels failed to compile.*no WebAssembly/);
  assert.match(strict.out, /WebAssembly module kernels failed to compile.*no WebAssembly/);
});

test('without ../shared the golden tests skip, and fail under SPIKELINE_REQUIRE_SHARED=1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-noshared-'));
  try {
    const repo = join(dir, 'repo'); // dir/shared does not exist
    for (const d of ['src', 'test', 'package.json']) cpSync(join(root, d), join(repo, d), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(repo, 'node_modules'));
    const files = ['test/formats/golden.test.ts', 'test/operators/binning-anchor.test.ts'];
    const relaxed = runTests(files, {}, repo);
    assert.equal(relaxed.status, 0, relaxed.out);
    assert.match(relaxed.out, /# pass 0\n# fail 0\n# cancelled 0\n# skipped [1-9]/);
    const strict = runTests(files, { SPIKELINE_REQUIRE_SHARED: '1' }, repo);
    assert.notEqual(strict.status, 0, strict.out);
    assert.match(strict.out, /\.\.\/shared is absent .*SPIKELINE_REQUIRE_SHARED=1 requires the reference data in \.\.\/shared/);
    assert.match(strict.out, /numpy anchor not found .*SPIKELINE_REQUIRE_SHARED=1 requires/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
