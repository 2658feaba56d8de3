"""Sample inputs for `run` and `verify`: from .npy/.npz files or seeded random data."""

import os
from typing import List, Sequence

import numpy as np

from ..errors import UtensorError
from .client import TensorDesc

# Random float inputs: standard normal; integer inputs: the dtype's whole range.


def random_samples(inputs: Sequence[TensorDesc], count: int, seed: int) -> List[List[np.ndarray]]:
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(count):
        sample = []
        for t in inputs:
            dt = np.dtype(t.numpy_dtype)
            if t.dtype == "bool":
                x = rng.integers(0, 2, size=t.shape).astype(dt)
            elif np.issubdtype(dt, np.integer):
                info = np.iinfo(dt)
                x = rng.integers(info.min, info.max, size=t.shape, dtype=dt, endpoint=True)
            else:
                x = rng.standard_normal(size=t.shape).astype(dt)
            sample.append(x)
        samples.append(sample)
    return samples


def _as_batch(arr: np.ndarray, t: TensorDesc, path: str, key: str) -> np.ndarray:
    """(N,) + shape from an array holding one sample or a batch of samples."""
    n_elem = int(np.prod(t.shape)) if t.shape else 1
    if arr.size == n_elem:
        return arr.reshape((1,) + tuple(t.shape))
    if arr.ndim >= 1 and arr.size % n_elem == 0 and int(np.prod(arr.shape[1:])) == n_elem:
        return arr.reshape((arr.shape[0],) + tuple(t.shape))
    raise UtensorError(
        f"{path}{'[' + key + ']' if key else ''}: shape {arr.shape} fits neither one sample "
        f"of input {t.name!r} (shape {list(t.shape)}) nor a batch of them (N, "
        f"{', '.join(map(str, t.shape))})."
    )


def _check_dtype(arr: np.ndarray, t: TensorDesc, path: str) -> np.ndarray:
    dt = np.dtype(t.numpy_dtype)
    if arr.dtype == dt:
        return arr
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        if not np.issubdtype(arr.dtype, np.integer) or arr.size and (arr.min() < info.min or arr.max() > info.max):
            raise UtensorError(
                f"{path}: input {t.name!r} is {t.dtype} but the file holds {arr.dtype} values "
                f"that do not fit it. Quantize them first (q = round(x / {t.scale:g}) + "
                f"{t.zero_point}) or save them as {t.dtype}."
            )
    return arr.astype(dt)


def load_samples(path: str, inputs: Sequence[TensorDesc], limit: int = 0) -> List[List[np.ndarray]]:
    """Samples from an .npy (one input) or .npz (one array per input: by tensor name,
    else in order) file; each array holds one sample or a batch along axis 0."""
    if not os.path.isfile(path):
        raise UtensorError(f"{path}: no such input file.")
    try:
        data = np.load(path, allow_pickle=False)
    except Exception as e:
        raise UtensorError(f"{path}: not a readable .npy/.npz file ({e}).") from None
    if isinstance(data, np.ndarray):
        if len(inputs) != 1:
            raise UtensorError(
                f"{path}: an .npy file holds one array but the model has {len(inputs)} inputs; "
                f"use an .npz with arrays named {', '.join(repr(t.name) for t in inputs)}."
            )
        arrays = [(data, "")]
    else:
        with data:
            keys = list(data.keys())
            if all(t.name in keys for t in inputs):
                arrays = [(data[t.name], t.name) for t in inputs]
            elif len(keys) == len(inputs):
                arrays = [(data[k], k) for k in keys]
            else:
                raise UtensorError(
                    f"{path}: holds arrays {keys}; the model's inputs are "
                    f"{[t.name for t in inputs]}. Name the arrays after the inputs."
                )
    batches = [
        _check_dtype(_as_batch(np.asarray(a), t, path, k), t, path)
        for (a, k), t in zip(arrays, inputs)
    ]
    counts = {b.shape[0] for b in batches}
    if len(counts) != 1:
        raise UtensorError(f"{path}: the inputs hold different numbers of samples {sorted(counts)}.")
    n = counts.pop()
    if limit:
        n = min(n, limit)
    return [[b[i] for b in batches] for i in range(n)]
