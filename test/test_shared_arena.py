"""--shared-arena (custom_utensor_shared_arena, CMake SHARED_ARENA): models of one firmware
that never run at the same time share one arena sized for the largest. Checked on the
MLPerf Tiny keyword spotter and anomaly detector: the folder's arena is the larger of the
two plans, each model's default arena is it, and invoking them alternately (kws, ad01,
kws, ...) stays bit-exact with tflite_micro, on the host under ASan/UBSan and on the
emulated M4 through the serial harness."""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import REPO
from utensor import convert
from utensor.reference import Reference

MODELS = os.path.join(os.path.dirname(REPO), "shared", "models", "mlperf_tiny")
KWS = os.path.join(MODELS, "kws_ref_model.tflite")
AD01 = os.path.join(MODELS, "ad01_int8.tflite")

pytestmark = pytest.mark.skipif(not (os.path.isfile(KWS) and os.path.isfile(AD01)),
                                reason="needs ../shared/models/mlperf_tiny")


def _inputs(path, seed, count):
    """Seeded int8 inputs for each sample of `path`'s model."""
    g = convert.read_model(path)
    rng = np.random.RandomState(seed)
    return [[rng.randint(-128, 128, size=g.tensor(i).shape).astype(np.int8) for i in g.inputs]
            for _ in range(count)]


def test_the_folder_arena_is_the_largest_plan(tmp_path):
    out = tmp_path / "gen"
    cs = convert.convert_to_directory([KWS, AD01], str(out), shared_arena=True)
    sizes = {c.graph.name: c.emitted.arena_bytes for c in cs}
    assert sizes["kws_ref_model"] > sizes["ad01_int8"] > 0
    shared = (out / convert.SHARED_ARENA_FILE).read_text()
    assert f"uint8_t utensor_shared_arena[{max(sizes.values())}]" in shared
    assert shared.count("static_assert(sizeof(utensor_shared_arena) >=") == 2
    for name in sizes:
        src = (out / f"{name}.cpp").read_text()
        assert "constexpr uint8_t* default_arena = utensor_shared_arena;" in src
        assert re.search(r"uint8_t default_arena\[\d+\]", src) is None
    manifest = json.loads((out / convert.MANIFEST_FILE).read_text())
    assert all(m["shared_arena"] for m in manifest["models"])
    # Converted again without the option, the folder has no shared arena left.
    convert.convert_to_directory([KWS, AD01], str(out), exclusive=True)
    assert not (out / convert.SHARED_ARENA_FILE).exists()
    assert "uint8_t default_arena[" in (out / "ad01_int8.cpp").read_text()


DRIVER = r"""
#include <stdio.h>
#include <string.h>
#include "kws_ref_model.hpp"
#include "ad01_int8.hpp"
%(data)s
template <class M>
static int run(M& m, const int8_t* in, size_t n) {
  memcpy(m.template input_data<int8_t>(0), in, n);
  if (m.invoke() != utensor::Status::ok) return 1;
  const int8_t* out = m.template output_data<int8_t>(0);
  for (size_t i = 0; i < m.output(0).num_bytes(); ++i) printf("%%d ", out[i]);
  printf("\n");
  return 0;
}
int main() {
  KwsRefModel kws;
  Ad01Int8 ad;
  if (kws.arena() != ad.arena()) return 2;  // one arena for both
  int bad = 0;
%(calls)s
  return bad;
}
"""


def _carray(name, a):
    return f"static const int8_t {name}[{a.size}] = {{{', '.join(str(int(v)) for v in a.reshape(-1))}}};"


def test_alternating_invocations_on_the_host(tmp_path):
    from utensor import hostbuild

    out = tmp_path / "gen"
    convert.convert_to_directory([KWS, AD01], str(out), shared_arena=True)
    kws_in, ad_in = _inputs(KWS, 1, 3), _inputs(AD01, 2, 3)
    data, calls, expect = [], [], []
    ref_k, ref_a = Reference(open(KWS, "rb").read()), Reference(open(AD01, "rb").read())
    for s in range(3):
        data += [_carray(f"kws{s}", kws_in[s][0]), _carray(f"ad{s}", ad_in[s][0])]
        calls += [f"  bad |= run(kws, kws{s}, sizeof kws{s});", f"  bad |= run(ad, ad{s}, sizeof ad{s});"]
        expect += [ref_k.invoke(kws_in[s])[0], ref_a.invoke(ad_in[s])[0]]
    (tmp_path / "main.cpp").write_text(DRIVER % {"data": "\n".join(data), "calls": "\n".join(calls)})
    lib = hostbuild.runtime_library(sanitize=True)
    exe = tmp_path / "alternate"
    subprocess.run([hostbuild.CXX, *hostbuild._flags(True), "-I", hostbuild.RUNTIME_INCLUDE,  # pylint: disable=protected-access
                    "-I", str(out), str(tmp_path / "main.cpp"), *sorted(str(p) for p in out.glob("*.cpp")),
                    lib, "-o", str(exe)], check=True, capture_output=True, text=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 6
    for k, (line, ref) in enumerate(zip(lines, expect)):
        assert [int(v) for v in line.split()] == ref.reshape(-1).astype(int).tolist(), f"call {k}"


@pytest.mark.skipif(any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "qemu-system-arm")),
                    reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_alternating_invocations_on_the_m4(tmp_path):
    from utensor.harness.backends import QemuBackend
    from utensor.harness.client import HarnessClient
    from utensor.harness.firmware import build_firmware

    fw = build_firmware([KWS, AD01], "mps2_an386", str(tmp_path / "fw"),
                        extra_options=[("custom_utensor_shared_arena", "yes")])
    gen = [p for p in (tmp_path / "fw").rglob(convert.SHARED_ARENA_FILE)]
    assert gen, "the firmware was not built with a shared arena"
    # RAM: one arena (kws's, the larger), not both.
    kws_arena = convert.convert_file(KWS).emitted.arena_bytes
    ad_arena = convert.convert_file(AD01).emitted.arena_bytes
    assert fw.ram_bytes < kws_arena + ad_arena
    backend = QemuBackend("mps2_an386", exact_count=False)
    url = backend.start(fw)
    try:
        client = HarnessClient(url)
        info = client.hello()
        index = {m.name: k for k, m in enumerate(info.models)}
        refs = {KWS: Reference(open(KWS, "rb").read()), AD01: Reference(open(AD01, "rb").read())}
        samples = {KWS: _inputs(KWS, 3, 3), AD01: _inputs(AD01, 4, 3)}
        for s in range(3):
            for path, name in ((KWS, "kws_ref_model"), (AD01, "ad01_int8")):
                outs, _ = client.run(index[name], samples[path][s])
                ref = refs[path].invoke(samples[path][s])
                assert all(np.array_equal(a, b) for a, b in zip(outs, ref)), f"{name} sample {s}"
        client.bye()
    finally:
        backend.close()


def test_a_stateful_model_is_refused_with_the_reason(tmp_path):
    """Its state must survive between invocations: another model's invoke() in the shared
    arena would overwrite it."""
    from svdf_models import keyword_spotter
    from utensor.errors import UtensorError

    path = tmp_path / "svdf_kws.tflite"
    path.write_bytes(keyword_spotter("int8"))
    with pytest.raises(UtensorError, match=r"svdf_kws.tflite: --shared-arena .* stateful model \(\d[\d,]* bytes of state"):
        convert.convert_to_directory([str(path), AD01], str(tmp_path / "gen"), shared_arena=True)
    assert not (tmp_path / "gen").exists()
