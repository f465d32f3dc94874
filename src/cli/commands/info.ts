import { parseCommandArgs, sensorOption, streamOptions, UsageError, type Command } from '../command.js';
import { formatEventFileInfo, inspectEventFile } from '../../formats/index.js';
import { createProgress } from '../../util/progress.js';

const usage = `usage: spikeline info FILE [--json] [--stream ID] [--sensor WxH] [--allow-truncated]
       spikeline info --backend [--json]

Summarises an event file: format (detected from content: AEDAT 2.0/3.1/4.0, Prophesee
EVT 2.0/3.0/DAT, N-MNIST .bin, CSV), sensor size, streams, event count, duration, event rate,
ON fraction, skipped non-event data and the reference checksum.

  --json              one JSON object: format, width, height, events, t_first, t_last, x_min,
                      x_max, y_min, y_max, on, checksum (decimal string), and more
  --stream ID         AEDAT 4: event stream id (default: lowest-id EVTS stream); AEDAT 3.1:
                      source id (default: the first #Source line). An id the file does not
                      have is an error that lists the streams it has
  --sensor WxH        sensor size, for files that state none (CSV without a %geometry line,
                      N-MNIST-style .bin); replaces the size a file states
  --allow-truncated   drop an incomplete final record instead of failing
  --backend           print the TensorFlow.js backend the SNN engine selects (tfjs-node, WASM
                      SIMD or CPU; SPIKELINE_BACKEND forces one) and why`;

export const infoCommand: Command = {
  name: 'info',
  summary: 'summarise an event file (format, sensor, events, duration, rate, checksum)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { json: { type: 'boolean' }, stream: { type: 'string' }, sensor: { type: 'string' }, 'allow-truncated': { type: 'boolean' }, backend: { type: 'boolean' } },
    );
    if (values.backend) {
      const { initBackend, backendLine } = await import('../../snn/backend.js');
      const b = await initBackend();
      process.stdout.write(values.json ? `${JSON.stringify(b)}\n` : `${backendLine(b)}\n`);
      return 0;
    }
    if (positionals.length === 0) throw new UsageError('expected a FILE (or --backend)');
    if (positionals.length > 1) throw new UsageError(`expected one FILE, got ${positionals.length}`);
    const sensor = sensorOption(values.sensor);
    const progress = process.stderr.isTTY ? createProgress('reading') : undefined;
    const info = await inspectEventFile(
      positionals[0]!,
      {
        ...streamOptions(values.stream),
        ...(sensor ? { sensor } : {}),
        allowTruncated: values['allow-truncated'] ?? false,
      },
      progress ? (done, total) => progress.update({ done, total }) : undefined,
    );
    progress?.finish();
    process.stdout.write(values.json ? `${JSON.stringify(info)}\n` : `${formatEventFileInfo(info)}\n`);
    return 0;
  },
};
