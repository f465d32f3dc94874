import { parseCommandArgs, sensorOption, streamOptions, UsageError, type Command } from '../command.js';
import { convertEventFile, formatFromExtension, WRITABLE_FORMATS, type WritableFormat, type WriteCompression } from '../../formats/index.js';
import { createProgress } from '../../util/progress.js';

const usage = `usage: spikeline convert IN OUT [--format aedat2|aedat3|aedat4|csv] [--compression none|lz4|zstd]
                       [--stream ID] [--sensor WxH] [--allow-truncated]

Converts an event file (any readable format, detected from content) into AEDAT 2.0 (jAER
DVS128 / DAVIS240 / DAVIS346 layout, sensors up to 346x260), AEDAT 3.1, AEDAT 4.0 or CSV
(x,y,t,p). Streams in bounded memory and shows progress. OUT is replaced only when the
conversion succeeds; OUT may not be IN itself.

  --format F          output format; default from OUT's extension (.aedat4, .aedat = 3.1,
                      .aedat2, .csv)
  --compression C     AEDAT 4 packet compression (default lz4)
  --stream ID         AEDAT 4 input: event stream id; AEDAT 3.1 input: source id
  --sensor WxH        sensor size of IN, for files that state none (CSV without a %geometry
                      line, N-MNIST-style .bin); replaces the size IN states
  --allow-truncated   drop an incomplete final record of IN instead of failing`;

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert an event file to AEDAT 2.0 / 3.1 / 4.0 or CSV',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { format: { type: 'string' }, compression: { type: 'string' }, stream: { type: 'string' }, sensor: { type: 'string' }, 'allow-truncated': { type: 'boolean' } },
      2,
    );
    if (positionals.length > 2) throw new UsageError(`expected IN and OUT, got ${positionals.length} arguments`);
    const [input, output] = positionals as [string, string];
    const format = (values.format ?? formatFromExtension(output)) as WritableFormat | undefined;
    if (!format || !WRITABLE_FORMATS.includes(format)) {
      throw new UsageError(`--format must be one of ${WRITABLE_FORMATS.join(', ')}${values.format ? `, got "${values.format}"` : ' (cannot tell from OUT)'}`);
    }
    const compression = values.compression as WriteCompression | undefined;
    if (compression !== undefined && !['none', 'lz4', 'zstd'].includes(compression)) {
      throw new UsageError(`--compression must be none, lz4 or zstd, got "${compression}"`);
    }
    if (compression !== undefined && format !== 'aedat4') throw new UsageError('--compression applies to --format aedat4 only');
    const sensor = sensorOption(values.sensor);
    const progress = createProgress(`convert to ${format}`);
    const res = await convertEventFile(
      input,
      output,
      {
        to: format,
        ...(compression ? { compression } : {}),
        ...streamOptions(values.stream),
        ...(sensor ? { sensor } : {}),
        allowTruncated: values['allow-truncated'] ?? false,
      },
      (done, total, events) => progress.update({ done, total, info: { events } }),
    );
    progress.finish({ events: res.events });
    process.stdout.write(`${input} (${res.from}) -> ${output} (${format}): ${res.events} events, ${res.bytes} bytes\n`);
    return 0;
  },
};
