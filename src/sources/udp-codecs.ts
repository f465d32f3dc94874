/**
 * Datagram codecs of the UDP camera protocols (pure functions and small state machines, tested
 * alone; the sockets live in udp.ts):
 * - AEDAT 3.x over UDP (spec §8): 20-byte network header per datagram, event packets split over
 *   consecutive datagrams, bit 63 of the sequence number marks a packet's first datagram.
 * - jAER `AEUnicastOutput` (spec §9): big-endian int32 sequence number, then (int32 address,
 *   int32 timestamp) pairs; default settings only (sequence on, 4-byte fields, address first).
 * - SPIF / aestream (spec §10): little-endian 32-bit words, bit 31 = no timestamp follows,
 *   x bits 16–30, polarity bit 15, y bits 0–14; event time = receive time.
 */
import { allocateBatch, type EventBatch, type SensorGeometry } from '../events/index.js';
import { AEDAT3_NETWORK_HEADER_BYTES, AEDAT3_NETWORK_MAGIC, AEDAT3_PACKET_HEADER_BYTES, Aedat3PacketEncoder, concatChunks, dataView, encodeAedat3NetworkHeader } from '../formats/index.js';

export class DatagramError extends Error {
  override readonly name = 'DatagramError';
}

const START_BIT = 1n << 63n;
/** Payload bytes per AEDAT 3 datagram: 1500 MTU − 20 IP − 8 UDP − 20 header. */
export const AEDAT3_UDP_PAYLOAD = 1452;
/** Datagrams up to this far behind the next expected sequence number are duplicates or late. */
const STALE_WINDOW = 256;

/**
 * Whether a datagram `behind` sequence numbers before the next expected one is a duplicate or a
 * late arrival (skipped: its events were emitted, or its gap counted as lost, already) rather
 * than the start of a restarted sender: far back, or back at the sender's first number.
 */
function isStale(behind: number, firstOfSender: boolean): boolean {
  return behind > 0 && behind <= STALE_WINDOW && !(firstOfSender && behind > 1);
}

// ------------------------------------------------------------------------------ AEDAT 3 UDP --

/** Splits encoded AEDAT 3.1 packets into datagrams (header + ≤ 1452 payload bytes each). */
export class Aedat3DatagramEncoder {
  private seq = 0n;
  private readonly packets: Aedat3PacketEncoder;

  constructor(private readonly sourceId = 1, maxEventsPerPacket = 8192) {
    this.packets = new Aedat3PacketEncoder({ sourceId, maxEventsPerPacket });
  }

  encode(batch: EventBatch): Uint8Array[] {
    const bytes = this.packets.encode(batch);
    const out: Uint8Array[] = [];
    const v = dataView(bytes);
    let pos = 0;
    while (pos < bytes.length) {
      const size = AEDAT3_PACKET_HEADER_BYTES + v.getInt32(pos + 4, true) * v.getInt32(pos + 16, true);
      for (let o = 0; o < size; o += AEDAT3_UDP_PAYLOAD) {
        const n = Math.min(AEDAT3_UDP_PAYLOAD, size - o);
        const seq = this.seq++ | (o === 0 ? START_BIT : 0n);
        const d = new Uint8Array(AEDAT3_NETWORK_HEADER_BYTES + n);
        d.set(encodeAedat3NetworkHeader(this.sourceId, seq));
        d.set(bytes.subarray(pos + o, pos + o + n), AEDAT3_NETWORK_HEADER_BYTES);
        out.push(d);
      }
      pos += size;
    }
    return out;
  }
}

export interface ReassemblyStats {
  datagrams: number;
  malformed: number;
  /** Datagrams missing (sequence gaps) plus partial packets dropped. */
  lost: number;
  /** Duplicated or late datagrams, skipped. */
  stale: number;
}

/**
 * Receiver side of AEDAT 3 UDP: returns complete packet byte runs ready for a `packets`-framed
 * Aedat3Decoder. Assembly starts at a datagram with bit 63 set and continues while sequence
 * numbers are consecutive; a gap drops the partial packet and waits for the next start. A
 * duplicated or late datagram is skipped; one far back (or back at 0) is a restarted sender.
 */
