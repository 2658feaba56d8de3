"""Single-operator int8 .tflite models written directly as FlatBuffers (no TensorFlow).

The shape sweep and the fast-path campaign need thousands of one-operator models; the
Keras -> TFLiteConverter route costs seconds each. Here a model is built through the
TFLite schema's object API (shipped with tflite_micro, the oracle) with the quantization
TensorFlow's full-integer converter would choose:
- activations: asymmetric int8 over their calibrated float range (zero point so that the
  range maps onto [-128, 127], 0.0 exactly representable);
- CONV_2D / DEPTHWISE_CONV_2D filters: symmetric per-channel int8 (zero point 0, scale =
  max |w| / 127 per output channel); FULLY_CONNECTED weights: symmetric per-tensor;
- bias: int32, scale = input scale x filter scale, zero point 0;
- pooling: the output keeps the input's quantization (TFLite requires it);
- `"dtype": "int16"` (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED): TFLite's 16x8
  quantization instead: int16 activations symmetric (zero point 0, scale = max |range| /
  32767), int8 symmetric weights as above, int64 bias;
- outputs of conv/FC/ADD/MUL: the range the float results would span on the calibration
  data (estimated from the operands' statistics), clipped by the fused activation as the
  converter's calibration sees it; `"out_range": f` scales it (f < 1: saturating outputs
  and left-shift multipliers; f > 1: coarse outputs), as a layer calibrated on other data.

    spec = {"op": "CONV_2D", "input": [1, 8, 8, 3], "kernel": [3, 3], "out_ch": 8,
            "stride": [1, 1], "dilation": [1, 1], "padding": "SAME", "activation": "RELU"}
    tflite_bytes = build(spec, seed=0)
"""

import math
from typing import Dict, List, Sequence, Tuple

import numpy as np

FAMILIES = ("conv", "depthwise", "fc", "pool", "elementwise")
ACTIVATIONS = {"NONE": 0, "RELU": 1, "RELU_N1_TO_1": 2, "RELU6": 3}
PADDINGS = {"SAME": 0, "VALID": 1}


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import \
        schema_py_generated as schema  # pylint: disable=import-outside-toplevel

    return schema


def _asym(lo: float, hi: float) -> Tuple[float, int]:
    """TFLite's asymmetric int8 parameters of a float range (0 included, as the converter
    nudges it)."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-6:
        hi = lo + 1e-6
    scale = (hi - lo) / 255.0
    zp = int(round(-128 - lo / scale))
    return float(np.float32(scale)), int(min(127, max(-128, zp)))


def _sym16(lo: float, hi: float) -> Tuple[float, int]:
    """TFLite's 16x8 activation parameters of a float range: symmetric, zero point 0."""
    return float(np.float32(max(abs(lo), abs(hi), 1e-6) / 32767.0)), 0


def _clip_activation(lo: float, hi: float, act: str) -> Tuple[float, float]:
    if act == "RELU":
        return max(lo, 0.0), max(hi, 1e-3)
    if act == "RELU6":
        return max(lo, 0.0), min(max(hi, 1e-3), 6.0)
    if act == "RELU_N1_TO_1":
        return max(lo, -1.0), min(hi, 1.0)
    return lo, hi


def out_hw(size: int, k: int, stride: int, dilation: int, padding: str) -> int:
    eff = (k - 1) * dilation + 1
    if padding == "SAME":
        return (size + stride - 1) // stride
    return (size - eff + stride) // stride


