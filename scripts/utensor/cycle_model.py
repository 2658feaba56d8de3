"""The estimated cycle count's model as data: which boards it covers and what it assumes.

The costs themselves live in one place, the plugin's qemu_plugin/cycle_model.h (the
instruction classes of qemu_plugin/thumb_decode.h); `describe()` reads that table back so
the JSON of `utensor bench` carries the figures the plugin applied, beside the stated
assumptions. Stdlib only.
"""

import os
import re

from .qemu import CYCLE_CORES, PLUGIN_DIR

# Board core (boards.Board.cpu) -> the plugin's model of it.
MODELLED_CPUS = {"cortex-m4": "cortex-m4", "cortex-m7": "cortex-m7"}

COMMON_ASSUMPTIONS = [
    "zero-wait-state memory for code and data: no flash wait states, no cache misses, no bus "
    "contention; the write buffer never fills",
    "interrupts off during the measured span (the benchmark's invoke() runs with cpsid i)",
    "conditional instructions skipped inside an IT block cost what they would cost executed",
    "SDIV/UDIV (2..12 cycles by early termination on the operands) are charged their upper "
    "bound, 12: QEMU 7.2's plugin API cannot read the operands",
    "applied by the QEMU TCG plugin to the executed instruction stream: exact counts per "
    "cost class, pairing/pipelining decided between neighbours of one translated block, "
    "taken-branch refills added per executed block",
]

CORE_ASSUMPTIONS = {
    "cortex-m4": {
        "source": "Arm Cortex-M4 Technical Reference Manual (DDI0439B) 3.3.1 Table 3-1 "
                  "'Cortex-M4 instruction set summary', 3.3.2 'Load/store timings', 7.2.3 FPU "
                  "Table 7-1 (public reproduction: TI SWCU192, Cortex-M4F instruction cycle "
                  "counts)",
        "kind": "per-instruction timings of the TRM (single issue, 3-stage pipeline)",
        "assumptions": [
            "single loads 2 cycles, 1 when directly after a single load whose result does "
            "not form the address (load pipelining); STR immediate 1, STR register 2 (1 "
            "after a load)",
            "a load/store whose address uses the result of the data-processing instruction "
            "just before it: +1 (no forwarding path)",
            "LDRD/STRD 1+2, LDM/STM/PUSH/POP 1+N, VLDM/VSTM/VPUSH/VPOP 1+N",
            "taken branch 1+P with P = 1 for direct targets (B, B<c>, BL, CBZ), 2 for "
            "register targets (BX, BLX, MOV/ADD PC), 3 for loaded targets (LDR PC, POP {PC}, "
            "TBB/TBH), +1 when the target is a 32-bit instruction not on a word boundary",
            "MUL, MLA, MLS, long multiplies, SMLAD and the DSP/SIMD instructions 1",
            "FPU: VADD/VMUL & co 1, VMLA/VFMA & co 3, VDIV/VSQRT 14, VLDR/VSTR 2",
            "literal loads (LDR Rx,[PC,#imm]) cost as any load: the TRM's possible extra cycle "
            "of contention with instruction fetch is not charged",
        ],
    },
    "cortex-m7": {
        "source": "stated approximation: Arm publishes no per-instruction cycle table for the "
                  "Cortex-M7 (TRM DDI0489 describes the dual-issue 6-stage pipeline, the branch "
                  "predictor and the 64-bit memory interfaces only)",
        "kind": "approximation of a dual-issue in-order core",
        "assumptions": [
            "an instruction issues with the one before it (0 cycles) unless either is a "
            "multi-cycle or system instruction or a non-direct PC write, both access memory, "
            "both multiply, both are floating point, the second names a register the first "
            "writes, or the first already paired",
            "single loads, stores, LDRD/STRD, multiplies, MACs and VFP arithmetic issue in 1 "
            "cycle; LDM/STM/VLDM/VSTM ceil(N/2); VDIV/VSQRT 14",
            "load-to-use: an instruction naming a register the load just before it wrote "
            "waits 1 cycle",
            "conditional direct branches predicted by their last outcome (4096-entry history "
            "by address, first prediction not taken), a misprediction costs 4 cycles; "
            "register and loaded branch targets always cost the 4-cycle refill; "
            "unconditional direct branches (and a B made conditional by IT) are free of refill",
            "the branch history persists between runs: the second run of the same inference "
            "may be estimated a little faster than the first",
        ],
    },
}


def core_for_cpu(cpu):
    """The modelled core of a board's cpu (boards.Board.cpu), or None."""
    return MODELLED_CPUS.get(cpu)


def cost_table(plugin_dir=PLUGIN_DIR):
    """{core: {class: cycles or '1+N' / 'ceil(N/2)'}} read from the plugin's cycle_model.h."""
    with open(os.path.join(plugin_dir, "cycle_model.h"), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(plugin_dir, "thumb_decode.h"), encoding="utf-8") as f:
        decode = f.read()
    enum = re.search(r"enum CostClass \{(.*?)\};", decode, re.S).group(1)
    classes = re.findall(r"^\s*C_(\w+)", enum, re.M)
    classes = [c for c in classes if c != "COUNT"]
    defines = {m.group(1): int(m.group(2)) for m in re.finditer(r"#define (\w+) (\d+)", text)}
    rows = re.findall(r"/\* (M\d) \*/ \{([^}]*)\}", text)
    table = {}
    for core_tag, body in rows:
        core = {"M4": "cortex-m4", "M7": "cortex-m7"}[core_tag]
        values = []
        for v in (x.strip() for x in body.split(",")):
            n = defines[v] if v in defines else int(v)
            values.append(n if n >= 0 else ("1+N" if core == "cortex-m4" else "ceil(N/2)"))
        if len(values) != len(classes):
            raise ValueError(f"cycle_model.h: {core} row has {len(values)} costs for {len(classes)} classes")
        table[core] = {c.lower(): v for c, v in zip(classes, values)}
    if set(table) != set(CYCLE_CORES):
        raise ValueError("cycle_model.h: expected rows for %s" % ", ".join(CYCLE_CORES))
    return table


def describe(core):
    """The JSON object stating the model applied for `core`."""
    spec = CORE_ASSUMPTIONS[core]
    return {
        "core": core,
        "estimate": "cycles estimated from the executed instruction stream, not measured",
        "memory": "zero wait states",
        "source": spec["source"],
        "kind": spec["kind"],
        "assumptions": COMMON_ASSUMPTIONS + spec["assumptions"],
        "class_costs": cost_table()[core],
        "tables": "scripts/utensor/qemu_plugin/cycle_model.h",
        "checked_by": "test/test_cycle_model.py (microbenchmarks whose Cortex-M4 cycle counts the "
                      "TRM gives)",
    }
