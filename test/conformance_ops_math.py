"""Option spaces of the math, reduction, spatial and linear-algebra operators (issue 14):
SUM, REDUCE_MAX, REDUCE_MIN, ... registered with the conformance generator
(test/conformance.py) and imported by test/conformance_ops.py."""

from conformance import Case, random_shape, register


def _ops():
    import keras  # pylint: disable=import-outside-toplevel

    return keras.ops


def _layers():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf.keras.layers


def _tf():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf


# ---- reductions -----------------------------------------------------------------------------

def _axes(rng, rank, max_axes):
    """Distinct axes in [1, rank), some written negative (-k counts from the end)."""
    n = int(rng.randint(1, min(max_axes, rank - 1) + 1))
    axes = sorted(int(a) for a in rng.choice(range(1, rank), size=n, replace=False))
    return [a - rank if rng.rand() < 0.4 else a for a in axes]


def _reduction(op, fn_name, max_axes):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=7)
        axes = _axes(rng, len(shape), max_axes)
        keep = bool(rng.rand() < 0.5)
        fn = getattr(_tf().math, fn_name)
        return Case([shape], lambda x: _layers().Lambda(lambda t: fn(t, axis=axes, keepdims=keep))(x),
                    {"shape": shape, "axes": axes, "keepdims": keep})
    register(op, seeds=5)(draw)


_reduction("SUM", "reduce_sum", 2)  # TFLite Micro's SUM takes at most 2 distinct axes
_reduction("REDUCE_MAX", "reduce_max", 3)
_reduction("REDUCE_MIN", "reduce_min", 3)
