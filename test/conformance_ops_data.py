"""Option spaces of the data-movement operators (issue 14, scripts/utensor/ops/data.py),
registered with the conformance generator (test/conformance.py)."""

import numpy as np

from conformance import Case, random_shape, register


def _tf():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf


def _lambda(fn):
    return _tf().keras.layers.Lambda(fn)


@register("GATHER", seeds=6)
def gather(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
    rank = len(shape)
    axis = int(rng.randint(1, rank))
    batch_dims = int(rng.randint(0, 2)) if axis >= 1 else 0
    # Model outputs hold at most 4 dimensions: rank - 1 + index dims - batch_dims <= 4.
    extra = int(rng.randint(0, min(2, 5 - rank) + 1))
    idx_shape = shape[:batch_dims] + tuple(int(rng.randint(1, 4)) for _ in range(extra))
    if batch_dims and len(idx_shape) == batch_dims:
        idx_shape = idx_shape + (2,)
    indices = rng.randint(0, shape[axis], size=idx_shape).astype(np.int32)  # TFLM takes int32 only
    neg = rng.rand() < 0.3
    ax = axis - rank if neg else axis
    return Case([shape], lambda x: _lambda(lambda t: tf.gather(t, indices, axis=ax, batch_dims=batch_dims))(x),
                {"shape": shape, "axis": ax, "batch_dims": batch_dims, "indices": indices.tolist()})


@register("GATHER", seeds=3, label="runtime_indices")
def gather_runtime(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
    axis = int(rng.randint(1, len(shape)))
    count = int(rng.randint(1, 5))
    # Indices from the second input, clipped into range and truncated: MINIMUM, RELU, CAST.
    return Case([shape, (1, count)],
                lambda x, y: _lambda(lambda t: tf.gather(
                    t[0], tf.cast(tf.clip_by_value(t[1], 0.0, shape[axis] - 0.5), tf.int32),
                    axis=axis, batch_dims=1))([x, y]),
                {"shape": shape, "axis": axis, "count": count},
                value_range=(-1.0, float(shape[axis])), expect_ops=["GATHER", "CAST"])


@register("GATHER_ND", seeds=4)
def gather_nd(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
    depth = int(rng.randint(1, len(shape) + 1))
    # At least two lookups: one index of the size-1 batch dimension alone TensorFlow folds away.
    lead = tuple(int(rng.randint(2 if k == 0 else 1, 4))
                 for k in range(int(rng.randint(1, min(2, 4 - len(shape) + depth) + 1))))
    indices = np.stack([rng.randint(0, shape[k], size=lead) for k in range(depth)], axis=-1).astype(np.int32)
    return Case([shape], lambda x: _lambda(lambda t: tf.gather_nd(t, indices))(x),
                {"shape": shape, "indices": indices.tolist()})


@register("REVERSE_V2", seeds=5)
def reverse_v2(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
    rank = len(shape)
    # TFLite's kernels take contiguous axes only: a run [first, last].
    first = int(rng.randint(0, rank))
    last = int(rng.randint(first, min(rank, first + 2)))
    axes = [a - rank if rng.rand() < 0.3 else a for a in range(first, last + 1)]
    return Case([shape], lambda x: _lambda(lambda t: tf.reverse(t, axes))(x), {"shape": shape, "axes": axes})


@register("SELECT_V2", seeds=5)
def select_v2(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    a = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
    b = (1,) + tuple(d if rng.rand() < 0.6 else 1 for d in a[1:])
    if b == a:  # equal shapes: TensorFlow writes SELECT (version 1), which TFLM lacks
        k = 1 + int(rng.randint(len(a) - 1))
        a = a[:k] + (max(a[k], 2),) + a[k + 1:]
        b = b[:k] + (1,) + b[k + 1:]
    shapes = [a, b] if rng.rand() < 0.5 else [b, a]
    return Case(shapes, lambda x, y: _lambda(lambda t: tf.where(t[1] > 0.0, t[0], t[1]))([x, y]),
                {"shapes": shapes}, expect_ops=["SELECT_V2", "GREATER"])


def _space(rng, b):
    return (1, b * int(rng.randint(1, 4)), b * int(rng.randint(1, 4)), int(rng.randint(1, 5)))


@register("DEPTH_TO_SPACE", seeds=4)
def depth_to_space(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    b = int(rng.randint(2, 4))
    shape = (1, int(rng.randint(1, 5)), int(rng.randint(1, 5)), b * b * int(rng.randint(1, 4)))
    return Case([shape], lambda x: _lambda(lambda t: tf.nn.depth_to_space(t, b))(x), {"shape": shape, "block": b})


@register("SPACE_TO_DEPTH", seeds=4)
def space_to_depth(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    b = int(rng.randint(2, 4))
    shape = _space(rng, b)
    return Case([shape], lambda x: _lambda(lambda t: tf.nn.space_to_depth(t, b))(x), {"shape": shape, "block": b})


@register("MIRROR_PAD", seeds=6)
def mirror_pad(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), lo=2, hi=6)
    mode = ["REFLECT", "SYMMETRIC"][rng.randint(2)]
    limit = 1 if mode == "REFLECT" else 0
    pads = [[0, 0]] + [[int(rng.randint(0, d - limit + 1)), int(rng.randint(0, d - limit + 1))] for d in shape[1:]]
    return Case([shape], lambda x: _lambda(lambda t: tf.pad(t, pads, mode=mode))(x),
                {"shape": shape, "pads": pads, "mode": mode})


@register("BROADCAST_TO", seeds=4)
def broadcast_to(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    rank = int(rng.randint(2, 5))
    target = [int(rng.randint(1, 5)) for _ in range(rank)]
    src = tuple(d if rng.rand() < 0.5 else 1 for d in target[1:])
    shape = (1,) + src
    return Case([shape], lambda x: _lambda(lambda t: tf.broadcast_to(t, target))(x),
                {"shape": shape, "target": target})


@register("BATCH_TO_SPACE_ND", seeds=4)
def batch_to_space_nd(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    block = [int(rng.randint(1, 4)), int(rng.randint(1, 4))]
    h, w = int(rng.randint(1, 4)), int(rng.randint(1, 4))
    shape = (block[0] * block[1], h, w, int(rng.randint(1, 4)))
    crops = [[int(rng.randint(0, 2)) if h * block[0] > 2 else 0, 0], [0, int(rng.randint(0, 2)) if w * block[1] > 2 else 0]]
    return Case([shape], lambda x: _lambda(lambda t: tf.batch_to_space(t, block, crops))(x),
                {"shape": shape, "block": block, "crops": crops})


@register("FILL", seeds=3)
def fill(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=3, hi=4)
    dims = [int(rng.randint(1, 5)) for _ in range(int(rng.randint(1, 4)))]
    return Case([shape], lambda x: _lambda(lambda t: tf.fill(dims, t[0, 0, 0]))(x), {"shape": shape, "dims": dims},
                expect_ops=["FILL"])


@register("SPACE_TO_BATCH_ND", seeds=4)
def space_to_batch_nd(rng, dtype):  # pylint: disable=unused-argument
    """Without padding: tflite_micro's kernel never sets the pad value it writes (its
    SpaceToBatchParams live in an uninitialized persistent buffer), so padded positions
    hold whatever that buffer held (0, 83, 1.7e22 in the draws seen); utensor writes
    TensorFlow's value there (0.0, the zero point in int8)."""
    tf = _tf()
    rank = int(rng.randint(3, 5))
    block = [int(rng.randint(1, 4)) for _ in range(rank - 2)]
    spatial = [b * int(rng.randint(1, 4)) for b in block]
    pads = [[0, 0] for _ in block]
    shape = (1, *spatial, int(rng.randint(1, 4)))
    return Case([shape], lambda x: _lambda(lambda t: tf.space_to_batch(t, block, pads))(x),
                {"shape": shape, "block": block, "pads": pads})


def _dus_shapes(rng):
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
    update = (1,) + tuple(int(rng.randint(1, d + 1)) for d in shape[1:])
    return shape, update


@register("DYNAMIC_UPDATE_SLICE", seeds=4)
def dynamic_update_slice(rng, dtype):  # pylint: disable=unused-argument
    from tensorflow.compiler.tf2xla.python import xla  # pylint: disable=import-outside-toplevel

    shape, update = _dus_shapes(rng)
    # Start indices past either end too: TFLite clamps them so the update fits.
    start = np.array([int(rng.randint(-2, d + 2)) for d in shape], dtype=[np.int32, np.int64][rng.randint(2)])
    return Case([shape, update], lambda x, u: _lambda(lambda t: xla.dynamic_update_slice(t[0], t[1], start))([x, u]),
                {"shape": shape, "update": update, "start": start.tolist(), "index_dtype": start.dtype.name})


@register("DYNAMIC_UPDATE_SLICE", seeds=3, label="runtime_indices")
def dynamic_update_slice_runtime(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    from tensorflow.compiler.tf2xla.python import xla  # pylint: disable=import-outside-toplevel

    shape, update = _dus_shapes(rng)
    rank = len(shape)
    return Case([shape, update, (rank,)],
                lambda x, u, i: _lambda(lambda t: xla.dynamic_update_slice(
                    t[0], t[1], tf.cast(tf.reshape(t[2], [rank]), tf.int32)))([x, u, i]),
                {"shape": shape, "update": update}, value_range=(-3.0, 8.0),
                expect_ops=["DYNAMIC_UPDATE_SLICE", "CAST"])