export class Aedat3Reassembler {
  readonly stats: ReassemblyStats = { datagrams: 0, malformed: 0, lost: 0, stale: 0 };
  private parts: Uint8Array[] = [];
  private size = 0;
  /** Bytes the packet run needs at least, as far as its headers tell (joined only once there). */
  private need = 0;
  private expected: bigint | undefined;

  constructor(private readonly maxPacketBytes = 16 * 1024 * 1024) {}

  push(d: Uint8Array): Uint8Array | undefined {
    this.stats.datagrams++;
    if (d.length < AEDAT3_NETWORK_HEADER_BYTES) return this.malformed();
    const v = dataView(d);
    if (v.getBigUint64(0, true) !== AEDAT3_NETWORK_MAGIC) return this.malformed();
    const raw = v.getBigUint64(8, true);
    const start = (raw & START_BIT) !== 0n;
    const seq = raw & ~START_BIT;
    if (v.getInt8(16) !== 1 || v.getInt8(17) !== 0) return this.malformed(); // only AEDAT 3.1 RAW
    if (this.expected !== undefined && isStale(Number(this.expected - seq), seq === 0n)) {
      this.stats.stale++;
      return undefined;
    }
    if (this.expected !== undefined && seq > this.expected) this.stats.lost += Number(seq - this.expected);
    const consecutive = this.expected === undefined || seq === this.expected;
    this.expected = seq + 1n;
    const payload = d.subarray(AEDAT3_NETWORK_HEADER_BYTES);
    if (start) {
      if (this.size > 0) this.stats.lost++; // the previous packet never completed
      this.parts = [payload];
      this.size = payload.length;
      this.need = 0;
    } else if (this.size > 0 && consecutive) {
      this.parts.push(payload);
      this.size += payload.length;
    } else {
      if (this.size > 0) this.stats.lost++;
      this.reset();
      return undefined;
    }
    return this.complete();
  }

  private complete(): Uint8Array | undefined {
    // Joining on every datagram would copy a multi-MiB packet once per 1.4 kB datagram.
    if (this.size < this.need) return undefined;
    const buf = this.parts.length === 1 ? this.parts[0]! : concatChunks(this.parts, this.size);
    this.parts = [buf];
    const v = dataView(buf);
    let pos = 0;
    while (pos + AEDAT3_PACKET_HEADER_BYTES <= buf.length) {
      const eventSize = v.getInt32(pos + 4, true);
      const capacity = v.getInt32(pos + 16, true);
      const size = AEDAT3_PACKET_HEADER_BYTES + eventSize * capacity;
      if (eventSize < 1 || capacity < 0 || size > this.maxPacketBytes) {
        this.reset();
        return this.malformed();
      }
      if (pos + size > buf.length) {
        this.need = pos + size;
        return undefined;
      }
      pos += size;
    }
    if (pos !== buf.length) {
      this.need = pos + AEDAT3_PACKET_HEADER_BYTES;
      return undefined;
    }
    this.reset();
    return buf.slice(); // own copy: the datagram buffer may be reused
  }

  private reset(): void {
    this.parts = [];
    this.size = 0;
    this.need = 0;
  }

  private malformed(): undefined {
    this.stats.malformed++;
    return undefined;
  }
}

// ------------------------------------------------------------------------------------ jAER --

export type JaerChip = 'dvs128' | 'davis240' | 'davis346';
const JAER_SENSORS: Record<JaerChip, SensorGeometry> = {
  dvs128: { width: 128, height: 128 },
  davis240: { width: 240, height: 180 },
  davis346: { width: 346, height: 260 },
};
/** jAER's default datagram limit: (63000 − 4) / 8 = 7874 events per datagram. */
export const JAER_MAX_DATAGRAM = 63000;

export function jaerSensor(chip: JaerChip): SensorGeometry {
  return JAER_SENSORS[chip];
}

