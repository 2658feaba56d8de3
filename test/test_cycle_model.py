"""The estimated cycle count of the QEMU plugin (scripts/utensor/qemu_plugin/cycle_model.h)
checked on microbenchmarks whose Cortex-M4 cycle counts the Technical Reference Manual
gives (DDI0439B, Table 3-1 and 3.3.2 "Load/store timings"; FPU Table 7-1), at zero wait
states.

One bare-metal image (no C library, no startup code but a vector table) runs every
sequence between two counter markers on mps2_an386; the plugin estimates both cores on
the same instruction stream, so the Cortex-M7 figures are checked against the stated
dual-issue approximation of cycle_model.h (Arm publishes no M7 cycle table), the M4
figures against the TRM.

The decoder itself is checked against arm-none-eabi-objdump on every instruction GCC
emits for ten kernel sources.

Needs arm-none-eabi-gcc and qemu-system-arm (skipped otherwise); about 30 s, mostly
compiling the kernels for the decoder check.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from utensor import qemu  # noqa: E402

needs_tools = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "qemu-system-arm", "timeout")),
    reason="needs arm-none-eabi-gcc, qemu-system-arm and timeout on PATH")

# (name, assembly between two markers, Cortex-M4 cycles and the TRM's reason,
#  Cortex-M7 cycles under the stated approximation). r4 points at a 64-byte data block in
# RAM whose first word holds its own address; r11 is the marker's register, left alone.
CASES = [
    ("alu_independent", "adds r0, r1, #1\nadds r2, r3, #1\nadds r5, r6, #1\nadds r7, r8, #1\n"
     "add r9, r10, #1\nadd r12, r1, #2\neor r0, r0, r0\norr r2, r2, r2",
     8, "data processing 1 each", 4),
    ("alu_dependent_chain", "adds r0, r0, #1\nadds r0, r0, #1\nadds r0, r0, #1\nadds r0, r0, #1",
     4, "1 each", 4),
    ("ldr_single", "ldr r0, [r4, #4]\nadds r1, r2, #1", 3, "LDR 2, then 1", 1),
    ("ldr_pipelined", "ldr r0, [r4, #4]\nldr r1, [r4, #8]\nldr r2, [r4, #12]\nldrb r3, [r4, #1]",
     5, "LDR 2 then 1 each: neighbouring loads pipeline", 4),
    ("ldr_address_from_load", "ldr r0, [r4]\nldr r1, [r0, #4]",
     4, "the second load's address is the first's result: no pipelining, 2 + 2", 3),
    ("str_then_ldr", "str r0, [r4, #4]\nldr r1, [r4, #8]",
     3, "STR 1, LDR 2: nothing pipelines after a store", 2),
    ("str_immediate", "str r0, [r4, #4]\nstr r1, [r4, #8]\nstrh r2, [r4, #12]",
     3, "STR Rx,[Ry,#imm] is always one cycle", 3),
    ("ldr_then_str_register_offset", "movs r5, #8\nnop\nldr r0, [r4, #4]\nstr r0, [r4, r5]",
     5, "MOVS 1, NOP 1, LDR 2, STR [reg] pipelined after a load 1", 5),
    ("address_from_alu", "adds r5, r4, #8\nldr r0, [r5]",
     4, "ADDS 1, LDR 2 + 1: address from the preceding data operation (no forwarding)", 2),
    ("ldm_stm", "ldm r4, {r0-r3}\nstm r4, {r0-r3}", 10, "LDM/STM 1+N, N=4", 5),
    ("push_pop", "push {r0-r3, r5}\npop {r0-r3, r5}", 12, "PUSH/POP 1+N, N=5", 6),
    ("ldrd_strd", "ldrd r0, r1, [r4, #8]\nstrd r0, r1, [r4, #16]", 6, "LDRD/STRD 1+N, N=2", 3),
    ("multiplies", "mul r0, r1, r2\nmla r3, r1, r2, r3\nmls r5, r1, r2, r5\nsmull r6, r7, r1, r2\n"
     "smlal r8, r9, r1, r2\nsmlad r10, r1, r2, r10\nsmulbb r12, r1, r2",
     7, "MUL, MLA, MLS, SMULL, SMLAL, SMLAD, SMULBB: 1 each", 7),
    ("simd_dsp", "sadd16 r0, r1, r2\nuxtb16 r3, r1\nssat r5, #8, r1\nqadd r6, r1, r2",
     4, "parallel add, extend, saturate: 1 each", 2),
    ("sdiv_assumed_worst_case", "sdiv r0, r1, r2", 12,
     "SDIV 2..12: the model charges the upper bound (operands are not visible to the plugin)", 12),
    ("loop_subs_bne", "movs r0, #10\n1:\nsubs r0, r0, #1\nbne 1b",
     30, "MOVS 1 + 10 x SUBS 1 + 10 x BNE 1 + 9 taken x P=1 (direct, aligned 16-bit target)", 19),
    ("dsp_mac_loop", "movs r0, #4\n1:\nldr r1, [r4, #4]\nldr r2, [r4, #8]\nsxtb16 r3, r1\n"
     "sxtb16 r5, r2\nsmlad r6, r3, r5, r6\nsubs r0, r0, #1\nbne 1b",
     36, "MOVS 1 + 4 x (LDR 2, LDR pipelined 1, SXTB16 1, SXTB16 1, SMLAD 1, SUBS 1, BNE 1) "
     "+ 3 taken x P=1", 28),
    ("branch_to_unaligned_32bit", "b.n 2f\n.balign 4\nnop\n2:\nadd.w r0, r0, #1",
     4, "B 1+P, P=2: the target is a 32-bit instruction off a word boundary; ADD.W 1", 2),
    ("call_return", "bl leaf_bx", 5, "BL 1+P (P=1) + BX LR 1+P (P=2: register target)", 6),
    ("call_pop_pc", "bl leaf_pop", 9, "BL 1+1 + PUSH {lr} 1+1 + POP {pc} 1+N+P (N=1, P=3)", 7),
    ("ldr_pc", "adr.w r0, 3f\nadds r0, r0, #1\nstr r0, [r4, #32]\nldr pc, [r4, #32]\nnop\n3:",
     8, "ADR 1, ADDS 1, STR 1, LDR PC 2+P (P=3: loaded target)", 8),
    ("fpu_ops", "vadd.f32 s0, s1, s2\nvmul.f32 s3, s1, s2\nvmla.f32 s4, s1, s2\nvfma.f32 s5, s1, s2\n"
     "vdiv.f32 s6, s1, s2\nvsqrt.f32 s7, s1",
     36, "VADD 1, VMUL 1, VMLA 3, VFMA 3, VDIV 14, VSQRT 14", 32),
    ("fpu_load_store", "vldr s0, [r4, #8]\nvstr s0, [r4, #12]\nvldm r4, {s0-s3}\nvmov r0, s1",
     10, "VLDR 2, VSTR 2, VLDM 1+N (N=4), VMOV 1", 5),
]

_PROLOGUE = """\
    .syntax unified
    .thumb
    .section .vectors, "a"
    .word 0x20400000
    .word reset
    .text
    .thumb_func
