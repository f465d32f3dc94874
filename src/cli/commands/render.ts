import { COUNT, UsageError, numberOption, parseCommandArgs, type Command } from '../command.js';
import { parseDurationUs } from '../../util/duration.js';
import { renderEvents } from '../../simulate/render/render-file.js';

const usage = `usage: spikeline render FILE|DIR --out x.png|x.gif [options]

Draws event frames (ON amber, OFF blue, brighter with more events) of an event file (any format
spikeline reads) or of a DVS128 Gesture folder (one frame or clip per gesture class of a trial).

options:
  --out PATH        output .png (one frame, or a grid with --frames) or .gif (animation)
  --window DUR      events per frame, e.g. 50ms, 20000us, 0.1s (default 50ms)
  --frames N        PNG: frames in the grid (default 1, folder: one per class);
                    GIF: frames (default 100, folder: 20 per class)
  --at DUR          file: start offset from the first event (default middle for PNG, 0 for GIF)
  --trial NAME      folder: trial to show, e.g. user24_led (default the first training trial)
  --scale N         integer upscale (default 3)
  --columns N       PNG grid columns (default 4)`;

/** Parses 50ms / 2000us / 0.5s / bare µs into microseconds. */
function duration(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDurationUs(value, 'us');
  } catch {
    throw new UsageError(`--${name} must be a duration like 50ms, 2000us or 0.5s, got "${value}"`);
  }
}

export const renderCommand: Command = {
  name: 'render',
  summary: 'draw event frames of a recording or gesture folder as PNG or animated GIF',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string' },
      window: { type: 'string' },
      frames: { type: 'string' },
      at: { type: 'string' },
      trial: { type: 'string' },
      scale: { type: 'string' },
      columns: { type: 'string' },
    }, 1);
    if (!values.out) throw new UsageError('--out x.png|x.gif is required');
    if (!/\.(png|gif)$/i.test(values.out)) throw new UsageError(`--out must end in .png or .gif, got "${values.out}"`);
    const windowUs = duration('window', values.window);
    if (windowUs === 0) throw new UsageError('--window must be longer than 0');
    const atUs = duration('at', values.at);
    const result = await renderEvents({
      input: positionals[0]!,
      out: values.out,
      ...(windowUs !== undefined ? { windowUs } : {}),
      ...(atUs !== undefined ? { atUs } : {}),
      ...(values.frames !== undefined ? { frames: numberOption('frames', values.frames, COUNT)! } : {}),
      ...(values.trial !== undefined ? { trial: values.trial } : {}),
      scale: numberOption('scale', values.scale, { integer: true, min: 1, max: 16 }, 3),
      columns: numberOption('columns', values.columns, COUNT, 4),
    });
    process.stdout.write(`${result.path}: ${result.width}x${result.height}, ${result.frames} frame(s), ${result.bytes} bytes\n`);
    return 0;
  },
};
