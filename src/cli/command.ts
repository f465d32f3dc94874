import { parseArgs, type ParseArgsConfig } from 'node:util';

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

/** `util.parseArgs` in strict mode, with its errors turned into UsageErrors. */
export function parseCommandArgs<O extends Options>(
  argv: string[],
  options: O,
  minPositionals = 0,
): ParsedArgs<ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>['values']> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length < minPositionals) {
    throw new UsageError(`expected at least ${minPositionals} argument(s), got ${parsed.positionals.length}`);
  }
  return parsed;
}

/** Parses a number option, naming the option in the error. */
export function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  return n;
}

/** Parses a whole-number option of at least 1, naming the option in the error. */
export function positiveIntOption(name: string, value: string | undefined, fallback: number): number {
  const n = numberOption(name, value, fallback);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${value}`);
  return n;
}

/** Checks an option against its allowed values, naming the option and the choices in the error. */
export function choiceOption<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return value as T;
}
