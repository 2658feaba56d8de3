"""The graph IR every stage of the converter shares.

A `Graph` is what the readers produce and what passes, the memory planner and the emitter
consume: tensors (dtype, shape, quantization, constant data) and operators in a valid
execution order. It mirrors TFLite's model closely on purpose, so that int8 semantics carry
over unchanged; it holds a single subgraph (TFLite subgraph 0).
"""

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

# IR dtype name -> (numpy dtype, C++ element type, runtime DType enumerator).
DTYPES = {
    "float32": (np.float32, "float", "f32"),
    "int8": (np.int8, "int8_t", "i8"),
    "uint8": (np.uint8, "uint8_t", "u8"),
    "int16": (np.int16, "int16_t", "i16"),
    "uint16": (np.uint16, "uint16_t", "u16"),
    "int32": (np.int32, "int32_t", "i32"),
    "uint32": (np.uint32, "uint32_t", "u32"),
    "int64": (np.int64, "int64_t", "i64"),
    "bool": (np.bool_, "bool", "b8"),
}


def numpy_dtype(dtype: str):
    return np.dtype(DTYPES[dtype][0])


def ctype(dtype: str) -> str:
    return DTYPES[dtype][1]


@dataclass
class Quantization:
    """Affine quantization: real = scale * (q - zero_point).

    One entry per tensor (per-tensor) or one per slice along `axis` (per-channel).
    """

    scale: Tuple[float, ...]
    zero_point: Tuple[int, ...]
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass
class Tensor:
    index: int
    name: str
    dtype: str  # a key of DTYPES
    shape: Tuple[int, ...]
    quant: Optional[Quantization] = None
    data: Optional[np.ndarray] = None  # constant (weights, biases, shapes): already typed and shaped
    # Set by passes: this tensor shares storage with another (e.g. RESHAPE output aliases its
    # input), starting `alias_offset` bytes into it (a SPLIT piece: a view of its input).
    alias_of: Optional[int] = None
    alias_offset: int = 0
    # A TFLite variable tensor (`is_variable`): operator state that survives between
    # invocations (SVDF activation state, LSTM cell/output state). The planner keeps it in
    # the arena's state region, never reused; reset() refills it with reset_byte().
    is_variable: bool = False
    # A variable tensor reset() leaves alone (CALL_ONCE's "has run" flag: TFLM's reset does
    # not run the init subgraph again); the constructor still initializes it.
    keep_on_reset: bool = False

    def reset_byte(self) -> int:
        """The byte TFLite Micro fills a variable tensor with (MicroGraph::
        ResetVariableTensors): the zero point for int8, else 0. A constant buffer the file
        may carry for it is ignored, as TFLM does."""
        if self.dtype == "int8" and self.quant is not None and self.quant.zero_point:
            return int(self.quant.zero_point[0]) & 0xFF
        return 0

    @property
    def is_constant(self) -> bool:
        return self.data is not None and not self.is_variable

    @property
    def num_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.num_elements * numpy_dtype(self.dtype).itemsize


@dataclass
class Operator:
    index: int
    op_type: str  # TFLite builtin operator name, e.g. "FULLY_CONNECTED"; custom ops: "CUSTOM:<name>"
    inputs: List[int]  # tensor indices; -1 marks an omitted optional input
    outputs: List[int]
    # Builtin options with TFLite's field names in snake_case; enums as their names,
    # e.g. {"fused_activation_function": "RELU", "padding": "SAME", "stride_w": 2}.
    options: Dict[str, Any] = field(default_factory=dict)
    version: int = 1
    # Inside an inlined IF branch (tflite/control_flow.py): (bool condition tensor, the value
    # it must have for this operator to run); None: always runs.
    branch: Optional[Tuple[int, bool]] = None
    # Inside an inlined WHILE loop (tflite/control_flow.py): the WHILE operator's index; the
    # operators carrying it form one loop body, in order. None: not in a loop.
    loop: Optional[int] = None
    # Where an inlined operator comes from, for messages: e.g. "operator 1 of subgraph 2,
    # the then branch of IF operator 7" ("" for subgraph 0's own operators).
    origin: str = ""


@dataclass
class Graph:
    name: str  # C++-safe model name (the class name derives from it)
    tensors: List[Tensor]
    operators: List[Operator]  # in execution order
    inputs: List[int]
    outputs: List[int]
    source_path: str = ""
    source_sha256: str = ""
    description: str = ""
    # Signature names of inputs/outputs (tensor index -> the name the model's signature
    # gives it: Keras input/output names), when the file has a signature for this graph.
    io_names: Dict[int, str] = field(default_factory=dict)
    # Model inputs stay intact through invoke() (the planner reuses none of their bytes).
    keep_inputs: bool = False
    # --shared-arena: the default arena is the folder's one shared arena (utensor_shared_arena.cpp).
    shared_arena: bool = False

    def storage(self, index: int) -> Tuple[int, int]:
        """(root tensor, byte offset into it) of the storage tensor `index` lives in: itself
        at 0 unless it is an alias (a view), whose chain is followed to its root."""
        offset = 0
        while self.tensors[index].alias_of is not None:
            offset += self.tensors[index].alias_offset
            index = self.tensors[index].alias_of
        return index, offset

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def state_tensors(self) -> List[int]:
        """Variable tensors some operator uses: the model's persistent state."""
        used = {t for op in self.operators for t in list(op.inputs) + list(op.outputs) if t >= 0}
        return [t.index for t in self.tensors if t.is_variable and t.index in used]

    def producers(self) -> Dict[int, int]:
        """tensor index -> index of the operator writing it."""
        return {t: op.index for op in self.operators for t in op.outputs}

    def consumers(self) -> Dict[int, List[int]]:
        """tensor index -> indices of the operators reading it, in execution order."""
        result: Dict[int, List[int]] = {}
        for op in self.operators:
            for t in op.inputs:
                if t >= 0:
                    result.setdefault(t, []).append(op.index)
        return result
