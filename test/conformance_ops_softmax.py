"""SOFTMAX over tensors of 256 elements or more, where the int8 kernel looks TFLite's
fixed-point exp up in a table the converter evaluated (scripts/utensor/ops/softmax.py):
wide rows, many short rows, several betas and input ranges, so that entries near diff_min
and the zeroed tail below it are both reached. Imported by test/conformance_ops.py."""

from conformance import Case, register


@register("SOFTMAX", seeds=6, label="table")
def softmax_table(rng, dtype):  # pylint: disable=unused-argument
    import keras  # pylint: disable=import-outside-toplevel

    depth = int(rng.choice([1, 3, 10, 33, 128, 256, 1000]))
    rows = max(1, -(-int(rng.randint(256, 1200)) // depth))
    shape = (1, rows, depth) if rng.rand() < 0.5 else (1, 1, rows, depth)
    beta = float(rng.choice([1.0, 0.5, 2.0, 8.0]))
    span = float(rng.choice([1.0, 6.0, 30.0]))
    return Case([shape], lambda x: keras.ops.softmax(x * beta, axis=-1),
                {"shape": shape, "beta": beta, "range": span}, value_range=(-span, span),
                expect_ops=["SOFTMAX"])
