import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { ReadOptions } from '../formats/index.js';

export interface ParsedArgs<V> {
  values: V;
  positionals: string[];
}

/** One `spikeline <name>` sub-command. Commands only parse arguments and call library code. */
export interface Command {
  readonly name: string;
  /** One line for `spikeline help`. */
  readonly summary: string;
  /** Full usage text printed by `spikeline help <name>` and on a usage error. */
  readonly usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad command-line arguments: main prints the message and the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--name -1` as `--name=-1`: parseArgs refuses a value starting with a dash ("argument is
 * ambiguous"), but for a string option a negative number can only be its value. It is then
 * parsed, and refused with its allowed range, by numberOption.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** `util.parseArgs` in strict mode, with its errors turned into UsageErrors. */
export function parseCommandArgs<O extends Options>(
  argv: string[],
  options: O,
  minPositionals = 0,
): ParsedArgs<ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']> {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length < minPositionals) {
    throw new UsageError(`expected at least ${minPositionals} argument(s), got ${parsed.positionals.length}`);
  }
  return parsed;
}

/** The values a numeric option accepts. Bounds are inclusive (min, max) or strict (above, below). */
export interface NumberRange {
  integer?: boolean;
  min?: number;
  max?: number;
  above?: number;
  below?: number;
  /** The only values allowed, e.g. [50, 60] for a mains frequency. */
  oneOf?: readonly number[];
}

/** Ranges several commands share. */
export const SEED: NumberRange = { integer: true, min: 0, max: 0xffffffff };
export const PORT: NumberRange = { integer: true, min: 0, max: 65535 };
export const COUNT: NumberRange = { integer: true, min: 1 };
export const POSITIVE: NumberRange = { above: 0 };
export const NON_NEGATIVE_INT: NumberRange = { integer: true, min: 0 };
/** Input frame side of the 128-pixel DVS sensors the searches train on: an integer divisor of 128. */
export const FRAME_SIZE: NumberRange = { oneOf: [1, 2, 4, 8, 16, 32, 64, 128] };

/** "an integer from 1 to 16", "a number > 0 and < 1", "50 or 60". */
export function describeRange(r: NumberRange): string {
  if (r.oneOf) return r.oneOf.length === 1 ? String(r.oneOf[0]) : `${r.oneOf.slice(0, -1).join(', ')} or ${r.oneOf[r.oneOf.length - 1]}`;
  const kind = r.integer ? 'an integer' : 'a number';
  if (r.integer && r.min !== undefined && r.max !== undefined) return `${kind} from ${r.min} to ${r.max}`;
  const bounds = [
    r.min !== undefined ? `>= ${r.min}` : r.above !== undefined ? `> ${r.above}` : undefined,
    r.max !== undefined ? `<= ${r.max}` : r.below !== undefined ? `< ${r.below}` : undefined,
  ].filter((b) => b !== undefined);
  return bounds.length ? `${kind} ${bounds.join(' and ')}` : kind;
}

function inRange(n: number, r: NumberRange): boolean {
  if (r.oneOf) return r.oneOf.includes(n);
  if (r.integer && !Number.isSafeInteger(n)) return false;
  return !(
    (r.min !== undefined && n < r.min) ||
    (r.max !== undefined && n > r.max) ||
    (r.above !== undefined && n <= r.above) ||
    (r.below !== undefined && n >= r.below)
  );
}

/**
 * Parses the value of numeric option `--name` and checks it against its range; every numeric
 * option of every command goes through here, so each bad value gets the same clear message
 * naming the flag and what it accepts. `undefined` (option not given) gives `fallback`.
 */
export function numberOption(name: string, value: string | undefined, range: NumberRange): number | undefined;
export function numberOption(name: string, value: string | undefined, range: NumberRange, fallback: number): number;
export function numberOption(name: string, value: string | undefined, range: NumberRange, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || !inRange(n, range)) throw new UsageError(`--${name} must be ${describeRange(range)}, got "${value}"`);
  return n;
}

const SENSOR_SIDE: NumberRange = { integer: true, min: 1, max: 65535 };

/** A `--sensor WxH` option (sensor size for protocols that do not carry one), or undefined when absent. */
export function sensorOption(value: string | undefined): { width: number; height: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(value);
  const side = (v: string | undefined): number | undefined => (v !== undefined && Number.isSafeInteger(Number(v)) && Number(v) >= 1 && Number(v) <= 65535 ? Number(v) : undefined);
  const width = side(m?.[1]);
  const height = side(m?.[2]);
  if (width === undefined || height === undefined) throw new UsageError(`--sensor must be WxH, each ${describeRange(SENSOR_SIDE)}, got "${value}"`);
  return { width, height };
}

/** Checks an option against its allowed values, naming the option and the choices in the error. */
export function choiceOption<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}

/** `--stream ID`: the AEDAT 4 event stream or the AEDAT 3.1 source (each decoder reads its own). */
export function streamOptions(value: string | undefined): Pick<ReadOptions, 'streamId' | 'sourceId'> {
  if (value === undefined) return {};
  const id = numberOption('stream', value, NON_NEGATIVE_INT);
  return { streamId: id, sourceId: id };
}
