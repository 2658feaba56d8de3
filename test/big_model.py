"""A seeded generator of large int8 models, for the planner's run-time tests.

`mobilenet_like(n_ops, seed)` builds a MobileNetV2-like Keras model (a stem convolution,
then inverted-residual blocks with residual ADDs, fire-like blocks whose 1x1 and
depthwise branches meet in a CONCATENATION, stride-2 blocks, and an average pool, dense
and softmax head) with exactly `n_ops` TFLite operators, and converts it to a
full-integer int8 .tflite with a seeded representative dataset. The same arguments
give the same model; `cached_mobilenet_like` builds it once per arguments, version of
this file and TensorFlow version (TensorFlow takes ~10 s).
"""

import hashlib
import os

import numpy as np

from opcheck import quantize_int8

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HEAD_OPS = 3  # AVERAGE_POOL_2D (global), FULLY_CONNECTED, SOFTMAX (the reshape folds away)


def _blocks(n_ops, rng):
    """The body as (kind, stride, channels) blocks and their operator count, n_ops - head
    in total: ("ir", s, c) is an inverted residual (1x1 expand, 3x3 depthwise, 1x1 project,
    + ADD when it keeps its shape), ("fire", 1, c) a squeeze 1x1 feeding a 1x1 branch and
    a depthwise + 1x1 branch concatenated, ("conv", 1, c) one 1x1 convolution (fills the
    count exactly)."""
    body = n_ops - HEAD_OPS - 1  # the stem convolution
    blocks, used, channels, downsamples = [], 0, 16, 0
    while used < body:
        left = body - used
        if left >= 3 and used >= (downsamples + 1) * body // 4:
            # three stride-2 stages, spread like MobileNetV2's (the resolution falls 8x)
            channels = min(channels * 2, 64)
            blocks.append(("ir", 2, channels))  # no residual: 3 ops
            used += 3
            downsamples += 1
        elif left >= 5 and rng.rand() < 0.35:
            blocks.append(("fire", 1, channels))
            used += 5
        elif left >= 4:
            blocks.append(("ir", 1, channels))  # with residual: 4 ops
            used += 4
        else:
            blocks.append(("conv", 1, channels))
            used += 1
    return blocks


def mobilenet_like_keras(n_ops=120, seed=0, size=48):
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    L = tf.keras.layers
    tf.keras.utils.set_random_seed(seed)
    rng = np.random.RandomState(seed)
    inp = tf.keras.Input((size, size, 3), batch_size=1)
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu6")(inp)
    for kind, stride, c in _blocks(n_ops, rng):
        if kind == "ir":
            expand = int(x.shape[-1]) * int(rng.choice([2, 4, 6]))
            y = L.Conv2D(expand, 1, activation="relu6")(x)
            y = L.DepthwiseConv2D(3, strides=stride, padding="same", activation="relu6")(y)
            y = L.Conv2D(c, 1)(y)
            x = L.Add()([x, y]) if stride == 1 and int(x.shape[-1]) == c else y
        elif kind == "fire":
            squeeze = L.Conv2D(max(c // 2, 8), 1, activation="relu")(x)
            a = L.Conv2D(c // 2, 1, activation="relu")(squeeze)
            b = L.DepthwiseConv2D(3, padding="same", activation="relu")(squeeze)
            b = L.Conv2D(c - c // 2, 1, activation="relu")(b)
            x = L.Concatenate()([a, b])
        else:
            x = L.Conv2D(c, 1, activation="relu6")(x)
    x = L.AveragePooling2D(pool_size=(int(x.shape[1]), int(x.shape[2])))(x)
    x = L.Flatten()(x)
    x = L.Dense(10, activation="softmax")(x)
    model = tf.keras.Model(inp, x)
    # Non-trivial biases (Keras starts them at zero): keeps the quantized ranges honest.
    for layer in model.layers:
        for w in layer.weights:
            if "bias" in w.name:
                w.assign(rng.uniform(-0.2, 0.2, w.shape).astype(np.float32))
    return model


def mobilenet_like(n_ops=120, seed=0, size=48) -> bytes:
    """The int8 .tflite bytes (full-integer quantization, int8 input and output)."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    model = mobilenet_like_keras(n_ops, seed, size)
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    rng = np.random.RandomState(seed)

    def dataset():
        for _ in range(8):
            yield [rng.uniform(-1, 1, (1, size, size, 3)).astype(np.float32)]

    return quantize_int8(conv, dataset).convert()


def _tensorflow_version() -> str:
    from importlib import metadata  # pylint: disable=import-outside-toplevel

    for dist in ("tensorflow", "tensorflow-cpu", "tf-nightly"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return "unknown"


def cached_mobilenet_like(cache_dir: str, n_ops=120, seed=0, size=48) -> str:
    """The path of mobilenet_like(n_ops, seed, size) as a .tflite file under cache_dir."""
    with open(__file__, "rb") as f:
        source = f.read()
    key = hashlib.sha256(repr((n_ops, seed, size, _tensorflow_version(), source)).encode()).hexdigest()[:16]
    path = os.path.join(cache_dir, f"mobilenet_like_{n_ops}_{seed}_{key}.tflite")
    if not os.path.isfile(path):
        os.makedirs(cache_dir, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(mobilenet_like(n_ops, seed, size))
        os.replace(tmp, path)  # whole or absent, even with parallel test workers
    return path


if __name__ == "__main__":  # python test/big_model.py out.tflite [n_ops] [seed]
    import sys

    with open(sys.argv[1], "wb") as f:
        f.write(mobilenet_like(*(int(a) for a in sys.argv[2:4])))
