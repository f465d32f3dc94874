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
