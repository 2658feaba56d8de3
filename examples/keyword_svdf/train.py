"""Trains the streaming keyword spotter and writes models/keyword_svdf.tflite (int8 SVDF).

    pip install tensorflow-cpu tflite-micro
    python train.py          # about half a minute on a laptop CPU; then python test/make_vectors.py

The network is three SVDF layers (singular value decomposition filters, the streaming
layer of Google's keyword-spotting models): each one projects a frame onto its filters
(the feature filter, a Dense without bias), keeps the last `memory` projections of every
filter in its state and weighs them with the filter's time filter, sums the `rank`
filters of each unit and adds a bias. Keras has no SVDF layer, and TensorFlow's converter
only makes SVDF from a legacy TF1 graph pattern, so training uses `SvdfTrain` below: the
same computation over a window of frames at once (a feature Dense, then a depthwise
valid convolution over time with the time filters), whose trained weights are exactly an
SVDF's. The int8 flatbuffer is then written by utensor's test/svdf_models.py (the route
the stateful tests take: int8 input/feature weights/output, int16 time weights and state,
int32 bias), with every scale calibrated on the training windows. Run from a utensor
checkout (it imports test/svdf_models.py; set UTENSOR_DIR elsewhere).

On the board the model sees one frame per invoke() and carries the rest in its state: the
window is never stored. The ReLUs between the layers come from the int8 output ranges
(zero point -128 at real 0: TFLM's integer SVDF applies no activation function, its clamp
to the int8 range does the ReLU's work; the layers still declare RELU as the float model has
it, which TFLM's integer kernel and utensor both ignore).

Seeded; TensorFlow's CPU training is not bit-reproducible across machines, so the
checked-in .tflite is the reference, not a rerun.
"""

import os
import sys
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

import keyword_data  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "models", "keyword_svdf.tflite")
sys.path.insert(0, os.path.join(os.environ.get("UTENSOR_DIR", os.path.join(HERE, "..", "..")), "test"))
from svdf_models import SvdfLayer, build_svdf_model  # noqa: E402

# (units, rank, memory, relu): 16 features -> 32 -> 16 -> the 4 class scores.
LAYERS = [(32, 1, 8, True), (16, 2, 8, True), (len(keyword_data.CLASSES), 1, 1, False)]


class SvdfTrain(keras.layers.Layer):
    """An SVDF layer over a window [batch, frames, features] -> [batch, frames - memory + 1,
    units]: output t sees frames t .. t + memory - 1 as the streaming SVDF does when frame
    t + memory - 1 is the newest."""

    def __init__(self, units, rank, memory, relu, **kw):
        super().__init__(**kw)
        self.units, self.rank, self.memory, self.relu = units, rank, memory, relu

    def build(self, input_shape):
        filters = self.units * self.rank
        self.feature = self.add_weight(shape=(input_shape[-1], filters), name="feature")
        self.time = self.add_weight(shape=(self.memory, filters), name="time",
                                    initializer=keras.initializers.RandomUniform(-0.5, 0.5))
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer="zeros")

    def call(self, x):
        ops = keras.ops
        f = ops.matmul(x, self.feature)  # [batch, frames, filters]
        steps = x.shape[1] - self.memory + 1
        y = sum(f[:, m:m + steps, :] * self.time[m] for m in range(self.memory))
        y = ops.sum(ops.reshape(y, (-1, steps, self.units, self.rank)), axis=-1) + self.bias
        return ops.relu(y) if self.relu else y

    def features(self, x):
        """The values the state holds (the feature projections), for calibration."""
        return keras.ops.matmul(x, self.feature)

    def svdf(self, **ranges):
        """This layer as the flatbuffer writer's SvdfLayer: TFLite's weights_time is
        [filters, memory] with the newest frame last, as here."""
        return SvdfLayer(num_units=self.units, rank=self.rank, memory_size=self.memory,
                         activation="RELU" if self.relu else "NONE",
                         weights_feature=np.asarray(self.feature).T,
                         weights_time=np.asarray(self.time).T,
                         bias_values=np.asarray(self.bias), **ranges)


def build():
    layers = [SvdfTrain(*spec, name=f"svdf{k}") for k, spec in enumerate(LAYERS)]
    x = inp = keras.Input((keyword_data.WINDOW, keyword_data.FEATURES))
    for layer in layers:
        x = layer(x)
    return keras.Model(inp, keras.layers.Flatten()(x)), layers


def to_tflite(layers, x_cal, int8=True):
    """The trained layers as an SVDF flatbuffer; int8 scales from the calibration windows."""
    svdfs, x = [], x_cal
    for layer in layers:
        ranges = {}
        if int8:
            f = np.asarray(layer.features(x))
            y = np.asarray(layer(x))
            # TFLM sums state x time weight products of a filter's whole memory in int32
            # (both int16, the weights at full scale): the state keeps the headroom that
            # makes the sum fit instead of wrapping around.
            headroom = 32767 / min(32767, 0.9 * 2 ** 31 / (32767 * layer.memory))
            ranges = dict(state_max=float(np.abs(f).max()) * headroom,
                          output_range=(float(y.min()), float(y.max())))
        svdfs.append(layer.svdf(**ranges))
        x = np.asarray(layer(x))
    return build_svdf_model(keyword_data.FEATURES, svdfs, "int8" if int8 else "float32", seed=0,
                            input_range=(0.0, 1.0),
                            description="utensor example keyword_svdf: streaming keyword spotter")


def main(out=OUT):
    """Trains, writes the int8 model to `out`; returns (float accuracy, seconds)."""
    start = time.time()
    keras.utils.set_random_seed(0)
    x_train, y_train = keyword_data.windows(6000, seed=1)
    x_test, y_test = keyword_data.windows(1000, seed=2)
    model, layers = build()
    model.compile(optimizer=keras.optimizers.Adam(0.005),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=15, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print("float accuracy on held-out windows: %.4f" % accuracy)

    tflite = to_tflite(layers, x_train[:2000])
    with open(out, "wb") as f:
        f.write(tflite)
    seconds = time.time() - start
    print("wrote %s (%d bytes) in %.0f s" % (out, len(tflite), seconds))
    return accuracy, seconds


if __name__ == "__main__":
    main()
