import type { SensorGeometry } from '../events/index.js';
import { openEventFile, type ReadOptions } from '../formats/index.js';

/** The sensor geometry of an event file, read from its header / first batch only. */
export async function fileSensor(path: string, options: ReadOptions = {}): Promise<SensorGeometry> {
  const file = await openEventFile(path, options);
  let sensor: SensorGeometry | undefined;
  for await (const b of file) {
    sensor = b.sensor;
    break;
  }
  sensor ??= file.decoder.sensor;
  if (!sensor) throw new RangeError(`${path}: no sensor geometry in the header and no events to take it from`);
  return sensor;
}

/** Durations like `10s`, `500ms`, `250us`, `2m` or a bare number of seconds, in µs. */
export function parseDurationUs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|min|h)?$/.exec(text.trim());
  if (!m) throw new RangeError(`not a duration: "${text}" (e.g. 10s, 500ms, 2m)`);
  const v = Number(m[1]);
  const unit = m[2] ?? 's';
  const scale = unit === 'us' || unit === 'µs' ? 1 : unit === 'ms' ? 1e3 : unit === 's' ? 1e6 : unit === 'h' ? 3.6e9 : 6e7;
  return Math.round(v * scale);
}
