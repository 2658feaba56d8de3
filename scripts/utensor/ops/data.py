"""Lowering of the operators that only move data (kernels/data.hpp): REVERSE_V2, GATHER,
GATHER_ND, DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND, MIRROR_PAD, BROADCAST_TO,
DYNAMIC_UPDATE_SLICE, EMBEDDING_LOOKUP, SELECT_V2, FILL, ZEROS_LIKE, and the shape operators SHAPE and BROADCAST_ARGS.

Every operator whose output element j is input element m(j) for a map m known at conversion
time is written once, as numpy applied to the array of input element numbers
(`index_map`): its result is m. `index_copy_params` factors m into one small table per
output dimension (m(j) = sum_d T_d[j_d], checked exactly; dimensions that do not factor are
merged until they do), so the one index_copy kernel runs all of them from tables of about
sum(output dims) entries. The same maps fold constant inputs at conversion time
(`FOLDERS`, used by passes.fold_constants), with SHAPE, BROADCAST_ARGS, FILL and
ZEROS_LIKE, whose results are then constants in flash and no kernel runs.

TFLite Micro's checks are repeated here (they run in its Prepare or Eval): what it refuses
we refuse when converting, naming the operator and the option.
"""

import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import kernel_params
from ..ir import Graph, Operator, Tensor, numpy_dtype
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, malformed, unsupported
from ._spatial import constant_ints

MAX_RANK = 6  # kIndexCopyMaxRank, kSelectMaxRank
# Attribute passes.fold_constants sets on a tensor it computed: the operator type it folded.
FOLDED_FROM = "folded_from"
SUFFIX = {"int8": "s8", "int16": "i16", "int32": "i32", "int64": "i64", "float32": "f32", "bool": "b8"}

# op type -> element dtypes TFLite Micro's kernel moves (its Prepare/Eval type switches).
MOVE_DTYPES = {
    "REVERSE_V2": ("int8", "float32", "int16", "int32", "int64", "bool"),
    "GATHER": ("int8", "float32"),
    "GATHER_ND": ("int8", "float32"),
    "DEPTH_TO_SPACE": ("int8", "float32"),
    "SPACE_TO_DEPTH": ("int8", "float32"),
    "BATCH_TO_SPACE_ND": ("int8", "float32"),
    "SPACE_TO_BATCH_ND": ("int8", "float32"),
    "MIRROR_PAD": ("int8", "float32"),
    "BROADCAST_TO": ("int8", "float32", "int16", "int32", "int64", "bool"),
    "SELECT_V2": ("int8", "float32", "int16"),
    "EMBEDDING_LOOKUP": ("int8", "float32"),
    "DYNAMIC_UPDATE_SLICE": ("int8", "float32", "int16", "int32"),
    "FILL": ("int8", "float32", "int32"),
    "ZEROS_LIKE": ("float32", "int32", "int64"),
}


# ---- the index-copy mechanism ---------------------------------------------------------------

def _split(idx: np.ndarray, groups: Sequence[int]) -> Optional[List[np.ndarray]]:
    """Tables T_g with idx (reshaped to the group sizes) == sum_g T_g[i_g], or None."""
    a = idx.reshape(groups)
    origin = (0,) * len(groups)
    tables = []
    for g in range(len(groups)):
        sel = tuple(slice(None) if k == g else 0 for k in range(len(groups)))
        tables.append(a[sel] - (a[origin] if g else 0))
    total = np.zeros(groups, dtype=np.int64)
    for g, t in enumerate(tables):
        total = total + t.reshape([n if k == g else 1 for k, n in enumerate(groups)])
    return tables if np.array_equal(total, a) else None


def index_copy_params(idx: np.ndarray) -> dict:
    """The IndexCopyParams fields that make index_copy write `idx`'s input elements."""
    dims = [int(d) for d in idx.shape if d != 1] or [1]
    idx = idx.reshape(-1).astype(np.int64)
    tables = _split(idx, dims)
    while tables is None or len(dims) > MAX_RANK:
        # Merge the adjacent pair whose table would be smallest until the map factors.
        k = min(range(len(dims) - 1), key=lambda i: dims[i] * dims[i + 1])
        dims = dims[:k] + [dims[k] * dims[k + 1]] + dims[k + 2:]
        tables = _split(idx, dims)
    # Trailing dimensions that read consecutive elements become one memcpy block.
    block = 1
    while len(dims) > 1 and np.array_equal(tables[-1], np.arange(dims[-1]) * block):
        block *= dims.pop()
        tables.pop()
    if len(dims) == 1 and block > 1 and np.array_equal(tables[0] - tables[0][0], np.arange(dims[0]) * block):
        block *= dims[0]
        tables = [tables[0][:1]]
        dims = [1]
    offsets = [int(v) for t in tables for v in t.tolist()]
    if offsets and (min(offsets) < -2**31 or max(offsets) >= 2**31):
        raise ValueError("index copy offsets exceed int32")
    return dict(rank=len(dims), dims=dims + [1] * (MAX_RANK - len(dims)),
                offsets=kernel_params.ConstArray("int32_t", offsets,
                                                 "input offsets of each output dimension's positions"),
                block=block)


