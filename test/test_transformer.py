"""A small transformer encoder in whole (issue 14): token embedding over int32 ids,
Keras' MultiHeadAttention (two heads; TensorFlow lowers it to FULLY_CONNECTED projections,
RESHAPE/TRANSPOSE head splits, BATCH_MATMUL q k^T, MUL by 1/sqrt(d), SOFTMAX, BATCH_MATMUL
with v), residual ADDs, layer normalization, a ReLU feed-forward block, mean pooling and a
classifier head. Seeded; converted float32 and int8 (TF's full-integer quantizer); against
tflite_micro on the host (ASan/UBSan: int8 bit-exact, float32 within 1e-5) and through
`utensor verify` on mps2_an386 (Cortex-M4F) and mps3_an547 (Cortex-M55).

What TensorFlow 2.21 produces, and the formulations used here because of it:
- Keras' `Embedding` layer converts to LESS, ADD, SELECT, GATHER (it wraps negative ids),
  and TFLite Micro registers no SELECT (only SELECT_V2): tflite_micro refuses to allocate
  such a model, and so does utensor, by name (test_keras_embedding_is_refused_like_tflite_micro).
  The embedding here is a table weight read with tf.gather (one GATHER) plus a learned
  position table (ADD).
- Keras' `LayerNormalization` lowers to MEAN, NEG, SQUARED_DIFFERENCE, MEAN, ADD, RSQRT,
  MUL, MUL, MUL, ADD. The int8 quantizer leaves the NEG (of the mean) in float32 between a
  DEQUANTIZE and a QUANTIZE (TFLite Micro's NEG kernel, and ours, are float32 only as
  well). That model runs and is checked as it is ("keras" layer norm, int8 with a float
  island); the fully int8 model writes the normalization as x - mean (SUB,
  SQUARED_DIFFERENCE, MEAN, ADD, RSQRT, MUL, MUL, ADD: "sub" layer norm), which the
  quantizer turns into int8 operators only.

Board verify feeds token ids from a file (`--input`): verify's random int32 inputs span
the whole int32 range, which GATHER (ours and TFLite Micro's) refuses as out of bounds.
The QEMU tests need pio, arm-none-eabi-gcc and qemu-system-arm (skipped otherwise).
"""

import os
import subprocess
import sys

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from opcheck import REPO, compare, have_qemu_tools, quantize_int8  # noqa: E402

SEQ, VOCAB, WIDTH, HEADS, FF, CLASSES = 8, 32, 16, 2, 32, 4
SEED = 3
# (layer norm formulation, dtype) of the models tested
VARIANTS = [("keras", "float32"), ("keras", "int8"), ("sub", "int8"), ("sub", "float32")]


class TokenEmbedding(tf.keras.layers.Layer):
    """A token table read by id (GATHER) plus a learned position table (ADD)."""

    def build(self, input_shape):
        self.table = self.add_weight(shape=(VOCAB, WIDTH), initializer="random_normal", name="table")
        self.pos = self.add_weight(shape=(SEQ, WIDTH), name="pos",
                                   initializer=tf.keras.initializers.RandomNormal(stddev=0.3))

    def call(self, ids):  # pylint: disable=arguments-differ
        return tf.gather(self.table, ids) + self.pos


class SubLayerNorm(tf.keras.layers.Layer):
    """Layer normalization over the last axis written as (x - mean): quantizes to int8."""

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[-1],), name="gamma",
                                     initializer=tf.keras.initializers.RandomNormal(1.0, 0.2))
        self.beta = self.add_weight(shape=(input_shape[-1],), name="beta",
                                    initializer=tf.keras.initializers.RandomNormal(0.0, 0.2))

    def call(self, x):  # pylint: disable=arguments-differ
        d = x - tf.reduce_mean(x, axis=-1, keepdims=True)
        var = tf.reduce_mean(tf.square(d), axis=-1, keepdims=True)
        return d * tf.math.rsqrt(var + 1e-3) * self.gamma + self.beta


