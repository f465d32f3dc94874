/**
 * What `spikeline info` and `spikeline convert` do, as library calls: a one-pass summary of
 * a file (format, geometry, streams, counts, time span, checksum of spec §1.1) and a streaming
 * conversion between formats. Both read in bounded chunks.
 */
import { stat } from 'node:fs/promises';
import { EventSummary, type EventBatch } from '../events/index.js';
import type { Aedat4Decoder } from './aedat4.js';
import type { StreamInfo } from './decoder.js';
import { FormatError } from './errors.js';
import { openEventFile, type EventFile, type ReadOptions } from './io.js';
import { writeEventFile, type WriteCompression, type WritableFormat } from './writer.js';

export interface EventFileInfo {
  file: string;
  format: string;
  /** AEDAT 4 packet compression, when the format has one. */
  compression: string | null;
  width: number | null;
  height: number | null;
  bytes: number;
  events: number;
  t_first: number | null;
  t_last: number | null;
  x_min: number | null;
  x_max: number | null;
  y_min: number | null;
  y_max: number | null;
  on: number;
  /** Spec §1.1 checksum, decimal string (exceeds 2^53). */
  checksum: string;
  duration_us: number | null;
  /** Events per second over [t_first, t_last]. */
  event_rate: number | null;
  on_fraction: number | null;
  streams: StreamInfo[];
  /** Non-event data skipped, by kind (imu samples, frames, special/invalid events…). */
  skipped: Record<string, number>;
  packets: number;
  /** AEDAT 4 FileDataTable entry count, or null when the file has none. */
  data_table_entries: number | null;
  /** Whether the data table agrees with the scan (packet count, event count of the stream). */
  data_table_consistent: boolean | null;
  truncated_bytes: number;
}

/** One pass over `path`; `onProgress(bytesDone, bytesTotal)` after each chunk. */
export async function inspectEventFile(path: string, options: ReadOptions = {}, onProgress?: (done: number, total: number) => void): Promise<EventFileInfo> {
  const file = await openEventFile(path, options);
  refuseStreamWithoutStreams(file, options);
  const summary = new EventSummary();
  const d = file.decoder;
  // The summary is all info needs: folded inside the decoder, no batch is allocated.
  d.foldInto(summary);
  for await (const chunk of file.chunks()) {
    d.push(chunk);
    onProgress?.(d.stats.bytes, file.size);
  }
  d.end();
  const s = summary.toJSON();
  const empty = summary.events === 0;
  const duration = empty ? null : summary.tLast - summary.tFirst;
  const a4 = file.format === 'aedat4' ? (d as Aedat4Decoder) : undefined;
  return {
    file: path,
    format: file.format,
    compression: a4?.ioHeader?.compression ?? null,
    width: d.sensor?.width ?? null,
    height: d.sensor?.height ?? null,
    bytes: file.size,
    events: summary.events,
    t_first: s['t_first'] as number | null,
    t_last: s['t_last'] as number | null,
    x_min: s['x_min'] as number | null,
    x_max: s['x_max'] as number | null,
    y_min: s['y_min'] as number | null,
    y_max: s['y_max'] as number | null,
    on: summary.on,
    checksum: summary.checksum.toString(),
    duration_us: duration,
    event_rate: duration && duration > 0 ? (summary.events / duration) * 1e6 : null,
    on_fraction: empty ? null : summary.on / summary.events,
    streams: [...d.streams],
    skipped: { ...d.stats.skipped },
    packets: d.stats.packets,
    data_table_entries: a4?.dataTable?.length ?? null,
    data_table_consistent: a4?.dataTable
      ? a4.dataTable.length === d.stats.packets &&
        a4.dataTable.filter((e) => e.streamId === a4.streamId).reduce((sum, e) => sum + e.numElements, 0) === summary.events
      : null,
    truncated_bytes: d.stats.truncatedBytes,
  };
}