class _Model:
    def __init__(self, op: str, version: int):
        s = _schema()
        self.s = s
        self.tensors: List = []
        self.buffers: List = [s.BufferT()]
        self.op_code = s.OperatorCodeT()
        code = getattr(s.BuiltinOperator, op)
        self.op_code.builtinCode = code
        self.op_code.deprecatedBuiltinCode = min(code, 127)
        self.op_code.version = version

    def tensor(self, name: str, shape: Sequence[int], dtype: str, scale, zero_point, data=None,
               axis: int = 0) -> int:
        s = self.s
        t = s.TensorT()
        t.name = name
        t.shape = [int(d) for d in shape]
        t.type = {"int8": s.TensorType.INT8, "int16": s.TensorType.INT16, "int32": s.TensorType.INT32,
                  "int64": s.TensorType.INT64}[dtype]
        q = s.QuantizationParametersT()
        q.scale = [float(x) for x in np.atleast_1d(scale)]
        q.zeroPoint = [int(x) for x in np.atleast_1d(zero_point)]
        q.quantizedDimension = axis
        t.quantization = q
        if data is not None:
            b = s.BufferT()
            # A numpy vector: the object API packs it in one copy (a list or bytes goes
            # byte by byte through Python, ~10 ms per draw of a campaign).
            b.data = np.frombuffer(np.ascontiguousarray(data).tobytes(), np.uint8)
            self.buffers.append(b)
            t.buffer = len(self.buffers) - 1
        else:
            t.buffer = 0
        self.tensors.append(t)
        return len(self.tensors) - 1

    def finish(self, inputs: List[int], outputs: List[int], options_type: int, options) -> bytes:
        import flatbuffers  # pylint: disable=import-outside-toplevel

        s = self.s
        op = s.OperatorT()
        op.opcodeIndex = 0
        op.inputs = inputs + getattr(self, "consts", [])
        op.outputs = outputs
        op.builtinOptionsType = options_type
        op.builtinOptions = options
        sg = s.SubGraphT()
        sg.tensors = self.tensors
        sg.inputs = inputs
        sg.outputs = outputs
        sg.operators = [op]
        sg.name = "main"
        m = s.ModelT()
        m.version = 3
        m.operatorCodes = [self.op_code]
        m.subgraphs = [sg]
        m.description = "utensor single-operator model (scripts/utensor/bench/singleop.py)"
        m.buffers = self.buffers
        builder = flatbuffers.Builder(1024)
        builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def _input_range(rng) -> Tuple[float, float]:
    """Calibrated input ranges of the kinds real layers see: symmetric, post-ReLU,
    lopsided."""
    kind = rng.randint(3)
    if kind == 0:
        a = float(rng.uniform(0.5, 4.0))
        return -a, a
    if kind == 1:
        return 0.0, float(rng.uniform(1.0, 6.0))
    return float(-rng.uniform(0.1, 1.0)), float(rng.uniform(1.0, 8.0))


def _weights(rng, shape, axis: int, per_channel: bool, wide: bool = False):
    """Float weights quantized symmetric int8 (per channel along `axis`, or per tensor).
    wide: nearly every weight at full scale (|q| 100..127), the largest sums a layer can
    have (for the 16x8 kernels' int64 path)."""
    w = rng.normal(0.0, 1.0, size=shape).astype(np.float32)
    if wide:
        w = (np.sign(w) + (w == 0)) * rng.uniform(100.0, 127.0, size=shape).astype(np.float32)
        q = np.round(w).astype(np.int8)
        scale = np.full(shape[axis] if per_channel else 1, 1.0 / 127.0, np.float32)
        return q, scale, w / 127.0
    # Channels of different magnitudes, as trained layers have.
    bshape = [1] * len(shape)
    bshape[axis] = shape[axis]
    w *= rng.uniform(0.05, 1.0, size=bshape).astype(np.float32)
    red = tuple(i for i in range(len(shape)) if i != axis) if per_channel else None
    amax = np.max(np.abs(w), axis=red, keepdims=True) if per_channel else np.max(np.abs(w))
    scale = np.maximum(amax, 1e-6) / 127.0
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32).reshape(-1) if per_channel else np.array([scale], np.float32), w


def _accum_output(model, rng, in_range, in_scale, w_scale, w_float, window: int, channels: int,
                  act: str, axis_channels_last=True, int16=False, out_range: float = 1.0):
    """Bias (int32) and output quantization for an accumulating layer: the output range is
    bias +- 4 sigma of the float sum over `window` products (inputs uniform over their
    range, the filters as drawn), clipped by the fused activation."""
    lo, hi = in_range
    mean_x, std_x = (lo + hi) / 2.0, (hi - lo) / math.sqrt(12.0)
    std_w = float(np.std(w_float)) or 1e-3
    sigma = math.sqrt(window) * math.sqrt(std_x ** 2 + mean_x ** 2) * std_w
    bias_f = rng.normal(0.0, sigma * 0.5, size=channels).astype(np.float32)
    bias_scale = (in_scale * w_scale).astype(np.float64)
    if bias_scale.size == 1:
        bias_scale = np.full(channels, bias_scale[0])
    bias_q = np.round(bias_f / bias_scale).astype(np.int64).clip(-2**31, 2**31 - 1)
    center = float(np.mean(bias_f))
    olo, ohi = _clip_activation(center - 4 * sigma, center + 4 * sigma, act)
    olo, ohi = olo * out_range, ohi * out_range
    if int16:
        return bias_q, bias_scale, _sym16(olo, ohi)
    return bias_q.astype(np.int32), bias_scale, _asym(olo, ohi)


