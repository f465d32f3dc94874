import type { Command } from '../command.js';
import { replayCommand } from './replay.js';
import { recordCommand } from './record.js';
import { framesCommand } from './frames.js';
import { infoCommand } from './info.js';
import { trainCommand } from './train.js';
import { evalCommand } from './eval.js';
import { convertCommand } from './convert.js';
import { searchCommand } from './search.js';
import { experimentCommand } from './experiment.js';
import { simulateCommand } from './simulate.js';
import { renderCommand } from './render.js';
import { cameraSimCommand } from './camera-sim.js';
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { scoreCommand } from './score.js';
import { publishCommand } from './publish.js';
import { gatewayCommand } from './gateway.js';

/** Every sub-command, in the order `spikeline help` lists them. */
export const commands: readonly Command[] = [infoCommand, convertCommand, replayCommand, recordCommand, framesCommand, trainCommand, evalCommand, searchCommand, experimentCommand, simulateCommand, renderCommand, cameraSimCommand, runCommand, demoCommand, scoreCommand, publishCommand, gatewayCommand];
