import { resolve } from 'node:path';
import { numberOption, parseCommandArgs, UsageError, type Command } from '../command.js';
import { loadPipelineConfig, parsePipelineConfig } from '../../pipeline/config.js';
import { launchPipeline, runUntilSignalled } from '../../pipeline/launch.js';
import { launchBusWorker } from '../../pipeline/bus-worker.js';

const usage = `usage: spikeline run PIPELINE.yaml [--port N] [--host ADDR] [--token-env NAME] [--model DIR] [--check]

Runs a pipeline config (see pipelines/): source -> filters -> binning -> model -> sinks, with
the HTTP server (dashboard /, /metrics, /healthz, /readyz, WebSocket /ws). Stops gracefully
on SIGTERM / SIGINT (sinks flushed, WebSocket clients closed with 1001), or when a file replay
without loop ends.

  --port N      override server.port (0 = any free port)
  --host ADDR   override server.host (non-loopback needs server.tokenEnv)
  --token-env NAME  override server.tokenEnv: the environment variable holding the token
                that /ws and /metrics then require
  --model DIR   override model.path
  --check       validate the config and exit (0 valid, 1 invalid)`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run a pipeline config (live or replayed events -> SNN -> WebSocket, Prometheus, files)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { port: { type: 'string' }, host: { type: 'string' }, 'token-env': { type: 'string' }, model: { type: 'string' }, check: { type: 'boolean' } },
      1,
    );
    if (positionals.length > 1) throw new UsageError(`expected one PIPELINE.yaml, got ${positionals.length}`);
    const log = (line: string) => process.stderr.write(`spikeline run: ${line}\n`);
    let config;
    try {
      config = loadPipelineConfig(positionals[0]!);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      return 1;
    }
    if (values.check) {
      process.stdout.write(`${positionals[0]}: valid (${config.name})\n`);
      return 0;
    }
    if (values.port !== undefined || values.host !== undefined || values['token-env'] !== undefined || values.model !== undefined) {
      // Re-validated so the override obeys the same rules (e.g. a token for non-loopback hosts).
      const server = {
        host: values.host ?? config.server.host,
        port: numberOption('port', values.port, config.server.port),
        ...(values['token-env'] ?? config.server.tokenEnv ? { tokenEnv: values['token-env'] ?? config.server.tokenEnv } : {}),
      };
      try {
        const model = values.model ? { ...config.model, path: resolve(values.model) } : config.model;
        config = parsePipelineConfig({ ...config, server, model }, `${positionals[0]} (with command-line overrides)`);
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        return 1;
      }
    }
    // A share of a line's cameras runs as a bus worker: one pipeline per camera it owns.
    const pipeline = config.source.type === 'nats' && config.source.cameras === '*' ? await launchBusWorker(config, { log }) : await launchPipeline(config, { log });
    printUrls(pipeline.url);
    return runUntilSignalled(pipeline, log);
  },
};

/** Prints where to look, on stdout (scripts read it). */
export function printUrls(base: string | undefined): void {
  if (!base) return;
  const ws = base.replace(/^http/, 'ws');
  process.stdout.write(
    [`dashboard  ${base}/`, `metrics    ${base}/metrics`, `websocket  ${ws}/ws`, `health     ${base}/healthz  ${base}/readyz`, ''].join('\n'),
  );
}
