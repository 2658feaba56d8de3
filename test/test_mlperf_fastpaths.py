"""Issue 15 (MLPerf step): the kernel paths this branch added, bit-exact against tflite_micro
on the emulated boards, over seeded single-operator models aimed at them (the general
campaign, test_fastpath_campaign.py, reaches them only now and then):

- DSP DEPTHWISE_CONV_2D 3x3 (depth multiplier 1, C % 4 == 0): whole, edge and clipped
  windows; heights 1-8 (rows clipped on both sides), widths 1-9, strides 1-2, SAME and
  VALID, every activation;
- DSP CONV_2D GEMM im2col: windows whose rows are runs of quads, input depths 4-40;
- Helium FULLY_CONNECTED: the assembly group loop over any depth (whole vectors and the
  predicated tail, depths under 16 included), with and without bias, output counts around
  multiples of 4, batches > 1.

Each model is built by scripts/utensor/bench/singleop.py from (spec, seed), so a failure
names both; one firmware per board (scripts/utensor/bench/batch.py).
"""

import numpy as np
import pytest

from opcheck import have_qemu_tools
from utensor.bench import batch, singleop

SEED = 15
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


def _depthwise_specs(rng, n):
    out = []
    for _ in range(n):
        h = int(rng.randint(1, 9)) if rng.rand() < 0.6 else int(rng.randint(1, 5))
        w = int(rng.choice([1, 2, 3, 4, 5, 6, 7, 9]))
        s = int(rng.randint(1, 3))
        pad = "SAME" if rng.rand() < 0.8 else "VALID"
        if pad == "VALID" and (h < 3 or w < 3):
            pad = "SAME"
        c = int(rng.choice([4, 8, 12, 16, 32]))
        out.append({"op": "DEPTHWISE_CONV_2D", "input": [1, h, w, c], "kernel": [3, 3],
                    "stride": [s, s], "dilation": [1, 1], "padding": pad, "multiplier": 1,
                    "activation": ACTS[int(rng.randint(0, 4))]})
    return out


def _conv_specs(rng, n):
    out = []
    for _ in range(n):
        c = int(rng.choice([4, 8, 12, 16, 20, 28, 40]))
        k = int(rng.choice([1, 3, 5]))
        h, w = int(rng.randint(k, 10)), int(rng.randint(k, 10))
        s = int(rng.randint(1, 3))
        out.append({"op": "CONV_2D", "input": [1, h, w, c], "kernel": [k, k], "stride": [s, s],
                    "dilation": [1, 1], "padding": "SAME" if rng.rand() < 0.5 else "VALID",
                    "out_ch": int(rng.randint(1, 24)), "activation": ACTS[int(rng.randint(0, 4))]})
    return out


def _fc_specs(rng, n):
    out = []
    for _ in range(n):
        depth = 16 * int(rng.randint(1, 41)) if rng.rand() < 0.6 else int(rng.randint(1, 300))
        units = int(rng.choice([4, 5, 7, 8, 12, 16, 33, 64]))
        batch_n = int(rng.randint(1, 4)) if rng.rand() < 0.3 else 1
        out.append({"op": "FULLY_CONNECTED", "input": [batch_n, depth], "units": units,
                    "bias": bool(rng.rand() < 0.8), "activation": ACTS[int(rng.randint(0, 3))]})
    return out


def _models():
    rng = np.random.RandomState(SEED)
    specs = _depthwise_specs(rng, 40) + _conv_specs(rng, 24) + _fc_specs(rng, 24)
    models = []
    for i, spec in enumerate(specs):
        seed = SEED * 1000 + i
        models.append((f"mlperf_{i}", singleop.build(spec, seed), seed, spec))
    return models


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
# M4 (DSP) and M55 (Helium). The M7 runs the M4's DSP kernels built for its core; the
# fast-path campaign checks them there (test_fastpath_campaign.py), which keeps CI in budget.
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_mlperf_paths_bit_exact_on_board(board):
    models = _models()
    results = batch.run_batch([m[:3] for m in models], board, tag="mlperf-paths", jobs=1)
    failures = [f"{singleop.describe(m[3])} (model seed {m[2]}): {p}"
                for m, r in zip(models, results) for p in r.problems]
    assert not failures, f"{len(failures)} of {len(models)} models on {board}:\n" + "\n".join(failures)
