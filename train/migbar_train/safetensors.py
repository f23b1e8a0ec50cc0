"""Read and write safetensors files (docs/model.md section 5) without the
safetensors package: an 8-byte little-endian header length, a JSON header
{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}}, then the
tensor data (here always F32, little-endian, row-major), packed in name order.
"""

import json
import struct

import numpy as np

_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"),
           "I32": np.dtype("<i4")}


def save(path, tensors, metadata=None):
    """tensors: {name: array-like}, stored as F32. metadata: {str: str}."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if hasattr(t, "detach"):
            t = t.detach().cpu().double().numpy()
        arr = np.ascontiguousarray(np.asarray(t, dtype=np.float64).astype("<f4"))
        raw = arr.tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("safetensors metadata must map str to str (%r)" % (k,))
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)  # align the data section to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def load(path):
    """Returns (tensors {name: np.ndarray}, metadata {str: str}); checks that every
    tensor lies inside the data section and that no two overlap."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("%s: too short for a safetensors file" % path)
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError("%s: header length %d beyond the end of the file" % (path, n))
    header = json.loads(data[8:8 + n].decode("utf-8"))
    body = data[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    spans = []
    for name, info in header.items():
        dt = _DTYPES.get(info["dtype"])
        if dt is None:
            raise ValueError("%s: tensor %s has unsupported dtype %s" % (path, name, info["dtype"]))
        shape = tuple(int(s) for s in info["shape"])
        lo, hi = (int(x) for x in info["data_offsets"])
        count = int(np.prod(shape)) if shape else 1
        if not 0 <= lo <= hi <= len(body) or hi - lo != count * dt.itemsize:
            raise ValueError("%s: tensor %s is out of the data section or of the wrong size"
                             % (path, name))
        spans.append((lo, hi, name))
        tensors[name] = np.frombuffer(body[lo:hi], dtype=dt).reshape(shape).copy()
    spans.sort()
    for (lo1, hi1, n1), (lo2, hi2, n2) in zip(spans, spans[1:]):
        if lo2 < hi1:
            raise ValueError("%s: tensors %s and %s overlap" % (path, n1, n2))
    return tensors, meta
