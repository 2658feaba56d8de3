"""The emitter refuses what the generated C++ could not represent."""

import pytest

from utensor import convert
from utensor.errors import UnsupportedError
from utensor.ir import Graph, Operator, Tensor


def test_model_inputs_above_rank_4_are_refused_with_the_limit():
    x = Tensor(0, "x5d", "float32", (1, 2, 2, 2, 2))
    y = Tensor(1, "y", "float32", (1, 2, 2, 2, 2))
    g = Graph("rank5", [x, y], [Operator(0, "RELU", [0], [1])], [0], [1], source_path="rank5.tflite")
    with pytest.raises(UnsupportedError, match=r"rank5.tflite: model input 'x5d' has rank 5 .* up to 4 dimensions"):
        convert.convert_graph(g)
