/**
 * Simulator speed. (1) The ESIM core alone on a full-frame moving sinusoid, 128x128, frames every
 * 1 ms: pixel updates/s and events/s. (2) Whole gesture trials at the dataset defaults (6 s
 * gestures, 4 ms frames, threshold 0.1) per lighting, one trial each (quick: 1.5 s gestures):
 * simulated seconds per wall second, events/s, labelled gestures/s. (3) The projected wall time of
 * the full 29-user set (122 trials, the real lighting mix), from the per-lighting speeds and the
 * real trial list, and the measured time of writing one trial through the AEDAT 3.1 writer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventSimulator } from '../src/simulate/simulator.js';
import { LIGHTINGS, type Lighting } from '../src/simulate/gesture-classes.js';
import { simulateTrial } from '../src/simulate/trial.js';
import { generateGestureDataset, officialTrials } from '../src/simulate/dataset.js';
import type { Benchmark } from './harness.js';

function core(seconds: number): { pixelsPerS: number; eventsPerS: number } {
  const w = 128, h = 128;
  const sim = new EventSimulator({ width: w, height: h, seed: 3 });
  const frame = new Float32Array(w * h);
  const render = (t: number): void => {
    const phase = t * 1e-6 * 2 * Math.PI * 2;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) frame[y * w + x] = Math.sin(x * 0.2 + phase) + 0.5 * Math.cos(y * 0.15 - phase);
  };
  render(0);
  sim.reset(frame, 0);
  const frames = Math.round(seconds * 1000);
  let events = 0;
  let spent = 0;
  for (let k = 1; k <= frames; k++) {
    render(k * 1000);
    const t0 = performance.now();
    events += sim.advance(frame, k * 1000);
    spent += performance.now() - t0;
    if (sim.output.length > 1 << 20) sim.output.take();
  }
  return { pixelsPerS: (frames * w * h) / (spent / 1000), eventsPerS: events / (spent / 1000) };
}

const bench: Benchmark = {
  name: 'simulate: event-camera simulator and synthetic DVS128 Gesture generation',
  async run({ report, quick }) {
    const c = core(quick ? 0.5 : 2);
    report({ name: 'core: pixel updates (128x128, 1 ms frames)', value: c.pixelsPerS / 1e6, unit: 'Mpix/s' });
    report({ name: 'core: events (full-frame moving pattern)', value: c.eventsPerS / 1e6, unit: 'Mev/s' });

    const gestureSeconds = quick ? 1.5 : 6;
    const speed = new Map<Lighting, number>();
    let totalSim = 0, totalWall = 0, totalEvents = 0, totalGestures = 0;
    let totalCpu = 0;
    for (const lighting of LIGHTINGS) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = simulateTrial({ seed: 1, user: 5, lighting, gestureSeconds, threshold: 0.1 }, () => undefined);
      const wall = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(c0);
      const cpu = (used.user + used.system) / 1e6;
      const sim = (r.endUs - r.startUs) / 1e6;
      speed.set(lighting, sim / wall);
      totalSim += sim; totalWall += wall; totalCpu += cpu; totalEvents += r.events; totalGestures += r.segments.length;
      report({
        name: `trial ${lighting}: simulated s per wall s`, value: sim / wall, unit: 'x real time',
        extra: { per_cpu_s: Math.round((sim / cpu) * 10) / 10, events_per_s: Math.round(r.events / wall), event_rate_kev_s: Math.round(r.events / sim / 100) / 10 },
      });
    }
    // On a shared machine wall time includes other processes' load; CPU time is this thread's own.
    report({ name: 'trials: simulated s per CPU s (all lightings)', value: totalSim / totalCpu, unit: 'x real time', extra: { cpu_share: Math.round((totalCpu / totalWall) * 100) / 100 } });
    report({ name: 'trials: events generated per wall second', value: totalEvents / totalWall / 1e3, unit: 'kev/s' });
    report({ name: `trials: labelled gestures per wall second (${gestureSeconds} s gestures)`, value: totalGestures / totalWall, unit: 'gestures/s' });

    // Full set: 122 trials of 12 gestures (6 s + 1.2 s transition) + ~0.5 s tail, at each lighting's speed.
    const trialSim = 12 * (6 + 1.2) + 0.5;
    let projected = 0;
    for (const t of officialTrials()) projected += trialSim / speed.get(t.lighting)!;
    const cpuShare = totalCpu / totalWall;
    report({
      name: 'projected full 29-user set (122 trials, 6 s gestures), wall', value: projected / 60, unit: 'min',
      extra: { on_an_idle_core_min: Math.round((projected * cpuShare) / 6) / 10, simulated_h: Math.round((122 * trialSim) / 360) / 10 },
    });

    const dir = await mkdtemp(join(tmpdir(), 'spikeline-bench-sim-'));
    try {
      const t0 = performance.now();
      const stats = await generateGestureDataset({ out: dir, users: [24], lightings: ['led'], seed: 1, gestureSeconds, threshold: 0.1 });
      const wall = (performance.now() - t0) / 1000;
      report({ name: 'dataset: one trial simulated + written (AEDAT 3.1)', value: stats.simulatedSeconds / wall, unit: 'x real time', extra: { events: stats.events, wall_s: Math.round(wall * 10) / 10 } });
      // Four trials in one thread, then one worker thread per core: the same files, in less wall time.
      const cores = availableParallelism();
      const four = { users: [1, 2, 3, 24], maxLightingsPerUser: 1, seed: 1, gestureSeconds: quick ? 1 : 3, threshold: 0.1 };
      const walls: number[] = [];
      for (const workers of [1, cores]) {
        const w0 = performance.now();
        await generateGestureDataset({ ...four, out: join(dir, `w${workers}`), workers });
        walls.push((performance.now() - w0) / 1000);
      }
      report({ name: `dataset: 4 trials, ${cores} worker threads vs 1 (wall-time speed-up)`, value: walls[0]! / walls[1]!, unit: 'x', extra: { one_thread_s: +walls[0]!.toFixed(1), workers_s: +walls[1]!.toFixed(1) } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
