"""Trains the digits CNN and writes models/digits_cnn.tflite (int8, int8 input/output).

    pip install tensorflow-cpu scikit-learn
    python train.py          # about a minute on a laptop CPU; then python make_heldout.py

Conv(8) - MaxPool - Conv(16) - MaxPool - Dense(10) - Softmax on scikit-learn's 8x8 digits,
quantized to full int8 by TensorFlow's TFLite converter with the training images as
representative data. Seeded; TensorFlow's CPU training is not bit-reproducible across
machines, so the checked-in .tflite is the reference, not a rerun.
"""

import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import digits_data  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "models", "digits_cnn.tflite")


def build():
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(10),
        keras.layers.Softmax(),
    ])


def main():
    keras.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = digits_data.load()
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=30, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("float accuracy on the held-out set: %.4f" % accuracy)

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x_train[i:i + 1]] for i in range(len(x_train)))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    tflite = converter.convert()
    with open(OUT, "wb") as f:
        f.write(tflite)
    print("wrote %s (%d bytes)" % (os.path.relpath(OUT, HERE), len(tflite)))


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
