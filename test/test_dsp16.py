"""The 16x8 weighted operators (int16 activations, int8 weights) beyond the Keras-built
conformance entries: the fast-path campaign's int16 draws (scripts/utensor/bench/campaign.py
families conv16, depthwise16, fc16: int64, int32 or no bias, full-scale weights whose sums
leave int32) run on the host's portable kernels under ASan/UBSan against tflite_micro, and
the converter's int32-accumulation proof (ops/_s16.py acc32_proven) at its boundary.
The DSP (M4/M7/M33) and Helium (M55) variants run the same draws on the emulated boards
in test/test_fastpath_campaign.py.
"""

import os
import shutil
import tempfile

import numpy as np
import pytest

from opcheck import compare, random_input
from utensor.bench import batch, campaign, singleop
from utensor.ir import Quantization, Tensor
from utensor.ops import _s16

FAMILIES = ("conv16", "depthwise16", "fc16")
COUNT = int(os.environ.get("UTENSOR_DSP16_HOST_COUNT", "8"))


def test_int16_draws_bit_exact_on_host():
    from utensor.hostbuild import HostBatch
    from utensor.reference import Reference

    models = [m for fam in FAMILIES for m in campaign.models_for(fam, 0, range(COUNT))]
    kinds = {(m[3].get("bias", "int64") if m[3]["op"] == "CONV_2D" else "int64", bool(m[3].get("wide")))
             for m in models}
    # the draws cover the three bias forms and the sums beyond int32
    assert {"none", "int32", "int64"} <= {k[0] for k in kinds} and any(k[1] for k in kinds), kinds
    work = tempfile.mkdtemp(prefix="utensor-dsp16-")
    try:
        paths = []
        for name, tfl, _, _, _ in models:
            paths.append(os.path.join(work, f"{name}.tflite"))
            with open(paths[-1], "wb") as f:
                f.write(tfl)
        host = HostBatch(paths, work_dir=work, sanitize=True)
        problems = []
        for k, (name, tfl, seed, spec, index) in enumerate(models):
            graph = host.conversions[k].graph
            rng = np.random.RandomState(seed)
            inputs = [[random_input(graph.tensor(i), rng) for i in graph.inputs] for _ in range(2)]
            ref = Reference(tfl)
            for s, sample in enumerate(inputs):
                for j, (a, r) in enumerate(zip(host.run(k, [sample])[0], ref.invoke(sample))):
                    problems += [f"{name} ({singleop.describe(spec)}): {line}"
                                 for line in compare(a, r, f"sample {s} output {j}")[:3]]
        assert not problems, "\n".join(problems[:40])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _weights(data, axis=0):
    data = np.asarray(data, np.int8)
    n = data.shape[axis]
    return Tensor(0, "w", "int8", data.shape, Quantization([1.0] * n, [0] * n, axis), data)


@pytest.mark.parametrize("axis", [0, 3])
def test_acc32_proof_is_the_int32_bound(axis):
    """32768 * sum |w| of the worst output must stay within int32: 65535 at |w| = 127 and
    one 1 more fits exactly (32768 * 65535 < 2^31), one more does not."""
    n = 65535 // 127  # 516 weights of 127 -> 65532
    for extra, ok in ((3, 1), (4, 0)):
        row = np.full(n + 1, 0, np.int64)
        row[:n] = 127
        row[n] = extra
        if axis == 0:
            w = np.stack([row, -row // 2]).reshape(2, 1, 1, n + 1)
        else:
            w = np.stack([row, -row // 2], axis=-1).reshape(1, 1, n + 1, 2)
        assert _s16.acc32_proven(_weights(w, axis), axis, n + 1) == ok, (extra, ok)
    # runtime weights: the bound of the worst int8 values, by the number of products
    runtime = Tensor(0, "w", "int8", (4, 600), None, None)
    assert _s16.acc32_proven(runtime, 0, 511) == 1
    assert _s16.acc32_proven(runtime, 0, 513) == 0


def test_int16_campaign_draws_name_their_family():
    for fam in FAMILIES:
        for i in range(10):
            spec = campaign.draw(fam, 3, i)
            assert spec["dtype"] == "int16" and singleop.family(spec) == fam
            assert "[int16]" in singleop.describe(spec)
    # the int8 families are unchanged by the int16 ones (same draws, same bytes)
    spec = campaign.draw("conv", 0, 0)
    assert "dtype" not in spec and singleop.family(spec) == "conv"
    assert batch.convert_bytes("m", singleop.build(spec, campaign.draw_seed("conv", 0, 0)))
