import { COUNT, numberOption, parseCommandArgs, SEED, sensorOption, UsageError, type Command } from '../command.js';
import { FlowValve } from '../../operators/index.js';
import { simulatedCamera } from '../../simulate/camera.js';
import { publishEvents } from '../../sinks/nats-events.js';
import { checkCameraName, EVENT_STREAM_DEFAULTS, openSource, type TcpProtocol, type UdpProtocol } from '../../sources/index.js';
import { parseDurationUs } from '../../util/duration.js';

const usage = `usage: spikeline publish SOURCE nats://HOST:PORT --camera NAME [options]

Publishes a camera's events to NATS JetStream, subject spikeline.events.NAME of the stream
SPIKELINE_EVENTS (created if missing; one SLEV frame per message), for \`spikeline run\`
pipelines with a \`nats\` source to consume. SOURCE is a file (replayed at --speed),
tcp://HOST:PORT (DV network stream), udp://HOST:PORT (listen), ws://HOST:PORT/PATH or
"simulator" (the built-in simulated gesture camera). Stops at the end of a file or on SIGINT /
SIGTERM, after JetStream has acknowledged every batch sent. While the server is away (restart),
batches are held (files and TCP pause) and sent again, in order, once it is back.

  --camera NAME      camera name: letters, digits, _ and - (required)
  --speed X          file / simulator: event time per wall time (default 1; 0 = files as fast
                     as possible)
  --loop             file: replay forever
  --seed S           simulator: seed of subjects and gestures (default 1)
  --protocol P       tcp: dv (default) | aedat3; udp: aedat3 (default) | jaer | spif
  --sensor WxH       sensor size for protocols that do not carry one
  --max-age D        stream retention by age, e.g. 30m, 2h (default 24h when the stream is
                     created; given, it changes an existing stream)
  --max-bytes N      stream retention by size (default ${EVENT_STREAM_DEFAULTS.maxBytes}, likewise)
  --token-env NAME   environment variable holding the NATS token`;

export const publishCommand: Command = {
  name: 'publish',
  summary: "publish a camera's events (file, tcp, udp, ws, simulator) to NATS JetStream",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      camera: { type: 'string' },
      speed: { type: 'string' },
      loop: { type: 'boolean' },
      seed: { type: 'string' },
      protocol: { type: 'string' },
      sensor: { type: 'string' },
      'max-age': { type: 'string' },
      'max-bytes': { type: 'string' },
      'token-env': { type: 'string' },
    }, 2);
    if (positionals.length !== 2) throw new UsageError(`expected SOURCE and nats://HOST:PORT, got ${positionals.length} argument(s)`);
    const [spec, url] = positionals as [string, string];
    if (!/^nats:\/\/\S+$/.test(url)) throw new UsageError(`the bus must be a URL like nats://127.0.0.1:4222, got "${url}"`);
    if (!values.camera) throw new UsageError('--camera NAME is required');
    const sensor = sensorOption(values.sensor);
    let camera: string, maxAgeMs: number | undefined;
    try {
      camera = checkCameraName(values.camera);
      if (values['max-age'] !== undefined) maxAgeMs = parseDurationUs(values['max-age']) / 1000;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const maxBytes = values['max-bytes'] === undefined ? undefined : numberOption('max-bytes', values['max-bytes'], COUNT, EVENT_STREAM_DEFAULTS.maxBytes);
    const speed = numberOption('speed', values.speed, { min: 0 }, 1);
    const seed = numberOption('seed', values.seed, SEED, 1);
    const tokenEnv = values['token-env'];
    const token = tokenEnv ? process.env[tokenEnv] : undefined;
    if (tokenEnv && !token) throw new UsageError(`--token-env: environment variable ${tokenEnv} is not set`);
    const valve = new FlowValve();
    let source;
    try {
      source =
        spec === 'simulator'
          ? simulatedCamera({ seed, speed: speed > 0 ? speed : 1 })
          : openSource(spec, {
              ...(values.protocol ? { protocol: values.protocol as TcpProtocol | UdpProtocol } : {}),
              ...(sensor ? { sensor } : {}),
              valve,
              replay: { speed, loop: values.loop ?? false },
            });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.stderr.write(`publish: ${spec} -> ${url} subject spikeline.events.${camera}\n`);
    try {
      const { published: sent, dropped } = await publishEvents(source, {
        url,
        camera,
        limits: { ...(maxAgeMs !== undefined ? { maxAgeMs } : {}), ...(maxBytes !== undefined ? { maxBytes } : {}) },
        valve,
        signal: stop.signal,
        onRetry: (err) => process.stderr.write(`publish: bus unavailable (${err.message}); holding batches and retrying\n`),
        ...(token ? { token } : {}),
      });
      process.stderr.write(`publish: ${sent.events} events in ${sent.batches} messages (${sent.bytes} bytes) stored${dropped.events ? `, ${dropped.events} events dropped while the bus was away` : ''}\n`);
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
