/**
 * Size checks for outputs a command builds whole in memory (`spikeline frames`, `render`): the
 * size is computed from the options and the input before anything large is allocated, so an
 * option that asks for too much gets a message with the size instead of a V8 allocation error.
 */
import { constants } from 'node:buffer';
import { totalmem } from 'node:os';

/**
 * Largest output one command may build: a quarter of this machine's memory (an output is held
 * about three times while it is encoded: the data, its file layout, the file bytes) and at most
 * Node's largest Buffer.
 */
export function outputLimitBytes(): number {
  return Math.min(constants.MAX_LENGTH, Math.floor(totalmem() / 4));
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(1)} ${units[u]}`;
}

export class OutputTooLargeError extends RangeError {
  override readonly name = 'OutputTooLargeError';
}

/**
 * Throws OutputTooLargeError when `bytes` exceeds the output limit. `what` says what the bytes
 * are ("frames [524785, 2, 128, 128] float32"), `hint` how to ask for less.
 */
export function checkOutputSize(what: string, bytes: number, hint: string): void {
  const limit = outputLimitBytes();
  if (bytes <= limit) return;
  const why = limit === constants.MAX_LENGTH ? "Node's largest buffer" : `a quarter of this machine's ${formatBytes(totalmem())} of memory`;
  throw new OutputTooLargeError(`${what} would take ${formatBytes(bytes)}, more than the ${formatBytes(limit)} one output may use here (${why}); ${hint}`);
}
