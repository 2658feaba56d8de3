"""Compile generated models with the runtime for the host, and run them.

Used by the conformance tests (every operator against tflite_micro, under ASan/UBSan) and
by the fuzz tests (generated code must compile). The runtime is compiled once into a
static library cached under ~/.cache/utensor (keyed by its sources and the flags); each
model then costs one compile of its own .cpp.
"""

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional, Sequence

import numpy as np

from . import convert
from .errors import UtensorError
from .paths import cache_root, library_root

REPO = library_root()
RUNTIME_INCLUDE = os.path.join(REPO, "runtime", "include")
RUNTIME_SRC = os.path.join(REPO, "runtime", "src")
RUNNER = os.path.join(REPO, "runtime", "host", "runner.cpp")
CXX = os.environ.get("CXX", "g++")
BASE_FLAGS = ["-std=c++11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-fno-exceptions", "-fno-rtti"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]


def runtime_sources() -> List[str]:
    files = glob.glob(os.path.join(RUNTIME_SRC, "**", "*.cpp"), recursive=True)
    return sorted(f for f in files if os.sep + "harness" + os.sep not in f)


def _flags(sanitize: bool) -> List[str]:
    return BASE_FLAGS + (SANITIZE_FLAGS if sanitize else [])


def _run(cmd: Sequence[str]) -> None:
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise UtensorError(f"host compile failed: {' '.join(cmd)}\n{proc.stdout}")


def runtime_library(sanitize: bool = False) -> str:
    """Path of the runtime compiled for the host (built once per source/flag set)."""
    sources = runtime_sources()
    h = hashlib.sha256(" ".join(_flags(sanitize) + [CXX]).encode())
    for path in sources + sorted(glob.glob(os.path.join(RUNTIME_INCLUDE, "**", "*.hpp"), recursive=True)):
        h.update(path.encode())
        with open(path, "rb") as f:
            h.update(f.read())
    out_dir = os.path.join(cache_root(), "host-runtime", h.hexdigest()[:20])
    lib = os.path.join(out_dir, "libutensor_runtime.a")
    if os.path.exists(lib):
        return lib
    work = tempfile.mkdtemp(prefix="utensor-rt-")
    try:
        def compile_one(i_src):
            i, src = i_src
            obj = os.path.join(work, f"{i}_{os.path.basename(src)}.o")
            _run([CXX, *_flags(sanitize), "-I", RUNTIME_INCLUDE, "-c", src, "-o", obj])
            return obj

        with ThreadPoolExecutor(max_workers=2) as pool:
            objs = list(pool.map(compile_one, enumerate(sources)))
        tmp_lib = os.path.join(work, "lib.a")
        _run(["ar", "rcs", tmp_lib, *objs])
        os.makedirs(out_dir, exist_ok=True)
        os.replace(tmp_lib, lib)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lib


def build_runner(generated_dir: str, exe_path: str, sanitize: bool = False) -> str:
    """Link the runner for the models generated in `generated_dir` (first one is run)."""
    lib = runtime_library(sanitize)
    sources = sorted(glob.glob(os.path.join(generated_dir, "*.cpp")))
    _run([CXX, *_flags(sanitize), "-I", RUNTIME_INCLUDE, "-I", generated_dir, RUNNER, *sources, lib, "-o", exe_path])
    return exe_path


class HostBatch:
    """Models converted into one folder and compiled into one host runner (one link for
    the lot); `run(i, samples)` streams samples through model i."""

    def __init__(self, model_paths: Sequence[str], work_dir: Optional[str] = None, sanitize: bool = False,
                 names: Optional[Sequence[Optional[str]]] = None):
        self.work_dir = work_dir or tempfile.mkdtemp(prefix="utensor-host-")
        gen = os.path.join(self.work_dir, "gen")
        names = list(names) if names is not None else [None] * len(model_paths)
        self.conversions = [convert.convert_to_directory([p], gen, name=n)[0]
                            for p, n in zip(model_paths, names)]
        self.exe = build_runner(gen, os.path.join(self.work_dir, "runner"), sanitize=sanitize)

    def run(self, index: int, samples: Sequence[Sequence[np.ndarray]]) -> List[List[np.ndarray]]:
        """Run each sample (a list of input arrays) on model `index`; a list of output lists.
        Each sample starts from the model's reset state (stateful models)."""
        return self._run(index, samples, sequence=False)

    def run_sequence(self, index: int, steps: Sequence[Optional[Sequence[np.ndarray]]]) -> List[List[np.ndarray]]:
        """Run `steps` on model `index` in one process, the state carried from one invoke to
        the next: a step is a sample (a list of input arrays), or None for reset(). A list of
        output lists, one per sample."""
        return self._run(index, steps, sequence=True)

    def _run(self, index: int, samples, sequence: bool) -> List[List[np.ndarray]]:
        from .ir import numpy_dtype

        g = self.conversions[index].graph
        inputs = [g.tensor(i) for i in g.inputs]
        outputs = [g.tensor(i) for i in g.outputs]
        payload = bytearray()
        for sample in samples:
            if sequence:
                payload += b"R" if sample is None else b"I"
            for t, x in zip(inputs, sample or ()):
                payload += np.ascontiguousarray(np.asarray(x, dtype=numpy_dtype(t.dtype))).tobytes()
        samples = [s for s in samples if s is not None]
        proc = subprocess.run([self.exe, str(index)] + (["seq"] if sequence else []), input=bytes(payload),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise UtensorError(f"host runner failed with exit code {proc.returncode}:\n{proc.stderr.decode(errors='replace')}")
        out = proc.stdout
        results, pos = [], 0
        for _ in samples:
            outs = []
            for t in outputs:
                n = t.nbytes
                outs.append(np.frombuffer(out[pos : pos + n], dtype=numpy_dtype(t.dtype)).reshape(t.shape).copy())
                pos += n
            results.append(outs)
        if pos != len(out):
            raise UtensorError(f"host runner wrote {len(out)} bytes, expected {pos}")
        return results


class HostModel(HostBatch):
    """A model converted, compiled for the host and ready to run samples."""

    def __init__(self, model_path: str, work_dir: Optional[str] = None, sanitize: bool = False, name: Optional[str] = None):
        super().__init__([model_path], work_dir, sanitize, [name])
        self.conversion = self.conversions[0]
        g = self.conversion.graph
        self.inputs = [g.tensor(i) for i in g.inputs]
        self.outputs = [g.tensor(i) for i in g.outputs]

    def run(self, samples: Sequence[Sequence[np.ndarray]]) -> List[List[np.ndarray]]:  # pylint: disable=arguments-differ
        """Run each sample (a list of input arrays); returns a list of output lists."""
        return super().run(0, samples)

    def run_sequence(self, steps) -> List[List[np.ndarray]]:  # pylint: disable=arguments-differ
        """Samples and resets (None) in one process, the state carried (HostBatch.run_sequence)."""
        return super().run_sequence(0, steps)


def run_on_host(model_path: str, inputs: Sequence[np.ndarray], sanitize: bool = False) -> List[np.ndarray]:
    model = HostModel(model_path, sanitize=sanitize)
    try:
        return model.run([inputs])[0]
    finally:
        shutil.rmtree(model.work_dir, ignore_errors=True)
