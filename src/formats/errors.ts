/**
 * Typed errors for bad event data. Every decoder failure is a FormatError that names the
 * input (file path or stream label), the absolute byte offset where the problem was found
 * and what was wrong, so a corrupt recording can be located with a hex editor.
 */
export class FormatError extends Error {
  override readonly name = 'FormatError';
  /** File path or stream label; undefined when decoding anonymous bytes. */
  readonly file: string | undefined;
  /** Absolute byte offset in the input (from the first byte pushed into the decoder). */
  readonly offset: number;
  /** What was wrong, without the location prefix. */
  readonly reason: string;

  constructor(reason: string, offset: number, file?: string) {
    super(`${file ?? '<bytes>'}: byte ${offset}: ${reason}`);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }

  /** The same error attributed to a named input (decoders fed anonymous bytes use this). */
  withFile(file: string): FormatError {
    if (this.file === file) return this;
    const e = new FormatError(this.reason, this.offset, file);
    e.stack = this.stack;
    return e;
  }
}