/**
 * Decodes jAER datagrams of one sender. Addresses use the chip's raw layout (spec §2.2 / §2.3)
 * mapped to the canonical top-left origin; special, external and APS/IMU records are skipped.
 * 32-bit timestamps are unwrapped (a drop of more than 2^31 µs adds 2^32). Duplicated or late
 * datagrams are skipped; a sequence far back (or back at 1) is a restarted sender.
 */
export class JaerDecoder {
  readonly sensor: SensorGeometry;
  /**
   * `skipped`: special / external / APS / IMU records; `droppedEvents`: events outside the sensor;
   * `stale`: duplicated or late datagrams, skipped.
   */
  readonly stats = { datagrams: 0, malformed: 0, lost: 0, stale: 0, skipped: 0, droppedEvents: 0 };
  private lastSeq: number | undefined;
  private lastRaw = -1;
  private epoch = 0;

  constructor(readonly chip: JaerChip = 'dvs128') {
    this.sensor = JAER_SENSORS[chip];
    if (!this.sensor) throw new RangeError(`jAER: unknown chip "${chip}" (dvs128, davis240, davis346)`);
  }

  decode(d: Uint8Array): EventBatch | undefined {
    this.stats.datagrams++;
    if (d.length < 4 || (d.length - 4) % 8 !== 0) {
      this.stats.malformed++;
      return undefined;
    }
    const v = dataView(d);
    const seq = v.getInt32(0, false);
    if (this.lastSeq !== undefined) {
      // int32 difference: the sequence number wraps from 2^31 − 1 to −2^31.
      const behind = (this.lastSeq + 1 - seq) | 0;
      if (isStale(behind, seq === 1)) {
        this.stats.stale++;
        return undefined;
      }
      if (behind < 0) this.stats.lost -= behind;
    }
    this.lastSeq = seq;
    const n = (d.length - 4) >>> 3;
    const b = allocateBatch(n, this.sensor);
    const W = this.sensor.width, H = this.sensor.height;
    const dvs128 = this.chip === 'dvs128';
    let k = 0;
    for (let i = 0, o = 4; i < n; i++, o += 8) {
      const a = v.getUint32(o, false);
      const raw = v.getUint32(o + 4, false);
      if (this.lastRaw >= 0 && raw < this.lastRaw && this.lastRaw - raw > 0x80000000) this.epoch++;
      this.lastRaw = raw;
      let x: number, y: number, p: number;
      if (dvs128) {
        if ((a & 0x80008000) !== 0) {
          this.stats.skipped++;
          continue;
        }
        x = 127 - ((a >>> 1) & 0x7f);
        y = 127 - ((a >>> 8) & 0x7f);
        p = 1 - (a & 1);
      } else {
        if ((a & 0x80000400) !== 0) {
          this.stats.skipped++;
          continue;
        }
        x = W - 1 - ((a >>> 12) & 0x3ff);
        y = H - 1 - ((a >>> 22) & 0x1ff);
        p = (a >>> 11) & 1;
        if (x < 0 || y < 0) {
          this.stats.droppedEvents++;
          continue;
        }
      }
      b.x[k] = x;
      b.y[k] = y;
      b.p[k] = p;
      b.t[k] = this.epoch * 4294967296 + raw;
      k++;
    }
    return k === n ? b : { x: b.x.subarray(0, k), y: b.y.subarray(0, k), t: b.t.subarray(0, k), p: b.p.subarray(0, k), length: k, sensor: b.sensor };
  }
}

/** jAER datagrams (BE, sequence numbers from 1) for `chip`'s raw address layout. */
export class JaerEncoder {
  private seq = 1;
  readonly perDatagram: number;

  constructor(readonly chip: JaerChip = 'dvs128', maxDatagramBytes = JAER_MAX_DATAGRAM) {
    if (!JAER_SENSORS[chip]) throw new RangeError(`jAER: unknown chip "${chip}"`);
    this.perDatagram = Math.max(1, Math.floor((maxDatagramBytes - 4) / 8));
  }

