"""Judging a board's outputs against the TFLite Micro reference.

Integer outputs (int8 models) must be bit-exact. Float outputs must be within
`FLOAT_REL_TOL` relative error, defined per element as

    |board - ref| / max(|ref|, 1e-3 * max|ref over the tensor|, FLT_MIN)

so an element much smaller than the tensor's largest is judged against a thousandth of that
largest value instead of against itself (near-zero references, e.g. the tail of a softmax,
would otherwise turn rounding noise into huge "relative" errors). NaN in one output but not
the other, or infinities that differ, count as an infinite error.
"""

from dataclasses import dataclass
from typing import Optional

import numpy as np

FLOAT_REL_TOL = 1e-5
SCALE_FLOOR = 1e-3
_FLT_MIN = float(np.finfo(np.float32).tiny)


@dataclass
class Comparison:
    exact: bool  # byte-for-byte equal
    ok: bool  # within the rule for this dtype
    max_abs_error: float
    max_rel_error: float
    mismatches: int  # elements not byte-equal
    first_mismatch: Optional[int]  # flat index
    board_value: object = None
    ref_value: object = None


def relative_errors(board: np.ndarray, ref: np.ndarray) -> np.ndarray:
    b = board.astype(np.float64).ravel()
    r = ref.astype(np.float64).ravel()
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.max(np.abs(r[np.isfinite(r)])) if np.isfinite(r).any() else 0.0
        denom = np.maximum(np.abs(r), max(SCALE_FLOOR * scale, _FLT_MIN))
        err = np.abs(b - r) / denom
    same = (b == r) | (np.isnan(b) & np.isnan(r))
    err[same] = 0.0
    err[~same & ~np.isfinite(err)] = np.inf
    return err


def compare(board: np.ndarray, ref: np.ndarray) -> Comparison:
    board = np.asarray(board)
    ref = np.asarray(ref).reshape(board.shape) if np.size(ref) == board.size else np.asarray(ref)
    if board.shape != ref.shape:
        raise ValueError(f"shape {board.shape} vs reference {ref.shape}")
    width = max(board.dtype.itemsize, 1)
    board_bytes = np.ascontiguousarray(board).view(np.uint8).reshape(board.size, width)
    ref_bytes = np.ascontiguousarray(ref.astype(board.dtype)).view(np.uint8).reshape(ref.size, width)
    exact_mask = (board_bytes == ref_bytes).all(axis=1)
    mismatches = int((~exact_mask).sum())
    first = int(np.argmax(~exact_mask)) if mismatches else None
    if np.issubdtype(board.dtype, np.floating):
        rel = relative_errors(board, ref)
        with np.errstate(invalid="ignore"):
            abs_err = np.abs(board.astype(np.float64) - ref.astype(np.float64)).ravel()
        abs_err[rel == 0] = 0.0
        abs_err[np.isinf(rel)] = np.inf
        max_rel = float(rel.max()) if rel.size else 0.0
        max_abs = float(abs_err.max()) if abs_err.size else 0.0
        ok = max_rel <= FLOAT_REL_TOL
    else:
        diff = np.abs(board.astype(np.int64) - ref.astype(np.int64)).ravel()
        max_abs = float(diff.max()) if diff.size else 0.0
        r = np.abs(ref.astype(np.float64)).ravel()
        max_rel = float((diff / np.maximum(r, 1)).max()) if diff.size else 0.0
        ok = mismatches == 0
    return Comparison(
        exact=mismatches == 0,
        ok=ok,
        max_abs_error=max_abs,
        max_rel_error=max_rel,
        mismatches=mismatches,
        first_mismatch=first,
        board_value=board.ravel()[first].item() if first is not None else None,
        ref_value=ref.ravel()[first].item() if first is not None else None,
    )
