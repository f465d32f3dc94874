/**
 * Every writer keeps the sensor size: events written on a 320x240 or a 34x34 sensor read back
 * with that size and all their events (AEDAT 3.1 used to come back as 128x128).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBufferBatches, detectFormat, initZstd, readEvents, writeEventFile, type WritableFormat, type WriteCompression } from '../../src/formats/index.js';
import { assertBatchesEqual, randomBatch } from './helpers.js';
import { randomEvents, writeAedat3 } from './reference-writers.js';

const WRITERS: ReadonlyArray<[WritableFormat, WriteCompression?]> = [['aedat2'], ['aedat3'], ['aedat4', 'none'], ['aedat4', 'lz4'], ['aedat4', 'zstd'], ['csv']];

for (const sensor of [{ width: 320, height: 240 }, { width: 34, height: 34 }]) {
  test(`every writer round-trips a ${sensor.width}x${sensor.height} sensor and all its events`, async () => {
    await initZstd();
    const dir = await mkdtemp(join(tmpdir(), 'spikeline-sensor-'));
    try {
      const events = randomBatch(7, 5000, sensor, 1000);
      for (const [format, compression] of WRITERS) {
        const path = join(dir, `out-${format}-${compression ?? ''}`);
        await writeEventFile(path, [events], { format, ...(compression ? { compression } : {}) });
        const back = await readEvents(path);
        assert.deepEqual(back.sensor, sensor, `${format} ${compression ?? ''}`);
        assertBatchesEqual(back, events, `${format} ${compression ?? ''}`);
      }
      const header = new TextDecoder().decode((await readFile(join(dir, 'out-aedat3-'))).subarray(0, 400));
      // cAER's reader takes the size from this form of the #Source line.
      assert.match(header, new RegExp(`#Source 1: File,dvsSizeX=${sensor.width},dvsSizeY=${sensor.height},`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('AEDAT 3.1 reader takes the sensor from cAER-style #Source lines', () => {
  const e = randomEvents(8, 100, 128, 128);
  const cases: Array<[string, { width: number; height: number }]> = [
    ['DVS128', { width: 128, height: 128 }],
    ['DAVIS346B', { width: 346, height: 260 }],
    ['DAVIS240C', { width: 240, height: 180 }],
    ['File,dvsSizeX=320,dvsSizeY=240,apsSizeX=0,apsSizeY=0,dataSizeX=320,dataSizeY=240,visualizerSizeX=0,visualizerSizeY=0\r\n#-Source 0: DVXplorer', { width: 320, height: 240 }],
    ['Processor,dvsSizeX=0,dvsSizeY=0,apsSizeX=0,apsSizeY=0,dataSizeX=34,dataSizeY=34,visualizerSizeX=0,visualizerSizeY=0', { width: 34, height: 34 }],
    ['spikeline_320x240', { width: 320, height: 240 }],
  ];
  for (const [source, sensor] of cases) {
    const { decoder } = decodeBufferBatches(writeAedat3(e, source));
    assert.deepEqual(decoder.sensor, sensor, source);
  }
});

test('CSV: a %geometry:W,H line (Metavision CSV convention) gives the sensor; written files start with it', async () => {
  const text = '%geometry:320,240\nx,y,t,p\n1,2,10,1\n3,4,20,0\n';
  const bytes = new TextEncoder().encode(text);
  assert.equal(detectFormat(bytes), 'csv');
  const { batches, decoder } = decodeBufferBatches(bytes);
  assert.deepEqual(decoder.sensor, { width: 320, height: 240 });
  assert.deepEqual([...batches[0]!.x], [1, 3]);
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-sensor-'));
  try {
    const path = join(dir, 'o.csv');
    await writeEventFile(path, [randomBatch(1, 3, { width: 34, height: 34 })], { format: 'csv' });
    assert.match(await readFile(path, 'utf8'), /^%geometry:34,34\nx,y,t,p\n/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
