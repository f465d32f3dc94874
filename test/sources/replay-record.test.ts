import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { concatBatches, EventSummary, firstTimeInversion } from '../../src/events/index.js';
import { readEvents, writeEventFile } from '../../src/formats/index.js';
import { FlowValve } from '../../src/operators/index.js';
import { recordToFile, replayFile, serveEvents, tcpSource, wsSource } from '../../src/sources/index.js';
import { randomEvents, rows } from '../support/events.js';
import { skipUnlessShared } from '../support/require.js';

const here = dirname(fileURLToPath(import.meta.url));
const realSample = resolve(here, '../../../shared/fixtures/real/sample.aedat4');
const sensor = { width: 128, height: 128 };

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'spikeline-replay-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('replay: start/stop offsets, loop shifts each pass so time keeps increasing, labels travel', async () => {
  const { dir, done } = tmp();
  try {
    const ev = randomEvents(10_000, sensor, 31, 1_000_000, 5_000);
    const path = join(dir, 'in.aedat4');
    await writeEventFile(path, [ev], { format: 'aedat4' });
    const first = ev.t[0]!;
    const window = concatBatches(await lastValueFrom(replayFile(path, { speed: 0, start: 100_000, stop: 300_000 }).pipe(toArray())));
    assert.deepEqual(rows(window), rows(ev).filter((_, i) => ev.t[i]! >= first + 100_000 && ev.t[i]! < first + 300_000));

    const onePass = ev.t.filter((t) => t < first + 50_000).length;
    const src = replayFile(path, { speed: 0, loop: true, stop: 50_000, annotations: [{ classId: 7, start: first, end: first + 20_000 }] });
    const passes: number[] = [];
    const labelled = new Set<number>();
    const got = await new Promise<ReturnType<typeof concatBatches>>((res, rej) => {
      const acc: Parameters<typeof concatBatches>[0][number][] = [];
      let n = 0;
      const sub = src.subscribe({
        next(b) {
          acc.push(b);
          n += b.length;
          for (const a of (b as { annotations?: Array<{ start: number }> }).annotations ?? []) labelled.add(a.start);
          if (n >= 3 * onePass) {
            sub.unsubscribe();
            res(concatBatches(acc));
          }
        },
        error: rej,
      });
    });
    assert.equal(firstTimeInversion(got), -1, 'timestamps never go back across loops');
    for (let k = 0; k < 3; k++) passes.push(got.t[k * onePass]!);
    const span = ev.t[onePass - 1]! - first + 1;
    assert.deepEqual(passes, [first, first + span, first + 2 * span]);
    assert.deepEqual([...labelled].sort((a, b) => a - b), [first, first + span, first + 2 * span], 'annotations shift with each pass');
  } finally {
    done();
  }
});

test('replay paces by event time: on a virtual clock every event leaves at (t - t0) / speed, never earlier', async () => {
  const { dir, done } = tmp();
  try {
    const ev = randomEvents(2000, sensor, 32, 200_000);
    const path = join(dir, 'in.aedat4');
    await writeEventFile(path, [ev], { format: 'aedat4' });
    let now = 0;
    const clock = { now: () => now, sleep: async (ms: number) => void (now += ms) };
    const speed = 2;
    const late: number[] = [];
    const got = concatBatches(
      await lastValueFrom(
        replayFile(path, { speed, clock }).pipe(
          tap((b) => {
            // Emitted no earlier than its first event is due, and at most one sleep threshold after.
            const due = (b.t[0]! - ev.t[0]!) / 1000 / speed;
            assert.ok(now >= due - 1, `batch due at ${due} ms left at ${now} ms`);
            late.push(now - due);
          }),
          toArray(),
        ),
      ),
    );
    assert.equal(got.length, 2000);
    assert.ok(late.every((d) => d <= 1), `max lateness ${Math.max(...late)} ms`);
    assert.ok(now >= (ev.t[1999]! - ev.t[0]!) / 1000 / speed - 1, `virtual elapsed ${now} ms`);
  } finally {
    done();
  }
});

for (const scheme of ['tcp', 'ws'] as const) {
  test(`record of a replay --serve stream (${scheme}) reproduces the file's events exactly`, async () => {
    const { dir, done } = tmp();
    try {
      const ev = randomEvents(200_000, { width: 346, height: 260 }, 33, 3_000_000, 1_700_000_000_000_000);
      const input = join(dir, 'in.aedat4');
      await writeEventFile(input, [ev], { format: 'aedat4', compression: 'lz4' });
      const valve = new FlowValve();
      const server = await serveEvents(replayFile(input, { speed: 0, valve }), { url: `${scheme}://127.0.0.1:0`, sensor: ev.sensor, valve, highWaterBytes: 256 * 1024 });
      const out = join(dir, 'out.aedat4');
      // A small queue forces the recorder to push back too, through the client socket's valve.
      const rv = new FlowValve();
      const src = scheme === 'tcp' ? tcpSource(server.url, { reconnect: false, valve: rv }) : wsSource(server.url, { reconnect: false, valve: rv });
      const res = await recordToFile(src, out, { capacity: 20_000, valve: rv });
      await server.done;
      assert.equal(res.events, 200_000);
      assert.equal(res.droppedEvents, 0);
      const back = await readEvents(out);
      assert.deepEqual(rows(back), rows(ev));
      assert.deepEqual(back.sensor, ev.sensor);
    } finally {
      done();
    }
  });
}

test('record of replay --serve of the real DV sample keeps its count and checksum', { skip: skipUnlessShared(existsSync(realSample), `fixture not found: ${realSample}`) }, async () => {
  const { dir, done } = tmp();
  try {
    const valve = new FlowValve();
    const server = await serveEvents(replayFile(realSample, { speed: 0, valve }), { url: 'tcp://127.0.0.1:0', sensor: { width: 320, height: 240 }, valve, compression: 'lz4' });
    const out = join(dir, 'sample-recorded.aedat4');
    await recordToFile(tcpSource(server.url, { reconnect: false }), out);
    const summary = new EventSummary().add(await readEvents(out));
    assert.equal(summary.events, 111954);
    assert.equal(summary.checksum, 2196435473332584087n);
    assert.equal(summary.tFirst, 1605537493718345);
  } finally {
    done();
  }
});

test('recordToFile stops after --duration of event time', async () => {
  const { dir, done } = tmp();
  try {
    const ev = randomEvents(5000, sensor, 34, 1_000_000, 0);
    const input = join(dir, 'in.aedat4');
    await writeEventFile(input, [ev], { format: 'aedat4' });
    const res = await recordToFile(replayFile(input, { speed: 0 }), join(dir, 'out.aedat4'), { duration: 250_000 });
    assert.equal(res.events, ev.t.filter((t) => t < ev.t[0]! + 250_000).length);
  } finally {
    done();
  }
});

test('recordToFile leaves no listener on a long-lived abort signal once it finished', async () => {
  const { EventEmitter } = await import('node:events');
  const { dir, done } = tmp();
  try {
    const input = join(dir, 'in.aedat4');
    await writeEventFile(input, [randomEvents(500, sensor, 35, 100_000, 0)], { format: 'aedat4' });
    const signal = new AbortController().signal;
    for (let i = 0; i < 3; i++) await recordToFile(replayFile(input, { speed: 0 }), join(dir, `out${i}.aedat4`), { signal });
    assert.equal(EventEmitter.getEventListeners(signal, 'abort').length, 0);
  } finally {
    done();
  }
});
