/**
 * Builds the runner's source from a config: file replay, a DV / AEDAT 3 TCP camera, a UDP camera,
 * one camera of the NATS JetStream bus, or the built-in camera simulator (served over DV TCP on a loopback port and read back through
 * the same TCP client a real camera uses). All of them are the streaming area's sources; this
 * file only adapts their stats to the runner's health view.
 */
import { readFileSync } from 'node:fs';
import { DVS_GESTURE_BACKGROUND, DVS_GESTURE_CLASSES, parseGestureLabels } from '../formats/index.js';
import { parseDomainSpec } from '../simulate/domain.js';
import type { Annotation } from '../operators/annotations.js';
import { FlowValve } from '../operators/bounded-buffer.js';
import { closeBus, connectBus, natsCameraSource, replayFile, tcpSource, udpSource, type EventSource } from '../sources/index.js';
import { RECONNECT_DEFAULTS, type SourceConfig } from './config.js';
import type { PipelineSource, SourceHealth } from './source.js';
import { startCameraSimulator } from './camera.js';

/** Event-drop reasons a streaming-area source reports. */
const SOURCE_DROP_REASONS = ['source_overflow'] as const;

export function adaptEventSource(source: EventSource, live: boolean, close?: () => Promise<void>, valve?: FlowValve): PipelineSource {
  const stats = source.stats;
  return {
    name: stats.source,
    live,
    ...(valve ? { valve } : {}),
    dropReasons: SOURCE_DROP_REASONS,
    events: source,
    health(): SourceHealth {
      return {
        state: stats.state,
        connected: stats.state === 'open',
        dropped: { source_overflow: stats.droppedEvents },
        malformedPackets: stats.malformed,
        lostPackets: stats.lost,
        stalePackets: stats.stale,
        reconnects: stats.reconnects,
      };
    },
    ...(close ? { close } : {}),
  };
}

/** A DVS128 Gesture labels CSV as annotations (errors name the file and line). */
export function readLabels(path: string): Annotation[] {
  return parseGestureLabels(readFileSync(path, 'utf8'), path).map((l) => ({
    classId: l.classId,
    // parseGestureLabels admits 1..12: past the gestures is the synthetic "no gesture" row.
    label: DVS_GESTURE_CLASSES[l.classId] ?? DVS_GESTURE_BACKGROUND.name,
    start: l.start,
    end: l.end,
  }));
}

/** Secrets resolved from the environment by the caller. */
export interface SourceSecrets {
  natsToken?: string;
}

export async function createPipelineSource(config: SourceConfig, secrets: SourceSecrets = {}): Promise<PipelineSource> {
  const reconnect = ({ initialMs, maxMs }: { initialMs: number; maxMs: number } = RECONNECT_DEFAULTS) => ({
    initialDelayMs: initialMs,
    maxDelayMs: maxMs,
  });
  // Files and TCP read only while the runner's queue has room when the policy is `pause`.
  const valve = config.buffer?.policy === 'pause' ? new FlowValve() : undefined;
  const paused = valve ? { valve } : {};
  switch (config.type) {
    case 'file':
      return adaptEventSource(
        replayFile(config.path, { speed: config.speed, loop: config.loop, ...(config.labels ? { annotations: readLabels(config.labels) } : {}), ...paused }),
        false,
        undefined,
        valve,
      );
    case 'tcp':
      return adaptEventSource(tcpSource(config.url, { protocol: config.protocol, ...reconnect(config.reconnect), ...paused }), true, undefined, valve);
    case 'udp':
      return adaptEventSource(udpSource(config.url, { protocol: config.protocol, sensor: config.sensor }), true);
    case 'nats': {
      if (!config.camera) throw new Error('source.cameras "*" is served by a bus worker (launchBusWorker), not by one pipeline');
      const nc = await connectBus(config.url, { name: `spikeline-${config.camera}`, ...(secrets.natsToken ? { token: secrets.natsToken } : {}) });
      const source = natsCameraSource({ nc, camera: config.camera, maxAckPending: config.maxAckPending, ...paused });
      return adaptEventSource(source, true, () => closeBus(nc), valve);
    }
    case 'simulator': {
      // The simulator announces each gesture it performs: predictions carry it as ground truth.
      const recent: { start: number; end: number; label: string }[] = [];
      const camera = await startCameraSimulator({
        seed: config.seed,
        speed: config.speed,
        domain: parseDomainSpec(config.domain),
        clockwise: config.clockwise,
        idleProbability: config.idle,
        onGesture: (g) => {
          recent.push({ start: g.start, end: g.end, label: DVS_GESTURE_CLASSES[g.label] ?? DVS_GESTURE_BACKGROUND.name });
          if (recent.length > 32) recent.shift();
        },
      });
      const source = tcpSource(camera.url, { protocol: 'dv', ...reconnect(config.reconnect), ...paused });
      return {
        ...adaptEventSource(source, true, () => camera.close(), valve),
        truthAt: (t) => recent.find((g) => g.start < t && g.end >= t)?.label,
      };
    }
  }
}
