"""Trains the hello_world model: y = sin(x) on [0, 2*pi], a 1-16-16-1 MLP.

Writes models/sine_float.tflite (float32), models/sine_int8.tflite (full-integer int8
with int8 input and output) and models/sample_input.npy (one int8 input for the demo).
Seeded: rerunning it on the same TensorFlow version gives the same files.
Run: python train.py   (needs tensorflow; about 20 s on a laptop CPU)
"""

import os

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "models")
SEED = 1234


def train():
    tf.keras.utils.set_random_seed(SEED)
    rng = np.random.RandomState(SEED)
    x = rng.uniform(0.0, 2 * np.pi, size=(2000, 1)).astype(np.float32)
    y = (np.sin(x) + 0.05 * rng.randn(*x.shape)).astype(np.float32)
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(1,), batch_size=1, name="x"),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(16, activation="relu"),
            tf.keras.layers.Dense(1, name="y"),
        ]
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss="mse")
    model.fit(x, y, epochs=60, batch_size=64, verbose=0)
    return model, x


def convert(model, x, int8):
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        def representative():
            for v in x[:300]:
                yield [v.reshape(1, 1)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def main():
    os.makedirs(OUT, exist_ok=True)
    model, x = train()
    for name, int8 in (("sine_float.tflite", False), ("sine_int8.tflite", True)):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(convert(model, x, int8))
    # One demo input: x = pi/2 quantized with the int8 model's input parameters.
    interp = tf.lite.Interpreter(model_path=os.path.join(OUT, "sine_int8.tflite"))
    scale, zero_point = interp.get_input_details()[0]["quantization"]
    q = np.clip(np.round(np.pi / 2 / scale) + zero_point, -128, 127).astype(np.int8).reshape(1, 1)
    np.save(os.path.join(OUT, "sample_input.npy"), q)
    print("mse on the training set:", float(np.mean((model.predict(x, verbose=0) - np.sin(x)) ** 2)))


if __name__ == "__main__":
    main()
