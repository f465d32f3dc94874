/**
 * Test-only byte writers and a reference summary, written from spec/event-formats.md alone (no
 * spikeline event encoder or decoder is used; only AEDAT 4 payload compression borrows
 * spikeline's LZ4/ZSTD compressors, whose decoders are checked against DV's real LZ4 sample and
 * the lz4 CLI elsewhere), so tests that compare spikeline's readers with them have an
 * independent expectation. Each writer takes plain event lists and interleaves the
 * non-event records a real file has (special/external records, IMU and trigger packets,
 * invalid events, TIME_HIGH words) so that file reads split records at many places.
 */
import { compressAedat4, type Aedat4Compression } from '../../src/formats/index.js';
import { rng } from './helpers.js';

export interface PlainEvents {
  x: number[];
  y: number[];
  t: number[];
  p: number[];
}

export interface ReferenceSummary {
  events: number;
  t_first: number | null;
  t_last: number | null;
  x_min: number | null;
  x_max: number | null;
  y_min: number | null;
  y_max: number | null;
  on: number;
  checksum: string;
}

const M61 = (1n << 61n) - 1n;

/** Spec §1.1, one event at a time in BigInt. */
export function referenceSummary(e: PlainEvents): ReferenceSummary {
  const n = e.x.length;
  let sum = 0n;
  let on = 0;
  for (let i = 0; i < n; i++) {
    sum += BigInt(e.x[i]!) * 7919n + BigInt(e.y[i]!) * 104729n + BigInt(e.p[i]!) * 15485863n + BigInt(e.t[i]!);
    on += e.p[i]!;
  }
  const min = (a: number[]): number | null => (n ? a.reduce((m, v) => Math.min(m, v)) : null);
  const max = (a: number[]): number | null => (n ? a.reduce((m, v) => Math.max(m, v)) : null);
  return {
    events: n,
    t_first: n ? e.t[0]! : null,
    t_last: n ? e.t[n - 1]! : null,
    x_min: min(e.x),
    x_max: max(e.x),
    y_min: min(e.y),
    y_max: max(e.y),
    on,
    checksum: (((sum % M61) + M61) % M61).toString(),
  };
}

/** `n` time-sorted random events on width x height, timestamps from t0 in steps of 0..maxStep. */
export function randomEvents(seed: number, n: number, width: number, height: number, t0 = 0, maxStep = 8): PlainEvents {
  const r = rng(seed);
  const e: PlainEvents = { x: [], y: [], t: [], p: [] };
  let t = t0;
  for (let i = 0; i < n; i++) {
    t += Math.floor(r() * (maxStep + 1));
    e.x.push(Math.floor(r() * width));
    e.y.push(Math.floor(r() * height));
    e.p.push(r() < 0.5 ? 1 : 0);
    e.t.push(t);
  }
  return e;
}

