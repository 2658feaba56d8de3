"""Small int8 models reproducing first layers of public TinyML models that the MLPerf
Tiny four do not cover (issue 15): `python -m utensor.bench.shape_models DIR` writes them.

- ds_speech: speech-commands style first layer, 49x40x1 -> DepthwiseConv2D(depth_multiplier=8,
  kernel (10, 8), stride 2, SAME) + ReLU (320,000 MACs).
- mnist_dw: MNIST CNN, float 28x28x1 input quantized, DepthwiseConv2D(depth_multiplier=32, 3x3,
  VALID) + ReLU, MaxPool 2x2, Flatten, Dense(10), float output (dequantized).
"""

import os
import sys

import numpy as np


def _convert(model, shape, io_type, seed):
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(32):
            yield [rng.uniform(-1.0, 1.0, size=(1,) + shape).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = io_type
    conv.inference_output_type = io_type
    return conv.convert()


def ds_speech():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(1)
    shape = (49, 40, 1)
    x = tf.keras.Input(shape=shape)
    y = tf.keras.layers.DepthwiseConv2D((10, 8), strides=2, padding="same", depth_multiplier=8,
                                        activation="relu")(x)
    return _convert(tf.keras.Model(x, y), shape, tf.int8, 1)


def mnist_dw():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(2)
    shape = (28, 28, 1)
    x = tf.keras.Input(shape=shape)
    y = tf.keras.layers.DepthwiseConv2D(3, depth_multiplier=32, activation="relu")(x)
    y = tf.keras.layers.MaxPooling2D(2)(y)
    y = tf.keras.layers.Flatten()(y)
    y = tf.keras.layers.Dense(10)(y)
    return _convert(tf.keras.Model(x, y), shape, tf.float32, 2)


MODELS = {"ds_speech": ds_speech, "mnist_dw": mnist_dw}


def main(argv):
    out = argv[1] if len(argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, build in MODELS.items():
        path = os.path.join(out, name + ".tflite")
        with open(path, "wb") as f:
            f.write(build())
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
