// The package entry point (src/index.ts): a curated public surface, and an import that loads
// neither the native SQLite addon nor the ZSTD WebAssembly until they are used. Evidence comes
// from a fresh child process: CommonJS modules it loaded (require.cache) and the shared objects
// mapped into it (/proc/self/maps), never timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** Runs `body` (ESM, top-level await) after importing the package in a fresh node; its JSON output. */
function inChild(body: string): Record<string, boolean> {
  const script = `
    import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    const spikeline = await import('./src/index.ts');
    const loaded = (name) => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/' + name + '/'));
    const sqliteAddonMapped = () => readFileSync('/proc/self/maps', 'utf8').includes('better_sqlite3.node');
    const out = {};
    ${body}
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('importing the package loads neither better-sqlite3, pg nor the ZSTD module; first use loads each', () => {
  const out = inChild(`
    out.sqliteAtImport = loaded('better-sqlite3') || sqliteAddonMapped();
    out.zstdAtImport = loaded('@bokuweb/zstd-wasm');
    out.pgAtImport = loaded('pg');
    const { encodeEvents, decodeBuffer, batchFromArrays, openStudyStore } = spikeline;
    const batch = batchFromArrays({ x: [1, 2], y: [3, 4], t: [10, 20], p: [0, 1] }, { width: 8, height: 8 });
    const bytes = await encodeEvents([batch], { format: 'aedat4', compression: 'zstd' });
    out.zstdRoundTrip = Array.from(decodeBuffer(bytes).t).join() === '10,20';
    out.zstdAfterUse = loaded('@bokuweb/zstd-wasm');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const dir = mkdtempSync((await import('node:os')).tmpdir() + '/spikeline-index-');
    await (await openStudyStore(dir + '/study.db', { name: 'x' })).close();
    out.sqliteAfterUse = loaded('better-sqlite3') && sqliteAddonMapped();
    rmSync(dir, { recursive: true });
  `);
  assert.deepEqual(out, { sqliteAtImport: false, zstdAtImport: false, pgAtImport: false, zstdRoundTrip: true, zstdAfterUse: true, sqliteAfterUse: true });
});

/** Names imported from 'spikeline' in the README's examples. */
function readmeImports(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/import\s*\{([^}]*)\}\s*from\s*'spikeline'/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 3, 'the README shows library imports');
  return blocks.flatMap((b) => b.split(',').map((s) => s.replace(/^\s*type\s+/, '').trim())).filter(Boolean);
}

test('the public surface has what the README documents and none of the internals', async () => {
  const api = await import('../src/index.js');
  const names = new Set(Object.keys(api));
  for (const name of readmeImports()) assert.ok(names.has(name), `README imports ${name} from 'spikeline'`);
  for (const internal of ['rootTable', 'lz4DecodeBlock', 'xxh32', 'WasmArena', 'ChunkDecoder', 'zstdDecompress', 'parseIOHeader', 'packBatch', 'str', 'obj', 'validate', 'randomSource', 'startWorker']) {
    assert.ok(!names.has(internal), `${internal} is internal`);
  }
});
