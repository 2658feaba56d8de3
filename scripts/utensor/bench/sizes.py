"""Where a firmware's flash and RAM go, from its GNU ld map file (-Wl,-Map, which the
utensor-qemu builder always writes).

Every input section the linker placed in a loaded output section is attributed to the
object it came from, and the object to a category:

  model     the generated model (<name>.o, utensor_models.o); its constant arrays kT<n>
            are split off as "weights", its arena as "arena"
  runtime   the utensor library archive (runtime core, library, kernels)
  driver    the benchmark's own main.o; its input arrays (section .rodata.utensor_bench_input) as "bench_input"
  bsp       board support (startup, UART, port)
  libc      toolchain libraries (newlib-nano, libgcc, libstdc++)
  padding   alignment fill between input sections and output sections

Flash = .vectors + .text + .ARM.extab + .ARM.exidx + .rodata + .init_array + the load
image of .data (what `arm-none-eabi-size -B` calls text + data); RAM = .data + .bss (the
stack reserve is not static data). Sums are exact: whatever the map does not attribute
counts as padding, so the categories add up to the ELF's figures byte for byte.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict

FLASH_SECTIONS = (".vectors", ".text", ".ARM.extab", ".ARM.exidx", ".rodata", ".init_array", ".data")
RAM_SECTIONS = (".data", ".bss")

_OUT_RE = re.compile(r"^(\.[A-Za-z0-9_.]+)(?:\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+))?")
_IN_RE = re.compile(r"^\s+(?:(\S+)\s+)?0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)(?:\s+(\S.*))?$")
_NAME_ONLY_RE = re.compile(r"^\s+(\S+)\s*$")
# kT<n>, and opN_filter: FULLY_CONNECTED weights the DSP build keeps interleaved instead.
_WEIGHT_RE = re.compile(r"^\.rodata\._ZN12_GLOBAL__N_1L?\d*(?:kT\d+|op\d+_filter)E$")
_INPUT_RE = re.compile(r"^\.rodata\.utensor_bench_input$")
_ARENA_RE = re.compile(r"^\.bss\.(?:_ZN12_GLOBAL__N_1\d*(?:default_)?arenaE|utensor_shared_arena|utensor_state_\w+)$")  # (anonymous)::default_arena; --shared-arena: the shared arena, a model's state


@dataclass
class Split:
    """Bytes per category within one memory (flash or RAM)."""

    total: int = 0
    by_category: Dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def get(self, category: str) -> int:
        return self.by_category.get(category, 0)


@dataclass
class MemoryMap:
    flash: Split
    ram: Split
    section_sizes: Dict[str, int]


def classify(obj: str, model_objects) -> str:
    path = obj.replace("\\", "/")
    base = re.sub(r"^.*/", "", path)
    if "/utensor_gen/" in path or ("/src/" in path and base in model_objects):
        return "model"
    # PlatformIO builds each library into .pio/build/<env>/lib<hex id>/lib<name>.a.
    if re.search(r"\.pio/build/[^/]+/lib[0-9a-f]+/", path):
        return "runtime"
    if "/utensor_bsp/" in path:
        return "bsp"
    if "/src/" in path:
        return "driver"
    return "libc"


def parse_map(text: str, model_name: str) -> MemoryMap:
    """Flash and RAM of the firmware behind a linker map, split by category."""
    model_objects = {f"{model_name}.o", "utensor_models.o"}
    start = text.find("Linker script and memory map")
    lines = text[start:].splitlines() if start >= 0 else text.splitlines()
    entries = defaultdict(list)  # output section -> [(input name, size, category)]
    sizes: Dict[str, int] = {}
    current = None
    pending_name = None
    for line in lines:
        if not line:
            continue
        if not line[0].isspace():
            m = _OUT_RE.match(line)
            current = m.group(1) if m else None
            pending_name = None
            if m and m.group(3) is not None:
                sizes[current] = int(m.group(3), 16)
            elif m:
                pending_name = "\0out"  # the address/size follow on the next line
            continue
        if current is None:
            continue
        m = _IN_RE.match(line)
        if m:
            name, size, obj = m.group(1), int(m.group(3), 16), m.group(4)
            if pending_name == "\0out" and name is None and obj is None:
                sizes[current] = size
                pending_name = None
                continue
            if name is None:
                name, pending_name = pending_name, None
            if name is None and obj is None:
                continue
            if size == 0:
                continue
            if name == "*fill*" or obj is None:
                category = "padding"
            else:
                category = classify(obj, model_objects)
                if category == "model" and _WEIGHT_RE.match(name or ""):
                    category = "weights"
                elif category == "model" and _ARENA_RE.match(name or ""):
                    category = "arena"
                elif category == "driver" and _INPUT_RE.match(name or ""):
                    category = "bench_input"
            entries[current].append((name, size, category))
            continue
        m = _NAME_ONLY_RE.match(line)
        if m and not m.group(1).startswith("*") and pending_name != "\0out":
            pending_name = m.group(1)

    def split(section_names) -> Split:
        s = Split()
        for sec in section_names:
            size = sizes.get(sec, 0)
            attributed = 0
            for _, n, category in entries.get(sec, []):
                s.by_category[category] += n
                attributed += n
            s.by_category["padding"] += size - attributed
            s.total += size
        s.by_category = dict(s.by_category)
        return s

    return MemoryMap(split(FLASH_SECTIONS), split(RAM_SECTIONS), sizes)