def build(spec: Dict, seed: int) -> bytes:
    """The .tflite bytes of one single-operator int8 model (see the module docstring)."""
    rng = np.random.RandomState(seed & 0x7FFFFFFF)
    op = spec["op"]
    s = _schema()
    act = spec.get("activation", "NONE")
    int16 = spec.get("dtype", "int8") == "int16"
    adt, bdt = ("int16", "int64") if int16 else ("int8", "int32")
    quant_in = _sym16 if int16 else _asym
    if op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        n, h, w, c = spec["input"]
        kh, kw = spec["kernel"]
        sh, sw = spec.get("stride", (1, 1))
        dh, dw = spec.get("dilation", (1, 1))
        pad = spec.get("padding", "SAME")
        oh, ow = out_hw(h, kh, sh, dh, pad), out_hw(w, kw, sw, dw, pad)
        in_range = _input_range(rng)
        in_s, in_z = quant_in(*in_range)
        if op == "CONV_2D":
            oc = spec["out_ch"]
            m = _Model(op, 3)
            wq, ws, wf = _weights(rng, (oc, kh, kw, c), 0, True, spec.get("wide", False))
            window = kh * kw * c
            opts = s.Conv2DOptionsT()
            opts_type = s.BuiltinOptions.Conv2DOptions
        else:
            mult = spec.get("multiplier", 1)
            oc = c * mult
            m = _Model(op, 3 if (dh, dw) == (1, 1) else 2)
            wq, ws, wf = _weights(rng, (1, kh, kw, oc), 3, True, spec.get("wide", False))
            window = kh * kw
            opts = s.DepthwiseConv2DOptionsT()
            opts.depthMultiplier = mult
            opts_type = s.BuiltinOptions.DepthwiseConv2DOptions
        bias_q, bias_s, (out_s, out_z) = _accum_output(m, rng, in_range, in_s, ws, wf, window, oc, act,
                                                       int16=int16, out_range=spec.get("out_range", 1.0))
        x = m.tensor("input", (n, h, w, c), adt, in_s, in_z)
        wt = m.tensor("filter", wq.shape, "int8", ws, np.zeros(len(ws), np.int64), wq,
                      axis=0 if op == "CONV_2D" else 3)
        # 16x8 CONV_2D also takes an int32 bias or none (TFLite Micro then sums in int32).
        bias_kind = spec.get("bias", bdt) if op == "CONV_2D" else bdt
        bt = -1 if bias_kind == "none" else m.tensor(
            "bias", (oc,), bias_kind, bias_s, np.zeros(oc, np.int64),
            bias_q.clip(-2**31, 2**31 - 1).astype(bias_kind))
        y = m.tensor("output", (n, oh, ow, oc), adt, out_s, out_z)
        opts.padding = PADDINGS[pad]
        opts.strideH, opts.strideW = sh, sw
        opts.dilationHFactor, opts.dilationWFactor = dh, dw
        opts.fusedActivationFunction = ACTIVATIONS[act]
        m.consts = [wt, bt]
        return m.finish([x], [y], opts_type, opts)
    if op == "FULLY_CONNECTED":
        batch, depth = spec["input"]
        units = spec["units"]
        m = _Model(op, 4)
        in_range = _input_range(rng)
        in_s, in_z = quant_in(*in_range)
        wq, ws, wf = _weights(rng, (units, depth), 0, False, spec.get("wide", False))
        bias_q, bias_s, (out_s, out_z) = _accum_output(m, rng, in_range, in_s, ws, wf, depth, units, act,
                                                       int16=int16, out_range=spec.get("out_range", 1.0))
        x = m.tensor("input", (batch, depth), adt, in_s, in_z)
        wt = m.tensor("weights", (units, depth), "int8", ws, [0], wq)
        consts = [wt]
        if spec.get("bias", True):
            consts.append(m.tensor("bias", (units,), bdt, bias_s[:1], [0], bias_q))
        else:
            consts.append(-1)
        y = m.tensor("output", (batch, units), adt, out_s, out_z)
        opts = s.FullyConnectedOptionsT()
        opts.fusedActivationFunction = ACTIVATIONS[act]
        m.consts = consts
        return m.finish([x], [y], s.BuiltinOptions.FullyConnectedOptions, opts)
    if op in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        n, h, w, c = spec["input"]
        kh, kw = spec["kernel"]
        sh, sw = spec.get("stride", (kh, kw))
        pad = spec.get("padding", "VALID")
        oh, ow = out_hw(h, kh, sh, 1, pad), out_hw(w, kw, sw, 1, pad)
        m = _Model(op, 2)
        in_s, in_z = _asym(*_input_range(rng))
        x = m.tensor("input", (n, h, w, c), "int8", in_s, in_z)
        y = m.tensor("output", (n, oh, ow, c), "int8", in_s, in_z)
        opts = s.Pool2DOptionsT()
        opts.padding = PADDINGS[pad]
        opts.strideH, opts.strideW = sh, sw
        opts.filterHeight, opts.filterWidth = kh, kw
        opts.fusedActivationFunction = ACTIVATIONS[act]
        return m.finish([x], [y], s.BuiltinOptions.Pool2DOptions, opts)
    if op in ("ADD", "MUL"):
        a_shape, b_shape = spec["input"], spec.get("input2", spec["input"])
        m = _Model(op, 2)
        ra, rb = _input_range(rng), _input_range(rng)
        a_s, a_z = _asym(*ra)
        b_s, b_z = _asym(*rb)
        if op == "ADD":
            lo, hi = ra[0] + rb[0], ra[1] + rb[1]
        else:
            prods = [p * q for p in ra for q in rb]
            lo, hi = min(prods), max(prods)
        f = spec.get("out_range", 1.0)
        out_s, out_z = _asym(*(v * f for v in _clip_activation(lo, hi, act)))
        out_shape = tuple(max(p, q) for p, q in zip(a_shape, b_shape))
        a = m.tensor("a", a_shape, "int8", a_s, a_z)
        b = m.tensor("b", b_shape, "int8", b_s, b_z)
        y = m.tensor("output", out_shape, "int8", out_s, out_z)
        if op == "ADD":
            opts, t = s.AddOptionsT(), s.BuiltinOptions.AddOptions
        else:
            opts, t = s.MulOptionsT(), s.BuiltinOptions.MulOptions
        opts.fusedActivationFunction = ACTIVATIONS[act]
        return m.finish([a, b], [y], t, opts)
    raise ValueError(f"singleop.build: no builder for operator {op}")


