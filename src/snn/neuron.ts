/**
 * Spiking neurons with SpikingJelly semantics and their surrogate gradients.
 *
 * Charge (d = 1/tau): IF  h = v + x;  LIF/PLIF with decayInput  h = v + (x - (v - vReset))·d,
 * without  h = v - (v - vReset)·d + x.  Fire: s = H(h - vTh).  Reset: hard  v = h(1-s) + vReset·s,
 * soft (vReset = null)  v = h - s·vTh.  detachReset drops the reset path from the gradient.
 * PLIF learns d = sigmoid(w), with w initialised to -ln(tau0 - 1) (SpikingJelly's ParametricLIFNode).
 *
 * Surrogate derivatives of H at x = h - vTh:
 *  atan          (alpha/2) / (1 + (pi/2·alpha·x)^2)       default alpha 2   (SpikingJelly ATan)
 *  sigmoid       alpha·sig(alpha x)·(1 - sig(alpha x))      default alpha 4   (SpikingJelly Sigmoid)
 *  fast-sigmoid  1 / (1 + alpha|x|)^2                        default alpha 25  (SuperSpike, snnTorch scaling)
 *  rectangular   1/alpha for |x| < alpha/2, else 0           default alpha 1   (Wu et al. 2018)
 */
import { SURROGATE_IDS, surrogateGrad } from './kernels.js';

export type NeuronKind = 'if' | 'lif' | 'plif';
export type SurrogateName = keyof typeof SURROGATE_IDS;
export const SURROGATES = Object.keys(SURROGATE_IDS) as SurrogateName[];

export interface NeuronConfig {
  kind: NeuronKind;
  /** Membrane time constant (LIF) or its initial value (PLIF). Ignored for IF. Default 2. */
  tau?: number;
  decayInput?: boolean;
  vThreshold?: number;
  /** Reset potential for a hard reset; null selects the soft (subtractive) reset. Default 0. */
  vReset?: number | null;
  detachReset?: boolean;
  surrogate?: SurrogateName;
  alpha?: number;
}

export type ResolvedNeuron = Required<Omit<NeuronConfig, 'vReset'>> & { vReset: number | null };

export const DEFAULT_ALPHA: Record<SurrogateName, number> = { atan: 2, sigmoid: 4, 'fast-sigmoid': 25, rectangular: 1 };

/** Fills SpikingJelly defaults (LIFNode: tau 2, decay_input, v_th 1, v_reset 0, ATan alpha 2). */
export function resolveNeuron(n: NeuronConfig | undefined): ResolvedNeuron {
  const surrogate = n?.surrogate ?? 'atan';
  return {
    kind: n?.kind ?? 'lif',
    tau: n?.tau ?? 2,
    decayInput: n?.decayInput ?? true,
    vThreshold: n?.vThreshold ?? 1,
    vReset: n?.vReset === undefined ? 0 : n.vReset,
    detachReset: n?.detachReset ?? false,
    surrogate,
    alpha: n?.alpha ?? DEFAULT_ALPHA[surrogate],
  };
}

/** Reasons a neuron config is invalid (empty when valid). */
export function neuronProblems(n: NeuronConfig, where: string): string[] {
  const out: string[] = [];
  if (!['if', 'lif', 'plif'].includes(n.kind)) out.push(`${where}.kind: "${String(n.kind)}" is not one of if, lif, plif`);
  if (n.tau !== undefined && !(n.tau > 1)) out.push(`${where}.tau: ${n.tau} must be > 1`);
  if (n.vThreshold !== undefined && !(n.vThreshold > 0)) out.push(`${where}.vThreshold: must be > 0`);
  if (n.surrogate !== undefined && !(n.surrogate in SURROGATE_IDS)) out.push(`${where}.surrogate: "${n.surrogate}" is not one of ${SURROGATES.join(', ')}`);
  if (n.alpha !== undefined && !(n.alpha > 0)) out.push(`${where}.alpha: must be > 0`);
  return out;
}

/** Kernel attributes for a neuron with decay d (1/tau, or sigmoid(w) for PLIF). */
export function neuronAttrs(n: ResolvedNeuron, batch: number): Record<string, number | boolean> {
  const isIf = n.kind === 'if';
  return {
    decay: isIf ? 0 : 1 / n.tau,
    decayInput: isIf ? false : n.decayInput,
    vTh: n.vThreshold,
    vReset: n.vReset ?? 0,
    hardReset: n.vReset !== null,
    detachReset: n.detachReset,
    surrogate: SURROGATE_IDS[n.surrogate],
    alpha: n.alpha,
    batch,
  };
}

/** PLIF's raw parameter w with sigmoid(w) = 1/tau0. */
export function plifInitWeight(tau0: number): number {
  return -Math.log(tau0 - 1);
}

/** The surrogate derivative as a plain function (reference for tests and docs). */
export function surrogate(name: SurrogateName, alpha = DEFAULT_ALPHA[name]): (x: number) => number {
  const id = SURROGATE_IDS[name];
  return (x) => surrogateGrad(id, alpha, x);
}
