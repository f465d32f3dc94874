import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBatches, sliceBatch, type EventBatch } from '../../src/events/index.js';
import { Aedat3Decoder, Aedat3PacketEncoder, Aedat4Decoder, Aedat4Encoder, concatChunks, encodeAedat3NetworkHeader } from '../../src/formats/index.js';
import { randomEvents, rows } from '../support/events.js';

const sensor = { width: 128, height: 128 };

/**
 * Socket sources read into one reused Node Buffer. A decoder must copy the bytes it keeps across
 * push() calls (a record straddling two reads): on a Buffer, `.slice()` is a view, so a decoder
 * that kept `chunk.slice(...)` would see those bytes overwritten by the next read.
 */
function feedThroughReusedBuffer(stream: Uint8Array, push: (chunk: Uint8Array) => EventBatch[], readSize: number): EventBatch[] {
  const read = Buffer.alloc(readSize);
  const out: EventBatch[] = [];
  for (let o = 0; o < stream.length; o += readSize) {
    const n = Math.min(readSize, stream.length - o);
    read.set(stream.subarray(o, o + n));
    out.push(...push(read.subarray(0, n)));
    read.fill(0xa5); // the next read overwrites the buffer; poison it so a kept view shows
  }
  return out;
}

test('decoders copy straddling records out of a reused Buffer (AEDAT 3.1 and DV network streams)', () => {
  const ev = randomEvents(20_000, sensor, 31, 1_000_000, 1_605_537_493_718_345);
  const a3 = new Aedat3PacketEncoder();
  const a3Bytes = concatChunks([encodeAedat3NetworkHeader(1, 0n), ...[0, 7000, 14000].map((i) => a3.encode(sliceBatch(ev, i, i + 7000)))]);
  const a4 = new Aedat4Encoder({ sensor, compression: 'none', framing: 'network' });
  const a4Bytes = concatChunks([a4.begin(), ...[0, 7000, 14000].map((i) => a4.encode(sliceBatch(ev, i, i + 7000)))]);
  // Read sizes that are not multiples of the record sizes, so records straddle reads.
  for (const readSize of [997, 4099, 65_521]) {
    const d3 = new Aedat3Decoder({ framing: 'network', sensor });
    const got3 = feedThroughReusedBuffer(a3Bytes, (c) => d3.push(c), readSize);
    got3.push(...d3.end());
    assert.deepEqual(rows(concatBatches(got3)), rows(ev), `aedat3, reads of ${readSize}`);
    const d4 = new Aedat4Decoder({ framing: 'network' });
    const got4 = feedThroughReusedBuffer(a4Bytes, (c) => d4.push(c), readSize);
    got4.push(...d4.end());
    assert.deepEqual(rows(concatBatches(got4)), rows(ev), `dv, reads of ${readSize}`);
  }
});
