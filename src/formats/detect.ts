import type { EventFormat } from './decoder.js';

function startsWith(head: Uint8Array, text: string): boolean {
  if (head.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (head[i] !== text.charCodeAt(i)) return false;
  return true;
}

/**
 * Format from the first bytes of a file (spec §1.2). Content decides; the file name is only
 * used for header-less N-MNIST `.bin` records, which have no signature at all.
 */
export function detectFormat(head: Uint8Array, name?: string): EventFormat | undefined {
  if (startsWith(head, '#!AER-DAT4.0')) return 'aedat4';
  if (startsWith(head, '#!AER-DAT3.1')) return 'aedat3';
  if (startsWith(head, '#!AER-DAT2.0')) return 'aedat2';
  if (name && /\.bin$/i.test(name) && head.length > 0 && head[0] !== 0x23 && head[0] !== 0x25) return 'nmnist';
  return undefined;
}
