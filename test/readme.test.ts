// The README's examples against the CLI they document: every `spikeline COMMAND ...` line of a
// ```sh block names a command (and sub-command) that exists and only flags its usage text lists;
// the docs/ reference pages and the pipeline configs' comments are held to the same rule; every relative link to docs/ or
// pipelines/ points at a file that exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { commands } from '../src/cli/commands/index.js';
import type { Command } from '../src/cli/command.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The command lines of a markdown text's ```sh blocks: comments stripped, `\` continuations joined. */
function shellLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  return blocks.flatMap((block) => block.replace(/\\\n/g, ' ').split('\n')).map(stripComment).filter((l) => l.trim() !== '');
}

/** A line without its `# comment` (a `#` starting a word, outside quotes). */
function stripComment(line: string): string {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Every `spikeline ...` invocation in a line (also after `npx`, `&&`, `|`, an env assignment). */
function invocations(line: string): string[][] {
  const out: string[][] = [];
  for (const part of line.split(/&&|\|\||[|;]/)) {
    const words = part.trim().match(/'[^']*'|"[^"]*"|\S+/g) ?? [];
    const at = words.findIndex((w, i) => w === 'spikeline' && (i === 0 || words[i - 1] === 'npx' || /^[A-Z_]+=/.test(words[i - 1]!)));
    if (at >= 0) out.push(words.slice(at + 1));
  }
  return out;
}

/** Problems of one invocation's words (after `spikeline`) against the commands' usage texts. */
function checkInvocation(words: string[], list: readonly Command[] = commands): string[] {
  const [name, ...rest] = words;
  if (name === undefined || name === 'help' || name === '--version' || name === 'version') {
    return name === 'help' && rest[0] !== undefined && rest[0] !== 'COMMAND' && !list.some((c) => c.name === rest[0]) ? [`help: no command "${rest[0]}"`] : [];
  }
  const command = list.find((c) => c.name === name);
  if (!command) return [`no command "${name}"`];
  const problems: string[] = [];
  // A bare lowercase word right after the command is a sub-command or keyword: the usage must name it.
  const sub = rest[0];
  const subs = [...command.usage.matchAll(new RegExp(`spikeline ${name} ([a-z][a-z0-9-]*)\\b`, 'g'))].map((m) => m[1]!);
  const named = subs.length > 0 ? subs.includes(sub ?? '') : new RegExp(`\\b${sub}\\b`).test(command.usage);
  if (sub !== undefined && /^[a-z][a-z0-9-]*$/.test(sub) && !named) {
    problems.push(`${name}: "${sub}" is not a sub-command in its usage`);
  }
  for (const word of rest) {
    // A path into the repository's own files must exist, so the example runs as written.
    const path = /^(?:fixtures|pipelines|docs)\/[^\s*]*$/.exec(word.replace(/^['"]|['"]$/g, ''))?.[0];
    if (path && !existsSync(join(root, path))) problems.push(`${name}: ${path} does not exist`);
    for (const flag of word.matchAll(/(?:^|[[(|])(--[a-z][a-z0-9-]*)/g)) {
      if (!new RegExp(`${flag[1]}(?![a-z0-9-])`).test(command.usage)) problems.push(`${name}: ${flag[1]} is not in its usage`);
    }
  }
  return problems;
}

test('every spikeline command line in the README exists with the flags it shows', () => {
  const lines = shellLines(readme);
  const runs = lines.flatMap(invocations);
  assert.ok(runs.length >= 20, `the README shows spikeline commands (found ${runs.length})`);
  const problems = lines.flatMap((line) => invocations(line).flatMap((words) => checkInvocation(words).map((p) => `${p}\n    in: ${line.trim()}`)));
  assert.deepEqual(problems, []);
  // Every command is shown at least once.
  const shown = new Set(runs.map((w) => w[0]));
  assert.deepEqual(commands.map((c) => c.name).filter((n) => !shown.has(n)), [], 'commands with no README example');
});

test('the spikeline command lines of the docs/ reference pages exist with their flags', () => {
  const pages = ['formats', 'streaming', 'simulator', 'snn', 'search', 'serving', 'scaling'];
  const problems = pages.flatMap((page) =>
    shellLines(readFileSync(join(root, 'docs', `${page}.md`), 'utf8')).flatMap((line) => invocations(line).flatMap((words) => checkInvocation(words).map((p) => `docs/${page}.md: ${p}`))),
  );
  assert.deepEqual(problems, []);
});

test('the spikeline commands in the pipeline configs\' comments exist with their flags', () => {
  const dir = join(root, 'pipelines');
  const problems: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n').filter((l) => l.trimStart().startsWith('#'))) {
      const spans = [...line.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
      for (const text of spans.length > 0 ? spans : [line.replace(/^\s*#/, '')]) {
        for (const words of invocations(text)) problems.push(...checkInvocation(words).map((p) => `${file}: ${p}`));
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the checker catches a wrong command, sub-command or flag', () => {
  const check = (line: string) => invocations(line).flatMap((w) => checkInvocation(w));
  assert.deepEqual(check('spikeline info fixtures/formats-bar.aedat4 --stream 1 --json'), []);
  assert.deepEqual(check('npx spikeline search report s.db --export best.json'), []);
  assert.equal(check('spikeline train --dataset cifar10-dvs --out m').length, 1);
  assert.equal(check('spikeline search reprot s.db').length, 1);
  assert.equal(check('spikeline experiment transfer --out x [--quick] [--nope]').length, 1);
  assert.equal(check('cd x && spikeline nothing --x').length, 1);
  assert.equal(check('spikeline run pipelines/nope.yaml --check').length, 1);
  assert.equal(check('npm start').length, 0);
});

/** GitHub's anchors of a markdown text's headings. */
function anchors(markdown: string): Set<string> {
  const headings = [...markdown.replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.*)$/gm)].map((m) => m[1]!);
  return new Set(headings.map((h) => h.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));
}

test('relative links in the README to docs/ and pipelines/ point at files (and headings) that exist', () => {
  const links = [...readme.matchAll(/\]\(((?:\.\/)?(?:docs|pipelines)\/[^)#\s]*)(?:#([^)]*))?\)/g)].map((m) => ({ path: m[1]!, anchor: m[2] }));
  assert.ok(links.length >= 5, 'the README links its docs');
  assert.deepEqual(links.filter((l) => !existsSync(join(root, l.path))).map((l) => l.path), []);
  const badAnchors = links.filter((l) => l.anchor !== undefined && !anchors(readFileSync(join(root, l.path), 'utf8')).has(l.anchor));
  assert.deepEqual(badAnchors.map((l) => `${l.path}#${l.anchor}`), []);
  const own = anchors(readme);
  assert.deepEqual([...readme.matchAll(/\]\(#([^)]*)\)/g)].map((m) => m[1]!).filter((a) => !own.has(a)), [], 'links to the README\'s own headings');
});
