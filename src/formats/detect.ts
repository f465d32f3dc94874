import type { EventFormat } from './decoder.js';
import { FormatError } from './errors.js';
import { csvLayout } from './csv.js';
import { propheseeEvtVersion, propheseeLegacyEvt, unsupportedEvt } from './prophesee.js';

function startsWith(head: Uint8Array, text: string): boolean {
  if (head.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (head[i] !== text.charCodeAt(i)) return false;
  return true;
}

/** The `%` header lines at the start of `head` (complete lines only). */
function percentLines(head: Uint8Array): string[] {
  const lines: string[] = [];
  let pos = 0;
  while (pos < head.length && head[pos] === 0x25) {
    const nl = head.indexOf(0x0a, pos);
    if (nl < 0) break;
    lines.push(String.fromCharCode(...head.subarray(pos, nl)).replace(/\r$/, ''));
    pos = nl + 1;
  }
  return lines;
}

/**
 * Format from the first bytes of a file (spec §1.2; pass at least the first 4 KiB). Content
 * decides. Exceptions, documented: N-MNIST `.bin` records have no signature at all, so a
 * `.bin` name is required; event text (CSV and the like) by its first line after any `%` lines:
 * a header naming x, y, t and p, or a row of four numbers (see csv.ts).
 */
export function detectFormat(head: Uint8Array, name?: string): EventFormat | undefined {
  if (startsWith(head, '#!AER-DAT4.0')) return 'aedat4';
  if (startsWith(head, '#!AER-DAT3.1')) return 'aedat3';
  if (startsWith(head, '#!AER-DAT2.0')) return 'aedat2';
  if (startsWith(head, '% ') || startsWith(head, '%\n')) {
    const lines = percentLines(head);
    const evt = propheseeEvtVersion(lines);
    if (evt === 2) return 'evt2';
    if (evt === 3) return 'evt3';
    if (evt !== undefined) throw new FormatError(`Prophesee EVT ${evt.toFixed(1)} RAW data${unsupportedEvt(evt)}`, 0, name);
    if (lines.some((l) => /Data file containing|^% *Version|^% *Width|^% *Height/i.test(l))) return 'dat';
    if (name && /\.dat$/i.test(name)) return 'dat';
    // An older RAW without an evt line: the camera it names decides, else the Gen4+ default.
    const legacy = propheseeLegacyEvt(lines);
    if (legacy !== undefined) return legacy === 2 ? 'evt2' : 'evt3';
    if (name && /\.raw$/i.test(name)) return 'evt3';
    return undefined;
  }
  // Event text: the first line after the `%geometry:W,H`-style lines is a header or row the CSV
  // decoder reads (csvLayout); a UTF-8 BOM (Excel) is dropped by the text decoder.
  const lines = new TextDecoder().decode(head.subarray(0, Math.min(head.length, 4096))).split(/\r?\n/).filter((l) => !l.startsWith('%') && l.trim() !== '');
  // Leading `#` comments, unless one names the columns (csvLayout reads `# t x y p` as a header).
  while (lines.length > 1 && lines[0]!.startsWith('#') && !csvLayout(lines[0]!)?.header) lines.shift();
  if (lines.length > 0 && csvLayout(lines[0]!)) return 'csv';
  if (name && /\.bin$/i.test(name)) return 'nmnist';
  return undefined;
}
