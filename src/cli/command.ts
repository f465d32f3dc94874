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
