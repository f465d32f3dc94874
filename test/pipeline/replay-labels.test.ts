// Labels of a replayed DVS128 Gesture recording, as the predictions' `truth` names them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLabels } from '../../src/pipeline/sources.js';

test('readLabels: CSV classes 1..11 are the gesture names, class 12 (synthetic "no gesture") is background', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spikeline-labels-'));
  try {
    const path = join(dir, 'user24_led_labels.csv');
    await writeFile(path, 'class,startTime_usec,endTime_usec\r\n1,100,200\r\n12,200,300\r\n11,300,400\r\n');
    assert.deepEqual(readLabels(path), [
      { classId: 0, label: 'hand_clapping', start: 100, end: 200 },
      { classId: 11, label: 'background', start: 200, end: 300 },
      { classId: 10, label: 'other_gestures', start: 300, end: 400 },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
