import type { Command } from '../command.js';
import { searchCommand } from './search.js';

/** Every sub-command, in the order `spikeline help` lists them. */
export const commands: readonly Command[] = [searchCommand];
