import { COUNT, numberOption, parseCommandArgs, UsageError, type Command } from '../command.js';
import { FlowValve } from '../../operators/index.js';
import { fileSensor, parseEndpoint, replayFile, sendUdp, serveEvents, type UdpProtocol } from '../../sources/index.js';
import type { Aedat4Compression } from '../../formats/index.js';

const usage = `usage: spikeline replay FILE --serve URL [--protocol P] [--speed X] [--loop] [--start US] [--stop US]

Plays a recording as a live camera, paced by event time.

  --serve URL          tcp://127.0.0.1:7777  DV-compatible TCP server (DV's "TCP client" input,
                                            dv-processing NetworkReader, spikeline record)
                       ws://127.0.0.1:7777/events  spikeline WebSocket frames
                       udp://HOST:PORT       UDP datagrams sent to HOST:PORT
  --protocol P         tcp: dv (default) or aedat3; udp: aedat3 (default), jaer or spif
  --speed X            event time per wall time (default 1; 0 = as fast as possible)
  --loop               replay forever (timestamps keep increasing across passes)
  --start US, --stop US  play only [first + start, first + stop) µs
  --compression C      DV packets: none (default) or lz4
  --udp-rate N         most datagrams per second for udp (default 20000)
  --no-wait            TCP/WS: start playing at once instead of at the first client

TCP and WebSocket servers start playing when the first client connects; a slow client pauses
the replay (nothing is dropped). The server exits when the file ends (unless --loop).`;

export const replayCommand: Command = {
  name: 'replay',
  summary: 'play a recording as a live camera (DV TCP server, AEDAT 3 TCP/UDP, jAER/SPIF UDP, WebSocket)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      serve: { type: 'string' },
      protocol: { type: 'string' },
      speed: { type: 'string' },
      loop: { type: 'boolean' },
      start: { type: 'string' },
      stop: { type: 'string' },
      compression: { type: 'string' },
      'udp-rate': { type: 'string' },
      'no-wait': { type: 'boolean' },
    }, 1);
    if (positionals.length !== 1) throw new UsageError(`expected one FILE, got ${positionals.length}`);
    if (!values.serve) throw new UsageError('--serve URL is required (tcp://, ws:// or udp://)');
    const file = positionals[0]!;
    let ep;
    try {
      ep = parseEndpoint(values.serve);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const compression = (values.compression ?? 'none') as Aedat4Compression;
    if (compression !== 'none' && compression !== 'lz4') throw new UsageError(`--compression must be none or lz4, got "${compression}"`);
    const start = numberOption('start', values.start, { min: 0 }, 0);
    const udpRate = numberOption('udp-rate', values['udp-rate'], COUNT, 20_000);
    const valve = new FlowValve();
    const replayOptions = {
      speed: numberOption('speed', values.speed, { min: 0 }, 1),
      loop: values.loop ?? false,
      start,
      ...(values.stop !== undefined ? { stop: numberOption('stop', values.stop, { above: start }) } : {}),
      valve,
    };
    let source;
    try {
      source = replayFile(file, replayOptions);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (ep.scheme === 'udp') {
      const protocol = (values.protocol ?? 'aedat3') as UdpProtocol;
      if (!['aedat3', 'jaer', 'spif'].includes(protocol)) throw new UsageError(`--protocol for udp must be aedat3, jaer or spif, got "${protocol}"`);
      process.stderr.write(`replay: sending ${file} to ${values.serve} (${protocol})\n`);
      const stats = await sendUdp(source, values.serve, { protocol, valve, maxDatagramsPerSecond: udpRate });
      process.stderr.write(`replay: sent ${stats.events} events in ${stats.datagrams} datagrams\n`);
      return 0;
    }
    const protocol = values.protocol ?? 'dv';
    if (protocol !== 'dv' && protocol !== 'aedat3') throw new UsageError(`--protocol for tcp must be dv or aedat3, got "${protocol}"`);
    const sensor = await fileSensor(file);
    const server = await serveEvents(source, { url: values.serve, protocol, sensor, compression, valve, waitForClient: !values['no-wait'] });
    process.stderr.write(`replay: serving ${file} on ${server.url} (${ep.scheme === 'tcp' ? protocol : 'websocket'}, ${sensor.width}x${sensor.height})${values['no-wait'] ? '' : '; waiting for a client'}\n`);
    const stop = () => void server.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await server.done;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    process.stderr.write(`replay: done, ${server.stats.events} events to ${server.stats.connections} client(s)\n`);
    return 0;
  },
};
