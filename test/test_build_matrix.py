"""The build matrix (issue 16): the runtime and a generated MLPerf Tiny model (kws, whose
CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and AVERAGE_POOL_2D layers take the DSP and
Helium kernels) compiled with arm-none-eabi-gcc for Cortex-M0, M4, M7, M33 and M55

  at -O0, -Og, -Os, -O2 and -O2 -flto (-std=gnu++11), and
  at -O2 under -std=c++17 and -std=c++20 (M0, M4, M55: one core per kernel set),

every source with -Wall -Wextra -Werror, each build linked with test/cpp/firmware's
startup code (no heap) and model_main.cpp, and run under QEMU where it has a board for the
core (all but M33): every build must print the outputs the TFLite Micro reference gives
for the same input, so the hand-written assembly is bit-exact at every optimization level
and through link-time optimization. Compile, link and run: about two minutes on two cores
(UTENSOR_JOBS sets the parallel builds, default 2).
"""

import ast
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from conftest import MODELS_DIR

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from utensor.reference import Reference  # noqa: E402

MODEL = os.path.join(MODELS_DIR, "kws_ref_model.tflite")
FIRMWARE = os.path.join(ROOT, "test", "cpp", "firmware")
TOOLS = ("arm-none-eabi-g++", "qemu-system-arm")

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS) or not os.path.isfile(MODEL),
    reason="needs %s and the MLPerf Tiny models" % ", ".join(TOOLS))

