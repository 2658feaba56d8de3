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
    for op in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "AVERAGE_POOL_2D",
               "MAX_POOL_2D"):
        assert rows[op][1] == "reference + DSP (int8) + Helium (int8)", op
    for op in ("MUL", "SUB", "SOFTMAX"):
        assert rows[op][1] == "reference", op
