/**
 * Firing metrics: per-layer mean firing rate, spike counts, SynOps (spikes x fan-out), dense
 * MACs and an energy estimate (45 nm figures of Horowitz 2014: 0.9 pJ per accumulate, 4.6 pJ
 * per multiply-accumulate). Spiking layers pay accumulates for the synapses their spikes drive
 * (through pooling to the next layer with weights); layers fed by non-spike values (the input
 * frames, layers without a neuron other than pooling) pay dense MACs. Each synapse is paid once.
 */
import type { FiringMetrics, LayerFiring } from './model-api.js';

export const PJ_PER_AC = 0.9;
export const PJ_PER_MAC = 4.6;

/** Static description of one model layer for metrics (per sample, per time step). */
export interface LayerCost {
  name: string;
  /** Neurons in the layer output (0 for layers without a neuron). */
  neurons: number;
  /** Synapses each output spike drives downstream (all consumers, skips included). */
  fanOut: number;
  /** Dense MACs of the layer itself. */
  macs: number;
  /** True when the layer's input is a spike tensor, pooled or not (its work is counted as SynOps upstream). */
  spikingInput: boolean;
}

/**
 * Builds FiringMetrics from spike counts per spiking layer (`spikes[k]` for the k-th layer with
 * neurons > 0), for `samples` samples over `steps` time steps each.
 */
export function firingMetrics(costs: readonly LayerCost[], spikes: readonly number[], samples: number, steps: number): FiringMetrics {
  const layers: LayerFiring[] = [];
  let synops = 0;
  let macs = 0;
  let denseMacs = 0;
  let totalSpikes = 0;
  let totalNeurons = 0;
  let k = 0;
  for (const c of costs) {
    const layerMacs = c.macs * samples * steps;
    macs += layerMacs;
    if (!c.spikingInput) denseMacs += layerMacs;
    if (c.neurons === 0) continue;
    const s = spikes[k++] ?? 0;
    const so = s * c.fanOut;
    synops += so;
    totalSpikes += s;
    totalNeurons += c.neurons;
    layers.push({ layer: c.name, rate: s / (c.neurons * samples * steps), spikes: s, synops: so, macs: layerMacs });
  }
  return {
    layers,
    meanRate: totalNeurons ? totalSpikes / (totalNeurons * samples * steps) : 0,
    synops,
    macs,
    energyPJ: synops * PJ_PER_AC + denseMacs * PJ_PER_MAC,
  };
}

/** Accumulates spike counts over batches; `result()` gives the metrics of everything added. */
export class FiringAccumulator {
  private readonly spikes: number[];
  private samples = 0;

  constructor(
    private readonly costs: readonly LayerCost[],
    private readonly steps: number,
  ) {
    this.spikes = new Array<number>(costs.filter((c) => c.neurons > 0).length).fill(0);
  }

  add(spikes: readonly number[], samples: number): void {
    for (let i = 0; i < this.spikes.length; i++) this.spikes[i]! += spikes[i] ?? 0;
    this.samples += samples;
  }

  result(): FiringMetrics {
    return firingMetrics(this.costs, this.spikes, this.samples, this.steps);
  }
}
