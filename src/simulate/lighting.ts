/**
 * How each lighting condition of the real recordings changes the sensor's view. Fluorescent
 * tubes flicker at twice the mains frequency with a deep modulation; LED drivers leave a
 * smaller ripple at the same frequency; the lab is dim (fewer photons: more background
 * activity, a little more threshold spread); natural light does not flicker and is bright.
 * Flicker reaches a pixel through a gain map: smooth falloff from the lamp plus a few specular
 * highlights (glossy furniture, the lamp's reflection), which is where a real DVS shows most of
 * its flicker events.
 */
import type { Lighting } from './gesture-classes.js';
import { Random } from '../util/random.js';
import type { FlickerOptions } from './simulator.js';

export interface LightingProfile {
  /** Scene illumination multiplying reflectance (1 = bright office). */
  brightness: number;
  /** Flicker modulation depth (0 = none). */
  flickerDepth: number;
  /** Background-activity rate per pixel, Hz. */
  backgroundRateHz: number;
  /** Number of hot pixels of the camera under this condition. */
  hotPixelCount: number;
  /** Relative threshold mismatch. */
  thresholdMismatch: number;
  /** Specular highlights that catch the flicker (count). */
  highlights: number;
}

/**
 * Flicker depths are tuned for the default threshold (0.1): flicker adds roughly +13 kev/s
 * (fluorescent), +7 (fluorescent_led) and +2 (led) on top of the motion events.
 */
export const LIGHTING_PROFILES: Readonly<Record<Lighting, LightingProfile>> = {
  fluorescent: { brightness: 0.8, flickerDepth: 0.045, backgroundRateHz: 0.08, hotPixelCount: 3, thresholdMismatch: 0.1, highlights: 4 },
  fluorescent_led: { brightness: 0.9, flickerDepth: 0.035, backgroundRateHz: 0.07, hotPixelCount: 3, thresholdMismatch: 0.1, highlights: 3 },
  led: { brightness: 1.0, flickerDepth: 0.02, backgroundRateHz: 0.06, hotPixelCount: 2, thresholdMismatch: 0.1, highlights: 2 },
  lab: { brightness: 0.35, flickerDepth: 0, backgroundRateHz: 0.3, hotPixelCount: 4, thresholdMismatch: 0.14, highlights: 0 },
  natural: { brightness: 1.2, flickerDepth: 0, backgroundRateHz: 0.04, hotPixelCount: 2, thresholdMismatch: 0.1, highlights: 0 },
};

/** Flicker of `lighting` at `mainsHz` (50 or 60; flicker is at twice that), or null. */
export function lightingFlicker(lighting: Lighting, mainsHz: number, rnd: Random): FlickerOptions | null {
  const depth = LIGHTING_PROFILES[lighting].flickerDepth;
  if (depth === 0) return null;
  return { frequencyHz: 2 * mainsHz, depth, phase: rnd.uniform(0, 2 * Math.PI) };
}

/** Per-pixel flicker gain: lamp falloff in [0.6, 1.3] plus `highlights` bright spots of gain 3–5. */
export function flickerGainMap(width: number, height: number, highlights: number, rnd: Random): Float32Array {
  const gain = new Float32Array(width * height);
  const lx = rnd.uniform(0, width), ly = rnd.uniform(-height / 2, 0);
  const diag = Math.hypot(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) gain[y * width + x] = 1.3 - 0.7 * (Math.hypot(x - lx, y - ly) / diag);
  }
  for (let k = 0; k < highlights; k++) {
    const cx = rnd.uniform(0, width), cy = rnd.uniform(0, height * 0.8), r = rnd.uniform(1, 2.5) * (width / 128);
    const peak = rnd.uniform(3, 5);
    for (let y = Math.max(0, Math.floor(cy - 2 * r)); y < Math.min(height, Math.ceil(cy + 2 * r)); y++) {
      for (let x = Math.max(0, Math.floor(cx - 2 * r)); x < Math.min(width, Math.ceil(cx + 2 * r)); x++) {
        const d2 = ((x - cx) ** 2 + (y - cy) ** 2) / (r * r);
        const i = y * width + x;
        gain[i] = Math.max(gain[i]!, peak * Math.exp(-d2));
      }
    }
  }
  return gain;
}