reset:
    ldr r0, =0xE000ED88          @ CPACR: enable CP10/CP11 (the FPU)
    ldr r1, [r0]
    orr r1, r1, #0x00F00000
    str r1, [r0]
    dsb
    isb
    ldr r4, =0x20001000
    str r4, [r4]
    movs r1, #3
    movs r2, #5
    vmov s1, r1
    vmov s2, r2
    vcvt.f32.s32 s1, s1
    vcvt.f32.s32 s2, s2
"""

_EPILOGUE = """\
    movs r0, #0x18               @ semihosting SYS_EXIT, ADP_Stopped_ApplicationExit
    ldr r1, =0x20026
    bkpt 0xab
    .thumb_func
leaf_bx:
    bx lr
    .thumb_func
leaf_pop:
    push {lr}
    pop {pc}
    .ltorg
"""


def _source():
    body = []
    for name, code, _m4, _why, _m7 in CASES:
        body += ["    @ %s" % name, "    mov r11, r11", "    .balign 4"]
        # The marker before each case is followed by an aligned 16-bit NOP so every case
        # starts in the same state (the marker itself never pairs on the M7).
        body += ["    mov r11, r11"] + ["    " + line for line in code.splitlines()]
    body.append("    mov r11, r11")
    return _PROLOGUE + "\n".join(body) + "\n" + _EPILOGUE


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    d = tmp_path_factory.mktemp("cycle_model")
    src = d / "bench.S"
    src.write_text(_source())
    elf = d / "bench.elf"
    build = subprocess.run(
        ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard",
         "-nostdlib", "-nostartfiles", "-Wl,--entry=reset", "-Wl,--section-start=.vectors=0", "-Wl,-Ttext=0x40",
         "-o", str(elf), str(src)], capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr
    cmd = ["timeout", "60"] + qemu.qemu_command("mps2_an386", str(elf), "null", qemu.plugin_args())
    run = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    marks, total = qemu.parse_cycles(log)
    imarks, _ = qemu.parse_icount(log)
    assert total is not None and len(marks) == 2 * len(CASES) + 1, log
    return marks, imarks


def _case_marks(marks, i):
    """The marks around case i: the second of its two leading markers and the next one."""
    return marks[2 * i + 1][1], marks[2 * i + 2][1]


@needs_tools
@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_cortex_m4_matches_trm(measured, index):
    marks, _ = measured
    name, code, m4, why, _m7 = CASES[index]
    a, b = _case_marks(marks, index)
    # Each mark reports the cycles before it; the marker itself costs 1.
    assert b["cortex-m4"] - a["cortex-m4"] - 1 == m4, "%s (%s):\n%s" % (name, why, code)


@needs_tools
@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_cortex_m7_matches_stated_approximation(measured, index):
    marks, _ = measured
    name, code, _m4, _why, m7 = CASES[index]
    a, b = _case_marks(marks, index)
    assert b["cortex-m7"] - a["cortex-m7"] - 1 == m7, "%s:\n%s" % (name, code)


@needs_tools
def test_instruction_count_unchanged_by_the_model(measured):
    """The exact count still counts one per instruction: the straight-line
    alu_independent case is 8 instructions."""
    _, imarks = measured
    i = [c[0] for c in CASES].index("alu_independent")
    assert imarks[2 * i + 2][2] - 1 == 8


# -- the decoder against an independent disassembler ------------------------------------

_HARNESS = r"""
#include <stdio.h>
#include <stdlib.h>
#include "thumb_decode.h"
int main(void) {
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    unsigned h1 = 0, h2 = 0;
    int k = sscanf(line, "%x %x", &h1, &h2);
    Insn d = k == 2 ? decode32(h1, h2) : decode16(h1);
    printf("%d %d %d\n", d.cls, d.pcw, d.n);
  }
  return 0;
}
"""

CLASSES = ["alu", "it", "mul", "mull", "div", "ld", "st_imm", "st_reg", "ldrd", "ldm", "br", "tb",
           "fp1", "fp_mac", "fp_div", "fp_ld", "fp_ldm", "fp_mov2", "sys", "mark"]
_CONDS = ("eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "hs", "lo", "al")
_MULL = ("smull", "umull", "smlal", "umlal", "umaal", "smlald", "smlaldx", "smlsld", "smlsldx",
         "smlalbb", "smlalbt", "smlaltb", "smlaltt")


def _expected(mnemonic, operands):
    """The cost class of an objdump mnemonic, decided from its text alone."""
    base = mnemonic.split(".")[0]
    for c in _CONDS:  # conditional forms inside IT blocks: addeq, ldrne...
        if len(base) > 3 and base.endswith(c) and base[:-2] in _KNOWN:
            base = base[:-2]
            break
    regs = [o.strip() for o in operands.replace("{", "").replace("}", "").split(",")]
    if base in ("push", "pop", "ldm", "ldmia", "ldmdb", "ldmfd", "stm", "stmia", "stmdb", "stmea"):
        return "ldm"
    if base in ("vpush", "vpop", "vldmia", "vldmdb", "vstmia", "vstmdb", "vldm", "vstm"):
        return "fp_ldm"
    if base in ("vldr", "vstr"):
        return "fp_ld"
    if base in ("ldrd", "strd"):
        return "ldrd"
    if base.startswith(("ldr", "pld", "pli")):
        return "ld"
    if base.startswith("str"):
        return "st_reg" if re.search(r"\[\w+, (r\d+|ip|lr|sl|fp|sb)", operands) and "strex" not in base else "st_imm"
    if base in ("tbb", "tbh"):
        return "tb"
    if base in ("b", "bl", "bx", "blx", "cbz", "cbnz") or (base[:1] == "b" and base[1:] in _CONDS):
        return "br"
    if re.fullmatch(r"it[te]{0,3}", base):
        return "it"
    if base in ("sdiv", "udiv"):
        return "div"
    if base in _MULL:
        return "mull"
    if base in ("mul", "muls", "mla", "mls", "usad8", "usada8") or base.startswith(("smla", "smul", "smmul", "smmla", "smmls", "smuad", "smusd", "smlsd", "smlaw", "smulw")):
        return "mul"
    if base in ("vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"):
        return "fp_mac"
    if base in ("vdiv", "vsqrt"):
        return "fp_div"
    if base == "vmov" and sum(1 for r in regs if re.fullmatch(r"r\d+|ip|lr|sl|fp|sb", r)) == 2:
        return "fp_mov2"
    if base.startswith("v"):
        return "fp1"
    if base in ("nop", "dmb", "dsb", "isb", "cpsid", "cpsie", "bkpt", "svc", "udf", "wfi", "wfe", "sev", "yield", "msr"):
        return "sys"
    if base in ("mov", "add") and regs and regs[0] == "pc":
        return "br"
    return "alu"


_KNOWN = {"add", "adds", "sub", "subs", "mov", "movs", "ldr", "str", "ldrb", "strb", "ldrh", "strh",
          "b", "bx", "cmp", "orr", "and", "eor", "mvn", "lsl", "lsr", "asr", "rsb", "bic", "ldrsb",
          "ldrsh", "mul", "muls", "mla", "pop", "push", "ssat", "usat", "sxtb", "uxtb", "sxth", "uxth",
          "sdiv", "udiv"}


def _disassembled(obj):
    raw = subprocess.run(["arm-none-eabi-objdump", "-d", str(obj)],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in raw.splitlines():
        m = re.match(r"^\s+[0-9a-f]+:\s+([0-9a-f]{4})(?: ([0-9a-f]{4}))?\s+\t(\S+)\s*(.*)$", line)
        if m and not m.group(3).startswith("."):
            rows.append((m.group(1), m.group(2), m.group(3), m.group(4).split(";")[0].strip()))
    return rows


def _transfer_words(operands):
    """Words moved by a multiple transfer: its register list, ranges expanded, a D register
    counting 2 (the model's N for FPv4/FPv5-SP)."""
    words = 0
    for item in re.search(r"\{(.*)\}", operands).group(1).split(","):
        item = item.strip()
        m = re.fullmatch(r"([rsd])(\d+)-[rsd](\d+)", item)
        count = int(m.group(3)) - int(m.group(2)) + 1 if m else 1
        words += count * (2 if item.startswith("d") else 1)
    return words


@needs_tools
@pytest.mark.parametrize("cpu,fpu", [("cortex-m4", "fpv4-sp-d16"), ("cortex-m7", "fpv5-sp-d16")])
def test_decoder_agrees_with_objdump_on_the_kernels(tmp_path, cpu, fpu):
    """Every instruction GCC emits for the runtime's kernels (reference and DSP paths) is
    classified as objdump's mnemonic says."""
    if shutil.which("arm-none-eabi-objdump") is None or shutil.which("cc") is None:
        pytest.skip("needs arm-none-eabi-objdump and cc")
    harness = tmp_path / "decode"
    src = tmp_path / "decode.c"
    src.write_text(_HARNESS)
    subprocess.run(["cc", "-O1", "-I", qemu.PLUGIN_DIR, "-o", str(harness), str(src)], check=True)
    kernels = os.path.join(ROOT, "runtime", "src", "kernels")
    sources = [os.path.join(kernels, "reference", f) for f in ("fully_connected.cpp", "conv2d.cpp", "softmax.cpp",
                                                                "quantize.cpp", "pooling.cpp", "elementwise.cpp")]
    sources += [os.path.join(kernels, "arm", f) for f in ("fully_connected_dsp.cpp", "conv2d_dsp.cpp",
                                                          "depthwise_conv2d_dsp.cpp", "pooling_dsp.cpp")]
    rows = []
    for i, s in enumerate(sources):
        obj = tmp_path / ("k%d.o" % i)
        subprocess.run(["arm-none-eabi-g++", "-mcpu=" + cpu, "-mthumb", "-mfpu=" + fpu, "-mfloat-abi=hard",
                        "-O2", "-std=c++11", "-fno-exceptions", "-fno-rtti",
                        "-I", os.path.join(ROOT, "runtime", "include"), "-c", s, "-o", str(obj)], check=True)
        rows += _disassembled(obj)
    assert len(rows) > 2000
    feed = "".join(("%s %s\n" % (h1, h2)) if h2 else ("%s\n" % h1) for h1, h2, _, _ in rows)
    got = subprocess.run([str(harness)], input=feed, capture_output=True, text=True, check=True).stdout.split("\n")
    wrong = []
    for (h1, h2, mn, ops), line in zip(rows, got):
        cls, pcw, n = (int(x) for x in line.split())
        want = _expected(mn, ops)
        if CLASSES[cls] != want:
            wrong.append("%s %s %s %s: decoded %s, objdump says %s" % (h1, h2 or "", mn, ops, CLASSES[cls], want))
        elif want in ("ldm", "fp_ldm") and n != _transfer_words(ops):
            wrong.append("%s %s %s: %d registers decoded" % (mn, ops, h1, n))
    assert not wrong, "\n".join(wrong[:40])
    seen = {_expected(mn, ops) for _, _, mn, ops in rows}
    # The comparison covered the classes that matter for kernels, not only data processing.
    assert {"alu", "it", "mul", "mull", "ld", "st_imm", "st_reg", "ldrd", "ldm", "br", "fp1"} <= seen, seen


# -- parsing and reporting (no tools) --------------------------------------------------

def test_parse_cycles_and_segments():
    from utensor.bench import runner

    log = ("utensor-icount: mark 0 at 10 (+10)\nutensor-cycles: mark 0 m4 20 m7 12\n"
           "utensor-icount: mark 1 at 15 (+5)\nutensor-cycles: mark 1 m4 31 m7 16\n"
           "utensor-icount: total 20\nutensor-cycles: total m4 40 m7 22\n")
    marks, total = qemu.parse_cycles(log)
    assert marks == [(0, {"cortex-m4": 20, "cortex-m7": 12}), (1, {"cortex-m4": 31, "cortex-m7": 16})]
    assert total == {"cortex-m4": 40, "cortex-m7": 22}
    # The instruction lines still parse as before.
    assert qemu.parse_icount(log) == ([(0, 10, 10), (1, 15, 5)], 20)
    r = runner.RunResult(0, 0, [0], [0], [[b""]], marks=[10, 15],
                         cycle_marks={"cortex-m4": [20, 31], "cortex-m7": [12, 16]})
    # Between the marks: everything after the first mark (1 cycle) up to the second.
    assert r.cycle_segments(2, "cortex-m4") == [[10]] and r.cycle_segments(2, "cortex-m7") == [[3]]
    with pytest.raises(Exception):
        r.cycle_segments(3, "cortex-m4")


def test_model_description_reads_the_plugin_table():
    from utensor import cycle_model

    table = cycle_model.cost_table()
    assert table["cortex-m4"]["div"] == 12 and table["cortex-m4"]["fp_mac"] == 3
    assert table["cortex-m7"]["ldm"] == "ceil(N/2)"
    for core in ("cortex-m4", "cortex-m7"):
        d = cycle_model.describe(core)
        assert d["memory"] == "zero wait states" and d["assumptions"] and d["source"]
    assert cycle_model.core_for_cpu("cortex-m4") == "cortex-m4"
    assert cycle_model.core_for_cpu("cortex-m55") is None