CPUS = ("cortex-m0", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
# The QEMU machine of each core (test/cpp/firmware's memory map: code at 0, RAM at
# 0x20000000); QEMU has no board for the M33 with that map: built and linked only.
MACHINES = {"cortex-m0": "microbit", "cortex-m4": "mps2-an386", "cortex-m7": "mps2-an500",
            "cortex-m55": "mps3-an547"}
OPT_LEVELS = (("O0", ["-O0"]), ("Og", ["-Og"]), ("Os", ["-Os"]), ("O2", ["-O2"]),
              ("O2-lto", ["-O2", "-flto"]))
STANDARDS = ("c++17", "c++20")  # at -O2; the optimization axis is gnu++11
# The language standards change what the compiler accepts, not which kernels a core takes:
# one core per kernel set (portable M0, DSP M4, Helium M55) covers every source. The M7
# and M33 compile the M4's DSP sources with other -mcpu flags: the optimization axis has them.
STANDARD_CPUS = ("cortex-m0", "cortex-m4", "cortex-m55")

CONFIGS = ([(cpu, name, opt, "gnu++11") for cpu in CPUS for name, opt in OPT_LEVELS] +
           [(cpu, "O2-" + std, ["-O2"], std) for cpu in STANDARD_CPUS for std in STANDARDS])


def cpu_flags():
    """CPU_FLAGS of the QEMU dev-platform's builder (the boards' flags), read from its source."""
    with open(os.path.join(ROOT, "platformio", "platform", "builder", "main.py"), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "CPU_FLAGS" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("CPU_FLAGS not found in platformio/platform/builder/main.py")


def expected_outputs(model_path):
    """What model_main.cpp prints for the model, from the reference interpreter."""
    with open(model_path, "rb") as f:
        ref = Reference(f.read())
    inputs = []
    for detail in ref.input_details:
        n = int(np.prod(detail["shape"]))
        i = np.arange(n, dtype=np.int64)
        assert detail["dtype"] == np.int8, detail
        zp = int(detail["quantization_parameters"]["zero_points"][0])
        inputs.append(np.clip(zp + (i * 131 + 7) % 8 - 4, -128, 127).astype(np.int8)
                      .reshape(detail["shape"]))
    return [o.tobytes().hex() for o in ref.invoke(inputs)]


def _run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)


def build_and_run(config, gen_dir, out_dir):
    """Compile, link and (with a QEMU board) run one configuration: a dict of what happened."""
    cpu, name, opt, std = config
    arch = ["-mthumb"] + cpu_flags()[cpu]
    build = os.path.join(out_dir, f"{cpu}-{name}")
    os.makedirs(build, exist_ok=True)
    common = arch + opt + ["-ffunction-sections", "-fdata-sections", "-ffp-contract=off",
                           "-Wall", "-Wextra", "-Werror"]
    cxx = ["arm-none-eabi-g++", f"-std={std}", "-fno-exceptions", "-fno-rtti",
           "-fno-threadsafe-statics", "-I", os.path.join(ROOT, "runtime", "include"),
           "-I", gen_dir] + common
    sources = sorted(os.path.join(d, f) for d, _, files in os.walk(os.path.join(ROOT, "runtime", "src"))
                     for f in files if f.endswith(".cpp") and "harness" not in d)
    sources += [os.path.join(gen_dir, f) for f in sorted(os.listdir(gen_dir)) if f.endswith(".cpp")]
    sources.append(os.path.join(FIRMWARE, "model_main.cpp"))
    start = time.monotonic()
    objects = []
    for src in sources:
        obj = os.path.join(build, os.path.basename(src) + ".o")
        r = _run(cxx + ["-c", src, "-o", obj], build)
        if r.returncode != 0:
            return {"ok": False, "stage": "compile " + os.path.relpath(src, ROOT), "log": r.stderr}
        objects.append(obj)
    startup = os.path.join(build, "startup.o")
    r = _run(["arm-none-eabi-gcc", "-std=c11"] + common + ["-c", os.path.join(FIRMWARE, "startup.c"),
                                                         "-o", startup], build)
    if r.returncode != 0:
        return {"ok": False, "stage": "compile startup.c", "log": r.stderr}
    elf = os.path.join(build, "fw.elf")
    r = _run(["arm-none-eabi-g++"] + arch + opt + [
        "--specs=nano.specs", "-nostartfiles", "-T", os.path.join(FIRMWARE, "firmware.ld"),
        "-Wl,--gc-sections", startup] + objects + ["-o", elf], build)
    if r.returncode != 0:
        return {"ok": False, "stage": "link", "log": r.stdout + r.stderr}
    result = {"ok": True, "seconds": time.monotonic() - start, "elf": elf, "output": None}
    machine = MACHINES.get(cpu)
    if machine:
        r = _run(["timeout", "120", "qemu-system-arm", "-machine", machine, "-nographic",
                  "-monitor", "none", "-serial", "none",
                  "-semihosting-config", "enable=on,target=native", "-kernel", elf], build)
        result["output"] = r.stdout + r.stderr  # semihosting output: stderr when not a tty
        result["exit"] = r.returncode
    return result


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """Every configuration built (and run), in parallel: {config name: result}."""
    work = tmp_path_factory.mktemp("build_matrix")
    gen_dir = str(work / "gen")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "scripts"))
    r = subprocess.run([sys.executable, "-m", "utensor", "convert", MODEL, "-o", gen_dir],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    jobs = max(1, int(os.environ.get("UTENSOR_JOBS", "2")))
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = dict(zip([f"{c[0]}-{c[1]}" for c in CONFIGS],
                           pool.map(lambda c: build_and_run(c, gen_dir, str(work)), CONFIGS)))
    print(f"\nbuild matrix: {len(CONFIGS)} builds in {time.monotonic() - start:.0f} s ({jobs} jobs); "
          + ", ".join(f"{k} {r['seconds']:.0f} s" for k, r in results.items() if r["ok"]))
    return results


@pytest.fixture(scope="module")
def expected():
    return expected_outputs(MODEL)


def test_cpu_flags_are_the_boards():
    flags = cpu_flags()
    assert set(CPUS) <= set(flags)
    assert flags["cortex-m55"] == ["-mcpu=cortex-m55", "-mfloat-abi=hard"]


def file_scope_asm_blocks(source, cpu):
    """The assembler text of each file-scope asm statement of a kernel source (those that
    start a line: the sources do not indent namespace scope), as the compiler sees it for
    `cpu` (preprocessed: the C string macros pasted in)."""
    r = _run(["arm-none-eabi-g++", "-mthumb", *cpu_flags()[cpu], "-std=gnu++11", "-E", "-P",
              "-I", os.path.join(ROOT, "runtime", "include"), source], ROOT)
    assert r.returncode == 0, r.stderr
    text, blocks = r.stdout, []
    for m in re.finditer(r"^__asm__\s*\(", text, re.M):
        i, parens, literals = m.end(), 1, []
        while parens:
            if text[i] == '"':  # a string literal: to its closing quote
                end = i + 1
                while text[end] != '"':
                    end += 2 if text[end] == "\\" else 1
                literals.append(ast.literal_eval(text[i:end + 1]))
                i = end
            elif text[i] in "()":
                parens += 1 if text[i] == "(" else -1
            i += 1
        blocks.append("".join(literals))
    return blocks


def test_file_scope_asm_blocks_assemble_alone(tmp_path):
    """Each file-scope asm block of the Helium kernels is complete in itself: it assembles
    alone (with -flto GCC may emit it apart from the others), defines and purges its own
    macros, and puts each function in a .text.<name> section of its own, restoring the
    section in use."""
    source = os.path.join(ROOT, "runtime", "src", "kernels", "arm", "conv2d_mve.cpp")
    blocks = file_scope_asm_blocks(source, "cortex-m55")
    assert len(blocks) == 5, blocks
    for n, block in enumerate(blocks):
        defined = re.findall(r"^\s*\.macro\s+(\w+)", block, re.M)
        purged = re.findall(r"^\s*\.purgem\s+(\w+)", block, re.M)
        assert sorted(defined) == sorted(purged), (n, defined, purged)
        assert block.lstrip().startswith(".syntax unified\n.thumb\n"), block[:80]
        assert block.rstrip().endswith(".syntax unified\n.thumb"), block[-80:]
        assert re.search(r"\.pushsection \.text\.\\name, \"ax\", %progbits", block) or \
            re.search(r"UT_FUNC \w+", block), block[:400]
        assert not re.search(r"^\s*\.text\s*$", block, re.M), "a block switches to .text itself"
        path = tmp_path / f"block{n}.s"
        path.write_text(block + "\n")
        r = _run(["arm-none-eabi-gcc", "-mthumb", *cpu_flags()["cortex-m55"], "-c", "-o",
                  str(tmp_path / f"block{n}.o"), str(path)], str(tmp_path))
        assert r.returncode == 0, f"block {n} does not assemble alone:\n{r.stderr[-3000:]}"
        sections = _run(["arm-none-eabi-objdump", "-h", str(tmp_path / f"block{n}.o")],
                        str(tmp_path)).stdout
        functions = re.findall(r"^\s*UT_\w*(?:PAIRS|QUADS|FUNC) (utensor_\w+)", block, re.M)
        assert functions, block[-400:]
        for name in functions:
            assert f".text.{name} " in sections, (name, sections)


@pytest.mark.parametrize("config", [f"{c[0]}-{c[1]}" for c in CONFIGS])
def test_builds_and_matches_reference(matrix, expected, config):
    result = matrix[config]
    assert result["ok"], f"{config}: {result['stage']} failed:\n{result['log'][-4000:]}"
    if result["output"] is None:  # no QEMU board for the core: built and linked
        return
    lines = result["output"]
    assert "DONE ok" in lines and result["exit"] == 0, lines
    printed = re.findall(r"^OUT \S+ (\d+) ([0-9a-f]*)$", lines, re.M)
    assert [hexdata for _, hexdata in printed] == expected, lines
