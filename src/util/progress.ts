/**
 * Progress reporting for long work (conversion, simulation, training, search): a redrawn bar on
 * a TTY, one JSON line per update otherwise, so logs stay machine-readable.
 */
export interface ProgressUpdate {
  done: number;
  total?: number;
  /** Extra figures shown after the bar (loss, accuracy, events/s...). */
  info?: Record<string, string | number>;
}

export interface Progress {
  update(update: ProgressUpdate): void;
  finish(info?: Record<string, string | number>): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Minimum milliseconds between two non-final updates written out. */
  intervalMs?: number;
  /** Force one mode (tests); defaults to the stream's isTTY. */
  tty?: boolean;
  /** No output at all. */
  silent?: boolean;
}

export function createProgress(task: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const interval = options.intervalMs ?? (tty ? 100 : 2000);
  const started = Date.now();
  let lastWrite = 0;
  let last: ProgressUpdate = { done: 0 };

  const write = (u: ProgressUpdate, final: boolean): void => {
    if (options.silent) return;
    const elapsed = (Date.now() - started) / 1000;
    if (tty) {
      const width = 30;
      const frac = u.total ? Math.min(1, u.done / u.total) : 0;
      const bar = u.total ? '█'.repeat(Math.round(frac * width)).padEnd(width, '░') : '';
      const count = u.total ? `${u.done}/${u.total}` : `${u.done}`;
      const eta = u.total && u.done > 0 && !final ? ` eta ${formatSeconds((elapsed * (u.total - u.done)) / u.done)}` : '';
      const info = formatInfo(u.info);
      stream.write(`\r\x1b[2K${task} ${bar} ${count} ${formatSeconds(elapsed)}${eta}${info}${final ? '\n' : ''}`);
    } else {
      stream.write(
        JSON.stringify({ progress: task, done: u.done, total: u.total ?? null, elapsed_s: round(elapsed), final, ...u.info }) + '\n',
      );
    }
  };

  return {
    update(u) {
      last = u;
      const now = Date.now();
      if (now - lastWrite < interval) return;
      lastWrite = now;
      write(u, false);
    },
    finish(info) {
      write({ ...last, done: last.total ?? last.done, info: { ...last.info, ...info } }, true);
    },
  };
}

function formatInfo(info?: Record<string, string | number>): string {
  if (!info) return '';
  return Object.entries(info)
    .map(([k, v]) => ` ${k}=${typeof v === 'number' ? round(v) : v}`)
    .join('');
}

function round(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v) : Math.round(v * 1000) / 1000;
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s - m * 60).toString().padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${(m % 60).toString().padStart(2, '0')}m`;
}
