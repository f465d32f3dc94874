/**
 * LZ4 block and frame codec (https://github.com/lz4/lz4/blob/dev/doc — frame and block format
 * specifications), written for AEDAT 4 packets: typed arrays only, output into a caller-owned
 * growable buffer so a decoder reuses one scratch area for every packet.
 *
 * Decoding supports linked blocks (DV writes FLG=0x40: later blocks reference earlier output),
 * so all blocks of a frame are decoded into one contiguous buffer. Checksums are skipped, not
 * verified; every length and offset is bounds-checked, so corrupt input throws Lz4Error and
 * never reads or writes out of range or loops forever.
 */

export class Lz4Error extends Error {
  override readonly name = 'Lz4Error';
  /** Offset in the compressed input where decoding failed. */
  constructor(message: string, readonly position: number) {
    super(message);
  }
}

export const LZ4_FRAME_MAGIC = 0x184d2204;
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 1 << 16, 1 << 18, 1 << 20, 1 << 22];

/** A growable output buffer reused across frames. */
export class ByteScratch {
  buf: Uint8Array;
  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }
  /** Ensures capacity >= `size`, keeping the first `keep` bytes. */
  ensure(size: number, keep: number): Uint8Array {
    if (size > this.buf.length) {
      const next = new Uint8Array(Math.max(size, this.buf.length * 2));
      if (keep > 0) next.set(this.buf.subarray(0, keep));
      this.buf = next;
    }
    return this.buf;
  }
}

/**
 * Decodes one LZ4 block src[start, end) into dst at dPos (matches may reach back to dst[0],
 * i.e. into earlier linked blocks). Returns the new output position. Bytes of dst between that
 * position and dEnd may be overwritten (short copies move whole words).
 */
export function lz4DecodeBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, dPos: number, dEnd: number): number {
  let s = start;
  let d = dPos;
  // Word views for the short copies that dominate event data (~2 sequences per 16-byte struct).
  const sv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  while (s < end) {
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (s >= end) throw new Lz4Error('literal length runs past the block', s);
        b = src[s++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > 0) {
      if (s + lit > end) throw new Lz4Error('literals run past the block', s);
      if (d + lit > dEnd) throw new Lz4Error('literals overflow the output', s);
      if (lit <= 8 && s + 8 <= end && d + 8 <= dEnd) {
        // Two 4-byte moves; bytes past `lit` are rewritten by what follows or lie beyond the output.
        dv.setUint32(d, sv.getUint32(s, true), true);
        dv.setUint32(d + 4, sv.getUint32(s + 4, true), true);
      } else if (lit < 16) {
        for (let i = 0; i < lit; i++) dst[d + i] = src[s + i]!;
      } else {
        dst.set(src.subarray(s, s + lit), d);
      }
      s += lit;
      d += lit;
    }
    if (s >= end) break; // last sequence has literals only
    if (s + 2 > end) throw new Lz4Error('truncated match offset', s);
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) throw new Lz4Error(`match offset ${offset} outside the output`, s - 2);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (s >= end) throw new Lz4Error('match length runs past the block', s);
        b = src[s++]!;
        len += b;
      } while (b === 255);
    }
    if (d + len > dEnd) throw new Lz4Error('match overflows the output', s);
    let m = d - offset;
    if (offset >= 8 && len <= 8 && d + 8 <= dEnd) {
      dv.setUint32(d, dv.getUint32(m, true), true);
      dv.setUint32(d + 4, dv.getUint32(m + 4, true), true);
      d += len;
    } else if (offset >= len && len >= 32) {
      dst.copyWithin(d, m, m + len);
      d += len;
    } else {
      const stop = d + len;
      while (d < stop) dst[d++] = dst[m++]!;
    }
  }
  return d;
}

/**
 * Decodes a whole LZ4 frame src[start, end) into `scratch` (from offset 0). Returns the
 * decompressed length; the output is scratch.buf[0, length). Output beyond `maxOutput` bytes
 * throws (bounds allocation by a caller's limit, never by a header field).
 */
