"""Coverage-guided fuzzing of the converter with atheris (optional; CI does not need it).

    pip install atheris
    python test/atheris_converter.py CORPUS_DIR -max_total_time=900 -max_len=120000 \
        -timeout=20 -rss_limit_mb=3000

CORPUS_DIR is seeded with the small MLPerf Tiny models when empty. The target reads the
bytes as a .tflite file and runs the whole conversion in memory (reader, passes, lowering,
memory plan, emitter); a `UtensorError` is the expected way to fail, anything else is a
finding (atheris saves the input as crash-*).
"""

import os
import shutil
import sys
import tempfile

import atheris

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(os.path.dirname(HERE), "scripts"), HERE]

with atheris.instrument_imports(include=["utensor"]):
    from utensor import convert
    from utensor.errors import UtensorError
    from utensor.tflite import read_tflite

import conftest  # noqa: E402

SEEDS = ("kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "kws_ref_model_float32.tflite")
SCRATCH = tempfile.mkdtemp(prefix="utensor-atheris-")
PATH = os.path.join(SCRATCH, "fuzz.tflite")


def target(data: bytes) -> None:
    with open(PATH, "wb") as f:
        f.write(data)
    try:
        convert.convert_graph(read_tflite(PATH))
    except UtensorError as e:
        if PATH not in str(e):
            raise AssertionError(f"error message does not name the file: {e}") from None


def main() -> None:
    corpus = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    if corpus and not os.listdir(corpus):
        for name in SEEDS:
            shutil.copy(os.path.join(conftest.MODELS_DIR, name), corpus)
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
