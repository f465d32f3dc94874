/**
 * A small typed validator for config files. Each `Check` turns an unknown YAML value into a typed
 * one or records an issue `{ path, reason }` (path like `sinks.websocket.port` or `filters[1].type`)
 * and goes on, so one run reports every problem of a file at once.
 */

export interface ConfigIssue {
  path: string;
  reason: string;
  /** 1-based line in the source file, when known. */
  line?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(
      `${file}: invalid pipeline config\n` +
        issues.map((i) => `  ${i.path || '(root)'}${i.line ? ` (line ${i.line})` : ''}: ${i.reason}`).join('\n'),
    );
  }
}

export class Context {
  readonly issues: ConfigIssue[] = [];
  fail(path: string, reason: string): typeof INVALID {
    this.issues.push({ path, reason });
    return INVALID;
  }
}

export const INVALID: unique symbol = Symbol('invalid');
export type Check<T> = (value: unknown, path: string, ctx: Context) => T | typeof INVALID;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

export const join = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

export function num(opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}): Check<number> {
  return (v, path, ctx) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return ctx.fail(path, `must be a number, got ${describe(v)}`);
    if (opts.integer && !Number.isInteger(v)) return ctx.fail(path, `must be an integer, got ${v}`);
    if (opts.min !== undefined && (opts.exclusiveMin ? v <= opts.min : v < opts.min)) {
      return ctx.fail(path, `must be ${opts.exclusiveMin ? '>' : '>='} ${opts.min}, got ${v}`);
    }
    if (opts.max !== undefined && v > opts.max) return ctx.fail(path, `must be <= ${opts.max}, got ${v}`);
    return v;
  };
}

export const int = (min?: number, max?: number): Check<number> =>
  num({ integer: true, ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });

export function str(opts: { pattern?: RegExp; hint?: string; nonEmpty?: boolean } = {}): Check<string> {
  return (v, path, ctx) => {
    if (typeof v !== 'string') return ctx.fail(path, `must be a string, got ${describe(v)}`);
    if ((opts.nonEmpty ?? true) && v.length === 0) return ctx.fail(path, 'must not be empty');
    if (opts.pattern && !opts.pattern.test(v)) return ctx.fail(path, `must be ${opts.hint ?? `like ${opts.pattern}`}, got "${v}"`);
    return v;
  };
}

export const bool: Check<boolean> = (v, path, ctx) =>
  typeof v === 'boolean' ? v : ctx.fail(path, `must be true or false, got ${describe(v)}`);

export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  return (v, path, ctx) =>
    typeof v === 'string' && (values as readonly string[]).includes(v)
      ? (v as T)
      : ctx.fail(path, `must be one of ${values.map((x) => `"${x}"`).join(', ')}, got ${describe(v)}`);
}

export function list<T>(item: Check<T>, opts: { min?: number; max?: number } = {}): Check<T[]> {
  return (v, path, ctx) => {
    if (!Array.isArray(v)) return ctx.fail(path, `must be a list, got ${describe(v)}`);
    if (opts.min !== undefined && v.length < opts.min) return ctx.fail(path, `must have at least ${opts.min} item(s)`);
    if (opts.max !== undefined && v.length > opts.max) return ctx.fail(path, `must have at most ${opts.max} item(s)`);
    const out: T[] = [];
    let ok = true;
    v.forEach((x, i) => {
      const r = item(x, join(path, i), ctx);
      if (r === INVALID) ok = false;
      else out.push(r);
    });
    return ok ? out : INVALID;
  };
}

/** A mapping of names (any key) to values of one kind, e.g. a threshold per class label. */
export function mapOf<T>(value: Check<T>): Check<Record<string, T>> {
  return (v, path, ctx) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return ctx.fail(path, `must be a mapping, got ${describe(v)}`);
    const out: Record<string, T> = {};
    let ok = true;
    for (const [k, x] of Object.entries(v)) {
      const r = value(x, join(path, k), ctx);
      if (r === INVALID) ok = false;
      else out[k] = r;
    }
    return ok ? out : INVALID;
  };
}

/** Marks a field optional; `fallback` is used when it is absent (or null). */
export interface Optional<T> {
  readonly optional: true;
  readonly check: Check<T>;
  readonly fallback?: T;
}
export function opt<T>(check: Check<T>): Optional<T | undefined>;
export function opt<T>(check: Check<T>, fallback: T): Optional<T>;
export function opt<T>(check: Check<T>, fallback?: T): Optional<T | undefined> {
  return { optional: true, check, ...(fallback !== undefined ? { fallback } : {}) } as Optional<T | undefined>;
}

type Field = Check<unknown> | Optional<unknown>;
type Shape = Record<string, Field>;
type FieldType<F> = F extends Optional<infer T> ? T : F extends Check<infer T> ? T : never;
export type ObjectOf<S extends Shape> = { [K in keyof S]: FieldType<S[K]> };

/** A mapping with exactly these keys (unknown keys are errors: they are usually typos). */
export function obj<S extends Shape>(shape: S): Check<ObjectOf<S>> {
  return (v, path, ctx) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return ctx.fail(path, `must be a mapping, got ${describe(v)}`);
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const key of Object.keys(input)) {
      if (!(key in shape)) {
        ctx.fail(join(path, key), `unknown field (expected one of: ${Object.keys(shape).join(', ')})`);
        ok = false;
      }
    }
    for (const [key, field] of Object.entries(shape)) {
      const value = input[key];
      const p = join(path, key);
      if ('optional' in field) {
        if (value === undefined || value === null) {
          if (field.fallback !== undefined) out[key] = field.fallback;
          continue;
        }
        const r = field.check(value, p, ctx);
        if (r === INVALID) ok = false;
        else out[key] = r;
      } else {
        if (value === undefined || value === null) {
          ctx.fail(p, 'is required');
          ok = false;
          continue;
        }
        const r = (field as Check<unknown>)(value, p, ctx);
        if (r === INVALID) ok = false;
        else out[key] = r;
      }
    }
    return ok ? (out as ObjectOf<S>) : INVALID;
  };
}

/** A mapping whose `type` field selects the shape of the rest. */
export function tagged<M extends Record<string, Shape>>(
  variants: M,
): Check<{ [K in keyof M]: { type: K } & ObjectOf<M[K]> }[keyof M]> {
  const types = Object.keys(variants);
  return (v, path, ctx) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return ctx.fail(path, `must be a mapping, got ${describe(v)}`);
    const { type, ...rest } = v as Record<string, unknown>;
    if (typeof type !== 'string' || !types.includes(type)) {
      return ctx.fail(join(path, 'type'), `must be one of ${types.map((t) => `"${t}"`).join(', ')}, got ${describe(type)}`);
    }
    const r = obj(variants[type]!)(rest, path, ctx);
    return r === INVALID ? INVALID : ({ type, ...r } as never);
  };
}

/** Runs a check on a whole document; throws ConfigError listing every issue. */
export function validate<T>(check: Check<T>, value: unknown, file: string, lineOf?: (path: string) => number | undefined): T {
  const ctx = new Context();
  const r = check(value, '', ctx);
  if (r === INVALID || ctx.issues.length > 0) {
    throw new ConfigError(
      file,
      ctx.issues.map((i) => {
        const line = lineOf?.(i.path);
        return line ? { ...i, line } : i;
      }),
    );
  }
  return r;
}

export function numIn<const T extends number>(values: readonly T[]): Check<T> {
  return (v, path, ctx) =>
    typeof v === 'number' && (values as readonly number[]).includes(v)
      ? (v as T)
      : ctx.fail(path, `must be one of ${values.join(', ')}, got ${describe(v)}`);
}
