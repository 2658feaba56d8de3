"""Every operator registered with the conformance generator (test/conformance_ops.py),
for each of its dtypes, over seeded random draws of shapes and options, against
tflite_micro on the host under ASan/UBSan: int8 bit-exact, float32 within 1e-5.

UTENSOR_CONFORMANCE_SEED=N shifts every draw's seed (CI runs N=0; any other N is a new
campaign). A failure names the draw and the one command that reproduces it.
"""

import os

import pytest

pytest.importorskip("tensorflow")

import conformance  # noqa: E402
import conformance_ops  # noqa: E402,F401  (registers the operators)

BASE_SEED = int(os.environ.get("UTENSOR_CONFORMANCE_SEED", "0"))
CASES = [(key, dtype) for key, spec in sorted(conformance.SPECS.items()) for dtype in spec.dtypes]


@pytest.mark.parametrize("key,dtype", CASES, ids=[f"{k}-{d}" for k, d in CASES])
def test_operator_matches_tflite_micro(key, dtype):
    spec = conformance.SPECS[key]
    seeds = [BASE_SEED * 1000 + k for k in range(spec.seeds)]
    draws = [conformance.draw(key, dtype, seed) for seed in seeds]
    problems = conformance.check_draws(draws)
    assert not problems, "\n".join(problems[:40])


def test_every_supported_operator_with_a_kernel_is_registered():
    """A new operator registers its option space: utensor's operators with a kernel of
    their own all have an entry (views, QUANTIZE/DEQUANTIZE, hybrid and the PADV2 form
    are covered by their own tests)."""
    from utensor import ops

    covered_elsewhere = {"RESHAPE", "SQUEEZE", "EXPAND_DIMS", "QUANTIZE", "DEQUANTIZE", "PADV2",
                         "CUSTOM:TFLite_Detection_PostProcess"}  # test_detection_postprocess.py
    # Keras' static shapes let TensorFlow fold these away, and TensorFlow writes no
    # EMBEDDING_LOOKUP: test/test_ops_data.py builds them.
    covered_elsewhere |= {"SHAPE", "BROADCAST_ARGS", "ZEROS_LIKE", "EMBEDDING_LOOKUP"}
    # Stateful operators run over sequences with reset() (test_stateful.py); IF and WHILE
    # are subgraphs the reader inlines (test_control_flow.py).
    covered_elsewhere |= {"SVDF", "UNIDIRECTIONAL_SEQUENCE_LSTM", "READ_VARIABLE", "ASSIGN_VARIABLE",
                          "CALL_ONCE", "IF", "WHILE"}
    registered = {spec.op for spec in conformance.SPECS.values()}
    missing = sorted(set(ops.supported_ops()) - registered - covered_elsewhere)
    assert not missing, f"operators without a conformance entry: {missing}"


def test_a_wrong_kernel_is_caught(monkeypatch):
    """The generator can fail: a draw whose reference is perturbed by one unit differs."""
    from utensor.reference import Reference

    d = conformance.draw("ADD", "int8", 0)
    real = Reference.invoke

    def off_by_one(self, inputs):
        return [(o.astype("int16") + 1).clip(-128, 127).astype(o.dtype) for o in real(self, inputs)]

    monkeypatch.setattr(Reference, "invoke", off_by_one)
    problems = conformance.check_draws([d], samples=1)
    assert problems and "ADD int8 seed 0" in problems[0] and "reproduce: python test/conformance.py ADD int8 0" in problems[0]
