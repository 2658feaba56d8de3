"""Option spaces of TRANSPOSE_CONV (test/conformance.py): Keras Conv2DTranspose over random
shapes, kernel sizes, strides (1..3 in each direction, independently), paddings, output
paddings and with or without a bias. The bias is drawn at random (Keras initializes it to
zeros, which the converter would drop); TensorFlow's converter never fuses an activation
into TRANSPOSE_CONV, so fused activations are checked on patched files in
test/test_transpose_conv_models.py."""

from conformance import Case, register


@register("TRANSPOSE_CONV", dtypes=("int8", "float32", "int16"), seeds=8)
def transpose_conv(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    kernel = (int(rng.randint(1, 6)), int(rng.randint(1, 6)))
    stride = (int(rng.randint(1, 4)), int(rng.randint(1, 4)))
    padding = ["same", "valid"][rng.randint(2)]
    # Keras allows an output padding below the stride; it only changes the output size.
    output_padding = None
    if rng.rand() < 0.3:
        output_padding = tuple(int(rng.randint(0, s)) for s in stride)
    shape = (1, int(rng.randint(1, 9)), int(rng.randint(1, 9)), int(rng.randint(1, 13)))
    filters = int(rng.randint(1, 13))
    bias = bool(rng.rand() < 0.75)
    options = {"shape": shape, "filters": filters, "kernel": kernel, "stride": stride,
               "padding": padding, "output_padding": output_padding, "bias": bias}

    def build(x):
        return tf.keras.layers.Conv2DTranspose(
            filters, kernel, strides=stride, padding=padding, output_padding=output_padding,
            use_bias=bias, bias_initializer=tf.keras.initializers.RandomNormal(stddev=0.5))(x)
    return Case([shape], build, options)
