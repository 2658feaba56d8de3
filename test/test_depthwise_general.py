"""Issue 15: DEPTHWISE_CONV_2D's general Arm paths (any kernel size, stride, dilation, channel
count and depth multiplier; kernels/arm/depthwise_conv2d_{dsp,mve}.cpp), bit-exact against
tflite_micro on the emulated boards, over seeded single-operator models aimed at them:

- depth multiplier 1 with channel counts that are not multiples of 4 or 8 (the overlapping
  last block), 1xN / Nx1 / 2x3 / 5x5 / 7x7 windows, strides 1-3, dilation 2, SAME padding
  edges (clipped windows, windows wholly in the padding), widths 1-2;
- depth multipliers 2, 3, 4, 5, 8 over 2-6 input channels (multipliers not a multiple of 4:
  overlapping lanes; 2 and 3: fewer lanes);
- windows of more than 64 taps (the DSP table's limit: the portable kernel) and no bias.

Each model is built by scripts/utensor/bench/singleop.py from (spec, seed), so a failure
names both; one firmware per board (scripts/utensor/bench/batch.py). Batch-1 models are
row-streamed when the planner finds it smaller (one kernel call per output row).
"""

import numpy as np
import pytest

from opcheck import have_qemu_tools
from utensor.bench import batch, singleop

SEED = 1515
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
KERNELS = [(1, 5), (5, 1), (2, 3), (3, 3), (5, 5), (7, 7), (1, 3), (3, 1), (4, 4)]


def _out(n, k, s, d, pad):
    span = (k - 1) * d + 1
    return -(-n // s) if pad == "SAME" else (n - span) // s + 1 if n >= span else 0


def _specs(rng, n):
    out = []
    while len(out) < n:
        kh, kw = KERNELS[int(rng.randint(0, len(KERNELS)))]
        s = int(rng.randint(1, 4)) if rng.rand() < 0.4 else 1
        d = 2 if rng.rand() < 0.25 else 1
        pad = "SAME" if rng.rand() < 0.6 else "VALID"
        h, w = int(rng.randint(1, 14)), int(rng.randint(1, 14))
        if rng.rand() < 0.5:
            mult = int(rng.choice([2, 3, 4, 5, 8]))
            c = int(rng.randint(2, 7))
        else:
            mult = 1
            c = int(rng.choice([4, 5, 6, 7, 9, 12, 13, 16, 20, 27]))
        if _out(h, kh, s, d, pad) < 1 or _out(w, kw, s, d, pad) < 1:
            continue
        out.append({"op": "DEPTHWISE_CONV_2D", "input": [1, h, w, c], "kernel": [kh, kw],
                    "stride": [s, s], "dilation": [d, d], "padding": pad, "multiplier": mult,
                    "activation": ACTS[int(rng.randint(0, 4))]})
    # Fixed corners: more taps than the DSP table (9x9), a tall single column, a width-1 image
    # with a wide SAME window (every window clipped), stride 2 with dilation 2.
    out += [
        {"op": "DEPTHWISE_CONV_2D", "input": [1, 11, 10, 8], "kernel": [9, 9], "stride": [1, 1],
         "dilation": [1, 1], "padding": "SAME", "multiplier": 1, "activation": "RELU6"},
        {"op": "DEPTHWISE_CONV_2D", "input": [1, 12, 1, 6], "kernel": [5, 1], "stride": [1, 1],
         "dilation": [1, 1], "padding": "SAME", "multiplier": 2, "activation": "NONE"},
        {"op": "DEPTHWISE_CONV_2D", "input": [1, 6, 1, 12], "kernel": [3, 7], "stride": [1, 1],
         "dilation": [1, 1], "padding": "SAME", "multiplier": 1, "activation": "NONE"},
        {"op": "DEPTHWISE_CONV_2D", "input": [1, 13, 13, 5], "kernel": [3, 3], "stride": [2, 2],
         "dilation": [2, 2], "padding": "SAME", "multiplier": 1, "activation": "RELU"},
        {"op": "DEPTHWISE_CONV_2D", "input": [1, 9, 9, 3], "kernel": [3, 3], "stride": [1, 1],
         "dilation": [1, 1], "padding": "SAME", "multiplier": 8, "activation": "RELU6"},
    ]
    return out


def _models():
    rng = np.random.RandomState(SEED)
    models = []
    for i, spec in enumerate(_specs(rng, 45)):
        seed = SEED * 1000 + i
        models.append((f"dwgen_{i}", singleop.build(spec, seed), seed, spec))
    return models


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
# M4 (DSP), M33 (DSP, Armv8-M) and M55 (Helium).
@pytest.mark.parametrize("board", ["mps2_an386", "mps2_an505", "mps3_an547"])
def test_depthwise_general_bit_exact_on_board(board):
    models = _models()
    results = batch.run_batch([m[:3] for m in models], board, tag="dwgen", jobs=1)
    failures = [f"{singleop.describe(m[3])} (model seed {m[2]}): {p}"
                for m, r in zip(models, results) for p in r.problems]
    assert not failures, f"{len(failures)} of {len(models)} models on {board}:\n" + "\n".join(failures)