# Elements an index map or a folded result may have: far beyond any microcontroller's
# memory, and a bound on what converting a corrupt model can allocate.
MAX_ELEMENTS = 1 << 24


def _bounded(op, graph, *tensors: Tensor) -> None:
    for t in tensors:
        if t.num_elements > MAX_ELEMENTS:
            raise unsupported(op, graph, f"tensor '{t.name}' of shape {list(t.shape)} has more than "
                              f"{MAX_ELEMENTS} elements.")


def index_map(shape: Sequence[int], fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    return fn(np.arange(math.prod(shape), dtype=np.int64).reshape(tuple(shape)))


# ---- each operator's map (validating as TFLite Micro does) -------------------------------------

def _same_dtype(op, graph, x: Tensor, y: Tensor):
    allowed = MOVE_DTYPES[op.op_type]
    if x.dtype != y.dtype or x.dtype not in allowed:
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                          f"supported: {', '.join(allowed)} (the same in and out, what TFLite Micro's "
                          f"{op.op_type} kernel takes).")
    # int8 values move unchanged whatever the two tensors' quantization says: TFLite Micro's
    # kernels for these operators copy bytes and never rescale.


def _shape(t: Tensor) -> Tuple[int, ...]:
    return tuple(int(d) for d in t.shape)


def _check_out(op, graph, y: Tensor, expected):
    if _shape(y) != tuple(expected):
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from {list(expected)}.")


