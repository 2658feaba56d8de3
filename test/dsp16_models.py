"""The two 16x8 models (int16 activations, int8 weights, int64 bias) of BENCHMARKS.md's
16x8 section, written as .tflite files:

    python test/dsp16_models.py OUT_DIR      # OUT_DIR/audio16.tflite, OUT_DIR/dscnn16.tflite

- audio16: test/test_int16_audio.py's 1-D conv audio model (Conv1D, DepthwiseConv1D,
  Conv1D dilated, Dense over 49 frames x 10 MFCCs);
- dscnn16: a keyword-spotting DS-CNN over the same 49 x 10 features (CONV_2D 10x4 stride
  2 -> 32, two depthwise-separable blocks, average pool, FULLY_CONNECTED -> 12).
Seeded weights and calibration data: the same files every time.
"""

import os
import sys

import numpy as np


def _convert(model, shape):
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    from opcheck import quantize_int16  # pylint: disable=import-outside-toplevel

    converter = tf.lite.TFLiteConverter.from_keras_model(model)

    def representative():
        rng = np.random.RandomState(0)
        for _ in range(32):
            yield [rng.uniform(-2.0, 2.0, size=shape).astype(np.float32)]

    quantize_int16(converter, representative)
    return converter.convert()


def audio16() -> bytes:
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(1)
    layers = tf.keras.layers
    bias = tf.keras.initializers.RandomUniform(-0.5, 0.5, seed=3)
    inp = tf.keras.Input(shape=(49, 10), batch_size=1)
    x = layers.Conv1D(16, 5, strides=2, padding="same", activation="relu", bias_initializer=bias)(inp)
    x = layers.DepthwiseConv1D(3, padding="valid", activation="relu", bias_initializer=bias)(x)
    x = layers.Conv1D(24, 3, dilation_rate=2, activation="relu6", bias_initializer=bias)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(12, bias_initializer=bias)(x)
    return _convert(tf.keras.Model(inp, x), (1, 49, 10))


def dscnn16() -> bytes:
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(2)
    layers = tf.keras.layers
    bias = tf.keras.initializers.RandomUniform(-0.5, 0.5, seed=4)
    inp = tf.keras.Input(shape=(49, 10, 1), batch_size=1)
    x = layers.Conv2D(32, (10, 4), strides=2, padding="same", activation="relu", bias_initializer=bias)(inp)
    for _ in range(2):
        x = layers.DepthwiseConv2D(3, padding="same", activation="relu", bias_initializer=bias)(x)
        x = layers.Conv2D(32, 1, activation="relu", bias_initializer=bias)(x)
    x = layers.AveragePooling2D((25, 5))(x)
    x = layers.Flatten()(x)
    x = layers.Dense(12, bias_initializer=bias)(x)
    return _convert(tf.keras.Model(inp, x), (1, 49, 10, 1))


def main(argv) -> int:
    out = argv[1] if len(argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    for name, fn in (("audio16", audio16), ("dscnn16", dscnn16)):
        path = os.path.join(out, f"{name}.tflite")
        with open(path, "wb") as f:
            f.write(fn())
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