/** Human-readable lines of an info record. */
export function formatEventFileInfo(info: EventFileInfo): string {
  const lines = [
    `file:        ${info.file} (${info.bytes} bytes)`,
    `format:      ${info.format}${info.compression ? ` (${info.compression} compression)` : ''}`,
    `sensor:      ${info.width ?? '?'} x ${info.height ?? '?'}`,
  ];
  if (info.streams.length) {
    lines.push(`streams:     ${info.streams.map((s) => `${s.id} ${s.type}${s.name ? ` ${s.name}` : ''}${s.sensor ? ` ${s.sensor.width}x${s.sensor.height}` : ''}`).join('; ')}`);
  }
  lines.push(`events:      ${info.events}`);
  if (info.t_first !== null) {
    lines.push(`time:        ${info.t_first} .. ${info.t_last} µs`);
    lines.push(`duration:    ${(info.duration_us! / 1e6).toFixed(6)} s`);
    lines.push(`event rate:  ${info.event_rate === null ? '-' : `${(info.event_rate / 1e3).toFixed(1)} kev/s`}`);
    lines.push(`x range:     ${info.x_min} .. ${info.x_max}`);
    lines.push(`y range:     ${info.y_min} .. ${info.y_max}`);
    lines.push(`ON fraction: ${info.on_fraction!.toFixed(4)} (${info.on} ON)`);
  }
  const skipped = Object.entries(info.skipped);
  if (skipped.length) lines.push(`skipped:     ${skipped.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  // Files that state no size (CSV without %geometry, .bin) take it from their first rows.
  if (info.skipped.outOfRange) lines.push(`             (outOfRange: events outside ${info.width} x ${info.height}; --sensor WxH sets the size)`);
  if (info.packets) {
    const table = info.data_table_entries === null ? '' : ` (data table: ${info.data_table_entries} entries, ${info.data_table_consistent ? 'consistent with the packets' : 'DISAGREES with the packets'})`;
    lines.push(`packets:     ${info.packets}${table}`);
  }
  if (info.truncated_bytes) lines.push(`truncated:   ${info.truncated_bytes} trailing bytes dropped`);
  lines.push(`checksum:    ${info.checksum}`);
  return lines.join('\n');
}

export interface ConvertOptions extends ReadOptions {
  to: WritableFormat;
  compression?: WriteCompression;
}

/**
 * Streams `input` into `output` in another format; `onProgress(bytesRead, total, events)`.
 * Refuses an `output` that is `input` itself (also through a symbolic or hard link). The output
 * replaces an existing file only when the conversion succeeded (see writeEventFile).
 */
export async function convertEventFile(
  input: string,
  output: string,
  options: ConvertOptions,
  onProgress?: (done: number, total: number, events: number) => void,
): Promise<{ events: number; bytes: number; from: string }> {
  const { to, compression, ...read } = options;
  await refuseSameFile(input, output);
  const file = await openEventFile(input, read);
  refuseStreamWithoutStreams(file, read);
  const batches: AsyncIterable<EventBatch> = file;
  const res = await writeEventFile(output, batches, { format: to, ...(compression ? { compression } : {}) }, (events) =>
    onProgress?.(file.decoder.stats.bytes, file.size, events),
  );
  return { ...res, from: file.format };
}

async function refuseSameFile(input: string, output: string): Promise<void> {
  const source = await stat(input);
  let target;
  try {
    target = await stat(output);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (source.dev === target.dev && source.ino === target.ino) {
    throw new Error(`convert: output ${output} is the input file ${input} (refusing to overwrite the input)`);
  }
}

/** A stream id means something to AEDAT 4 (streams) and AEDAT 3.1 (sources) only: never ignore it. */
function refuseStreamWithoutStreams(file: EventFile, options: ReadOptions): void {
  if ((options.streamId !== undefined || options.sourceId !== undefined) && file.format !== 'aedat4' && file.format !== 'aedat3') {
    throw new FormatError(`a stream id was given, but ${file.format} files have no streams`, 0, file.path);
  }
}
