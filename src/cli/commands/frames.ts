import { writeFile } from 'node:fs/promises';
import { numberOption, parseCommandArgs, UsageError, type Command } from '../command.js';
import { readEvents } from '../../formats/index.js';
import { encodeNpyFloat32, framesFromEvents, toTonicLayout, type FrameSpec } from '../../operators/index.js';
import { frameMode } from '../../operators/functional/index.js';

const usage = `usage: spikeline frames IN OUT.npy (--n-time-bins N | --time-window US | --event-count N | --n-event-bins N)
                        [--overlap X] [--include-incomplete] [--include-tail] [--downsample F]

Bins a whole recording into event-count frames and writes them as float32 NumPy .npy in
Tonic's layout [T, P, H, W] (P = 2: 0 = OFF, 1 = ON), for training elsewhere. Slicing follows
tonic.transforms.ToFrame exactly (see the README's streaming section).

  --n-time-bins N        N frames of equal time; Tonic drops events past the last full bin
  --time-window US       frames of US microseconds (Tonic's time_window)
  --event-count N        frames of N events
  --n-event-bins N       N frames of equal event counts
  --overlap X            µs (time window), events (event count) or a fraction < 1 (bins)
  --include-incomplete   keep the last partial frame (time window / event count)
  --include-tail         n-time-bins: add the dropped tail to the last bin
  --downsample F         integer spatial factor first (sensor ceil(W/F) x ceil(H/F))`;

export const framesCommand: Command = {
  name: 'frames',
  summary: 'bin an event file into frames and write Tonic-layout float32 .npy [T,P,H,W]',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      'n-time-bins': { type: 'string' },
      'time-window': { type: 'string' },
      'event-count': { type: 'string' },
      'n-event-bins': { type: 'string' },
      overlap: { type: 'string' },
      'include-incomplete': { type: 'boolean' },
      'include-tail': { type: 'boolean' },
      downsample: { type: 'string' },
    }, 2);
    if (positionals.length !== 2) throw new UsageError(`expected IN and OUT.npy, got ${positionals.length} argument(s)`);
    const [input, output] = positionals as [string, string];
    const spec: FrameSpec = {
      ...(values['n-time-bins'] !== undefined ? { nTimeBins: numberOption('n-time-bins', values['n-time-bins'], 0) } : {}),
      ...(values['time-window'] !== undefined ? { timeWindow: numberOption('time-window', values['time-window'], 0) } : {}),
      ...(values['event-count'] !== undefined ? { eventCount: numberOption('event-count', values['event-count'], 0) } : {}),
      ...(values['n-event-bins'] !== undefined ? { nEventBins: numberOption('n-event-bins', values['n-event-bins'], 0) } : {}),
      ...(values.overlap !== undefined ? { overlap: numberOption('overlap', values.overlap, 0) } : {}),
      ...(values['include-incomplete'] ? { includeIncomplete: true } : {}),
      ...(values['include-tail'] ? { includeTail: true } : {}),
      ...(values.downsample !== undefined ? { downsample: numberOption('downsample', values.downsample, 1) } : {}),
    };
    // Validate everything before reading a possibly large file.
    try {
      frameMode(spec);
    } catch (err) {
      if (err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
    const events = await readEvents(input);
    const frames = framesFromEvents(events, spec); // downsampling is fused into the binning
    const shape = [frames.steps, frames.channels, frames.height, frames.width];
    await writeFile(output, encodeNpyFloat32(toTonicLayout(frames), shape));
    process.stderr.write(`frames: ${events.length} events -> ${output} float32 [${shape.join(', ')}]\n`);
    return 0;
  },
};
