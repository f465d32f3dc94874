/**
 * `spikeline run --check`: everything a real start would check, without starting. Tokens are
 * in the environment, the model loads, the source file opens and its header decodes, labels
 * parse, the camera geometry (when known before connecting) fits the model per model.fit, the
 * server address and a UDP source's address can be bound, the JSONL file can be written. Every
 * problem is reported, each naming its config field.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { dirname } from 'node:path';
import type { SensorGeometry } from '../events/index.js';
import { fileSensor, parseEndpoint } from '../sources/index.js';
import { inputChannels, type Preprocessing } from '../snn/model-api.js';
import { buildServer } from './build-server.js';
import { SIMULATOR_SENSOR } from './camera.js';
import type { PipelineConfig } from './config.js';
import { fitCamera } from './fit.js';
import { modelDenoiseConflict } from './stages.js';
import { openModel, resolveTokens } from './launch.js';
import { readLabels } from './sources.js';

export interface PreflightReport {
  /** What would stop or cripple a start, each starting with the config field concerned. */
  problems: string[];
  /** What was checked and found fine. */
  notes: string[];
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function preflight(config: PipelineConfig): Promise<PreflightReport> {
  const problems: string[] = [];
  const notes: string[] = [];
  let tokens: { token?: string } | undefined;
  try {
    tokens = resolveTokens(config);
  } catch (err) {
    problems.push(message(err));
  }

  let pre: Preprocessing | undefined;
  let classes = 0;
  try {
    const opened = await openModel(config);
    pre = opened.model.preprocessing;
    classes = opened.model.classes.length;
    notes.push(`model.path ${config.model.path}: ${opened.name}, ${classes} classes, input ${pre.height}x${pre.width}x${inputChannels(pre)} (sensor ${pre.sensorWidth}x${pre.sensorHeight})`);
    const conflict = modelDenoiseConflict(config, pre);
    if (conflict) problems.push(conflict);
    opened.model.dispose();
  } catch (err) {
    problems.push(message(err));
  }

  const sensor = await sourceSensor(config, problems, notes);
  if (sensor && pre) {
    const d = fitCamera(sensor, config, pre);
    if ('error' in d) problems.push(`source: ${d.error}`);
    else notes.push(`source: ${d.note ?? `camera sensor ${sensor.width}x${sensor.height} fits the model`}`);
  }
  const s = config.source;
  if (s.type === 'file' && s.labels) {
    try {
      const bad = readLabels(s.labels).find((a) => a.classId >= classes);
      if (bad && pre) problems.push(`source.labels ${s.labels}: class ${bad.classId} is beyond the model's ${classes} classes`);
    } catch (err) {
      problems.push(`source.labels ${s.labels}: ${message(err)}`);
    }
  }

  // Without its token a non-loopback server is refused for that reason alone (reported above).
  if (tokens) {
    try {
      const server = buildServer(config.server, { registry: undefined, ws: undefined, token: tokens.token, health: () => ({ live: true, ready: false }) });
      notes.push(`server: ${await server.listen()} can be bound`);
      await server.close();
    } catch (err) {
      problems.push(message(err));
    }
  }
  if (s.type === 'udp') {
    const bindError = await udpBindError(s.url);
    if (bindError) problems.push(`source.url ${s.url}: cannot bind (${bindError})`);
  }
  const jsonl = config.sinks.jsonl;
  if (jsonl) {
    const reason = unwritable(jsonl.path);
    if (reason) problems.push(`sinks.jsonl.path ${jsonl.path}: ${reason}`);
  }
  return { problems, notes };
}

/** The camera geometry known before connecting: the file's header, the UDP config, the simulator's. */
async function sourceSensor(config: PipelineConfig, problems: string[], notes: string[]): Promise<SensorGeometry | undefined> {
  const s = config.source;
  switch (s.type) {
    case 'file':
      try {
        return await fileSensor(s.path);
      } catch (err) {
        problems.push(`source.path ${s.path}: ${message(err)}`);
        return undefined;
      }
    case 'udp':
      return s.sensor;
    case 'simulator':
      return SIMULATOR_SENSOR;
    case 'tcp':
      notes.push(`source.url ${s.url}: the camera's sensor is checked against the model when it connects (model.fit: ${config.model.fit})`);
      return undefined;
  }
}

function udpBindError(url: string): Promise<string | undefined> {
  const { host, port } = parseEndpoint(url);
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve(err.code ?? err.message);
    });
    socket.bind(port, host, () => socket.close(() => resolve(undefined)));
  });
}

/** Why a JSONL file could not be created or appended to (it, or its nearest existing parent, is not a writable file / folder). */
function unwritable(path: string): string | undefined {
  let target = path;
  while (!existsSync(target)) {
    const up = dirname(target);
    if (up === target) return 'no existing parent folder';
    target = up;
  }
  const folder = statSync(target).isDirectory();
  if (target === path && folder) return 'is a folder';
  if (target !== path && !folder) return `${target} is not a folder`;
  try {
    accessSync(target, constants.W_OK);
    return undefined;
  } catch {
    return `${target} is not writable`;
  }
}
