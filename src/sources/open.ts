import type { SensorGeometry } from '../events/index.js';
import type { FlowValve } from '../operators/bounded-buffer.js';
import { parseEndpoint } from './endpoint.js';
import { replayFile, type ReplayOptions } from './replay.js';
import type { EventSource } from './status.js';
import { tcpSource, type TcpProtocol } from './tcp.js';
import { udpSource, type UdpProtocol } from './udp.js';
import { wsSource } from './ws.js';
import type { JaerChip } from './udp-codecs.js';

export interface OpenSourceOptions {
  /** tcp: `dv` (default) or `aedat3`; udp: `aedat3` (default), `jaer` or `spif`. */
  readonly protocol?: TcpProtocol | UdpProtocol;
  readonly sensor?: SensorGeometry;
  readonly chip?: JaerChip;
  readonly token?: string;
  /** Live sockets: reconnect when the connection drops (default true). */
  readonly reconnect?: boolean;
  readonly valve?: FlowValve;
  /** File replay options (a path, not a URL). */
  readonly replay?: ReplayOptions;
}

/** A source from a CLI-style spec: a file path, `tcp://`, `udp://` or `ws://` URL. */
export function openSource(spec: string, options: OpenSourceOptions = {}): EventSource {
  if (!/^[a-z]+:\/\//i.test(spec)) return replayFile(spec, { ...options.replay, ...(options.valve ? { valve: options.valve } : {}) });
  const ep = parseEndpoint(spec);
  const common = { ...(options.sensor ? { sensor: options.sensor } : {}), ...(options.valve ? { valve: options.valve } : {}), ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}) };
  if (ep.scheme === 'tcp') {
    const protocol = (options.protocol ?? 'dv') as TcpProtocol;
    if (protocol !== 'dv' && protocol !== 'aedat3') throw new RangeError(`tcp sources speak dv or aedat3, not "${protocol}"`);
    return tcpSource(spec, { ...common, protocol });
  }
  if (ep.scheme === 'udp') {
    const protocol = (options.protocol ?? 'aedat3') as UdpProtocol;
    if (!['aedat3', 'jaer', 'spif'].includes(protocol)) throw new RangeError(`udp sources speak aedat3, jaer or spif, not "${protocol}"`);
    return udpSource(spec, { protocol, ...(options.sensor ? { sensor: options.sensor } : {}), ...(options.chip ? { chip: options.chip } : {}) });
  }
  return wsSource(spec, { ...common, ...(options.token ? { token: options.token } : {}) });
}
