"""Writes test_sine/vectors.h: every int8 input of models/sine_int8.tflite and the output
TensorFlow Lite Micro's interpreter (tflite_micro, the reference) gives for it.

Run after retraining: python test/make_vectors.py
"""

import os

import numpy as np
from tflite_micro.python.tflite_micro import runtime

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "models", "sine_int8.tflite")


def main():
    with open(MODEL, "rb") as f:
        interp = runtime.Interpreter.from_bytes(f.read())
    inputs = np.arange(-128, 128, dtype=np.int8)
    outputs = []
    for x in inputs:
        interp.set_input(x.reshape(1, 1), 0)
        interp.invoke()
        outputs.append(int(interp.get_output(0).reshape(-1)[0]))
    rows = lambda vals: "\n".join("    " + ", ".join(str(v) for v in vals[i:i + 16]) + "," for i in range(0, len(vals), 16))
    text = (
        "// Written by test/make_vectors.py: every int8 input of sine_int8.tflite and the\n"
        "// output of tflite_micro (the reference interpreter) for it. Do not edit.\n"
        "#ifndef SINE_VECTORS_H\n#define SINE_VECTORS_H\n\n#include <stdint.h>\n\n"
        f"static const int kNumVectors = {len(inputs)};\n"
        f"static const int8_t kInputs[{len(inputs)}] = {{\n{rows([int(v) for v in inputs])}\n}};\n"
        f"static const int8_t kExpected[{len(inputs)}] = {{\n{rows(outputs)}\n}};\n\n"
        "#endif  // SINE_VECTORS_H\n"
    )
    with open(os.path.join(HERE, "test_sine", "vectors.h"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
