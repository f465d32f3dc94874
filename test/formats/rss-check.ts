#!/usr/bin/env node
// Steady-memory check of the streaming reader in a fresh process (not part of the test suite):
//   node --import tsx test/formats/rss-check.ts [GB]
// Writes an AEDAT 3.1 file of GB gigabytes (default 2) to the temp folder, streams it with
// openEventFile (1 MiB reads, fresh batches) into a checksum, prints the peak RSS, deletes it.
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSummary } from '../../src/events/index.js';
import { openEventFile } from '../../src/formats/index.js';
import { writeRampAedat3 } from './helpers.js';

const gb = Number(process.argv[2] ?? '2');
const path = join(tmpdir(), `spikeline-rss-${process.pid}.aedat`);
await writeRampAedat3(path, Math.round((gb * 1e9) / 8e6));
try {
  const start = process.memoryUsage().rss;
  const file = await openEventFile(path);
  const summary = new EventSummary();
  let peak = start;
  let n = 0;
  const t0 = performance.now();
  for await (const batch of file) {
    summary.add(batch);
    if (++n % 100 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ file_GB: +(file.size / 1e9).toFixed(2), events: summary.events, rss_before_MB: Math.round(start / 1e6), peak_rss_MB: Math.round(peak / 1e6), seconds: +s.toFixed(1) }));
} finally {
  await rm(path, { force: true });
}
