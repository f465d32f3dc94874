import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EventSummary } from '../../src/events/index.js';
import { Aedat2Decoder, openEventFile } from '../../src/formats/index.js';
import { REAL, sharedSkip } from './helpers.js';

if (sharedSkip) console.log(`# SKIP golden tests: ${sharedSkip}`);

const EXPECTED = {
  'sample_ncars.dat': { format: 'dat', first: [0, 25, 8, 0], summary: { events: 2009, t_first: 0, t_last: 99952, x_min: 0, x_max: 77, y_min: 0, y_max: 41, on: 1350, checksum: '25981847240' } },
  'sample_nmnist.bin': { format: 'nmnist', first: [654, 7, 15, 1], summary: { events: 4325, t_first: 654, t_last: 311175, x_min: 0, x_max: 33, y_min: 0, y_max: 33, on: 2145, checksum: '42030550222' } },
  'sample_aedat_header.aedat': { format: 'aedat2', first: undefined, summary: { events: 0, t_first: null, t_last: null, x_min: null, x_max: null, y_min: null, y_max: null, on: 0, checksum: '0' } },
} as const;

for (const [name, want] of Object.entries(EXPECTED)) {
  test(`golden: ${name}`, { skip: sharedSkip }, async () => {
    const file = await openEventFile(join(REAL, name), { chunkBytes: 4096 });
    assert.equal(file.format, want.format);
    const s = new EventSummary();
    let first: number[] | undefined;
    for await (const b of file) {
      first ??= [b.t[0]!, b.x[0]!, b.y[0]!, b.p[0]!];
      s.add(b);
    }
    assert.deepEqual(s.toJSON(), want.summary);
    assert.deepEqual(first, want.first);
  });
}

test('golden: AEDAT 2.0 header-only Davis346red file picks the DAVIS346 layout', { skip: sharedSkip }, async () => {
  const file = await openEventFile(join(REAL, 'sample_aedat_header.aedat'));
  for await (const _ of file) assert.fail('no events expected');
  const d = file.decoder as Aedat2Decoder;
  assert.equal(d.chip, 'eu.seebetter.ini.chips.davis.Davis346red');
  assert.equal(d.layout?.name, 'davis346');
  assert.deepEqual(d.sensor, { width: 346, height: 260 });
  assert.equal(d.creationTimeMs, 1695355587880);
  assert.equal(d.header.length, 12);
});
