import { parseCommandArgs, sensorOption, UsageError, type Command } from '../command.js';
import { FlowValve } from '../../operators/index.js';
import { openSource, recordToFile } from '../../sources/index.js';
import { parseDurationUs } from '../../util/duration.js';
import type { TcpProtocol, UdpProtocol } from '../../sources/index.js';
import type { WriteCompression } from '../../formats/index.js';
import { createProgress } from '../../util/progress.js';

/** Event coordinates are 16-bit. */

const usage = `usage: spikeline record SOURCE OUT [--duration 10s] [--protocol P] [--sensor WxH] [--compression C]

Records events from SOURCE into OUT (AEDAT 4 for .aedat4; the extension picks .aedat = AEDAT 3.1,
.aedat2, .csv). SOURCE is a file (read as fast as possible), tcp://HOST:PORT (DV network stream;
--protocol aedat3 for cAER), udp://HOST:PORT (listen; --protocol aedat3, jaer or spif) or
ws://HOST:PORT/PATH (spikeline WebSocket frames).

  --duration D       stop after D of event time (10s, 500ms, 2m); live sources also stop after
                     D of wall time plus 5 s
  --protocol P       tcp: dv (default) | aedat3; udp: aedat3 (default) | jaer | spif
  --sensor WxH       sensor size for protocols that do not carry one (aedat3, spif)
  --compression C    AEDAT 4 packets: lz4 (default), zstd or none
  --reconnect        live TCP/WS: keep reconnecting when the stream drops (default: stop)
  --token T          WebSocket bearer token`;

export const recordCommand: Command = {
  name: 'record',
  summary: 'record a file or a live tcp://, udp://, ws:// stream to an event file',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      duration: { type: 'string' },
      protocol: { type: 'string' },
      sensor: { type: 'string' },
      compression: { type: 'string' },
      reconnect: { type: 'boolean' },
      token: { type: 'string' },
    }, 2);
    if (positionals.length !== 2) throw new UsageError(`expected SOURCE and OUT, got ${positionals.length} argument(s)`);
    const [spec, out] = positionals as [string, string];
    let duration: number | undefined;
    const sensor = sensorOption(values.sensor);
    try {
      duration = values.duration !== undefined ? parseDurationUs(values.duration) : undefined;
      if (duration === 0) throw new RangeError('--duration must be longer than 0');
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const compression = values.compression as WriteCompression | undefined;
    if (compression !== undefined && !['lz4', 'zstd', 'none'].includes(compression)) throw new UsageError(`--compression must be lz4, zstd or none, got "${compression}"`);
    const live = /^[a-z]+:\/\//i.test(spec);
    const valve = new FlowValve();
    let source;
    try {
      source = openSource(spec, {
        ...(values.protocol ? { protocol: values.protocol as TcpProtocol | UdpProtocol } : {}),
        ...(sensor ? { sensor } : {}),
        ...(values.token ? { token: values.token } : {}),
        reconnect: values.reconnect ?? false,
        valve,
        replay: { speed: 0 },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const progress = createProgress('record');
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    const res = await recordToFile(source, out, {
      ...(duration !== undefined ? { duration } : {}),
      ...(live && duration !== undefined ? { maxWallMs: duration / 1000 + 5000 } : {}),
      ...(compression ? { compression } : {}),
      valve,
      signal: stop.signal,
      onProgress: (events) => progress.update({ done: events, info: { source: source.stats.state } }),
    }).finally(() => process.off('SIGINT', onSignal));
    progress.finish({ events: res.events, bytes: res.bytes, dropped: res.droppedEvents, malformed: source.stats.malformed, lost: source.stats.lost });
    process.stderr.write(`record: ${res.events} events -> ${out} (${res.bytes} bytes)${res.droppedEvents ? `, ${res.droppedEvents} dropped` : ''}\n`);
    return 0;
  },
};
