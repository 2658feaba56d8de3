"""Writes include/stream.h: a stream of keyword-like feature frames (keyword_data.stream),
quantized to the model's int8 input, and the class scores TensorFlow Lite Micro's
interpreter (tflite_micro, the reference) gives for every frame of it when run as the board
runs it: one frame per invoke with the SVDF state carried,
  pass A: reset, frames 0 .. N-1;
  pass B: reset, frames 0 .. M-1, reset, frames M .. N-1 (M = kResetAt),
so the stored outputs cover the state carried across invokes and reset() in the middle of
a stream. Also prints the int8 model's accuracy on held-out windows, streamed frame by
frame as on the board.

    pip install tflite-micro
    python test/make_vectors.py      (after train.py; no TensorFlow needed)
"""

import os
import sys

import numpy as np
from tflite_micro.python.tflite_micro import runtime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import keyword_data  # noqa: E402

MODEL = os.path.join(HERE, "..", "models", "keyword_svdf.tflite")
HEADER = os.path.join(HERE, "..", "include", "stream.h")
STREAM_SEED = 7


class Spotter:
    def __init__(self, model: bytes):
        self.interp = runtime.Interpreter.from_bytes(model)
        q = self.interp.get_input_details(0)["quantization_parameters"]
        self.scale, self.zero_point = float(q["scales"][0]), int(q["zero_points"][0])

    def quantize(self, frames):
        return np.clip(np.round(frames / self.scale) + self.zero_point, -128, 127).astype(np.int8)

    def reset(self):
        self.interp.reset()

    def step(self, frame):
        self.interp.set_input(frame.reshape(1, -1), 0)
        self.interp.invoke()
        return np.array(self.interp.get_output(0)).reshape(-1)


def rows(values, per_line):
    values = [str(int(v)) for v in values]
    return "\n".join("    " + ", ".join(values[i:i + per_line]) + ","
                     for i in range(0, len(values), per_line))


def accuracy(spotter, count=300):
    """The share of `count` held-out windows whose last frame's best score is the window's
    class, each window streamed frame by frame from the reset state."""
    x_test, y_test = keyword_data.windows(count, seed=3)
    correct = 0
    for x, y in zip(x_test, y_test):
        spotter.reset()
        for frame in spotter.quantize(x):
            scores = spotter.step(frame)
        correct += int(np.argmax(scores)) == y
    return correct / count


def main():
    with open(MODEL, "rb") as f:
        spotter = Spotter(f.read())
    held_out = accuracy(spotter)
    print("int8 accuracy (tflite_micro, streamed) on 300 held-out windows: %.3f" % held_out)

    frames, ends = keyword_data.stream(STREAM_SEED)
    q = spotter.quantize(frames)
    n, m = len(q), len(q) // 2
    spotter.reset()
    a = [spotter.step(f) for f in q]
    spotter.reset()
    b = [spotter.step(f) for f in q[:m]]
    spotter.reset()
    b += [spotter.step(f) for f in q[m:]]
    assert not np.array_equal(a[m], b[m]), "the state should make frame M's scores differ"
    classes = len(keyword_data.CLASSES)
    text = (
        "// Written by test/make_vectors.py: a stream of %d feature frames (keyword_data.stream,\n"
        "// seed %d) quantized to keyword_svdf.tflite's int8 input, the words in it, and the\n"
        "// class scores of tflite_micro (the reference interpreter) for every frame, one frame\n"
        "// per invoke with the state carried: pass A from reset over all frames; pass B the same\n"
        "// with a reset before frame kResetAt. Do not edit.\n"
        "#ifndef KEYWORD_STREAM_H\n#define KEYWORD_STREAM_H\n\n#include <stdint.h>\n\n"
        "static const int kNumFrames = %d;\n"
        "static const int kNumFeatures = %d;\n"
        "static const int kNumClasses = %d;\n"
        "static const int kResetAt = %d;\n"
        "static const char* const kClassNames[%d] = {%s};\n"
        "static const int kNumWords = %d;\n"
        "// (last frame, class) of each word in the stream.\n"
        "static const int16_t kWordEnds[%d][2] = {%s};\n"
        "static const int8_t kFrames[%d][%d] = {\n%s\n};\n"
        "static const int8_t kScoresA[%d][%d] = {\n%s\n};\n"
        "static const int8_t kScoresB[%d][%d] = {\n%s\n};\n\n"
        "#endif  // KEYWORD_STREAM_H\n"
    ) % (n, STREAM_SEED, n, keyword_data.FEATURES, classes, m, classes,
         ", ".join('"%s"' % c for c in keyword_data.CLASSES), len(ends), len(ends),
         ", ".join("{%d, %d}" % e for e in ends),
         n, keyword_data.FEATURES, "\n".join("  {%s}," % ", ".join(str(int(v)) for v in f) for f in q),
         n, classes, "\n".join("  {%s}," % ", ".join(str(int(v)) for v in s) for s in a),
         n, classes, "\n".join("  {%s}," % ", ".join(str(int(v)) for v in s) for s in b))
    with open(HEADER, "w") as f:
        f.write(text)
    detected = [(t, int(np.argmax(s))) for t, s in enumerate(a) if np.argmax(s)]
    print("wrote include/stream.h: %d frames, words %s; tflite_micro detects (frame, class) %s"
          % (n, ends, detected))
    return held_out


if __name__ == "__main__":
    main()
