"""Residual-block fusion (scripts/utensor/passes_residual.py, kernels/residual_block.hpp)
on seeded Keras residual blocks: random H/W, channels, kernel sizes 1/3/5, activations,
int8 and float32. Every model is checked against tflite_micro on the host (int8
bit-exact, float32 within 1e-5 relative); blocks the rules fuse must be fused and their
arena must be smaller than the unfused plan's; blocks the rules exclude (an intermediate
read elsewhere, a stride-2 block with a projection shortcut, a VALID convolution with a
cropped shortcut, a first kernel taller than the second) must not be. One batch firmware
per board runs a few of them under QEMU (mps2_an386: DSP kernels, mps3_an547: Helium).
"""

import os
import tempfile

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from opcheck import assert_matches_reference, have_qemu_tools, quantize_int8  # noqa: E402
from utensor import convert, passes, planner  # noqa: E402
from utensor.passes_residual import OP_TYPE  # noqa: E402

ACTIVATIONS = (None, "relu", "relu6")


def block_model(seed: int, dtype: str, variant: str = "fused") -> bytes:
    """A stem convolution, then one residual block of the kind `variant` names."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    rng = np.random.RandomState(seed)
    h, w = int(rng.randint(6, 17)), int(rng.randint(6, 17))
    c_in, c, c_mid = int(rng.randint(1, 5)), int(rng.randint(4, 17)), int(rng.randint(4, 17))
    k2 = int(rng.choice([1, 3, 5]))
    k1 = int(rng.choice([k for k in (1, 3, 5) if k <= k2]))
    if variant == "taller_first":
        k1, k2 = 5, 3
    act1, act2 = (ACTIVATIONS[int(i)] for i in rng.randint(0, 3, size=2))
    add_act = [None, "relu"][int(rng.randint(0, 2))]
    tf.keras.utils.set_random_seed(seed)
    if variant == "on_input":  # the block reads the model input: y cannot overwrite it
        c_in, c_mid = c, 3 * c
    inp = tf.keras.Input((h, w, c_in), batch_size=1)
    x = inp if variant == "on_input" else tf.keras.layers.Conv2D(c, 3, padding="same", activation="relu")(inp)
    stride = 2 if variant == "stride2" else 1
    t1 = tf.keras.layers.Conv2D(c_mid, k1, strides=stride, padding="same", activation=act1)(x)
    pad2 = "valid" if variant == "valid" else "same"
    if variant == "valid":
        k2 = 3
    t2 = tf.keras.layers.Conv2D(c, k2, padding=pad2, activation=act2)(t1)
    shortcut = x
    if variant == "stride2":
        shortcut = tf.keras.layers.Conv2D(c, 1, strides=2)(x)
    elif variant == "valid":
        shortcut = tf.keras.layers.Cropping2D(1)(x)
    y = tf.keras.layers.Add()([t2, shortcut] if seed % 2 else [shortcut, t2])
    if add_act:
        y = tf.keras.layers.Activation(add_act)(y)
    outputs = [y, t1] if variant == "shared" else [y]
    model = tf.keras.Model(inp, outputs)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        def representative():
            r = np.random.RandomState(seed + 1000)
            for _ in range(16):
                yield [r.uniform(-1, 1, (1, h, w, c_in)).astype(np.float32)]
        quantize_int8(converter, representative)
    return converter.convert()


def _conversion(data: bytes, name: str) -> convert.Conversion:
    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(data)
        f.flush()
        return convert.convert_file(f.name, name=name)


def _unfused_arena(data: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(data)
        f.flush()
        graph = passes.run_all(convert.read_model(f.name))
    calls = convert.lower_graph(graph)
    plan = planner.plan_memory(graph, [c.scratch_bytes for c in calls], [c.inplace for c in calls],
                               [c.row_streaming for c in calls])
    return plan.arena_bytes


FUSED_CASES = [(seed, dtype) for seed in range(4) for dtype in ("int8", "float32")]


@pytest.mark.parametrize("seed,dtype", FUSED_CASES)
def test_fused_block_matches_tflite_micro(seed, dtype):
    data = block_model(seed, dtype)
    conv = _conversion(data, f"resblock_{dtype}_{seed}")
    kinds = [op.op_type for op in conv.graph.operators]
    assert kinds.count(OP_TYPE) == 1 and "ADD" not in kinds, kinds
    unfused = _unfused_arena(data)
    assert conv.plan.arena_bytes < unfused, (conv.plan.arena_bytes, unfused)
    assert conv.plan.lower_bound <= conv.plan.arena_bytes
    assert_matches_reference(data, samples=3, seed=seed, name=f"resblock_{dtype}_{seed}")


@pytest.mark.parametrize("seed,dtype", [(5, "int8"), (6, "float32"), (7, "int8")])
def test_fused_block_with_the_smallest_row_buffer(seed, dtype, monkeypatch):
    """The row buffer holds only the window: it shifts on every output row."""
    from utensor import passes_residual  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(passes_residual, "GROW_ROW_BUFFER", False)
    data = block_model(seed, dtype)
    conv = _conversion(data, f"resblock_small_{dtype}_{seed}")
    parts = [c.params["parts"] for op, c in zip(conv.graph.operators, conv.calls) if op.op_type == OP_TYPE]
    assert len(parts) == 1 and parts[0].capacity == parts[0].window_rows, parts
    assert_matches_reference(data, samples=2, seed=seed, name=f"resblock_small_{dtype}_{seed}")


def test_grown_row_buffer_keeps_the_arena():
    from utensor import passes_residual  # pylint: disable=import-outside-toplevel

    data = block_model(2, "int8")
    grown = _conversion(data, "resblock_grown")
    passes_residual.GROW_ROW_BUFFER = False
    try:
        small = _conversion(data, "resblock_grown")
    finally:
        passes_residual.GROW_ROW_BUFFER = True
    assert grown.plan.arena_bytes == small.plan.arena_bytes


@pytest.mark.parametrize("dtype,seed", [("int8", 21), ("float32", 22)])
def test_block_on_the_model_input_runs_out_of_place(dtype, seed):
    """A model input is never overwritten by the plan: the fused block writes its output
    to a buffer of its own, reading the input rows it needs."""
    data = block_model(seed, dtype, "on_input")
    conv = _conversion(data, f"resblock_input_{dtype}")
    kinds = [op.op_type for op in conv.graph.operators]
    assert kinds == [OP_TYPE], kinds
    op = conv.graph.operators[0]
    assert conv.plan.tensor_offset[op.inputs[0]] != conv.plan.tensor_offset[op.outputs[0]]
    assert conv.plan.arena_bytes < _unfused_arena(data)
    assert_matches_reference(data, samples=2, seed=seed, name=f"resblock_input_{dtype}")


NOT_FUSED = [("shared", "int8", 11), ("stride2", "float32", 12), ("valid", "int8", 13),
             ("taller_first", "float32", 14), ("taller_first", "int8", 15)]


@pytest.mark.parametrize("variant,dtype,seed", NOT_FUSED)
def test_blocks_the_rules_exclude_stay_unfused(variant, dtype, seed):
    data = block_model(seed, dtype, variant)
    conv = _conversion(data, f"resblock_{variant}_{dtype}")
    kinds = [op.op_type for op in conv.graph.operators]
    assert OP_TYPE not in kinds and "ADD" in kinds, kinds
    assert_matches_reference(data, samples=2, seed=seed, name=f"resblock_{variant}_{dtype}")


def test_resnet8_arena_meets_the_issue_goal():
    from conftest import MODELS_DIR  # pylint: disable=import-outside-toplevel

    conv = convert.convert_file(os.path.join(MODELS_DIR, "pretrainedResnet_quant.tflite"))
    assert [op.op_type for op in conv.graph.operators].count(OP_TYPE) == 1
    assert conv.plan.arena_bytes <= 32_604, conv.plan.arena_bytes


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])  # Cortex-M4F (DSP), Cortex-M55 (Helium)
def test_fused_blocks_on_qemu_match_tflite_micro(board):
    from utensor.bench import batch  # pylint: disable=import-outside-toplevel

    models = [(f"resblock_{dtype}_{seed}", block_model(seed, dtype), 40 + seed)
              for seed, dtype in ((0, "int8"), (1, "int8"), (2, "int8"), (3, "float32"))]
    models.append(("resblock_shared_int8", block_model(11, "int8", "shared"), 51))
    models.append(("resblock_input_int8", block_model(21, "int8", "on_input"), 52))
    results = batch.run_batch(models, board, tag="resblock", jobs=1, log=lambda s: None)
    assert [r.name for r in results] == [m[0] for m in models]
    problems = [f"{r.name}: {p}" for r in results for p in r.problems]
    assert problems == [], "\n".join(problems)
    assert all(r.outputs for r in results)


def test_guarded_resnet8_with_the_fused_block(tmp_path):
    """--guard: canaries after every buffer, checked after each layer; the fused block
    stays inside its buffers (no canary trips) and the output equals tflite_micro's."""
    from conftest import MODELS_DIR  # pylint: disable=import-outside-toplevel
    from test_arena_guard import _compile, _run  # pylint: disable=import-outside-toplevel
    from utensor import emitter, passes_residual  # pylint: disable=import-outside-toplevel
    from utensor.reference import Reference  # pylint: disable=import-outside-toplevel

    path = os.path.join(MODELS_DIR, "pretrainedResnet_quant.tflite")
    graph = passes.run_all(convert.read_model(path))
    graph, calls, plan = passes_residual.lower_and_plan(graph, guard_bytes=convert.GUARD_BYTES)
    assert [op.op_type for op in graph.operators].count(OP_TYPE) == 1
    em = emitter.emit_model(graph, calls, plan, layer_hooks=True)
    gen = str(tmp_path / "gen")
    os.makedirs(gen)
    for name, text in ((em.header_name, em.header), (em.source_name, em.source),
                       (convert.REGISTRY_FILE, emitter.emit_registry([graph.name]))):
        with open(os.path.join(gen, name), "w", encoding="utf-8") as f:
            f.write(text)
    exe = str(tmp_path / "probe")
    r = _compile(gen, exe, ["-DUTENSOR_ARENA_GUARD", "-DUTENSOR_LAYER_HOOK=guard_probe_hook"])
    assert r.returncode == 0, r.stdout[-3000:]
    x = np.random.RandomState(3).randint(-128, 128, size=graph.tensor(graph.inputs[0]).shape).astype(np.int8)
    status, events, _, _, _, out = _run((graph, plan, em, exe, gen), x)
    assert status == "ok" and events == 0, (status, events)
    with open(path, "rb") as f:
        expected = Reference(f.read()).invoke([x])[0]
    assert np.array_equal(out, np.asarray(expected).reshape(-1))
