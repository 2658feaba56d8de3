"""One-operator int16/int8 models written directly as FlatBuffers (TFLite's schema object
API, shipped with tflite_micro), for the LUT activations' exhaustive tests: any
quantization, including scales the TensorFlow converter would not pick."""

from typing import Dict, Optional, Sequence

import numpy as np

TYPES = {"int8": "INT8", "int16": "INT16", "int32": "INT32", "float32": "FLOAT32"}


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import \
        schema_py_generated as schema  # pylint: disable=import-outside-toplevel

    return schema


def single_op(op: str, inputs: Sequence[Dict], output: Dict, options_type: int = 0, options=None,
              version: int = 1) -> bytes:
    """inputs/output: dicts with shape, dtype, scale, zero_point (optional data: a constant)."""
    import flatbuffers  # pylint: disable=import-outside-toplevel

    s = _schema()
    buffers = [s.BufferT()]
    tensors = []

    def tensor(name, spec):
        t = s.TensorT()
        t.name = name
        t.shape = [int(d) for d in spec["shape"]]
        t.type = getattr(s.TensorType, TYPES[spec["dtype"]])
        if spec.get("scale") is not None:
            q = s.QuantizationParametersT()
            q.scale = [float(spec["scale"])]
            q.zeroPoint = [int(spec.get("zero_point", 0))]
            t.quantization = q
        t.buffer = 0
        if spec.get("data") is not None:
            b = s.BufferT()
            b.data = np.ascontiguousarray(spec["data"]).tobytes()
            buffers.append(b)
            t.buffer = len(buffers) - 1
        tensors.append(t)
        return len(tensors) - 1

    ins = [tensor(f"in{k}", spec) for k, spec in enumerate(inputs)]
    out = tensor("out", output)
    code = s.OperatorCodeT()
    code.builtinCode = getattr(s.BuiltinOperator, op)
    code.deprecatedBuiltinCode = min(code.builtinCode, 127)
    code.version = version
    o = s.OperatorT()
    o.opcodeIndex = 0
    o.inputs = ins
    o.outputs = [out]
    o.builtinOptionsType = options_type
    o.builtinOptions = options
    sg = s.SubGraphT()
    sg.tensors = tensors
    sg.inputs = [i for i, spec in zip(ins, inputs) if spec.get("data") is None]
    sg.outputs = [out]
    sg.operators = [o]
    sg.name = "main"
    m = s.ModelT()
    m.version = 3
    m.operatorCodes = [code]
    m.subgraphs = [sg]
    m.description = "utensor test model (test/lut16_models.py)"
    m.buffers = buffers
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def unary_s16(op: str, n: int, in_scale: float, out_scale: float, in_zp: int = 0, out_zp: int = 0,
              options_type: int = 0, options=None) -> bytes:
    return single_op(op, [dict(shape=[1, n], dtype="int16", scale=in_scale, zero_point=in_zp)],
                     dict(shape=[1, n], dtype="int16", scale=out_scale, zero_point=out_zp),
                     options_type, options)


def set_input_scale(tflite: bytes, scale: Optional[float] = None, zero_point: Optional[int] = None,
                    beta: Optional[float] = None) -> bytes:
    """The model with its first input tensor's scale (and zero point) replaced, and with
    `beta` the SOFTMAX operators' beta."""
    import flatbuffers  # pylint: disable=import-outside-toplevel

    s = _schema()
    m = s.ModelT.InitFromObj(s.Model.GetRootAsModel(tflite, 0))
    t = m.subgraphs[0].tensors[m.subgraphs[0].inputs[0]]
    if scale is not None:
        t.quantization.scale = [float(scale)]
    if zero_point is not None:
        t.quantization.zeroPoint = [int(zero_point)]
    if beta is not None:
        for o in m.subgraphs[0].operators:
            if isinstance(o.builtinOptions, s.SoftmaxOptionsT):
                o.builtinOptions.beta = float(beta)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())
