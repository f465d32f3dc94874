/**
 * spikeline WebSocket event frame ("SLEV", version 1): one binary WebSocket message carries one
 * batch of events, self-contained, little-endian, columns in the order below.
 *
 * | offset        | type        | field                                            |
 * |---------------|-------------|--------------------------------------------------|
 * | 0             | 4 bytes     | magic `SLEV`                                     |
 * | 4             | u8          | version = 1                                      |
 * | 5             | u8          | flags = 0 (reserved)                             |
 * | 6             | u16         | sensor width                                     |
 * | 8             | u16         | sensor height                                    |
 * | 10            | u16         | reserved = 0                                     |
 * | 12            | u32         | n = number of events                             |
 * | 16            | f64         | t0 = timestamp of the first event, µs            |
 * | 24            | n × u32     | t - t0, µs (so one message spans < 71.6 minutes) |
 * | 24 + 4n       | n × u16     | x                                                |
 * | 24 + 6n       | n × u16     | y                                                |
 * | 24 + 8n       | n × u8      | p (0 = OFF, 1 = ON)                              |
 *
 * Total 24 + 9n bytes; anything else (wrong magic / version, length ≠ 24 + 9n, events outside
 * the sensor, p > 1, t0 not an integer) is malformed. Easy to produce from numpy:
 * `header + (t - t0).astype('<u4') + x.astype('<u2') + y.astype('<u2') + p.astype('u1')`.
 */
import { allocateBatch, type EventBatch } from '../events/index.js';
import { dataView } from '../formats/index.js';

export const WS_FRAME_MAGIC = 0x56454c53; // "SLEV" read as LE u32
export const WS_FRAME_HEADER_BYTES = 24;

export class WsFrameError extends Error {
  override readonly name = 'WsFrameError';
}

export function encodeWsFrame(batch: EventBatch): Uint8Array {
  const n = batch.length;
  const out = new Uint8Array(WS_FRAME_HEADER_BYTES + 9 * n);
  const v = new DataView(out.buffer);
  v.setUint32(0, WS_FRAME_MAGIC, true);
  v.setUint8(4, 1);
  v.setUint16(6, batch.sensor.width, true);
  v.setUint16(8, batch.sensor.height, true);
  v.setUint32(12, n, true);
  const t0 = n > 0 ? batch.t[0]! : 0;
  v.setFloat64(16, t0, true);
  let o = WS_FRAME_HEADER_BYTES;
  for (let i = 0; i < n; i++, o += 4) {
    const dt = batch.t[i]! - t0;
    if (!(dt >= 0 && dt <= 0xffffffff)) throw new RangeError(`ws frame: event ${i} is ${dt} µs after the first (must be 0..2^32-1 and sorted)`);
    v.setUint32(o, dt, true);
  }
  for (let i = 0; i < n; i++, o += 2) v.setUint16(o, batch.x[i]!, true);
  for (let i = 0; i < n; i++, o += 2) v.setUint16(o, batch.y[i]!, true);
  out.set(batch.p.subarray(0, n), o);
  return out;
}

export function decodeWsFrame(bytes: Uint8Array): EventBatch {
  if (bytes.length < WS_FRAME_HEADER_BYTES) throw new WsFrameError(`ws frame: ${bytes.length} bytes, shorter than the 24-byte header`);
  const v = dataView(bytes);
  if (v.getUint32(0, true) !== WS_FRAME_MAGIC) throw new WsFrameError('ws frame: bad magic (expected "SLEV")');
  if (v.getUint8(4) !== 1) throw new WsFrameError(`ws frame: unsupported version ${v.getUint8(4)}`);
  const width = v.getUint16(6, true), height = v.getUint16(8, true);
  const n = v.getUint32(12, true);
  if (bytes.length !== WS_FRAME_HEADER_BYTES + 9 * n) throw new WsFrameError(`ws frame: ${bytes.length} bytes but n = ${n} needs ${WS_FRAME_HEADER_BYTES + 9 * n}`);
  const t0 = v.getFloat64(16, true);
  if (!Number.isSafeInteger(t0)) throw new WsFrameError(`ws frame: t0 = ${t0} is not an integer µs timestamp`);
  if (width === 0 || height === 0) throw new WsFrameError('ws frame: sensor size is 0');
  const b = allocateBatch(n, { width, height });
  let o = WS_FRAME_HEADER_BYTES;
  for (let i = 0; i < n; i++, o += 4) b.t[i] = t0 + v.getUint32(o, true);
  for (let i = 0; i < n; i++, o += 2) {
    const x = v.getUint16(o, true);
    if (x >= width) throw new WsFrameError(`ws frame: event ${i} x = ${x} outside width ${width}`);
    b.x[i] = x;
  }
  for (let i = 0; i < n; i++, o += 2) {
    const y = v.getUint16(o, true);
    if (y >= height) throw new WsFrameError(`ws frame: event ${i} y = ${y} outside height ${height}`);
    b.y[i] = y;
  }
  for (let i = 0; i < n; i++, o++) {
    const p = bytes[o]!;
    if (p > 1) throw new WsFrameError(`ws frame: event ${i} polarity ${p} (must be 0 or 1)`);
    b.p[i] = p;
  }
  return b;
}
