"""Makes the example's model and its test vectors.

models/dense_atan.tflite: y = atan(x W1 + b1) W2 + b2, float32, 4 -> 16 -> 3. TensorFlow
Lite has no builtin ATAN, so the converter (with allow_custom_ops) exports tf.math.atan as
the custom operator `Atan`, which neither TFLite Micro nor utensor implements: the project
implements it in src/my_op.cpp and names it in platformio.ini (custom_utensor_user_ops).

test/test_atan/vectors.h: seeded inputs and the reference outputs computed here in numpy
(float64, then rounded to float32), checked against TensorFlow running the same function.

    python make_model.py      (needs tensorflow; seeded: reruns give the same files)
"""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 1234
NUM_VECTORS = 32


def weights():
    rng = np.random.RandomState(SEED)
    w1 = rng.normal(0, 0.8, (4, 16)).astype(np.float32)
    b1 = rng.normal(0, 0.3, 16).astype(np.float32)
    w2 = rng.normal(0, 0.5, (16, 3)).astype(np.float32)
    b2 = rng.normal(0, 0.1, 3).astype(np.float32)
    return w1, b1, w2, b2


def reference(x, w1, b1, w2, b2):
    """The model in numpy, float64 throughout: what the device must reproduce."""
    h = np.arctan(x.astype(np.float64) @ w1 + b1)
    return (h @ w2 + b2).astype(np.float32)


def make_tflite(w1, b1, w2, b2):
    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x")])
    def model(x):
        return tf.matmul(tf.math.atan(tf.matmul(x, w1) + b1), w2) + b2

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [model.get_concrete_function()], model)
    converter.allow_custom_ops = True  # tf.math.atan -> custom op "Atan"
    return converter.convert(), model


def c_floats(values):
    return ",\n".join("    " + ", ".join("%.9gf" % v for v in row) for row in values)


def main():
    w1, b1, w2, b2 = weights()
    tflite, tf_model = make_tflite(w1, b1, w2, b2)
    with open(os.path.join(HERE, "models", "dense_atan.tflite"), "wb") as f:
        f.write(tflite)

    x = np.random.RandomState(SEED + 1).uniform(-2, 2, (NUM_VECTORS, 4)).astype(np.float32)
    y = np.stack([reference(x[i:i + 1], w1, b1, w2, b2)[0] for i in range(NUM_VECTORS)])
    y_tf = np.stack([tf_model(x[i:i + 1]).numpy()[0] for i in range(NUM_VECTORS)])
    assert np.allclose(y, y_tf, rtol=1e-5, atol=1e-6), "numpy and TensorFlow disagree"

    text = (
        "// Written by make_model.py (seed %d): inputs and the reference outputs of\n"
        "// models/dense_atan.tflite computed in numpy. Do not edit.\n"
        "#ifndef DENSE_ATAN_VECTORS_H\n#define DENSE_ATAN_VECTORS_H\n\n"
        "static const int kNumVectors = %d;\n"
        "static const float kInputs[%d][4] = {\n%s\n};\n"
        "static const float kExpected[%d][3] = {\n%s\n};\n\n"
        "#endif  // DENSE_ATAN_VECTORS_H\n"
    ) % (SEED, NUM_VECTORS, NUM_VECTORS, c_floats(x), NUM_VECTORS, c_floats(y))
    with open(os.path.join(HERE, "test", "test_atan", "vectors.h"), "w") as f:
        f.write(text)
    print("wrote models/dense_atan.tflite (%d bytes) and test/test_atan/vectors.h" % len(tflite))


if __name__ == "__main__":
    main()
