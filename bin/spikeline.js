#!/usr/bin/env node
// Entry point of the installed CLI: runs the compiled code (built by `npm run build`, or by
// `npm ci` through the prepare script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`spikeline: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