def _axis(op, graph, axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < rank:
        raise unsupported(op, graph, f"{what} {axis} is out of range for an input of rank {rank} "
                          f"(TFLite Micro accepts [{-rank}, {rank - 1}]).")
    return axis + rank if axis < 0 else axis


def map_reverse(op, graph):
    (x, axes_t), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtype(op, graph, x, y)
    rank = len(x.shape)
    axes = constant_ints(op, graph, axes_t, "the axis input")
    if len(axes) > rank:
        raise unsupported(op, graph, f"{len(axes)} axes for an input of rank {rank}.")
    axes = [_axis(op, graph, a, rank) for a in axes]
    if len(set(axes)) != len(axes) or (axes and sorted(axes) != list(range(min(axes), max(axes) + 1))):
        raise unsupported(op, graph, f"axes {axes} are not supported; TFLite Micro's REVERSE_V2 takes distinct, "
                          "contiguous axes (e.g. [1, 2], not [0, 2]).")
    _check_out(op, graph, y, _shape(x))
    return 0, lambda a: np.flip(a, axis=tuple(axes)) if axes else a


def _gather_params(op, graph):
    (x, idx_t), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtype(op, graph, x, y)
    if idx_t.dtype != "int32":
        raise unsupported(op, graph, f"indices of dtype {idx_t.dtype} are not supported; supported: int32 "
                          "(what TFLite Micro's GATHER takes).")
    rank, irank = len(x.shape), len(idx_t.shape)
    axis = int(op.options.get("axis", 0) or 0)
    batch_dims = int(op.options.get("batch_dims", 0) or 0)
    axis = _axis(op, graph, axis, rank)
    if batch_dims < 0:
        batch_dims += irank
    if not 0 <= batch_dims <= axis or (irank and batch_dims > irank) or (irank == 0 and batch_dims):
        raise unsupported(op, graph, f"batch_dims {op.options.get('batch_dims')} is not supported with axis "
                          f"{axis} and indices of rank {irank} (TFLite Micro requires 0 <= batch_dims <= axis "
                          "and batch_dims <= the indices' rank).")
    for d in range(batch_dims):
        if x.shape[d] != idx_t.shape[d]:
            raise unsupported(op, graph, f"input dim {d} ({x.shape[d]}) differs from indices dim {d} "
                              f"({idx_t.shape[d]}), which batch_dims {batch_dims} requires equal.")
    expected = _shape(x)[:axis] + _shape(idx_t)[batch_dims:] + _shape(x)[axis + 1:]
    _check_out(op, graph, y, expected)
    return x, idx_t, y, axis, batch_dims


def _gather_numpy(a: np.ndarray, indices: np.ndarray, axis: int, batch_dims: int) -> np.ndarray:
    if batch_dims == 0:
        return np.take(a, indices, axis=axis)
    return np.stack([_gather_numpy(a[b], indices[b], axis - 1, batch_dims - 1) for b in range(a.shape[0])])


def map_gather(op, graph):
    x, idx_t, _y, axis, batch_dims = _gather_params(op, graph)
    if not idx_t.is_constant:
        return None
    indices = idx_t.data.astype(np.int64)
    if indices.size and (indices.min() < 0 or indices.max() >= x.shape[axis]):
        raise unsupported(op, graph, f"constant indices {sorted(set(indices.reshape(-1).tolist()))[:8]} "
                          f"leave [0, {x.shape[axis]}) of axis {axis}; TFLite Micro fails such a GATHER.")
    return 0, lambda a: _gather_numpy(a, indices, axis, batch_dims)


def map_gather_nd(op, graph):
    (x, idx_t), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtype(op, graph, x, y)
    if idx_t.dtype != "int32":
        raise unsupported(op, graph, f"indices of dtype {idx_t.dtype} are not supported; supported: int32 "
                          "(TFLite Micro's GATHER_ND).")
    if not idx_t.is_constant:
        raise unsupported(op, graph, "indices computed at run time are not supported; GATHER_ND runs with "
                          "constant indices.")
    indices = idx_t.data.astype(np.int64)
    depth = indices.shape[-1] if indices.ndim else 0
    if indices.ndim < 1 or depth > len(x.shape) or depth > 5:
        raise unsupported(op, graph, f"indices of shape {list(indices.shape)} are not supported for an input "
                          f"of rank {len(x.shape)} (the last dimension at most the rank and 5).")
    for k in range(depth):
        col = indices[..., k]
        if col.size and (col.min() < 0 or col.max() >= x.shape[k]):
            raise unsupported(op, graph, f"constant indices leave [0, {x.shape[k]}) of dim {k}; "
                              "TFLite Micro fails such a GATHER_ND.")
    _check_out(op, graph, y, indices.shape[:-1] + _shape(x)[depth:])

    def fn(a):
        return a[tuple(indices[..., k] for k in range(depth))]
    return 0, fn


def _block_size(op, graph) -> int:
    b = int(op.options.get("block_size", 0) or 0)
    if b < 1:
        raise malformed(op, graph, f"block_size {b} is not positive.")
    return b


def map_depth_to_space(op, graph):
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    _same_dtype(op, graph, x, y)
    b = _block_size(op, graph)
    if len(x.shape) != 4:
        raise unsupported(op, graph, f"input rank {len(x.shape)} is not supported (NHWC, rank 4).")
    n, h, w, c = _shape(x)
    if c % (b * b):
        raise malformed(op, graph, f"depth {c} is not a multiple of block_size^2 = {b * b}.")
    co = c // (b * b)
    _check_out(op, graph, y, (n, h * b, w * b, co))
    return 0, lambda a: a.reshape(n, h, w, b, b, co).transpose(0, 1, 3, 2, 4, 5).reshape(n, h * b, w * b, co)


def map_space_to_depth(op, graph):
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    _same_dtype(op, graph, x, y)
    b = _block_size(op, graph)
    if len(x.shape) != 4:
        raise unsupported(op, graph, f"input rank {len(x.shape)} is not supported (NHWC, rank 4).")
    n, h, w, c = _shape(x)
    if h % b or w % b:
        raise malformed(op, graph, f"height {h} and width {w} are not multiples of block_size {b}.")
    _check_out(op, graph, y, (n, h // b, w // b, c * b * b))
    return 0, lambda a: a.reshape(n, h // b, b, w // b, b, c).transpose(0, 1, 3, 2, 4, 5).reshape(
        n, h // b, w // b, b * b * c)


def map_batch_to_space(op, graph):
    (x, block_t, crops_t), (y,) = io_tensors(op, graph, 3, 3)
    _same_dtype(op, graph, x, y)
    rank = len(x.shape)
    if rank not in (3, 4):
        raise unsupported(op, graph, f"input rank {rank} is not supported (TFLite Micro: 3 or 4).")
    block = constant_ints(op, graph, block_t, "the block_shape input")
    crops = constant_ints(op, graph, crops_t, "the crops input")
    spatial = rank - 2
    if len(block) != spatial or len(crops) != 2 * spatial or min(block) < 1 or min(crops) < 0:
        raise malformed(op, graph, f"block_shape {block} and crops {crops} do not fit an input of rank {rank}.")
    shape = _shape(x)
    if shape[0] % math.prod(block):
        raise malformed(op, graph, f"batch {shape[0]} is not a multiple of the block {block}.")
    n = shape[0] // math.prod(block)
    full = [shape[1 + k] * block[k] for k in range(spatial)]
    out = [full[k] - crops[2 * k] - crops[2 * k + 1] for k in range(spatial)]
    if min(out) < 1:
        raise malformed(op, graph, f"crops {crops} remove the whole output.")
    _check_out(op, graph, y, (n, *out, shape[-1]))

    def fn(a):
        # [b0, (b1,) n, h, (w,) c] -> [n, h, b0, (w, b1,) c], then crop.
        a = a.reshape(*block, n, *shape[1:])
        if spatial == 2:
            a = a.transpose(2, 3, 0, 4, 1, 5).reshape(n, full[0], full[1], shape[-1])
            return a[:, crops[0]:crops[0] + out[0], crops[2]:crops[2] + out[1], :]
        a = a.transpose(1, 2, 0, 3).reshape(n, full[0], shape[-1])
        return a[:, crops[0]:crops[0] + out[0], :]
    return 0, fn


def map_mirror_pad(op, graph):
    (x, pads_t), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtype(op, graph, x, y)
    mode = op.options.get("mode", "REFLECT")
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise unsupported(op, graph, f"mode {mode} is not supported; supported: REFLECT, SYMMETRIC.")
    rank = len(x.shape)
    pads = constant_ints(op, graph, pads_t, "the paddings input")
    if len(pads) != 2 * rank or min(pads, default=0) < 0:
        raise malformed(op, graph, f"paddings {pads} do not fit an input of rank {rank}.")
    pairs = [(pads[2 * k], pads[2 * k + 1]) for k in range(rank)]
    shape = _shape(x)
    limit = 0 if mode == "SYMMETRIC" else 1
    for k, (lo, hi) in enumerate(pairs):
        if max(lo, hi) > shape[k] - limit:
            raise unsupported(op, graph, f"padding {[lo, hi]} of dim {k} (size {shape[k]}) exceeds what {mode} "
                              f"mirrors (at most {shape[k] - limit}).")
    _check_out(op, graph, y, tuple(d + lo + hi for d, (lo, hi) in zip(shape, pairs)))
    np_mode = "reflect" if mode == "REFLECT" else "symmetric"
    return 0, lambda a: np.pad(a, pairs, mode=np_mode)


def _broadcast(op, graph, shapes: Sequence[Tuple[int, ...]]) -> Tuple[int, ...]:
    rank = max(len(s) for s in shapes)
    out = []
    for d in range(rank):
        sizes = {s[d - rank + len(s)] for s in shapes if d - rank + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise malformed(op, graph, f"shapes {[list(s) for s in shapes]} do not broadcast.")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _model_constant(op, graph, t: Tensor, role: str):
    """TFLite Micro sizes FILL's and BROADCAST_TO's output in Prepare from a constant of the
    model; a shape the model computes (SHAPE, ...) it refuses, even where utensor could
    compute it when converting."""
    source = getattr(t, FOLDED_FROM, None)
    if source is not None:
        raise unsupported(op, graph, f"{role} is computed by the model (by {source}); TFLite Micro requires it "
                          "to be a constant tensor of the model and refuses this one, so utensor does too.")


def map_broadcast_to(op, graph):
    (x, shape_t), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtype(op, graph, x, y)
    _model_constant(op, graph, shape_t, "the shape input")
    target = tuple(constant_ints(op, graph, shape_t, "the shape input"))
    if len(target) > 5 or len(x.shape) > len(target):
        raise unsupported(op, graph, f"shape {list(target)} is not supported for an input of shape "
                          f"{list(x.shape)} (TFLite Micro broadcasts to rank <= 5, never fewer dims).")
    if _broadcast(op, graph, [_shape(x), target]) != target:
        raise malformed(op, graph, f"input shape {list(x.shape)} does not broadcast to {list(target)}.")
    _check_out(op, graph, y, target)
    return 0, lambda a: np.broadcast_to(a, target)


MAPS = {
    "REVERSE_V2": map_reverse, "GATHER": map_gather, "GATHER_ND": map_gather_nd,
    "DEPTH_TO_SPACE": map_depth_to_space, "SPACE_TO_DEPTH": map_space_to_depth,
    "BATCH_TO_SPACE_ND": map_batch_to_space, "MIRROR_PAD": map_mirror_pad,
    "BROADCAST_TO": map_broadcast_to,
}


def lower_index_copy(op: Operator, graph: Graph) -> KernelCall:
    found = MAPS[op.op_type](op, graph)
    if found is None:
        return lower_gather_runtime(op, graph)
    slot, fn = found
    x, y = graph.tensor(op.inputs[slot]), graph.tensor(op.outputs[0])
    _bounded(op, graph, x, y)
    if y.num_elements == 0 or x.num_elements == 0:
        raise unsupported(op, graph, f"empty tensors (input {list(x.shape)}, output {list(y.shape)}) are not supported.")
    idx = index_map(_shape(x), fn)
    return kernel_call(f"index_copy_{SUFFIX[x.dtype]}", "IndexCopyParams", index_copy_params(idx), inputs=(slot,))


def lower_gather_runtime(op: Operator, graph: Graph) -> KernelCall:
    x, idx_t, y, axis, batch_dims = _gather_params(op, graph)
    shape = _shape(x)
    fields = dict(batches=math.prod(shape[:batch_dims]), outer=math.prod(shape[batch_dims:axis]),
                  axis_size=shape[axis], inner=math.prod(shape[axis + 1:]),
                  count=math.prod(_shape(idx_t)[batch_dims:]))
    call = kernel_call(f"gather_{SUFFIX[x.dtype]}_{SUFFIX[idx_t.dtype]}", "GatherParams", fields, inputs=(0, 1))
    call.template = "ops/kernel_status.j2"
    return call


def lower_space_to_batch(op: Operator, graph: Graph) -> KernelCall:
    (x, block_t, pads_t), (y,) = io_tensors(op, graph, 3, 3)
    _same_dtype(op, graph, x, y)
    rank = len(x.shape)
    if rank not in (3, 4):
        raise unsupported(op, graph, f"input rank {rank} is not supported (TFLite Micro: 3 or 4).")
    block = constant_ints(op, graph, block_t, "the block_shape input")
    pads = constant_ints(op, graph, pads_t, "the paddings input")
    spatial = rank - 2
    if len(block) != spatial or len(pads) != 2 * spatial or min(block) < 1 or min(pads) < 0:
        raise malformed(op, graph, f"block_shape {block} and paddings {pads} do not fit an input of rank {rank}.")
    shape = _shape(x)
    padded = [shape[1 + k] + pads[2 * k] + pads[2 * k + 1] for k in range(spatial)]
    if any(padded[k] % block[k] for k in range(spatial)):
        raise malformed(op, graph, f"padded sizes {padded} are not multiples of the block {block}.")
    out_spatial = [padded[k] // block[k] for k in range(spatial)]
    _check_out(op, graph, y, (shape[0] * math.prod(block), *out_spatial, shape[-1]))
    if spatial == 1:  # a width of 1 that no block splits
        block, pads, shape, out_spatial = block + [1], pads + [0, 0], shape[:2] + (1,) + shape[2:], out_spatial + [1]
    pad_byte = 0
    if x.dtype == "int8" and y.quant is not None and y.quant.zero_point:
        pad_byte = int(y.quant.zero_point[0]) & 0xFF
    return kernel_call(f"space_to_batch_{SUFFIX[x.dtype]}", "SpaceToBatchParams",
                       dict(batches=shape[0], input_height=shape[1], input_width=shape[2], depth=shape[3],
                            block_height=block[0], block_width=block[1], pad_top=pads[0], pad_left=pads[2],
                            output_batches=shape[0] * block[0] * block[1], output_height=out_spatial[0],
                            output_width=out_spatial[1], pad_byte=pad_byte))


def lower_dynamic_update_slice(op: Operator, graph: Graph) -> KernelCall:
    (x, u, idx_t), (y,) = io_tensors(op, graph, 3, 3)
    _same_dtype(op, graph, x, y)
    _same_dtype(op, graph, u, y)
    if idx_t.dtype not in ("int32", "int64"):
        raise unsupported(op, graph, f"start indices of dtype {idx_t.dtype} are not supported; supported: int32, int64.")
    rank = len(x.shape)
    if rank > MAX_RANK or len(u.shape) != rank or _shape(idx_t) != (rank,):
        raise unsupported(op, graph, f"operand {list(x.shape)}, update {list(u.shape)} and start indices "
                          f"{list(idx_t.shape)} are not supported (same rank <= {MAX_RANK}, one index per dimension).")
    if u.num_elements == 0:
        raise unsupported(op, graph, f"an empty update {list(u.shape)} is not supported.")
    if any(a < b for a, b in zip(_shape(x), _shape(u))):
        raise malformed(op, graph, f"update {list(u.shape)} is larger than the operand {list(x.shape)}.")
    _check_out(op, graph, y, _shape(x))
    lead = MAX_RANK - rank
    return kernel_call(f"dynamic_update_slice_{SUFFIX[x.dtype]}_{SUFFIX[idx_t.dtype]}", "DynamicUpdateSliceParams",
                       dict(size=x.num_elements, operand_dims=[1] * lead + list(_shape(x)),
                            update_dims=[1] * lead + list(_shape(u)), leading=lead),
                       inputs=(0, 1, 2), inplace=(0, 0))


def lower_embedding_lookup(op: Operator, graph: Graph) -> KernelCall:
    """EMBEDDING_LOOKUP(ids, value): the rows of value the ids name, as TFLite Micro's
    EvalSimple (int8 or float32 rows copied); an id outside the rows fails the invocation,
    as there. The hybrid form (int8 rows, float32 output) is refused."""
    (ids, value), (y,) = io_tensors(op, graph, 2, 2)
    if value.dtype == "int8" and y.dtype == "float32":
        raise unsupported(op, graph, "the hybrid form (int8 value, float32 output) is not supported; "
                          "supported: int8 -> int8 and float32 -> float32.")
    _same_dtype(op, graph, value, y)
    if ids.dtype != "int32" or len(ids.shape) != 1:
        raise unsupported(op, graph, f"ids {ids.dtype}{list(ids.shape)} are not supported; TFLite Micro takes "
                          "a rank-1 int32 tensor.")
    if len(value.shape) < 2:
        raise unsupported(op, graph, f"value of shape {list(value.shape)} is not supported (rank >= 2).")
    _check_out(op, graph, y, _shape(ids) + _shape(value)[1:])
    if ids.is_constant:
        rows = ids.data.astype(np.int64)
        if rows.size and (rows.min() < 0 or rows.max() >= value.shape[0]):
            raise unsupported(op, graph, f"constant ids leave [0, {value.shape[0]}); TFLite Micro fails such a lookup.")
    fields = dict(batches=1, outer=1, axis_size=int(value.shape[0]), inner=math.prod(_shape(value)[1:]),
                  count=int(ids.shape[0]))
    call = kernel_call(f"gather_{SUFFIX[value.dtype]}_i32", "GatherParams", fields, inputs=(1, 0))
    call.template = "ops/kernel_status.j2"
    return call


# ---- SELECT_V2 ----------------------------------------------------------------------------------

def _strides(shape: Tuple[int, ...], out: Tuple[int, ...]) -> List[int]:
    shape = (1,) * (MAX_RANK - len(shape)) + shape
    dims = (1,) * (MAX_RANK - len(out)) + out
    contiguous = [1] * MAX_RANK
    for d in range(MAX_RANK - 2, -1, -1):
        contiguous[d] = contiguous[d + 1] * shape[d + 1]
    return [contiguous[d] if shape[d] == dims[d] and dims[d] > 1 else 0 for d in range(MAX_RANK)]


def lower_select_v2(op: Operator, graph: Graph) -> KernelCall:
    (c, x, yv), (out,) = io_tensors(op, graph, 3, 3)
    if c.dtype != "bool":
        raise unsupported(op, graph, f"condition of dtype {c.dtype} is not supported; SELECT_V2 takes bool.")
    _same_dtype(op, graph, x, out)
    _same_dtype(op, graph, yv, out)
    shapes = [_shape(c), _shape(x), _shape(yv)]
    if max(len(s) for s in shapes) > 5:
        raise unsupported(op, graph, f"shapes {[list(s) for s in shapes]} above rank 5 are not supported "
                          "(TFLite Micro's SELECT_V2 broadcasts up to rank 5).")
    shape = _broadcast(op, graph, shapes)
    _check_out(op, graph, out, shape)
    dims = [1] * (MAX_RANK - len(shape)) + list(shape)
    return kernel_call(f"select_{SUFFIX[x.dtype]}", "SelectParams",
                       dict(size=math.prod(shape), dims=dims, condition_stride=_strides(shapes[0], shape),
                            x_stride=_strides(shapes[1], shape), y_stride=_strides(shapes[2], shape)),
                       inputs=(0, 1, 2))


# ---- FILL, ZEROS_LIKE, SHAPE, BROADCAST_ARGS ------------------------------------------------------

def _fill_check(op, graph):
    (dims_t, value), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtype(op, graph, value, y)
    if dims_t.dtype not in ("int32", "int64"):
        raise unsupported(op, graph, f"dims of dtype {dims_t.dtype} are not supported; supported: int32, int64.")
    _model_constant(op, graph, dims_t, "the dims input")
    dims = constant_ints(op, graph, dims_t, "the dims input (the output shape)")
    if value.num_elements != 1 or len(value.shape) != 0 and list(value.shape) != [1] * len(value.shape):
        raise unsupported(op, graph, f"value of shape {list(value.shape)} is not a scalar.")
    _check_out(op, graph, y, dims)
    return value, y


def lower_fill(op: Operator, graph: Graph) -> KernelCall:
    value, y = _fill_check(op, graph)
    return kernel_call(f"fill_{SUFFIX[y.dtype]}", "FillParams", dict(size=y.num_elements), inputs=(0, 1))


def lower_zeros_like(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    _same_dtype(op, graph, x, y)
    _check_out(op, graph, y, _shape(x))
    return kernel_call(f"zeros_{SUFFIX[y.dtype]}", "FillParams", dict(size=y.num_elements), inputs=(0,))


def _shape_result(op, graph) -> np.ndarray:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    if y.dtype not in ("int32", "int64"):
        raise unsupported(op, graph, f"output dtype {y.dtype} is not supported; supported: int32, int64.")
    _check_out(op, graph, y, (len(x.shape),))
    return np.array(_shape(x), dtype=numpy_dtype(y.dtype))


def _broadcast_args_result(op, graph) -> Optional[np.ndarray]:
    (a, b), (y,) = io_tensors(op, graph, 2, 2)
    if not (a.is_constant and b.is_constant):
        return None
    if a.dtype != b.dtype or a.dtype != y.dtype or a.dtype not in ("int32", "int64"):
        raise unsupported(op, graph, f"dtypes {describe_dtypes([a, b, y])} are not supported; supported: int32 "
                          "or int64, the same for all.")
    shape = _broadcast(op, graph, [tuple(int(v) for v in a.data.reshape(-1)), tuple(int(v) for v in b.data.reshape(-1))])
    _check_out(op, graph, y, (len(shape),))
    return np.array(shape, dtype=numpy_dtype(y.dtype))


def lower_shape(op: Operator, graph: Graph) -> KernelCall:
    """Reached only for a SHAPE passes.fold_constants could not compute: say why."""
    _shape_result(op, graph)  # its own dtype and shape errors first
    raise unsupported(op, graph, "its output is a graph output; utensor computes SHAPE when converting, so "
                      "a model output that is only a shape is not supported.")


def lower_broadcast_args(op: Operator, graph: Graph) -> KernelCall:
    """Constant shapes are folded; shapes the model computes at run time get the kernel."""
    (a, b), (y,) = io_tensors(op, graph, 2, 2)
    if a.dtype != b.dtype or a.dtype != y.dtype or a.dtype not in ("int32", "int64"):
        raise unsupported(op, graph, f"dtypes {describe_dtypes([a, b, y])} are not supported; supported: int32 "
                          "or int64, the same for all.")
    if len(a.shape) != 1 or len(b.shape) != 1:
        raise unsupported(op, graph, f"shapes of shape {list(a.shape)} and {list(b.shape)} are not rank 1.")
    rank = max(int(a.shape[0]), int(b.shape[0]))
    _check_out(op, graph, y, (rank,))
    call = kernel_call(f"broadcast_args_{SUFFIX[y.dtype]}", "BroadcastArgsParams",
                       dict(rank1=int(a.shape[0]), rank2=int(b.shape[0]), output_rank=rank), inputs=(0, 1))
    call.template = "ops/kernel_status.j2"
    return call


lower_shape.computed_when_converting = True  # `utensor ops` says so


# ---- constant folding -----------------------------------------------------------------------------

def _fold_moved(op: Operator, graph: Graph) -> Optional[np.ndarray]:
    if op.op_type == "GATHER":
        idx = graph.tensor(op.inputs[1]) if len(op.inputs) > 1 and op.inputs[1] >= 0 else None
        if idx is None or not idx.is_constant:
            return None
    found = MAPS[op.op_type](op, graph)
    if found is None:
        return None
    slot, fn = found
    x = graph.tensor(op.inputs[slot])
    if not x.is_constant:
        return None
    _bounded(op, graph, x, graph.tensor(op.outputs[0]))
    return np.ascontiguousarray(fn(x.data)).copy()


def _fold_fill(op, graph):
    if not all(graph.tensor(i).is_constant for i in op.inputs if i >= 0):
        return None
    value, y = _fill_check(op, graph)
    _bounded(op, graph, y)
    return np.full(_shape(y), value.data.reshape(-1)[0], dtype=numpy_dtype(y.dtype))


def _fold_zeros_like(op, graph):
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    if not x.is_constant:
        return None
    _same_dtype(op, graph, x, y)
    _bounded(op, graph, y)
    return np.zeros(_shape(y), dtype=numpy_dtype(y.dtype))


def _fold_select(op, graph):
    if not all(graph.tensor(i).is_constant for i in op.inputs if i >= 0):
        return None
    lower_select_v2(op, graph)  # validates
    _bounded(op, graph, graph.tensor(op.outputs[0]))
    c, x, yv = (graph.tensor(i).data for i in op.inputs)
    return np.where(c, x, yv).astype(x.dtype)


def _lowering_accepts(op, graph) -> None:
    """Fold only what utensor would run: the operator's own lowering validates it as TFLite
    Micro does (and raises what it refuses)."""
    from . import lower  # pylint: disable=import-outside-toplevel

    lower(op, graph)


def _constant_inputs(op, graph) -> Optional[List[np.ndarray]]:
    ts = [graph.tensor(i) for i in op.inputs if i >= 0]
    return [t.data for t in ts] if ts and all(t.is_constant for t in ts) else None


def _fold_stack_concat(op, graph):
    """PACK and CONCATENATION of integer tensors (shape arithmetic): exact copies."""
    data = _constant_inputs(op, graph)
    y = graph.tensor(op.outputs[0])
    if data is None or y.dtype not in ("int32", "int64"):
        return None
    _lowering_accepts(op, graph)
    axis = int(op.options.get("axis", 0) or 0)
    if op.op_type == "PACK":
        return np.stack(data, axis=axis if axis >= 0 else axis + len(y.shape))
    return np.concatenate(data, axis=axis if axis >= 0 else axis + len(y.shape))


def _fold_cast(op, graph):
    """CAST from an integer or bool tensor: numpy's conversion is C's, exact for every value
    (a float input is left to the kernel: its out-of-range conversions are C's undefined
    behaviour)."""
    data = _constant_inputs(op, graph)
    if data is None or graph.tensor(op.inputs[0]).dtype not in ("int8", "int16", "int32", "int64", "bool"):
        return None
    _lowering_accepts(op, graph)
    return data[0].astype(numpy_dtype(graph.tensor(op.outputs[0]).dtype))


# op type -> fn(op, graph): the output's value when it can be computed exactly when
# converting (the inputs it needs are constants), else None. passes.fold_constants applies it.
FOLDERS: Dict[str, Callable[[Operator, Graph], Optional[np.ndarray]]] = {
    **{name: _fold_moved for name in MAPS},
    "SHAPE": _shape_result,
    "BROADCAST_ARGS": _broadcast_args_result,
    "FILL": _fold_fill,
    "ZEROS_LIKE": _fold_zeros_like,
    "SELECT_V2": _fold_select,
    "PACK": _fold_stack_concat,
    "CONCATENATION": _fold_stack_concat,
    "CAST": _fold_cast,
}


for _op_type in MAPS:
    register(_op_type, lower_index_copy, dtypes=MOVE_DTYPES[_op_type])
register("SPACE_TO_BATCH_ND", lower_space_to_batch, dtypes=MOVE_DTYPES["SPACE_TO_BATCH_ND"])
register("DYNAMIC_UPDATE_SLICE", lower_dynamic_update_slice, dtypes=MOVE_DTYPES["DYNAMIC_UPDATE_SLICE"])
register("EMBEDDING_LOOKUP", lower_embedding_lookup, dtypes=MOVE_DTYPES["EMBEDDING_LOOKUP"])
register("SELECT_V2", lower_select_v2, dtypes=MOVE_DTYPES["SELECT_V2"])
register("FILL", lower_fill, dtypes=MOVE_DTYPES["FILL"])
register("ZEROS_LIKE", lower_zeros_like, dtypes=MOVE_DTYPES["ZEROS_LIKE"])
register("SHAPE", lower_shape, dtypes=("int32", "int64"))
register("BROADCAST_ARGS", lower_broadcast_args, dtypes=("int32", "int64"))
