import { UsageError, choiceOption, numberOption, parseCommandArgs, POSITIVE, SEED, type Command } from '../command.js';
import { DVS_GESTURE_BACKGROUND, DVS_GESTURE_CLASSES } from '../../formats/index.js';
import { parseDomainSpec, type DomainRanges } from '../../simulate/domain.js';
import { serveEvents } from '../../sources/index.js';
import { simulatedCamera } from '../../simulate/camera.js';
import { isLighting, LIGHTINGS } from '../../simulate/gesture-classes.js';

const usage = `usage: spikeline camera-sim --serve URL [options]

A simulated event camera: an endless real-time stream of people performing DVS128 Gesture
classes, served like a live camera, with "no gesture" periods between them (standing, fidgeting,
walking out of view and back, carrying something, someone passing). Each period's true label is
printed on stdout as one JSON line when it begins ({"gesture", "class", "label", "user",
"lighting", "start_us", "end_us"}; "no gesture" periods: "gesture":"background", class 12,
label 11, plus "idle": their kind).
The stream starts when the first client connects; timestamps are Unix microseconds.

options:
  --serve URL              tcp://127.0.0.1:7777 (DV / AEDAT 3.1 TCP) or ws://127.0.0.1:7777/events
  --protocol dv|aedat3     TCP wire protocol (default dv: what DV's TCP server output sends)
  --lighting NAME          ${LIGHTINGS.join(', ')} (default fluorescent)
  --seed S                 seed of subjects and gesture order (default 1)
  --gesture-seconds SEC    mean gesture length (default 3)
  --gap SEC                mean pause between gestures (default 1)
  --speed X                playback speed relative to real time (default 1)
  --duration SEC           stop after this many seconds of streaming (default: never)
  --domain SPEC            domain randomisation per subject, as simulate gesture's (default on)
  --clockwise camera|subject  arm-circle convention (default subject)
  --idle P                 probability of a "no gesture" period before each gesture (default 0.4)
  --idle-seconds SEC       mean "no gesture" period (default 2.5)`;

export const cameraSimCommand: Command = {
  name: 'camera-sim',
  summary: 'serve an endless simulated gesture camera over TCP (DV / AEDAT 3.1) or WebSocket',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      serve: { type: 'string' },
      protocol: { type: 'string' },
      lighting: { type: 'string' },
      seed: { type: 'string' },
      'gesture-seconds': { type: 'string' },
      gap: { type: 'string' },
      speed: { type: 'string' },
      duration: { type: 'string' },
      domain: { type: 'string' },
      clockwise: { type: 'string' },
      idle: { type: 'string' },
      'idle-seconds': { type: 'string' },
    });
    if (!values.serve) throw new UsageError('--serve URL is required, e.g. tcp://127.0.0.1:7777');
    const protocol = values.protocol ?? 'dv';
    if (protocol !== 'dv' && protocol !== 'aedat3') throw new UsageError(`--protocol must be dv or aedat3, got "${protocol}"`);
    const lighting = values.lighting ?? 'fluorescent';
    if (!isLighting(lighting)) throw new UsageError(`--lighting: unknown lighting "${lighting}" (${LIGHTINGS.join(', ')})`);
    const duration = numberOption('duration', values.duration, POSITIVE);
    let domain: DomainRanges | null;
    try {
      domain = parseDomainSpec(values.domain ?? 'on');
    } catch (err) {
      throw new UsageError(`--domain: ${(err as Error).message}`);
    }
    const camera = simulatedCamera({
      domain,
      clockwise: choiceOption('clockwise', values.clockwise, ['camera', 'subject'] as const, 'subject'),
      idleProbability: numberOption('idle', values.idle, { min: 0, max: 1 }, 0.4),
      idleSeconds: numberOption('idle-seconds', values['idle-seconds'], POSITIVE, 2.5),
      lighting,
      seed: numberOption('seed', values.seed, SEED, 1),
      gestureSeconds: numberOption('gesture-seconds', values['gesture-seconds'], POSITIVE, 3),
      gapSeconds: numberOption('gap', values.gap, { min: 0 }, 1),
      speed: numberOption('speed', values.speed, POSITIVE, 1),
      onGesture: (g) => {
        process.stdout.write(JSON.stringify({
          gesture: DVS_GESTURE_CLASSES[g.label] ?? DVS_GESTURE_BACKGROUND.name, class: g.classId, label: g.label, ...(g.idle ? { idle: g.idle } : {}),
          user: g.user, lighting: g.lighting, start_us: g.start, end_us: g.end,
        }) + '\n');
      },
    });
    // A live camera cannot wait for a slow client: its packets are dropped and counted.
    const server = await serveEvents(camera, { url: values.serve, protocol, sensor: { width: 128, height: 128 }, backpressure: 'drop', sourceName: 'spikeline-camera-sim' });
    process.stderr.write(`camera-sim: serving ${server.url} (${server.url.startsWith('tcp') ? protocol : 'websocket'}, ${lighting}); waiting for a client\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (duration !== undefined) setTimeout(stop, duration * 1000).unref();
      void server.done.then(stop, stop);
    });
    await server.close();
    const s = server.stats;
    process.stderr.write(`camera-sim: ${s.events} events in ${s.batches} batches to ${s.connections} client(s), ${s.droppedEvents} dropped\n`);
    return 0;
  },
};
