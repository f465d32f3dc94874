/**
 * Minimal FlatBuffers reading (spec §6.2) for the AEDAT 4 tables: bounds-checked, so a corrupt
 * buffer throws FlatBufferError instead of reading garbage. Offsets are absolute positions in
 * the DataView. Writers in aedat4.ts lay out their few fixed tables by hand.
 */
export class FlatBufferError extends Error {
  override readonly name = 'FlatBufferError';
  constructor(message: string, readonly position: number) {
    super(message);
  }
}

function check(view: DataView, pos: number, bytes: number, what: string): void {
  if (pos < 0 || pos + bytes > view.byteLength || !Number.isInteger(pos)) {
    throw new FlatBufferError(`${what} at ${pos} (+${bytes}) lies outside the ${view.byteLength}-byte buffer`, pos);
  }
}

/** Absolute position of the root table of a buffer starting at `base`. */
export function rootTable(view: DataView, base: number): number {
  check(view, base, 4, 'root offset');
  const t = base + view.getUint32(base, true);
  check(view, t, 4, 'root table');
  return t;
}

/** 4-char identifier at base+4..base+7. */
export function fileIdentifier(view: DataView, base: number): string {
  check(view, base + 4, 4, 'file identifier');
  return String.fromCharCode(view.getUint8(base + 4), view.getUint8(base + 5), view.getUint8(base + 6), view.getUint8(base + 7));
}

/** Absolute position of field `id` of the table at `table`, or 0 when absent. */
export function fieldPosition(view: DataView, table: number, id: number): number {
  check(view, table, 4, 'table');
  const vtable = table - view.getInt32(table, true);
  check(view, vtable, 4, 'vtable');
  const vtBytes = view.getUint16(vtable, true);
  const tableBytes = view.getUint16(vtable + 2, true);
  check(view, vtable, vtBytes, 'vtable');
  const entry = 4 + 2 * id;
  if (entry + 2 > vtBytes) return 0;
  const off = view.getUint16(vtable + entry, true);
  if (off === 0) return 0;
  if (off >= tableBytes) throw new FlatBufferError(`field ${id} offset ${off} beyond the table size ${tableBytes}`, vtable + entry);
  return table + off;
}

export function readInt32Field(view: DataView, table: number, id: number, fallback: number): number {
  const p = fieldPosition(view, table, id);
  if (!p) return fallback;
  check(view, p, 4, `int32 field ${id}`);
  return view.getInt32(p, true);
}

/** int64 as a double (exact below 2^53; AEDAT values are). */
export function readInt64Field(view: DataView, table: number, id: number, fallback: number): number {
  const p = fieldPosition(view, table, id);
  if (!p) return fallback;
  check(view, p, 8, `int64 field ${id}`);
  return view.getInt32(p + 4, true) * 4294967296 + view.getUint32(p, true);
}

/** Target of an offset field (sub-table, vector, string), or 0 when absent. */
export function readOffsetField(view: DataView, table: number, id: number): number {
  const p = fieldPosition(view, table, id);
  if (!p) return 0;
  check(view, p, 4, `offset field ${id}`);
  const target = p + view.getUint32(p, true);
  check(view, target, 4, `target of field ${id}`);
  return target;
}

/** Element count of the vector at `vec`, after checking `elementBytes` × count fits. */
export function vectorLength(view: DataView, vec: number, elementBytes: number): number {
  check(view, vec, 4, 'vector length');
  const n = view.getUint32(vec, true);
  check(view, vec + 4, n * elementBytes, `vector of ${n} elements`);
  return n;
}

export function readStringField(view: DataView, table: number, id: number): string | undefined {
  const s = readOffsetField(view, table, id);
  if (!s) return undefined;
  const n = vectorLength(view, s, 1);
  const bytes = new Uint8Array(view.buffer, view.byteOffset + s + 4, n);
  return new TextDecoder().decode(bytes);
}
