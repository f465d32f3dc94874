// `npm test` type-checks with noUncheckedIndexedAccess and lints with Biome (biome.jsonc): both
// must reject what they are there for, shown on small programs of each kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

test('the type check rejects an unchecked array read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-tsc-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(root, 'tsconfig.json'), compilerOptions: { noEmit: true, rootDir: '.', types: [] }, include: ['x.ts'] }));
    writeFileSync(join(dir, 'x.ts'), 'export function first(xs: number[]): number {\n  return xs[0];\n}\n');
    const r = spawnSync(bin('tsc'), ['-p', dir], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /x\.ts\(2,3\).*Type 'number \| undefined' is not assignable to type 'number'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the linter rejects a floating promise and a misused one, and passes their fixed forms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-lint-'));
  try {
    cpSync(join(root, 'biome.jsonc'), join(dir, 'biome.jsonc'));
    mkdirSync(join(dir, 'src'));
    const lint = (code: string) => {
      writeFileSync(join(dir, 'src', 'probe.ts'), code);
      const r = spawnSync(bin('biome'), ['lint', 'src/probe.ts'], { cwd: dir, encoding: 'utf8' });
      return { status: r.status, out: r.stdout + r.stderr };
    };
    const floating = lint('export async function f(): Promise<void> {}\nexport function g(): void {\n  f();\n}\n');
    assert.notEqual(floating.status, 0);
    assert.match(floating.out, /probe\.ts:3:3 lint\/nursery\/noFloatingPromises/);
    const misused = lint('export function h(p: Promise<boolean>): number {\n  return p ? 1 : 0;\n}\n');
    assert.notEqual(misused.status, 0);
    assert.match(misused.out, /probe\.ts:2:10 lint\/nursery\/noMisusedPromises/);
    const fixed = lint('export async function f(): Promise<void> {}\nexport async function g(): Promise<void> {\n  await f();\n}\n');
    assert.equal(fixed.status, 0, fixed.out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
