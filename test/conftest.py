"""pytest setup shared by every test: import the package from scripts/ without installing."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(REPO, "scripts"), os.path.join(REPO, "test")):
    if path not in sys.path:
        sys.path.insert(0, path)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MODELS_DIR = os.path.join(os.path.dirname(REPO), "shared", "models", "mlperf_tiny")
