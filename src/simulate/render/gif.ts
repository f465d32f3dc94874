/**
 * Minimal animated GIF89a encoder for palette images: header, logical screen with a global
 * colour table, the NETSCAPE2.0 loop extension, then per frame a graphic control extension
 * (delay) and an image whose indices are LZW-compressed (variable code width 3..12 bits, clear
 * code when the 4096-entry table is full) and cut into ≤255-byte sub-blocks.
 */

export interface GifFrame {
  /** Palette indices, width·height, row-major. */
  indices: Uint8Array;
  /** Display time, 1/100 s. */
  delayCs: number;
}

/** Bit writer packing codes LSB-first, as GIF's LZW stream requires. */
class BitWriter {
  bytes: number[] = [];
  private acc = 0;
  private bits = 0;

  write(code: number, width: number): void {
    this.acc |= code << this.bits;
    this.bits += width;
    while (this.bits >= 8) {
      this.bytes.push(this.acc & 0xff);
      this.acc >>>= 8;
      this.bits -= 8;
    }
  }

  flush(): void {
    if (this.bits > 0) this.bytes.push(this.acc & 0xff);
    this.acc = 0;
    this.bits = 0;
  }
}

/** GIF-flavoured LZW of `indices` with minimum code size `minCodeSize` (2..8). */
export function lzwEncode(indices: Uint8Array, minCodeSize: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  const out = new BitWriter();
  // Dictionary: (prefix code << 8 | next index) → code.
  const dict = new Map<number, number>();
  let width = minCodeSize + 1;
  let next = eoi + 1;
  out.write(clear, width);
  if (indices.length === 0) {
    out.write(eoi, width);
    out.flush();
    return Uint8Array.from(out.bytes);
  }
  let prefix = indices[0]!;
  for (let i = 1; i < indices.length; i++) {
    const k = indices[i]!;
    const key = (prefix << 8) | k;
    const code = dict.get(key);
    if (code !== undefined) {
      prefix = code;
      continue;
    }
    out.write(prefix, width);
    if (next === 4096) {
      // Table full: start over so codes stay within 12 bits.
      out.write(clear, width);
      dict.clear();
      width = minCodeSize + 1;
      next = eoi + 1;
    } else {
      // The decoder adds this entry one code later and widens when its next code needs it.
      if (next >= 1 << width) width++;
      dict.set(key, next++);
    }
    prefix = k;
  }
  out.write(prefix, width);
  out.write(eoi, width);
  out.flush();
  return Uint8Array.from(out.bytes);
}

/** Encodes frames sharing one palette (`palette` RGB triplets, ≤256 colours) as a looping GIF. */
export function encodeGif(width: number, height: number, palette: Uint8Array, frames: readonly GifFrame[]): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new RangeError(`GIF size must be integers in 1..65535, got ${width}x${height}`);
  }
  const colours = palette.length / 3;
  if (!Number.isInteger(colours) || colours < 1 || colours > 256) throw new RangeError(`GIF palette needs 1..256 RGB colours, got ${palette.length} bytes`);
  if (frames.length === 0) throw new RangeError('GIF needs at least one frame');
  // Table size is a power of two ≥ 2 (field value n means 2^(n+1) entries).
  let bits = 1;
  while (1 << bits < colours) bits++;
  const table = new Uint8Array(3 << bits);
  table.set(palette);
  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(13);
  header.write('GIF89a', 0, 'latin1');
  header.writeUInt16LE(width, 6);
  header.writeUInt16LE(height, 8);
  header[10] = 0x80 | ((bits - 1) << 4) | (bits - 1); // global table, colour resolution, size
  header[11] = 0; // background colour index
  header[12] = 0; // pixel aspect ratio: unspecified
  parts.push(header, table);
  // NETSCAPE2.0 application extension: loop forever.
  parts.push(Uint8Array.of(0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0', 'latin1'), 0x03, 0x01, 0x00, 0x00, 0x00));
  const minCodeSize = Math.max(2, bits);
  for (const [n, f] of frames.entries()) {
    if (f.indices.length !== width * height) throw new RangeError(`GIF frame ${n} has ${f.indices.length} pixels, expected ${width * height}`);
    for (let i = 0; i < f.indices.length; i++) {
      if (f.indices[i]! >= colours) throw new RangeError(`GIF frame ${n} pixel ${i} uses colour ${f.indices[i]} of a ${colours}-colour palette`);
    }
    const delay = Math.max(0, Math.min(65535, Math.round(f.delayCs)));
    parts.push(Uint8Array.of(0x21, 0xf9, 0x04, 0x00, delay & 0xff, delay >> 8, 0x00, 0x00));
    const desc = Buffer.alloc(10);
    desc[0] = 0x2c;
    desc.writeUInt16LE(0, 1);
    desc.writeUInt16LE(0, 3);
    desc.writeUInt16LE(width, 5);
    desc.writeUInt16LE(height, 7);
    desc[9] = 0; // no local table, not interlaced
    parts.push(desc, Uint8Array.of(minCodeSize));
    const data = lzwEncode(f.indices, minCodeSize);
    for (let o = 0; o < data.length; o += 255) {
      const block = data.subarray(o, Math.min(data.length, o + 255));
      parts.push(Uint8Array.of(block.length), block);
    }
    parts.push(Uint8Array.of(0));
  }
  parts.push(Uint8Array.of(0x3b));
  return Buffer.concat(parts);
}
