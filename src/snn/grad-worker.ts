/** Worker thread of GradPool (parallel.ts): a model replica computing shard gradients. */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.js';
import { buildModel } from './model.js';
import { loadBuffers, flattenBuffers, shardGradients, type FromGradWorker, type ToGradWorker } from './parallel.js';
import type { ModelSpec } from './spec.js';

const port = parentPort!;
const send = (m: FromGradWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  await initBackend();
  const model = buildModel((workerData as { spec: ModelSpec }).spec);
  const vars = model.trainableVariables();
  port.on('message', (m: ToGradWorker) => {
    if (m.type === 'close') {
      port.close();
      return;
    }
    try {
      let off = 0;
      for (const v of vars) {
        const w = m.weights.subarray(off, off + v.size);
        tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
        off += v.size;
      }
      loadBuffers(model, m.buffers);
      const r = shardGradients(model, m.x, m.shape, m.labels, m.loss);
      const buffers = flattenBuffers(model);
      send({ type: 'result', grads: r.grads, buffers, loss: r.loss, logits: r.logits, spikes: r.spikes }, [r.grads.buffer as ArrayBuffer, buffers.buffer as ArrayBuffer]);
    } catch (err) {
      send({ type: 'error', message: (err as Error).stack ?? String(err) });
    }
  });
  send({ type: 'ready' });
} catch (err) {
  send({ type: 'error', message: (err as Error).stack ?? String(err) });
}
