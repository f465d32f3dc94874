import { resolve } from 'node:path';
import { numberOption, parseCommandArgs, PORT, type Command } from '../command.js';
import { demoConfig, launchPipeline, runUntilSignalled } from '../../pipeline/launch.js';
import { printUrls } from './run.js';

const usage = `usage: spikeline demo [--port N] [--jsonl FILE] [--model DIR]

Runs the out-of-the-box demo with no external service: the built-in camera simulator streams
live gestures over DV TCP on a loopback port, the bundled SNN (fixtures/model) classifies them
step by step, and the results are served on 127.0.0.1: dashboard, /metrics, /ws. Same as
\`spikeline run pipelines/demo.yaml\` without the NATS sink. Ctrl-C stops it.

  --port N      HTTP port (default 8080; 0 = any free port)
  --jsonl FILE  also record predictions, status and gaps to FILE
  --model DIR   another model folder instead of the bundled one`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the live demo (simulated camera -> bundled SNN -> dashboard) on 127.0.0.1',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { port: { type: 'string' }, jsonl: { type: 'string' }, model: { type: 'string' } });
    const log = (line: string) => process.stderr.write(`spikeline demo: ${line}\n`);
    const config = demoConfig({
      port: numberOption('port', values.port, PORT, 8080),
      ...(values.jsonl ? { jsonl: values.jsonl } : {}),
      ...(values.model ? { model: resolve(values.model) } : {}),
    });
    const pipeline = await launchPipeline(config, { log });
    printUrls(pipeline.url);
    return runUntilSignalled(pipeline, log);
  },
};
