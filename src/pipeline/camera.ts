/**
 * The demo's camera: the simulator's endless live gesture stream served as a DV network stream
 * (AEDAT 4 over TCP) on a free loopback port, so the pipeline reads it through the same TCP
 * client as a real camera, socket and decoder included.
 */
import { simulatedCamera, type GestureAnnouncement } from '../simulate/index.js';
import type { DomainRanges } from '../simulate/domain.js';
import { serveEvents, type EventServer } from '../sources/index.js';

export interface CameraSimulatorOptions {
  seed: number;
  speed: number;
  /** Domain randomisation ranges (null: the original simulator); default: all families on. */
  domain?: DomainRanges | null;
  clockwise?: 'subject' | 'camera';
  /** Probability of a "no gesture" period before each gesture (default the simulator's). */
  idleProbability?: number;
  /** Each gesture as it begins: its true class and interval in the stream's time base. */
  onGesture?: (gesture: GestureAnnouncement) => void;
}

/** DVS128 geometry, as the simulator renders. */
export const SIMULATOR_SENSOR = { width: 128, height: 128 } as const;

export async function startCameraSimulator(options: CameraSimulatorOptions): Promise<EventServer> {
  const { onGesture, ...camera } = options;
  return serveEvents(simulatedCamera({ ...camera, ...(onGesture ? { onGesture } : {}) }), {
    url: 'tcp://127.0.0.1:0',
    protocol: 'dv',
    sensor: SIMULATOR_SENSOR,
    // A camera does not wait for slow readers: what a client cannot take is dropped and counted there.
    backpressure: 'drop',
    sourceName: 'spikeline-camera-sim',
  });
}