export function lz4DecodeFrame(src: Uint8Array, start: number, end: number, scratch: ByteScratch, maxOutput: number): number {
  const info = lz4FrameInfo(src, start, end);
  const blockMax = info.blockMax;
  let s = info.dataStart;
  let d = 0;
  for (;;) {
    if (s + 4 > end) throw new Lz4Error('truncated LZ4 block header', s);
    const word = (src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24)) >>> 0;
    s += 4;
    if (word === 0) break;
    const stored = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMax || s + size > end) throw new Lz4Error(`LZ4 block size ${size} invalid`, s - 4);
    const limit = Math.min(d + blockMax, maxOutput);
    const out = scratch.ensure(limit, d);
    if (stored) {
      if (d + size > limit) throw new Lz4Error('stored block overflows the output limit', s);
      out.set(src.subarray(s, s + size), d);
      d += size;
    } else {
      d = lz4DecodeBlock(src, s, s + size, out, d, limit);
    }
    s += size + (info.blockChecksum ? 4 : 0);
    if (d >= maxOutput && s < end && !(s + 4 <= end && src[s] === 0 && src[s + 1] === 0 && src[s + 2] === 0 && src[s + 3] === 0)) {
      throw new Lz4Error(`LZ4 frame decompresses beyond the ${maxOutput}-byte limit`, s);
    }
  }
  if (info.contentChecksum) s += 4;
  if (s > end) throw new Lz4Error('truncated LZ4 content checksum', end);
  return d;
}

/** Parsed LZ4 frame header: where blocks start and how they are laid out. */
export interface Lz4FrameInfo {
  dataStart: number;
  blockMax: number;
  blockChecksum: boolean;
  contentChecksum: boolean;
}

export function lz4FrameInfo(src: Uint8Array, start: number, end: number): Lz4FrameInfo {
  let s = start;
  if (end - s < 7) throw new Lz4Error('LZ4 frame too short', s);
  const magic = (src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24)) >>> 0;
  if (magic !== LZ4_FRAME_MAGIC) throw new Lz4Error(`bad LZ4 frame magic 0x${magic.toString(16)}`, s);
  s += 4;
  const flg = src[s++]!;
  const bd = src[s++]!;
  if (flg >>> 6 !== 1) throw new Lz4Error(`unsupported LZ4 frame version ${flg >>> 6}`, s - 2);
  const blockMax = BLOCK_MAX_SIZES[(bd >>> 4) & 7]!;
  if (blockMax === 0) throw new Lz4Error(`invalid LZ4 block maximum size code ${(bd >>> 4) & 7}`, s - 1);
  // Content size (8) and dictionary id (4) are skipped; the header checksum byte is not verified.
  s += ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1;
  return { dataStart: s, blockMax, blockChecksum: (flg & 0x10) !== 0, contentChecksum: (flg & 0x04) !== 0 };
}

// ---------------------------------------------------------------------------------------------
// Encoding

const HASH_LOG = 14;
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;

/** Worst-case compressed size of `n` bytes as one block. */
export function lz4BlockBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

const hashTable = new Int32Array(1 << HASH_LOG);

/** Compresses src[start, end) as one LZ4 block into dst at dPos; returns the new dst position. */
export function lz4EncodeBlock(src: Uint8Array, start: number, end: number, dst: Uint8Array, dPos: number): number {
  const n = end - start;
  let d = dPos;
  let anchor = start;
  if (n >= MF_LIMIT + 1) {
    hashTable.fill(-1);
    const matchLimit = end - LAST_LITERALS;
    const searchEnd = end - MF_LIMIT;
    let s = start;
    while (s < searchEnd) {
      const seq = src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16) | (src[s + 3]! << 24);
      const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG);
      const ref = hashTable[h]!;
      hashTable[h] = s;
      if (
        ref < start ||
        s - ref > 65535 ||
        src[ref] !== src[s] ||
        src[ref + 1] !== src[s + 1] ||
        src[ref + 2] !== src[s + 2] ||
        src[ref + 3] !== src[s + 3]
      ) {
        s++;
        continue;
      }
      let len = MIN_MATCH;
      while (s + len < matchLimit && src[ref + len] === src[s + len]) len++;
      d = writeSequence(src, anchor, s - anchor, dst, d, s - ref, len - MIN_MATCH);
      s += len;
      anchor = s;
    }
  }
  // Last literals.
  const lit = end - anchor;
  d = writeLiteralLength(dst, d, lit, 0);
  dst.set(src.subarray(anchor, end), d);
  return d + lit;
}

