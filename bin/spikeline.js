#!/usr/bin/env node
// Entry point of the installed CLI: runs the compiled code (built by `npm run build`, or by
// `npm ci` through the prepare script). On glibc Linux it first starts itself again with huge
// pages for large buffers (src/util/huge-pages.ts; SPIKELINE_HUGE_PAGES=0 turns that off).
import { relaunchWithHugePages } from '../dist/util/huge-pages.js';

const fail = (err) => {
  process.stderr.write(`spikeline: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
};

relaunchWithHugePages().then(async (code) => {
  if (code !== undefined) {
    process.exitCode = code;
    return;
  }
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}).catch(fail);
