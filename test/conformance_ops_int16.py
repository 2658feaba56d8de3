"""int16-only conformance entries (TFLite's 16x8 quantization: int16 activations, int8
weights, int64 bias), beside the shared entries of test/conformance_ops.py whose dtypes
include "int16".

Keras initializes biases to zero and TensorFlow's converter then drops them, so the shared
weighted entries never reach the int64 bias; these draw random biases.
"""

from conformance import Case, random_shape, register
from conformance_ops import _activation, _layers, _spatial


def _bias_init(rng):
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf.keras.initializers.RandomUniform(-1.0, 1.0, seed=int(rng.randint(1 << 30)))


@register("FULLY_CONNECTED", dtypes=("int16",), seeds=4, label="bias")
def fully_connected_bias(rng, dtype):  # pylint: disable=unused-argument
    shape = (int(rng.randint(1, 4)), int(rng.randint(1, 65)))
    units = int(rng.randint(1, 40))
    act = _activation(rng)
    init = _bias_init(rng)
    return Case([shape], lambda x: _layers().Dense(units, activation=act, bias_initializer=init)(x),
                {"shape": shape, "units": units, "activation": act})


@register("CONV_2D", dtypes=("int16",), seeds=4, label="bias")
def conv2d_bias(rng, dtype):  # pylint: disable=unused-argument
    kernel, stride, dilation, padding, h, w = _spatial(rng)
    cin, cout = int(rng.randint(1, 17)), int(rng.randint(1, 17))
    act = _activation(rng)
    init = _bias_init(rng)
    shape = (1, h, w, cin)
    return Case([shape], lambda x: _layers().Conv2D(cout, kernel, strides=stride, padding=padding,
                                                    dilation_rate=dilation, activation=act,
                                                    bias_initializer=init)(x),
                {"shape": shape, "filters": cout, "kernel": kernel, "stride": stride,
                 "dilation": dilation, "padding": padding, "activation": act})


@register("DEPTHWISE_CONV_2D", dtypes=("int16",), seeds=4, label="bias")
def depthwise_conv2d_bias(rng, dtype):  # pylint: disable=unused-argument
    kernel, stride, dilation, padding, h, w = _spatial(rng)
    cin = int(rng.randint(1, 17))
    multiplier = [1, 1, 2, 4][rng.randint(4)]
    act = _activation(rng)
    init = _bias_init(rng)
    shape = (1, h, w, cin)
    return Case([shape], lambda x: _layers().DepthwiseConv2D(kernel, strides=stride, padding=padding,
                                                             depth_multiplier=multiplier,
                                                             dilation_rate=dilation, activation=act,
                                                             bias_initializer=init)(x),
                {"shape": shape, "kernel": kernel, "stride": stride, "dilation": dilation,
                 "padding": padding, "multiplier": multiplier, "activation": act})
