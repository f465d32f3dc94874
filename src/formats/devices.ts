import type { SensorGeometry } from '../events/index.js';

/**
 * Sensor geometry from a camera/chip name as it appears in file headers (AEDAT 3.1
 * `#Source` lines, AEDAT 2.0 `# AEChip:` class names, DV `source` attributes).
 * Matching is by substring, most specific first.
 */
const DEVICES: ReadonlyArray<[RegExp, SensorGeometry]> = [
  [/dvxplorer[_ ]?(lite|mini)/i, { width: 320, height: 240 }],
  [/dvxplorer/i, { width: 640, height: 480 }],
  [/davis ?346/i, { width: 346, height: 260 }],
  [/davis ?240/i, { width: 240, height: 180 }],
  [/davis ?640/i, { width: 640, height: 480 }],
  [/davis ?208/i, { width: 208, height: 192 }],
  [/davis ?128/i, { width: 128, height: 128 }],
  [/dvs ?132s?/i, { width: 132, height: 104 }],
  [/dvs ?128|dvs128/i, { width: 128, height: 128 }],
  [/atis|ncars/i, { width: 304, height: 240 }],
  [/imx636|gen4/i, { width: 1280, height: 720 }],
  [/gen3/i, { width: 640, height: 480 }],
];

export function sensorFromDeviceName(name: string): SensorGeometry | undefined {
  for (const [re, geometry] of DEVICES) if (re.test(name)) return geometry;
  return undefined;
}

export const DVS128: SensorGeometry = Object.freeze({ width: 128, height: 128 });
