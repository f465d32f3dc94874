import { resolve } from 'node:path';
import { numberOption, parseCommandArgs, PORT, UsageError, type Command } from '../command.js';
import { loadPipelineConfig, parsePipelineConfig } from '../../pipeline/config.js';
import { launchPipeline, runUntilSignalled } from '../../pipeline/launch.js';
import { preflight } from '../../pipeline/preflight.js';
import { labelsFromTruth, RunRecorder, scoreRun } from '../../pipeline/decision-record.js';
import { formatGestureScore } from '../../pipeline/decision-score.js';
import type { PipelineMessage } from '../../sinks/messages.js';
import { launchBusWorker } from '../../pipeline/bus-worker.js';

const usage = `usage: spikeline run PIPELINE.yaml [--port N] [--host ADDR] [--token-env NAME] [--model DIR] [--check] [--score]

Runs a pipeline config (see pipelines/): source -> filters -> binning -> model -> sinks, with
the HTTP server (dashboard /, /metrics, /healthz, /readyz, WebSocket /ws). Stops gracefully
on SIGTERM / SIGINT (sinks flushed, WebSocket clients closed with 1001), or when a file replay
without loop ends.

  --port N      override server.port (0 = any free port)
  --host ADDR   override server.host (non-loopback needs server.tokenEnv)
  --token-env NAME  override server.tokenEnv: the environment variable holding the token
                that /ws and /metrics then require
  --model DIR   override model.path
  --check       check everything a start would (config with the overrides above, tokens,
                model loads, source file header, camera size vs model.fit, server and UDP
                addresses bindable, JSONL writable) and exit: 0 valid, 1 with each problem
  --score       when the run ends, print the gesture score (see \`spikeline score\`) against
                the ground truth the source knows (a replay's labels, the simulator)`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run a pipeline config (live or replayed events -> SNN -> WebSocket, Prometheus, files)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      argv,
      { port: { type: 'string' }, host: { type: 'string' }, 'token-env': { type: 'string' }, model: { type: 'string' }, check: { type: 'boolean' }, score: { type: 'boolean' } },
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
    if (values.port !== undefined || values.host !== undefined || values['token-env'] !== undefined || values.model !== undefined) {
      // Re-validated so the override obeys the same rules (e.g. a token for non-loopback hosts).
      const server = {
        host: values.host ?? config.server.host,
        port: numberOption('port', values.port, PORT, config.server.port),
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
    if (values.check) {
      const { problems, notes } = await preflight(config);
      if (problems.length > 0) {
        process.stderr.write(`${positionals[0]}: would not start (${config.name})\n${problems.map((p) => `  ${p}\n`).join('')}`);
        return 1;
      }
      process.stdout.write(`${positionals[0]}: valid (${config.name})\n${notes.map((n) => `  ${n}\n`).join('')}`);
      return 0;
    }
    // A share of a line's cameras runs as a bus worker: one pipeline per camera it owns.
    if (config.source.type === 'nats' && config.source.cameras === '*') {
      if (values.score) throw new UsageError('--score scores one camera\'s run; a bus worker (cameras: "*") serves many: score each camera\'s JSONL with spikeline score');
      const worker = await launchBusWorker(config, { log });
      printUrls(worker.url);
      return runUntilSignalled(worker, log);
    }
    const pipeline = await launchPipeline(config, { log });
    printUrls(pipeline.url);
    const recorder = values.score ? new RunRecorder() : undefined;
    // Predictions are kept without their probabilities: only their times and truth are scored.
    if (recorder) pipeline.messages.subscribe((m) => recorder.add(m.type === 'prediction' ? ({ ...m, probabilities: [] } as PipelineMessage) : m, 'pipeline'));
    const code = await runUntilSignalled(pipeline, log);
    if (recorder) {
      const run = recorder.record();
      const labels = labelsFromTruth(run.predictions, run.classNames);
      if (labels.length === 0) log('--score: no prediction carried a ground truth (a file source needs labels; the simulator source has it)');
      else process.stdout.write(formatGestureScore(scoreRun(run)));
    }
    return code;
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
