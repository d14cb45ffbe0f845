"""Arrays to files the service reads: .npy through numpy when present, else a float32 .npy written by hand."""
import array
import json
import os
import sys
import tempfile

try:  # optional: Debian's python3-numpy
    import numpy as _np
except ImportError:  # pragma: no cover - exercised where numpy is absent
    _np = None


def _npy_header(descr, shape):
    shape_text = "(%s)" % ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "")
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_text)
    magic = b"\x93NUMPY\x01\x00"
    pad = 64 - (len(magic) + 2 + len(text) + 1) % 64
    text = text + " " * pad + "\n"
    return magic + len(text).to_bytes(2, "little") + text.encode("latin1")


def write_matrix(values, path):
    """Write stimuli x units activations (a numpy array, or a list of equal-length lists) as .npy."""
    if _np is not None and not isinstance(values, (list, tuple)):
        arr = _np.asarray(values)
        if arr.dtype.kind != "f":
            arr = arr.astype(_np.float32)
        _np.save(path, _np.ascontiguousarray(arr))
        return
    rows = [list(r) for r in values]
    width = len(rows[0]) if rows else 0
    if any(len(r) != width for r in rows):
        raise ValueError("activations: every row needs the same number of units")
    data = array.array("f", (float(v) for r in rows for v in r))
    if sys.byteorder != "little":
        data.byteswap()
    with open(path, "wb") as f:
        f.write(_npy_header("<f4", (len(rows), width)))
        f.write(data.tobytes())


def write_ids(ids, path):
    """Write stimulus ids (any sequence of non-negative integers) as JSON."""
    with open(path, "w") as f:
        json.dump([int(i) for i in ids], f)


class TempFiles:
    """A temporary folder for array uploads, removed on exit."""

    def __enter__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="brain-align-")
        return self

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def __exit__(self, *exc):
        self.dir.cleanup()