  encode(batch: EventBatch): Uint8Array[] {
    const out: Uint8Array[] = [];
    const { width: W, height: H } = JAER_SENSORS[this.chip];
    for (let s = 0; s < batch.length; s += this.perDatagram) {
      const e = Math.min(batch.length, s + this.perDatagram);
      const d = new Uint8Array(4 + 8 * (e - s));
      const v = new DataView(d.buffer);
      v.setInt32(0, this.seq++, false);
      for (let i = s, o = 4; i < e; i++, o += 8) {
        const x = batch.x[i]!, y = batch.y[i]!, p = batch.p[i]!;
        if (x >= W || y >= H) throw new RangeError(`jAER ${this.chip}: event ${i} at (${x}, ${y}) is outside ${W}x${H}`);
        const a = this.chip === 'dvs128' ? ((127 - y) << 8) | ((127 - x) << 1) | (1 - p) : (((H - 1 - y) << 22) | ((W - 1 - x) << 12) | (p << 11)) >>> 0;
        v.setUint32(o, a, false);
        v.setUint32(o + 4, batch.t[i]! % 4294967296, false);
      }
      out.push(d);
    }
    return out;
  }
}

// ------------------------------------------------------------------------------------ SPIF --

/** aestream's datagram size: 512 bytes = 128 untimestamped events. */
export const SPIF_EVENTS_PER_DATAGRAM = 128;

/**
 * Decodes SPIF / aestream datagrams. Every event of a datagram gets `receiveTime` (µs); a
 * timestamp word after an event (bit 31 clear) is consumed and, with `senderTimestamps`, used as
 * that event's time instead. Events outside `sensor` are dropped and counted; a datagram whose
 * length is not a multiple of 4 is malformed.
 */
export class SpifDecoder {
  readonly stats = { datagrams: 0, malformed: 0, droppedEvents: 0 };

  constructor(readonly sensor: SensorGeometry, private readonly senderTimestamps = false) {}

  decode(d: Uint8Array, receiveTime: number): EventBatch | undefined {
    this.stats.datagrams++;
    if (d.length % 4 !== 0) {
      this.stats.malformed++;
      return undefined;
    }
    const v = dataView(d);
    const words = d.length >>> 2;
    const b = allocateBatch(words, this.sensor);
    const W = this.sensor.width, H = this.sensor.height;
    let k = 0;
    for (let i = 0; i < words; i++) {
      const w = v.getUint32(i * 4, true);
      let t = receiveTime;
      // A timestamp word follows unless bit 31 is set. aestream's own test datagram clears the
      // bit on its last (only) word without a timestamp, so a missing final one is tolerated.
      if ((w & 0x80000000) === 0 && i + 1 < words) {
        const ts = v.getUint32(++i * 4, true);
        if (this.senderTimestamps) t = ts;
      }
      const x = (w >>> 16) & 0x7fff, y = w & 0x7fff;
      if (x >= W || y >= H) {
        this.stats.droppedEvents++;
        continue;
      }
      b.x[k] = x;
      b.y[k] = y;
      b.p[k] = (w >>> 15) & 1;
      b.t[k] = t;
      k++;
    }
    return { x: b.x.subarray(0, k), y: b.y.subarray(0, k), t: b.t.subarray(0, k), p: b.p.subarray(0, k), length: k, sensor: b.sensor };
  }
}

/** SPIF datagrams without timestamps (aestream's default for SPIF), 128 events each. */
export function encodeSpif(batch: EventBatch, perDatagram = SPIF_EVENTS_PER_DATAGRAM): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let s = 0; s < batch.length; s += perDatagram) {
    const e = Math.min(batch.length, s + perDatagram);
    const d = new Uint8Array(4 * (e - s));
    const v = new DataView(d.buffer);
    for (let i = s; i < e; i++) {
      const x = batch.x[i]!, y = batch.y[i]!;
      if (x > 0x7fff || y > 0x7fff) throw new RangeError(`SPIF: coordinates are 15-bit, event ${i} has (${x}, ${y})`);
      v.setUint32((i - s) * 4, (0x80000000 | (x << 16) | ((batch.p[i]! & 1) << 15) | y) >>> 0, true);
    }
    out.push(d);
  }
  return out;
}