def encoder(norm: str) -> "tf.keras.Model":
    tf.keras.utils.set_random_seed(SEED)
    layers = tf.keras.layers

    def layer_norm():
        if norm == "keras":
            return layers.LayerNormalization(
                beta_initializer=tf.keras.initializers.RandomNormal(0.0, 0.2),
                gamma_initializer=tf.keras.initializers.RandomNormal(1.0, 0.2))
        return SubLayerNorm()

    ids = tf.keras.Input((SEQ,), batch_size=1, dtype="int32", name="tokens")
    x = TokenEmbedding()(ids)
    a = layers.MultiHeadAttention(HEADS, WIDTH // HEADS)(x, x)
    x = layer_norm()(layers.Add()([x, a]))
    f = layers.Dense(WIDTH)(layers.Dense(FF, activation="relu")(x))
    x = layer_norm()(layers.Add()([x, f]))
    y = layers.Dense(CLASSES)(layers.GlobalAveragePooling1D()(x))
    return tf.keras.Model(ids, y)


def tokens(n: int, seed: int) -> np.ndarray:
    return np.random.RandomState(seed).randint(0, VOCAB, (n, 1, SEQ)).astype(np.int32)


def convert(model, dtype: str) -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        def representative():
            for t in tokens(48, SEED):
                yield [t]
        quantize_int8(conv, representative)
    return conv.convert()


def _ops(data: bytes):
    from conformance import op_types  # pylint: disable=import-outside-toplevel

    return op_types(data)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("transformer")
    out = {}
    for norm, dtype in VARIANTS:
        data = convert(encoder(norm), dtype)
        path = d / f"encoder_{norm}_{dtype}.tflite"
        path.write_bytes(data)
        out[(norm, dtype)] = (str(path), data)
    return out


@pytest.mark.parametrize("norm,dtype", VARIANTS)
def test_the_encoder_has_the_transformer_operators(models, norm, dtype):
    ops = _ops(models[(norm, dtype)][1])
    assert ops.count("BATCH_MATMUL") == 2 and "SOFTMAX" in ops and "GATHER" in ops, ops
    assert ops.count("RSQRT") == 2 and ops.count("SQUARED_DIFFERENCE") == 2, ops
    if norm == "keras":
        assert ops.count("NEG") == 2, ops
    if dtype == "int8" and norm == "keras":
        # What TF produced: the NEG of each layer norm stays float32.
        assert ops.count("DEQUANTIZE") == 2 and ops.count("QUANTIZE") == 2, ops
    if dtype == "int8" and norm == "sub":
        assert "DEQUANTIZE" not in ops and "QUANTIZE" not in ops, ops


@pytest.mark.parametrize("norm,dtype", VARIANTS)
def test_the_encoder_matches_tflite_micro_on_the_host(models, norm, dtype, tmp_path):
    from utensor import convert as uconvert  # pylint: disable=import-outside-toplevel
    from utensor.hostbuild import HostModel  # pylint: disable=import-outside-toplevel
    from utensor.reference import Reference  # pylint: disable=import-outside-toplevel

    path, data = models[(norm, dtype)]
    g = uconvert.convert_file(path).graph
    if dtype == "int8":
        kinds = {g.tensor(t).dtype for op in g.operators if op.op_type == "BATCH_MATMUL" for t in op.inputs}
        assert kinds == {"int8"}, kinds
    samples = [[t] for t in tokens(6, 100)]
    got = HostModel(path, work_dir=str(tmp_path), sanitize=True).run(samples)
    ref = Reference(data)
    problems = []
    for s, sample in enumerate(samples):
        expected = ref.invoke(sample)
        assert np.any(expected[0] != 0)
        for j, (a, r) in enumerate(zip(got[s], expected)):
            problems += compare(a, r, f"encoder_{norm}_{dtype} sample {s} output {j}")
    assert not problems, "\n".join(problems)


def test_keras_embedding_is_refused_like_tflite_micro(tmp_path):
    """Keras' Embedding layer wraps negative ids with SELECT (version 1), which TFLite Micro
    does not register: tflite_micro cannot allocate the model, utensor names the operator."""
    from utensor import convert as uconvert  # pylint: disable=import-outside-toplevel
    from utensor.errors import UnsupportedError  # pylint: disable=import-outside-toplevel
    from utensor.reference import Reference  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(SEED)
    ids = tf.keras.Input((SEQ,), batch_size=1, dtype="int32")
    model = tf.keras.Model(ids, tf.keras.layers.Dense(2)(tf.keras.layers.Embedding(VOCAB, 4)(ids)))
    data = convert(model, "float32")
    assert "SELECT" in _ops(data)
    with pytest.raises(RuntimeError):
        Reference(data)
    path = tmp_path / "keras_embedding.tflite"
    path.write_bytes(data)
    with pytest.raises(UnsupportedError, match="operator SELECT"):
        uconvert.convert_file(str(path))


BOARD_VARIANTS = [("keras", "float32"), ("sub", "int8"), ("keras", "int8")]


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
@pytest.mark.parametrize("norm,dtype", BOARD_VARIANTS)
def test_the_encoder_verifies_on_qemu(models, norm, dtype, board, tmp_path):
    path, _ = models[(norm, dtype)]
    inputs = tmp_path / "tokens.npy"
    np.save(inputs, tokens(4, 7))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
    r = subprocess.run([sys.executable, "-m", "utensor", "verify", path, "--board", board,
                        "--input", str(inputs), "--samples", "4", "--build-dir", str(tmp_path / "build")],
                       env=env, text=True, capture_output=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    verdict = f"PASS: encoder_{norm}_{dtype} on {board}: 4/4 samples match"
    assert verdict in r.stdout, r.stdout
    if dtype == "int8":
        assert verdict + "; bit-exact" in r.stdout, r.stdout
