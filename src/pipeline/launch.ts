/**
 * Starting a pipeline from a config: backend and model loading, source creation, the runner,
 * and graceful shutdown on SIGTERM / SIGINT. Used by `spikeline run` and `spikeline demo`.
 */
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { backendLine, initBackend, inputChannels, loadModel, SnnStreamingModel, subBinsOf, type BackendInfo } from '../snn/index.js';
import { formatDenoise } from '../snn/denoise.js';
import type { PipelineConfig } from './config.js';
import { parsePipelineConfig } from './config.js';
import { Pipeline } from './runner.js';
import { createPipelineSource } from './sources.js';
import type { PipelineSource } from './source.js';

/** The model shipped in the package, used by the demo. */
export const BUNDLED_MODEL_DIR = fileURLToPath(new URL('../../fixtures/model', import.meta.url));

export interface LaunchOptions {
  log?: (line: string) => void;
  registry?: Registry;
  /** A source built by the caller (a bus worker's camera) instead of one from config.source. */
  source?: PipelineSource;
  /** Start the HTTP server (default true). */
  serve?: boolean;
}

export async function launchPipeline(config: PipelineConfig, options: LaunchOptions = {}): Promise<Pipeline> {
  const log = options.log ?? (() => undefined);
  const { token, natsToken, sourceToken } = resolveTokens(config);
  const { model, name, backend } = await openModel(config, log);
  const source = options.source ?? (await createPipelineSource(config.source, sourceToken ? { natsToken: sourceToken } : {}));
  const pipeline = new Pipeline(config, {
    source,
    model,
    modelName: name,
    backend: backend.name,
    log,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.serve !== undefined ? { serve: options.serve } : {}),
    ...(token ? { token } : {}),
    ...(natsToken ? { natsToken } : {}),
  });
  try {
    await pipeline.start();
  } catch (err) {
    await pipeline.stop();
    throw err;
  }
  log(`source: ${source.name}`);
  return pipeline;
}

/** The tokens named by server.tokenEnv, sinks.nats.tokenEnv and a nats source's tokenEnv; throws when a named variable is unset. */
export function resolveTokens(config: PipelineConfig): { token?: string; natsToken?: string; sourceToken?: string } {
  const token = tokenFrom(config.server.tokenEnv, 'server.tokenEnv');
  const natsToken = config.sinks.nats?.tokenEnv ? tokenFrom(config.sinks.nats.tokenEnv, 'sinks.nats.tokenEnv') : undefined;
  const sourceToken = config.source.type === 'nats' ? tokenFrom(config.source.tokenEnv, 'source.tokenEnv') : undefined;
  return { ...(token ? { token } : {}), ...(natsToken ? { natsToken } : {}), ...(sourceToken ? { sourceToken } : {}) };
}

export function tokenFrom(env: string | undefined, field: string): string | undefined {
  if (!env) return undefined;
  const v = process.env[env];
  if (!v) throw new Error(`${field}: environment variable ${env} is not set (it must hold the token)`);
  return v;
}

/** Initialises the backend and loads model.path as a streaming model (errors name model.path). */
export async function openModel(config: PipelineConfig, log: (line: string) => void = () => undefined): Promise<{ model: SnnStreamingModel; name: string; backend: BackendInfo }> {
  const backend = await initBackend(config.model.backend);
  log(`backend: ${backendLine(backend)}`);
  let saved;
  try {
    saved = await loadModel(config.model.path);
  } catch (err) {
    throw new Error(`model.path ${config.model.path}: ${(err as Error).message}`);
  }
  // The runner owns reset policy (resetEvery / windows), so the model resets only when told.
  const { readoutSteps } = config.inference;
  const model = new SnnStreamingModel(saved.model, { classes: saved.classes, preprocessing: saved.preprocessing, resetPolicy: 'manual', ...(readoutSteps !== undefined ? { readoutSteps } : {}) });
  // A folder called "model" (what spikeline train writes) is named after its parent.
  const folder = basename(config.model.path);
  const name = typeof saved.meta?.name === 'string' ? saved.meta.name : folder === 'model' ? `${basename(dirname(config.model.path))}/model` : folder;
  const pre = saved.preprocessing;
  log(`model: ${name} (${saved.classes.length} classes, input ${pre.height}x${pre.width}x${inputChannels(pre)}, ${pre.stepUs} µs steps${subBinsOf(pre) > 1 ? ` of ${subBinsOf(pre)} sub-bins` : ''}, ${pre.encoding} frames${pre.denoise ? `, denoised ${formatDenoise(pre.denoise)} before binning` : ''})`);
  return { model, name, backend };
}

/** The demo: the simulated live camera into the bundled model, every local sink, on loopback. */
export function demoConfig(overrides: { port?: number; host?: string; jsonl?: string; model?: string } = {}): PipelineConfig {
  return parsePipelineConfig(
    {
      name: 'demo',
      // The original simulator's people (the bundled model also learnt them, beside randomised ones),
      // so the demo shows the pipeline at the model's in-domain accuracy.
      source: { type: 'simulator', seed: 1, domain: 'off', clockwise: 'subject', idle: 0 },
      model: { path: overrides.model ?? BUNDLED_MODEL_DIR },
      inference: { mode: 'step' },
      previews: { enabled: true, size: 64 },
      server: { host: overrides.host ?? '127.0.0.1', port: overrides.port ?? 8080 },
      sinks: { websocket: {}, prometheus: {}, ...(overrides.jsonl ? { jsonl: { path: overrides.jsonl, types: ['prediction', 'gesture', 'status', 'gap'] } } : {}) },
    },
    '<built-in demo config>',
  );
}

/**
 * Runs until the source ends or SIGTERM / SIGINT arrives, then stops gracefully (a second signal
 * exits at once). Returns the process exit code.
 */
export async function runUntilSignalled(pipeline: Pick<Pipeline, 'stopped' | 'stop'> & { done?: Promise<void> }, log: (line: string) => void): Promise<number> {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130);
    signalled = true;
    log(`${signal}: stopping (flushing sinks, closing clients)`);
    void pipeline.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await Promise.race([pipeline.done ?? pipeline.stopped, pipeline.stopped]);
    await pipeline.stop();
    log('stopped');
    return 0;
  } catch (err) {
    log(`failed: ${(err as Error).message}`);
    await pipeline.stop();
    return 1;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
