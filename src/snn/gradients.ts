/**
 * Gradients of the few core ops the SNN graph records outside its custom-gradient ops.
 * tfjs-core's Node entry point registers no gradients (the `@tensorflow/tfjs` union package
 * does, and its ESM gradient files cannot be imported from Node), so they are provided here.
 */
import * as tf from '@tensorflow/tfjs-core';

const reduceTo = (dy: tf.Tensor, shape: number[]): tf.Tensor => {
  const axes = tf.broadcast_util.getReductionAxes(shape, dy.shape);
  return tf.reshape(axes.length ? tf.sum(dy, axes) : dy, shape);
};

const CONFIGS: tf.GradConfig[] = [
  { kernelName: 'Reshape', inputsToSave: ['x'], gradFunc: (dy, [x]) => ({ x: () => tf.reshape(dy as tf.Tensor, x!.shape) }) },
  {
    kernelName: 'Add',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({ a: () => reduceTo(dy as tf.Tensor, a!.shape), b: () => reduceTo(dy as tf.Tensor, b!.shape) }),
  },
  {
    kernelName: 'Mean',
    inputsToSave: ['x'],
    gradFunc: (dy, [x], attrs) => {
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x!.shape);
      const expanded = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const n = axes.reduce((a, i) => a * x!.shape[i]!, 1);
      return { x: () => tf.div(tf.mul(tf.reshape(dy as tf.Tensor, expanded), tf.ones(x!.shape)), n) };
    },
  },
  {
    kernelName: 'Concat',
    saveAllInputs: true,
    gradFunc: (dy, saved, attrs) => {
      const axis = tf.util.parseAxisParam((attrs as { axis: number }).axis, saved[0]!.shape)[0]!;
      const parts = tf.split(dy as tf.Tensor, saved.map((t) => t.shape[axis]!), axis);
      return Object.fromEntries(parts.map((p, i) => [String(i), () => p]));
    },
  },
];

/** Registers the gradients above unless another package already did. */
export function registerGradients(): void {
  for (const c of CONFIGS) if (!tf.getGradient(c.kernelName)) tf.registerGradient(c);
}
