#!/usr/bin/env node
// Steady-memory check of the streaming reader in a fresh process (not part of the test suite):
//   node --import tsx test/formats/rss-check.ts [GB]
// Writes an AEDAT 3.1 file of GB gigabytes (default 2) to the temp folder, streams it with
// openEventFile (1 MiB reads, fresh batches) into a checksum, prints the peak RSS, deletes it.
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allocateBatch, EventSummary } from '../../src/events/index.js';
import { Aedat3PacketEncoder, encodeAedat3Header, openEventFile } from '../../src/formats/index.js';

const gb = Number(process.argv[2] ?? '2');
const path = join(tmpdir(), `spikeline-rss-${process.pid}.aedat`);
const fh = await open(path, 'w');
await fh.write(encodeAedat3Header());
const enc = new Aedat3PacketEncoder();
const B = 1_000_000;
const b = allocateBatch(B, { width: 128, height: 128 });
const batches = Math.round((gb * 1e9) / (8 * B));
for (let k = 0, t = 0; k < batches; k++) {
  for (let i = 0; i < B; i++, t++) {
    b.x[i] = i & 127;
    b.y[i] = (i >> 7) & 127;
    b.p[i] = i & 1;
    b.t[i] = t;
  }
  await fh.write(enc.encode(b));
}
await fh.close();
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
