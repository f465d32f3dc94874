/**
 * `model.fit`: how a camera whose sensor does not give the model's frame size is handled. The
 * decision is taken per camera geometry (the first events of a stream carry its header's
 * geometry) on the sensor as the config's filters leave it:
 * - `error`: its events are refused and counted (`reason="sensor_mismatch"`), readiness is false
 *   and one log line says why, until a camera that fits connects;
 * - `center-crop`: the model's sensor size is cut from the middle (events outside are dropped and
 *   counted as filter `fit`); a sensor smaller than the model's is refused;
 * - `scale`: the whole sensor is mapped onto the model's, each axis on its own.
 */
import type { OperatorFunction } from 'rxjs';
import type { EventBatch, SensorGeometry } from '../events/index.js';
import { crop, scale, type FilterStats } from '../operators/index.js';
import type { Preprocessing } from '../snn/model-api.js';
import type { FilterConfig, FitMode, PipelineConfig } from './config.js';
import { fusedDownsample } from './stages.js';

export type FitDecision = { stage: OperatorFunction<EventBatch, EventBatch> | undefined; note?: string } | { error: string };

const size = (s: SensorGeometry): string => `${s.width}x${s.height}`;

/** The geometry the config's filters turn `sensor` into (crop, rotations and downsampling change it). */
export function sensorAfterFilters(sensor: SensorGeometry, filters: readonly FilterConfig[]): SensorGeometry {
  let s = sensor;
  for (const f of filters) {
    if (f.type === 'crop') s = { width: f.width, height: f.height };
    else if (f.type === 'downsample') s = { width: Math.ceil(s.width / f.factor), height: Math.ceil(s.height / f.factor) };
    else if (f.type === 'orient' && (f.op === 'rotate90' || f.op === 'rotate270' || f.op === 'transpose')) s = { width: s.height, height: s.width };
  }
  return s;
}

/**
 * How events of a camera with `camera` geometry reach the model: no stage when binning already
 * gives the model's frames, a crop or scale stage (after the filters), or why it cannot.
 */
export function fitCamera(camera: SensorGeometry, config: PipelineConfig, pre: Preprocessing, cropStats?: FilterStats): FitDecision {
  const down = fusedDownsample(config, pre);
  const s = sensorAfterFilters(camera, config.filters);
  if (Math.ceil(s.width / down) === pre.width && Math.ceil(s.height / down) === pre.height) return { stage: undefined };
  // The geometry binning must receive: the model's sensor when binning applies its downsampling.
  const target = down > 1 ? { width: pre.sensorWidth, height: pre.sensorHeight } : { width: pre.width, height: pre.height };
  const filtered = config.filters.length > 0 && size(s) !== size(camera) ? ` (${size(s)} after the filters)` : '';
  const what = `camera sensor ${size(camera)}${filtered} does not fit the model, which takes ${size(target)}${down > 1 ? ` (downsampled by ${down} to ${pre.width}x${pre.height})` : ''}`;
  const mode: FitMode = config.model.fit;
  switch (mode) {
    case 'error':
      return { error: `${what}: its events are dropped until a ${size(target)} camera connects (model.fit: error; center-crop or scale would adapt it)` };
    case 'center-crop': {
      if (s.width < target.width || s.height < target.height) {
        return { error: `${what}, and center-crop cannot cut ${size(target)} out of ${size(s)}: its events are dropped (model.fit: scale would adapt it)` };
      }
      const region = { x: Math.floor((s.width - target.width) / 2), y: Math.floor((s.height - target.height) / 2), ...target };
      return {
        stage: crop(region, cropStats ? { stats: cropStats } : undefined),
        note: `camera sensor ${size(s)}: the model's ${size(target)} is cut from its middle at x=${region.x}, y=${region.y} (model.fit: center-crop)`,
      };
    }
    case 'scale':
      return { stage: scale(s, target), note: `camera sensor ${size(s)}: scaled to the model's ${size(target)} (model.fit: scale)` };
  }
}

/**
 * Admits batches whose camera fits (or can be fitted to) the model. A change of geometry is
 * decided once and logged once; the caller starts a new epoch on `changed` and drops `refused`.
 */
export class SensorGate {
  /** Why the current camera's events are refused; undefined while they flow. */
  refused: string | undefined;
  /** The stage fitting the current camera to the model, if it needs one. */
  stage: OperatorFunction<EventBatch, EventBatch> | undefined;
  private seen: string | undefined;

  constructor(
    private readonly decide: (camera: SensorGeometry) => FitDecision,
    private readonly log: (line: string) => void,
  ) {}

  admit(camera: SensorGeometry): 'pass' | 'changed' | 'refused' {
    const key = size(camera);
    if (key === this.seen) return this.refused === undefined ? 'pass' : 'refused';
    const first = this.seen === undefined;
    this.seen = key;
    const d = this.decide(camera);
    if ('error' in d) {
      this.refused = d.error;
      this.log(d.error);
      return 'refused';
    }
    const wasRefused = this.refused !== undefined;
    this.refused = undefined;
    this.stage = d.stage;
    if (d.note) this.log(d.note);
    else if (wasRefused) this.log(`camera sensor ${key} fits the model: its events are accepted`);
    return first ? 'pass' : 'changed';
  }
}