def macs(spec: Dict) -> int:
    """Multiply-accumulates of a spec (elements of the output for pooling/elementwise)."""
    op = spec["op"]
    if op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        n, h, w, c = spec["input"]
        kh, kw = spec["kernel"]
        sh, sw = spec.get("stride", (1, 1))
        dh, dw = spec.get("dilation", (1, 1))
        pad = spec.get("padding", "SAME")
        oh, ow = out_hw(h, kh, sh, dh, pad), out_hw(w, kw, sw, dw, pad)
        if op == "CONV_2D":
            return n * oh * ow * spec["out_ch"] * kh * kw * c
        return n * oh * ow * c * spec.get("multiplier", 1) * kh * kw
    if op == "FULLY_CONNECTED":
        return spec["input"][0] * spec["input"][1] * spec["units"]
    if op in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        n, h, w, c = spec["input"]
        kh, kw = spec["kernel"]
        sh, sw = spec.get("stride", (kh, kw))
        pad = spec.get("padding", "VALID")
        return n * out_hw(h, kh, sh, 1, pad) * out_hw(w, kw, sw, 1, pad) * c
    if op in ("ADD", "MUL"):
        a, b = spec["input"], spec.get("input2", spec["input"])
        return int(np.prod([max(p, q) for p, q in zip(a, b)]))
    raise ValueError(op)


def unit(spec: Dict) -> str:
    return "MACs" if spec["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED") else "elements"


def family(spec: Dict) -> str:
    """The kernel family of a spec; 16x8 ones are their own (conv16, depthwise16, fc16)."""
    suffix = "16" if spec.get("dtype", "int8") == "int16" else ""
    return {"CONV_2D": "conv", "DEPTHWISE_CONV_2D": "depthwise", "FULLY_CONNECTED": "fc",
            "MAX_POOL_2D": "pool", "AVERAGE_POOL_2D": "pool", "ADD": "elementwise",
            "MUL": "elementwise"}[spec["op"]] + suffix


def describe(spec: Dict) -> str:
    """A short name of a point: `CONV_2D 1x8x8x3 k3x3 s1 d1 SAME ->8 RELU`."""
    text = _describe(spec)
    return text + (f" out_range {spec['out_range']:.3g}" if "out_range" in spec else "")


def _describe(spec: Dict) -> str:
    op = spec["op"]
    shp = "x".join(str(d) for d in spec["input"])
    tag = op if spec.get("dtype", "int8") == "int8" else f"{op}[{spec['dtype']}]"
    if op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        st, dl = spec.get("stride", (1, 1)), spec.get("dilation", (1, 1))
        tail = f"->{spec['out_ch']}" if op == "CONV_2D" else f"m{spec.get('multiplier', 1)}"
        return (f"{tag} {shp} k{spec['kernel'][0]}x{spec['kernel'][1]} s{st[0]}x{st[1]} "
                f"d{dl[0]}x{dl[1]} {spec.get('padding', 'SAME')} {tail} {spec.get('activation', 'NONE')}")
    if op == "FULLY_CONNECTED":
        return f"{tag} {shp}->{spec['units']} {spec.get('activation', 'NONE')}" + \
            ("" if spec.get("bias", True) else " nobias")
    if op in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        st = spec.get("stride", spec["kernel"])
        return (f"{tag} {shp} k{spec['kernel'][0]}x{spec['kernel'][1]} s{st[0]}x{st[1]} "
                f"{spec.get('padding', 'VALID')} {spec.get('activation', 'NONE')}")
    b = spec.get("input2")
    return f"{tag} {shp}" + (f" * {'x'.join(str(d) for d in b)}" if b else "") + \
        f" {spec.get('activation', 'NONE')}"