class Bytes {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  text(s: string): this {
    for (const c of s) this.u8(c.charCodeAt(0));
    return this;
  }
  u8(v: number): this {
    const at = this.room(1);
    this.buf[at] = v;
    return this;
  }
  u16le(v: number): this {
    const at = this.room(2);
    this.view.setUint16(at, v, true);
    return this;
  }
  u32le(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0, true);
    return this;
  }
  i32le(v: number): this {
    const at = this.room(4);
    this.view.setInt32(at, v, true);
    return this;
  }
  u32be(v: number): this {
    const at = this.room(4);
    this.view.setUint32(at, v >>> 0, false);
    return this;
  }
  i64le(v: number): this {
    const hi = Math.floor(v / 2 ** 32);
    this.u32le(v - hi * 2 ** 32);
    return this.i32le(hi);
  }
  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  pad(to: number): this {
    while (this.length % to) this.u8(0);
    return this;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * AEDAT 2.0, jAER DVS128 addresses (§2.2), with special and external-input records mixed in;
 * `extraHeader` lines (CRLF-terminated) go before the end marker.
 */
export function writeAedat2Dvs128(e: PlainEvents, extraHeader = ''): Uint8Array {
  const out = new Bytes().text(`#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128\r\n# odd length header\r\n${extraHeader}#End Of ASCII Header\r\n`);
  for (let i = 0; i < e.x.length; i++) {
    if (i % 97 === 0) out.u32be(0x80000000).u32be(e.t[i]!); // special event (bit 31)
    if (i % 89 === 0) out.u32be(0x8000).u32be(e.t[i]!); // external input (bit 15)
    out.u32be(((127 - e.y[i]!) << 8) | ((127 - e.x[i]!) << 1) | (1 - e.p[i]!)).u32be(e.t[i]!);
  }
  return out.done();
}

/**
 * AEDAT 3.1 (§3): polarity packets of varying sizes (split where the 31-bit timestamp
 * overflows), each preceded now and then by a special packet or an IMU6 packet, with some
 * invalid-marked events (not part of `e`). `sourceLine` is the `#Source` header value.
 */
export function writeAedat3(e: PlainEvents, sourceLine = 'DVS128', seed = 3): Uint8Array {
  const r = rng(seed);
  const out = new Bytes().text(`#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: ${sourceLine}\r\n#Start-Time: 2026-12-06 11:00:00 (TZ+0000)\r\n#!END-HEADER\r\n`);
  const header = (type: number, size: number, tsOffset: number, overflow: number, count: number): void => {
    out.u16le(type).u16le(1).i32le(size).i32le(tsOffset).i32le(overflow).i32le(count).i32le(count).i32le(count);
  };
  let i = 0;
  while (i < e.x.length) {
    const epoch = Math.floor(e.t[i]! / 2 ** 31);
    if (r() < 0.3) {
      header(0, 8, 4, epoch, 2);
      for (let k = 0; k < 2; k++) out.u32le(1 | (5 << 1)).i32le(e.t[i]! % 2 ** 31);
    }
    if (r() < 0.3) {
      header(3, 36, 4, epoch, 3);
      for (let k = 0; k < 3; k++) {
        out.u32le(1).i32le(e.t[i]! % 2 ** 31);
        for (let f = 0; f < 7; f++) out.u32le(0x3f800000);
      }
    }
    let j = i;
    const limit = i + 1 + Math.floor(r() * 5000);
    while (j < e.x.length && j < limit && Math.floor(e.t[j]! / 2 ** 31) === epoch) j++;
    const invalid = j - i > 10 ? 3 : 0;
    header(1, 8, 4, epoch, j - i + invalid);
    for (let k = i; k < j; k++) {
      const ts = e.t[k]! % 2 ** 31;
      if (k - i < invalid) out.u32le((5 << 17) | (6 << 2) | 2).i32le(ts); // valid bit clear
      out.u32le((e.x[k]! << 17) | (e.y[k]! << 2) | (e.p[k]! << 1) | 1).i32le(ts);
    }
    i = j;
  }
  return out.done();
}

/** A size-prefixed FlatBuffer whose root table has one offset field (id 0) pointing at `vector`. */
function flatbuffer(identifier: string, vector: (out: Bytes, vecAt: number) => void): Uint8Array {
  const out = new Bytes();
  // [size][root][id][vtable: 6, 8, 4][pad][table: soffset, field0][vector…]; offsets from B = 4.
  out.u32le(0).u32le(16).text(identifier).u16le(6).u16le(8).u16le(4).u16le(0);
  out.i32le(20 - 12).u32le(4);
  vector(out, 28);
  const b = out.done();
  new DataView(b.buffer).setUint32(0, b.length - 4, true);
  return b;
}

function evtsPayload(e: PlainEvents, s: number, end: number): Uint8Array {
  return flatbuffer('EVTS', (out) => {
    out.u32le(end - s);
    for (let i = s; i < end; i++) out.i64le(e.t[i]!).u16le(e.x[i]!).u16le(e.y[i]!).u8(e.p[i]!).u8(0).u8(0).u8(0);
  });
}

/** IMUS / TRIG payload: a vector of `k` empty tables (readers only count them). */
function tableVectorPayload(identifier: string, k: number): Uint8Array {
  return flatbuffer(identifier, (out, vecAt) => {
    out.u32le(k);
    const tablesAt = vecAt + 4 + 4 * k + 4; // after the offsets and a shared 4-byte vtable
    for (let i = 0; i < k; i++) out.u32le(tablesAt + 4 * i - (vecAt + 4 + 4 * i));
    out.u16le(4).u16le(4);
    for (let i = 0; i < k; i++) out.i32le(tablesAt + 4 * i - (tablesAt - 4));
  });
}

const XML_COMPRESSION: Record<Aedat4Compression, number> = { none: 0, lz4: 1, 'lz4-high': 2, zstd: 3, 'zstd-high': 4 };

/**
 * AEDAT 4 (§6) without a data table: stream 0 EVTS (width x height), stream 2 IMUS and stream 3
 * TRIG packets between the event packets; events of one packet are e[s, s + 1..3000).
 */
export function writeAedat4(e: PlainEvents, width: number, height: number, compression: Aedat4Compression, seed = 4): Uint8Array {
  const r = rng(seed);
  const node = (id: number, type: string, size = ''): string =>
    `<node name="${id}" path="/mainloop/t/outInfo/${id}/"><attr key="typeIdentifier" type="string">${type}</attr>` +
    `<node name="info" path="/mainloop/t/outInfo/${id}/info/">${size}</node></node>`;
  const xml =
    '<dv version="2.0"><node name="outInfo" path="/mainloop/t/outInfo/">' +
    node(0, 'EVTS', `<attr key="sizeX" type="int">${width}</attr><attr key="sizeY" type="int">${height}</attr>`) +
    node(2, 'IMUS') +
    node(3, 'TRIG') +
    '</node></dv>';
  // IOHeader: [root][IOHE][vtable 10, 20, 4, 8, 16][pad][table: soffset, compression, dtp, infoNode][string]
  const io = new Bytes().u32le(20).text('IOHE').u16le(10).u16le(20).u16le(4).u16le(8).u16le(16).u16le(0);
  io.i32le(20 - 8).i32le(XML_COMPRESSION[compression]).i64le(-1).u32le(4).u32le(xml.length).text(xml).u8(0).pad(4);
  const ioBytes = io.done();
  const out = new Bytes().text('#!AER-DAT4.0\r\n').u32le(ioBytes.length).bytes(ioBytes);
  const packet = (stream: number, payload: Uint8Array): void => {
    const c = compressAedat4(compression, payload);
    out.i32le(stream).i32le(c.length).bytes(c);
  };
  for (let s = 0; s < e.x.length; ) {
    if (r() < 0.4) packet(2, tableVectorPayload('IMUS', 1 + Math.floor(r() * 20)));
    if (r() < 0.2) packet(3, tableVectorPayload('TRIG', 1 + Math.floor(r() * 3)));
    const end = Math.min(e.x.length, s + 1 + Math.floor(r() * 3000));
    packet(0, evtsPayload(e, s, end));
    s = end;
  }
  return out.done();
}

/** Prophesee EVT 2.0 (§11.2): TIME_HIGH on change, CD words, trigger and OTHERS words mixed in. */
export function writeEvt2(e: PlainEvents, width: number, height: number): Uint8Array {
  const out = new Bytes().text(`% evt 2.0\n% format EVT2;height=${height};width=${width}\n% end\n`);
  let high = -1;
  for (let i = 0; i < e.x.length; i++) {
    const t = e.t[i]!;
    if (Math.floor(t / 64) !== high) {
      high = Math.floor(t / 64);
      out.u32le((0x8 << 28) | high);
    }
    if (i % 101 === 0) out.u32le((0xa << 28) | ((t & 63) << 22) | (1 << 8) | 1);
    if (i % 103 === 0) out.u32le(0xe << 28);
    out.u32le((e.p[i]! << 28) | ((t & 63) << 22) | (e.x[i]! << 11) | e.y[i]!);
  }
  return out.done();
}

/**
 * Prophesee EVT 3.0 (§11.3): TIME_HIGH/TIME_LOW/ADDR_Y on change, single ADDR_X events, and
 * every 50th event a VECT_BASE_X + VECT_12 + VECT_8 group. The vector events are generated
 * here, so the events of the file are returned with the bytes. `declared` is the geometry the
 * header states (default: the one the events are drawn on).
 */
export function writeEvt3(seed: number, n: number, width: number, height: number, declared = { width, height }): { bytes: Uint8Array; events: PlainEvents } {
  const r = rng(seed);
  const out = new Bytes().text(`% evt 3.0\n% format EVT3;height=${declared.height};width=${declared.width}\n% end\n`);
  const ev: PlainEvents = { x: [], y: [], t: [], p: [] };
  let t = 0, high = -1, low = -1, y = -1;
  while (ev.x.length < n) {
    t += Math.floor(r() * 9);
    if (t >>> 12 !== high) {
      high = t >>> 12;
      low = -1;
      out.u16le(0x8000 | high);
    }
    if ((t & 4095) !== low) {
      low = t & 4095;
      out.u16le(0x6000 | low);
    }
    const yy = Math.floor(r() * height), p = r() < 0.5 ? 1 : 0;
    if (yy !== y) {
      y = yy;
      out.u16le(y);
    }
    if (ev.x.length % 50 === 49 && width > 20) {
      const base = Math.floor(r() * (width - 20));
      const m12 = 1 + Math.floor(r() * 0xfff), m8 = Math.floor(r() * 0x100);
      out.u16le(0x3000 | (p << 11) | base).u16le(0x4000 | m12).u16le(0x5000 | m8);
      for (let k = 0; k < 12; k++) if (m12 & (1 << k)) push(ev, base + k, y, t, p);
      for (let k = 0; k < 8; k++) if (m8 & (1 << k)) push(ev, base + 12 + k, y, t, p);
    } else {
      const x = Math.floor(r() * width);
      out.u16le(0x2000 | (p << 11) | x);
      push(ev, x, y, t, p);
    }
  }
  return { bytes: out.done(), events: ev };
}

function push(e: PlainEvents, x: number, y: number, t: number, p: number): void {
  e.x.push(x);
  e.y.push(y);
  e.t.push(t);
  e.p.push(p);
}

/** Prophesee DAT (§11.4), CD events. */
export function writeDat(e: PlainEvents, width: number, height: number): Uint8Array {
  const out = new Bytes().text(`% Data file containing CD events\n% Version 2\n% Width ${width}\n% Height ${height}\n`).u8(0x0c).u8(8);
  for (let i = 0; i < e.x.length; i++) out.u32le(e.t[i]!).u32le((e.p[i]! << 28) | (e.y[i]! << 14) | e.x[i]!);
  return out.done();
}

/** N-MNIST `.bin` (§12): 5-byte big-endian packed records. */
export function writeNmnist(e: PlainEvents): Uint8Array {
  const out = new Bytes();
  for (let i = 0; i < e.x.length; i++) {
    const t = e.t[i]!;
    out.u8(e.x[i]!).u8(e.y[i]!).u8((e.p[i]! << 7) | ((t >>> 16) & 0x7f)).u8((t >>> 8) & 0xff).u8(t & 0xff);
  }
  return out.done();
}
