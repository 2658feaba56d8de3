"""The operator matrix of `utensor ops` and the README's copy of it agree."""

import os
import re

from conftest import REPO
from utensor import cmd_ops, ops


def test_readme_matrix_is_the_commands_output():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    m = re.search(r"<!-- utensor ops --markdown: begin -->\n(.*?)\n<!-- utensor ops --markdown: end -->", readme, re.S)
    assert m, "README.md lacks the operator matrix markers"
    assert m.group(1) == cmd_ops.markdown(), (
        "README.md's operator matrix is stale: replace it with `utensor ops --markdown`"
    )


def test_matrix_lists_every_registered_operator_with_its_kernels():
    rows = {op: (dt, impl) for op, dt, impl in cmd_ops.matrix()}
    assert set(rows) == set(ops.supported_ops())
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "ADD", "AVERAGE_POOL_2D"):
        assert "int8" in rows[op][0] and "float32" in rows[op][0]
        assert rows[op][1].startswith("reference")
    assert rows["RESHAPE"][1].startswith("view")
    assert "DSP" in rows["FULLY_CONNECTED"][1]
    # variants are per kernel function, not per header: ADD has them, MUL and SUB (same
    # headers) do not
    for op in ("ADD", "AVERAGE_POOL_2D", "MAX_POOL_2D"):
        assert rows[op][1] == "reference + DSP (int8) + Helium (int8)", op
    # the 16x8 weighted kernels (runtime/src/kernels/arm/s16_weighted_*.cpp)
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        assert rows[op][1] == "reference + DSP (int8, int16) + Helium (int8, int16)", op
    for op in ("MUL", "SUB", "SOFTMAX"):
        assert rows[op][1] == "reference", op


def test_every_tflm_builtin_is_supported_or_its_refusal_explained():
    from utensor import tflm_oplist, tflm_ops

    tflm = set(tflm_oplist.BUILTIN)
    ours = set(ops.supported_ops())
    assert len(tflm) >= 90, "TFLM's builtin list looks truncated"
    unexplained = sorted(tflm - ours - set(tflm_ops.REFUSED) - set(tflm_ops.HANDLED_WHEN_READING))
    assert not unexplained, f"TFLM builtins neither supported nor in tflm_ops.REFUSED: {unexplained}"
    stale = sorted(set(tflm_ops.REFUSED) & (ours | set(tflm_ops.HANDLED_WHEN_READING)))
    assert not stale, f"tflm_ops.REFUSED explains operators we now support: remove {stale}"
    assert set(tflm_ops.REFUSED) <= tflm, sorted(set(tflm_ops.REFUSED) - tflm)
    rows = {r[0]: r for r in cmd_ops.versus_tflm()}
    assert rows["TRANSPOSE_CONV"][3].startswith("refused: ") or "TRANSPOSE_CONV" in ours
    assert rows["CONV_2D"][1] == "yes" and rows["CONV_2D"][2]
    assert rows["CUSTOM:TFLite_Detection_PostProcess"][1] == "custom"


def test_tflm_list_is_read_off_the_oracle_wheel():
    """tflm_oplist.py is what `python -m utensor.tflm_ops --write` extracts from the
    installed tflite_micro: the stored list and the wheel agree, and a changed list is seen."""
    import pytest

    pytest.importorskip("tflite_micro")
    from utensor import tflm_ops

    provenance, builtin, other = tflm_ops.extract()
    from utensor import tflm_oplist

    assert provenance == tflm_oplist.PROVENANCE and tuple(builtin) == tflm_oplist.BUILTIN
    assert tuple(other) == tflm_oplist.OTHER and "DETECTION_POSTPROCESS" in other
    assert tflm_ops.main(["--check"]) == 0
    assert tflm_ops.render(provenance, builtin[1:], other) != tflm_ops.render(provenance, builtin, other)
