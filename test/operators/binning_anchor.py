#!/usr/bin/python3
"""Driver for test/operators/binning-anchor.test.ts: bins events with the functions of
shared/anchors/binning_numpy.py (the numpy reference) and writes raw float32 [T, P, H, W] files.

usage: binning_anchor.py ANCHOR_DIR EVENTS.bin N W H N_BINS EVENT_COUNT OUT_PREFIX
EVENTS.bin holds n x (uint16), n y (uint16), n t (int64), n p (uint8), little-endian, back to back.
"""
import sys

anchor_dir, events_path, n, w, h, n_bins, event_count, out = sys.argv[1:9]
sys.path.insert(0, anchor_dir)
import numpy as np  # noqa: E402
import binning_numpy as ref  # noqa: E402

n, w, h, n_bins, event_count = int(n), int(w), int(h), int(n_bins), int(event_count)
raw = open(events_path, "rb").read()
o = 0
x = np.frombuffer(raw, "<u2", n, o); o += 2 * n
y = np.frombuffer(raw, "<u2", n, o); o += 2 * n
t = np.frombuffer(raw, "<i8", n, o); o += 8 * n
p = np.frombuffer(raw, "<u1", n, o)

ref.frames_time_bins_sliced(x, y, t, p, n_bins, w, h).astype("<f4").tofile(out + ".time.f32")
ref.frames_event_count(x, y, t, p, event_count, w, h).astype("<f4").tofile(out + ".count.f32")
# frames_downsampled uses the anchor's module-level 128x128 sensor.
assert w == ref.W and h == ref.H
ref.frames_downsampled(x, y, t, p, 2, n_bins).astype("<f4").tofile(out + ".down4.f32")
print("ok")