function writeLiteralLength(dst: Uint8Array, d: number, lit: number, matchNibble: number): number {
  if (lit >= 15) {
    dst[d++] = (15 << 4) | matchNibble;
    let rest = lit - 15;
    while (rest >= 255) {
      dst[d++] = 255;
      rest -= 255;
    }
    dst[d++] = rest;
  } else {
    dst[d++] = (lit << 4) | matchNibble;
  }
  return d;
}

function writeSequence(src: Uint8Array, litStart: number, lit: number, dst: Uint8Array, d: number, offset: number, matchExtra: number): number {
  d = writeLiteralLength(dst, d, lit, Math.min(matchExtra, 15));
  dst.set(src.subarray(litStart, litStart + lit), d);
  d += lit;
  dst[d++] = offset & 0xff;
  dst[d++] = offset >>> 8;
  if (matchExtra >= 15) {
    let rest = matchExtra - 15;
    while (rest >= 255) {
      dst[d++] = 255;
      rest -= 255;
    }
    dst[d++] = rest;
  }
  return d;
}

const FRAME_BLOCK = 1 << 16;

/** One LZ4 frame (independent 64 KiB blocks, no checksums) holding src. */
export function lz4EncodeFrame(src: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(src.length / FRAME_BLOCK));
  const out = new Uint8Array(7 + blocks * (4 + lz4BlockBound(FRAME_BLOCK)) + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, LZ4_FRAME_MAGIC, true);
  out[4] = 0x60; // version 01, block independence
  out[5] = 0x40; // 64 KiB blocks
  out[6] = (xxh32(out.subarray(4, 6), 0) >>> 8) & 0xff;
  let d = 7;
  for (let s = 0; s < src.length; s += FRAME_BLOCK) {
    const e = Math.min(src.length, s + FRAME_BLOCK);
    const end = lz4EncodeBlock(src, s, e, out, d + 4);
    const size = end - d - 4;
    if (size >= e - s) {
      view.setUint32(d, ((e - s) | 0x80000000) >>> 0, true);
      out.set(src.subarray(s, e), d + 4);
      d += 4 + (e - s);
    } else {
      view.setUint32(d, size, true);
      d = end;
    }
  }
  view.setUint32(d, 0, true);
  return out.slice(0, d + 4);
}

const P1 = 2654435761, P2 = 2246822519, P3 = 3266489917, P4 = 668265263, P5 = 374761393;
const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

/** xxHash32 (used for the frame header checksum byte). */
export function xxh32(data: Uint8Array, seed: number): number {
  const n = data.length;
  let i = 0;
  let h: number;
  const read = (o: number): number => (data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24)) >>> 0;
  if (n >= 16) {
    let v1 = (seed + P1 + P2) >>> 0, v2 = (seed + P2) >>> 0, v3 = seed >>> 0, v4 = (seed - P1) >>> 0;
    const round = (v: number, x: number): number => Math.imul(rotl((v + Math.imul(x, P2)) >>> 0, 13), P1) >>> 0;
    for (; i + 16 <= n; i += 16) {
      v1 = round(v1, read(i));
      v2 = round(v2, read(i + 4));
      v3 = round(v3, read(i + 8));
      v4 = round(v4, read(i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) >>> 0;
  } else {
    h = (seed + P5) >>> 0;
  }
  h = (h + n) >>> 0;
  for (; i + 4 <= n; i += 4) h = Math.imul(rotl((h + Math.imul(read(i), P3)) >>> 0, 17), P4) >>> 0;
  for (; i < n; i++) h = Math.imul(rotl((h + Math.imul(data[i]!, P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
