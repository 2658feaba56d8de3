"""The MLPerf Tiny reference models, converted and compiled for the host under ASan/UBSan,
against tflite_micro: int8 bit-exact, float within 1e-5 relative."""

import os

import pytest

from conftest import MODELS_DIR
from opcheck import assert_matches_reference

MODELS = [
    "ad01_int8", "ad01_fp32",
    "kws_ref_model",
    "vww_96_int8", "vww_96_float",
    "pretrainedResnet_quant", "pretrainedResnet",
]


@pytest.mark.parametrize("name", MODELS)
def test_model_matches_tflite_micro_on_host(name):
    with open(os.path.join(MODELS_DIR, f"{name}.tflite"), "rb") as f:
        model = f.read()
    assert_matches_reference(model, samples=5, seed=7, sanitize=True, name=name)
