import { writeFile } from 'node:fs/promises';
import { COUNT, numberOption, parseCommandArgs, POSITIVE, sensorOption, UsageError, type Command, type NumberRange } from '../command.js';
import { readEvents } from '../../formats/index.js';
import { encodeNpyFloat32, framesFromEvents, toTonicLayout, type FrameSpec } from '../../operators/index.js';
import { downsamplerFor, sliceIndices } from '../../operators/functional/index.js';
import { checkOutputSize } from '../../util/memory.js';

const usage = `usage: spikeline frames IN OUT.npy (--n-time-bins N | --time-window US | --event-count N | --n-event-bins N)
                        [--overlap X] [--include-incomplete] [--include-tail] [--downsample F]
                        [--sensor WxH]

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
  --downsample F         integer spatial factor first (sensor ceil(W/F) x ceil(H/F))
  --sensor WxH           sensor size of IN, for files that state none (CSV without a
                         %geometry line, N-MNIST-style .bin); replaces the size IN states`;

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
      sensor: { type: 'string' },
    }, 2);
    if (positionals.length !== 2) throw new UsageError(`expected IN and OUT.npy, got ${positionals.length} argument(s)`);
    const [input, output] = positionals as [string, string];
    const modes = (['n-time-bins', 'time-window', 'event-count', 'n-event-bins'] as const).filter((m) => values[m] !== undefined);
    if (modes.length !== 1) throw new UsageError(`give exactly one of --n-time-bins, --time-window, --event-count, --n-event-bins${modes.length ? ` (got --${modes.join(', --')})` : ''}`);
    const mode = modes[0]!;
    const size = numberOption(mode, values[mode], mode === 'time-window' ? POSITIVE : COUNT)!;
    // The overlap is in the unit of the mode and shorter than one frame.
    const overlapRange: NumberRange = mode === 'time-window' ? { min: 0, below: size } : mode === 'event-count' ? { integer: true, min: 0, below: size } : { min: 0, below: 1 };
    const spec: FrameSpec = {
      [{ 'n-time-bins': 'nTimeBins', 'time-window': 'timeWindow', 'event-count': 'eventCount', 'n-event-bins': 'nEventBins' }[mode]]: size,
      ...(values.overlap !== undefined ? { overlap: numberOption('overlap', values.overlap, overlapRange)! } : {}),
      ...(values['include-incomplete'] ? { includeIncomplete: true } : {}),
      ...(values['include-tail'] ? { includeTail: true } : {}),
      ...(values.downsample !== undefined ? { downsample: numberOption('downsample', values.downsample, COUNT)! } : {}),
    };
    const sensorSize = sensorOption(values.sensor);
    const events = await readEvents(input, sensorSize ? { sensor: sensorSize } : {});
    // Size the output before binning: one wrong option must not try to allocate terabytes.
    const sensor = downsamplerFor(spec.downsample ?? 1).sensorOf(events.sensor);
    const shape = [sliceIndices(events.t, spec).count, 2, sensor.height, sensor.width];
    const fewer = mode === 'event-count' || mode === 'time-window' ? `a larger --${mode}` : `a smaller --${mode} or a --downsample`;
    checkOutputSize(`${output}: frames [${shape.join(', ')}] float32`, shape.reduce((a, b) => a * b, 4), `ask for fewer or smaller frames (${fewer})`);
    const frames = framesFromEvents(events, spec); // downsampling is fused into the binning
    await writeFile(output, encodeNpyFloat32(toTonicLayout(frames), shape));
    process.stderr.write(`frames: ${events.length} events -> ${output} float32 [${shape.join(', ')}]\n`);
    return 0;
  },
};
