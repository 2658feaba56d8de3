"""Writes include/heldout.h: the held-out digits (raw 0..16 pixel values, with the table
mapping each value to the model's int8 input), their labels, and the predictions of TensorFlow Lite Micro's interpreter (tflite_micro,
the reference) running models/digits_cnn.tflite on them.

    pip install tflite-micro scikit-learn
    python make_heldout.py    (after train.py; no TensorFlow needed)
"""

import os

import numpy as np
from tflite_micro.python.tflite_micro import runtime

import digits_data

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "models", "digits_cnn.tflite")
HEADER = os.path.join(HERE, "include", "heldout.h")


def quantize(x, scale, zero_point):
    return np.clip(np.round(x / scale) + zero_point, -128, 127).astype(np.int8)


def rows(values, per_line):
    values = [str(int(v)) for v in values]
    return "\n".join("    " + ", ".join(values[i:i + per_line]) + ","
                     for i in range(0, len(values), per_line))


def main():
    _, _, x_test, y_test = digits_data.load()
    with open(MODEL, "rb") as f:
        interp = runtime.Interpreter.from_bytes(f.read())
    inp = interp.get_input_details(0)
    scale, zero_point = inp["quantization_parameters"]["scales"][0], \
        inp["quantization_parameters"]["zero_points"][0]
    pixels = np.rint(x_test * 16).astype(np.uint8)  # the data set's own 0..16 values
    table = quantize(np.arange(17, dtype=np.float32) / np.float32(16.0), scale, zero_point)
    assert np.array_equal(table[pixels], quantize(x_test, scale, zero_point))
    images = table[pixels]
    predictions = []
    for image in images:
        interp.set_input(image.reshape(1, 8, 8, 1), 0)
        interp.invoke()
        predictions.append(int(np.argmax(interp.get_output(0).reshape(-1))))
    predictions = np.array(predictions)
    correct = int(np.sum(predictions == y_test))
    n = len(y_test)
    text = (
        "// Written by make_heldout.py: the %d held-out digits of scikit-learn's 8x8 set\n"
        "// (split seed %d) as 0..16 pixel values; kPixelToInput maps a value to the model's\n"
        "// int8 input (scale %.9g, zero point %d); their labels; and the class\n"
        "// TensorFlow Lite Micro predicts for each\n"
        "// with models/digits_cnn.tflite (reference accuracy %d/%d). Do not edit.\n"
        "#ifndef DIGITS_HELDOUT_H\n#define DIGITS_HELDOUT_H\n\n#include <stdint.h>\n\n"
        "static const int kNumHeldOut = %d;\n"
        "static const int kReferenceCorrect = %d;\n"
        "static const int8_t kPixelToInput[17] = {\n%s\n};\n"
        "static const uint8_t kPixels[%d][64] = {\n%s\n};\n"
        "static const uint8_t kLabels[%d] = {\n%s\n};\n"
        "static const uint8_t kReferencePredictions[%d] = {\n%s\n};\n\n"
        "#endif  // DIGITS_HELDOUT_H\n"
    ) % (n, digits_data.SPLIT_SEED, scale, zero_point, correct, n, n, correct,
         rows(table, 17), n,
         "\n".join("  {%s}," % ", ".join(str(int(v)) for v in img.reshape(-1)) for img in pixels),
         n, rows(y_test, 20), n, rows(predictions, 20))
    with open(HEADER, "w") as f:
        f.write(text)
    print("wrote include/heldout.h: %d images, tflite_micro accuracy %d/%d (%.2f%%)"
          % (n, correct, n, 100.0 * correct / n))


if __name__ == "__main__":
    main()
