"""Conformance entries for the shape-general fast paths of issue 15 (first layers):
DEPTHWISE_CONV_2D over one input channel with a depth multiplier > 1, which the converter
runs as a CONV_2D (passes.depthwise_as_conv), over kernels up to the speech models' 10x8,
strides and dilations."""

from conformance import Case, register


def _layers():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf.keras.layers


@register("DEPTHWISE_CONV_2D", dtypes=("int8",), seeds=8, label="one_channel")
def depthwise_one_channel(rng, dtype):  # pylint: disable=unused-argument
    kh, kw = int(rng.randint(1, 11)), int(rng.randint(1, 9))
    stride = (int(rng.randint(1, 3)), int(rng.randint(1, 3)))
    dilation = int(rng.randint(1, 3)) if stride == (1, 1) and rng.rand() < 0.3 else 1
    padding = ["same", "valid"][rng.randint(2)]
    h = int(rng.randint((kh - 1) * dilation + 1, 20))
    w = int(rng.randint((kw - 1) * dilation + 1, 20))
    multiplier = [2, 3, 4, 8, 16, 32][rng.randint(6)]
    act = [None, "relu", "relu6"][rng.randint(3)]
    shape = (1, h, w, 1)
    return Case([shape], lambda x: _layers().DepthwiseConv2D(
        (kh, kw), strides=stride, padding=padding, depth_multiplier=multiplier,
        dilation_rate=dilation, activation=act)(x),
        {"shape": shape, "kernel": (kh, kw), "stride": stride, "dilation": dilation,
         "padding": padding, "multiplier": multiplier, "activation": act})
