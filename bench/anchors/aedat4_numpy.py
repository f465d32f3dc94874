#!/usr/bin/python3
"""AEDAT 4.0 polarity events with numpy and python-lz4 (and zstandard when installed): the way a
Python user decodes a DV recording without dv-processing. Written for spikeline's formats bench,
which times `decode` on the same AEDAT 4 file as its own decoder (same bytes, same packets).

Layout per ../shared/specs/event-formats.md section 6: IOHeader flatbuffer, then packets
(int32 streamId, int32 size, compressed size-prefixed flatbuffer). EVTS packets hold a vector of
16-byte structs (int64 t, int16 x, int16 y, uint8 polarity, 3 padding bytes), copied here into
struct-of-arrays columns as numpy's other chunked anchors do.

Run on a file: /usr/bin/python3 aedat4_numpy.py FILE  (prints one JSON summary line with the
spec's checksum, section 1.1).
"""
import json
import struct
import sys

import numpy as np

MAGIC = b"#!AER-DAT4.0\r\n"
EVENT = np.dtype([("t", "<i8"), ("x", "<i2"), ("y", "<i2"), ("p", "u1"), ("pad", "V3")])


def _field(buf, table, field_id):
    """Absolute position of a flatbuffer table field, or None when absent."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    vlen = struct.unpack_from("<H", buf, vtable)[0]
    if 4 + 2 * field_id + 2 > vlen:
        return None
    off = struct.unpack_from("<H", buf, vtable + 4 + 2 * field_id)[0]
    return table + off if off else None


def _header(buf):
    if buf[:14] != MAGIC:
        raise ValueError("not an AEDAT 4.0 file")
    (length,) = struct.unpack_from("<I", buf, 14)
    b = 18
    table = b + struct.unpack_from("<I", buf, b)[0]
    at = _field(buf, table, 0)
    compression = struct.unpack_from("<i", buf, at)[0] if at is not None else 0
    at = _field(buf, table, 1)
    table_pos = struct.unpack_from("<q", buf, at)[0] if at is not None else -1
    return 18 + length, compression, table_pos


def _decompressor(compression):
    if compression == 0:
        return lambda b: b
    if compression in (1, 2):
        import lz4.frame
        return lz4.frame.decompress
    if compression in (3, 4):
        import zstandard
        d = zstandard.ZstdDecompressor()
        return lambda b: d.decompressobj().decompress(b)
    raise ValueError(f"unknown compression {compression}")


def _events(payload):
    """The EVTS packet's struct vector as a numpy structured view (empty if not EVTS)."""
    payload = memoryview(payload)
    if len(payload) < 12 or bytes(payload[8:12]) != b"EVTS":
        return None
    b = 4  # size prefix
    table = b + struct.unpack_from("<I", payload, b)[0]
    at = _field(payload, table, 0)
    if at is None:
        return np.empty(0, EVENT)
    vec = at + struct.unpack_from("<I", payload, at)[0]
    (count,) = struct.unpack_from("<I", payload, vec)
    return np.frombuffer(payload, dtype=EVENT, count=count, offset=vec + 4)


def decode(buf, stream_id=None):
    """x, y, p, t columns (uint16, uint16, uint8, int64) of the EVTS stream `stream_id` (default:
    the first stream whose packets are EVTS)."""
    pos, compression, table_pos = _header(buf)
    end = table_pos if table_pos >= 0 else len(buf)
    decompress = _decompressor(compression)
    mv = memoryview(buf)
    packets = []
    while pos + 8 <= end:
        sid, size = struct.unpack_from("<ii", buf, pos)
        pos += 8
        if stream_id is None or sid == stream_id:
            ev = _events(decompress(mv[pos : pos + size]))
            if ev is not None:
                stream_id = sid
                packets.append(ev)
        pos += size
    n = sum(len(e) for e in packets)
    x = np.empty(n, np.uint16)
    y = np.empty(n, np.uint16)
    p = np.empty(n, np.uint8)
    t = np.empty(n, np.int64)
    k = 0
    for e in packets:
        m = len(e)
        x[k : k + m] = e["x"]
        y[k : k + m] = e["y"]
        p[k : k + m] = e["p"]
        t[k : k + m] = e["t"]
        k += m
    return x, y, p, t


def checksum(x, y, p, t):
    """The spec's order-independent checksum (section 1.1)."""
    mod = (1 << 61) - 1
    part = int((x.astype(np.int64) * 7919 + y.astype(np.int64) * 104729 + p.astype(np.int64) * 15485863).sum())
    return (part + int(t.astype(object).sum())) % mod


if __name__ == "__main__":
    x, y, p, t = decode(open(sys.argv[1], "rb").read())
    print(json.dumps({
        "events": len(x), "t_first": int(t[0]) if len(t) else None, "t_last": int(t[-1]) if len(t) else None,
        "x_min": int(x.min()), "x_max": int(x.max()), "y_min": int(y.min()), "y_max": int(y.max()),
        "on": int(p.sum()), "checksum": checksum(x, y, p, t),
    }))
