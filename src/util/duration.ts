const UNIT_US: Record<string, number> = { us: 1, µs: 1, ms: 1e3, s: 1e6, m: 6e7, min: 6e7, h: 3.6e9 };

/**
 * Parses a duration such as `250us`, `50ms`, `10s`, `2m`, `1h30m` into microseconds. A bare
 * number takes `bareUnit` (seconds unless the caller's option is naturally in µs).
 */
export function parseDurationUs(text: string, bareUnit: keyof typeof UNIT_US = 's'): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * UNIT_US[bareUnit]!);
  const part = /\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|min|s|m|h)/y;
  let us = 0;
  let end = 0;
  for (let m = part.exec(s); m; m = part.exec(s)) {
    us += Number(m[1]) * UNIT_US[m[2]!]!;
    end = part.lastIndex;
  }
  if (end === 0 || end !== s.length) {
    throw new RangeError(`not a duration: "${text}" (e.g. 250us, 50ms, 10s, 2m, 1h30m)`);
  }
  return Math.round(us);
}
