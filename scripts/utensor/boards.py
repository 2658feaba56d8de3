"""The emulated boards utensor targets: one table, read by the CLI, the harness and the
PlatformIO dev-platform.

The board JSON files of the dev-platform (`platformio/platform/boards/<id>.json`) are
generated from this table (`python -m utensor.boards --write-json DIR`); a test fails when
they drift apart. Memory maps are QEMU 7.2's (`info mtree -f`), which follow the Arm FPGA
image documents (AN385/AN386/AN500/AN505/AN547) and the STM32F405 / nRF51822 data sheets.
Secure aliases are used on the TrustZone boards (AN505, AN547) because their cores boot
in Secure state.
"""

import json
import os
import sys
from dataclasses import dataclass, field

from .errors import BoardError


@dataclass(frozen=True)
class Region:
    """A memory region the linker places sections into."""

    name: str
    origin: int
    length: int


@dataclass(frozen=True)
class Board:
    """One emulated board: how QEMU runs it and what the firmware may use."""

    board_id: str
    name: str
    qemu_machine: str
    cpu: str  # GCC -mcpu value
    core: str  # human-readable core name
    family: str  # UART/BSP family: "cmsdk", "stm32f4", "nrf51"
    uart: str  # which UART carries the serial port
    uart_base: int
    systick_hz: int  # SysTick processor clock under QEMU (CLKSOURCE=1)
    code: Region  # vectors and .text
    const: Region  # .rodata (weights) and the load image of .data
    ram: Region  # .data, .bss, heap, stack
    vendor: str = "Arm"
    url: str = ""
    notes: str = ""
    fpu: bool = field(default=False)

    @property
    def flash_bytes(self):
        """Bytes available to code plus constants (what `upload.maximum_size` checks)."""
        if self.code == self.const:
            return self.code.length
        return self.code.length + self.const.length

    @property
    def ram_bytes(self):
        return self.ram.length


KB = 1024
MB = 1024 * 1024

_MPS2_CODE = Region("CODE", 0x00000000, 4 * MB)  # ZBT SSRAM1
_MPS2_RAM = Region("RAM", 0x20000000, 4 * MB)  # ZBT SSRAM2&3


def _mps2(board_id, machine, cpu, core, fpu, note):
    return Board(
        board_id=board_id,
        name="Arm MPS2 %s (%s, QEMU)" % (machine.split("-")[1].upper(), core),
        qemu_machine=machine,
        cpu=cpu,
        core=core,
        family="cmsdk",
        uart="CMSDK UART0",
        uart_base=0x40004000,
        systick_hz=25000000,
        code=_MPS2_CODE,
        const=_MPS2_CODE,
        ram=_MPS2_RAM,
        url="https://developer.arm.com/documentation/dai0%s/latest/" % machine[-3:],
        notes=note,
        fpu=fpu,
    )


BOARDS = {
    b.board_id: b
    for b in (
        _mps2("mps2_an385", "mps2-an385", "cortex-m3", "Cortex-M3", False,
              "FPGA image AN385: 4 MB SSRAM1 for code, 4 MB SSRAM2/3 for data."),
        _mps2("mps2_an386", "mps2-an386", "cortex-m4", "Cortex-M4F", True,
              "FPGA image AN386: 4 MB SSRAM1 for code, 4 MB SSRAM2/3 for data."),
        _mps2("mps2_an500", "mps2-an500", "cortex-m7", "Cortex-M7", True,
              "FPGA image AN500: 4 MB SSRAM1 for code, 4 MB SSRAM2/3 for data."),
        Board(
            board_id="mps2_an505",
            name="Arm MPS2+ AN505 (Cortex-M33, QEMU)",
            qemu_machine="mps2-an505",
            cpu="cortex-m33",
            core="Cortex-M33",
            family="cmsdk",
            uart="CMSDK UART0 (Secure alias)",
            uart_base=0x50200000,
            systick_hz=20000000,
            code=Region("CODE", 0x10000000, 4 * MB),  # ZBT SSRAM1, Secure alias
            const=Region("CODE", 0x10000000, 4 * MB),
            ram=Region("RAM", 0x38000000, 4 * MB),  # ZBT SSRAM2&3, Secure alias
            url="https://developer.arm.com/documentation/dai0505/latest/",
            notes="SSE-200 subsystem; runs in Secure state, SAU off.",
            fpu=True,
        ),
        Board(
            board_id="mps3_an547",
            name="Arm MPS3 AN547 (Cortex-M55, QEMU)",
            qemu_machine="mps3-an547",
            cpu="cortex-m55",
            core="Cortex-M55",
            family="cmsdk",
            uart="CMSDK UART0 (Secure alias)",
            uart_base=0x59303000,
            systick_hz=32000000,
            code=Region("CODE", 0x10000000, 512 * KB),  # ITCM, Secure alias
            const=Region("CONST", 0x11000000, 2 * MB),  # FPGA SRAM, Secure alias
            ram=Region("RAM", 0x31000000, 4 * MB),  # SSE-300 internal SRAM, Secure alias
            url="https://developer.arm.com/documentation/dai0547/latest/",
            notes="SSE-300 subsystem with Helium (MVE); runs in Secure state, SAU off.",
            fpu=True,
        ),
        Board(
            board_id="netduinoplus2",
            name="Netduino Plus 2 (STM32F405RG, QEMU)",
            qemu_machine="netduinoplus2",
            cpu="cortex-m4",
            core="Cortex-M4F",
            family="stm32f4",
            uart="USART1",
            uart_base=0x40011000,
            systick_hz=168000000,
            code=Region("FLASH", 0x08000000, 1 * MB),
            const=Region("FLASH", 0x08000000, 1 * MB),
            # 128 KB SRAM1+SRAM2 as on silicon. The 64 KB CCM at 0x10000000 is not
            # modelled by QEMU 7.2, so nothing is placed there.
            ram=Region("RAM", 0x20000000, 128 * KB),
            vendor="Wilderness Labs",
            url="https://www.st.com/en/microcontrollers-microprocessors/stm32f405rg.html",
            notes="STM32F405RG: 1 MB flash, 128 KB SRAM (+64 KB CCM unused).",
            fpu=True,
        ),
        Board(
            board_id="microbit",
            name="BBC micro:bit v1 (nRF51822, QEMU)",
            qemu_machine="microbit",
            cpu="cortex-m0",
            core="Cortex-M0",
            family="nrf51",
            uart="UART0",
            uart_base=0x40002000,
            systick_hz=16000000,
            code=Region("FLASH", 0x00000000, 256 * KB),
            const=Region("FLASH", 0x00000000, 256 * KB),
            ram=Region("RAM", 0x20000000, 16 * KB),
            vendor="BBC",
            url="https://www.nordicsemi.com/Products/nRF51822",
            notes="nRF51822: 256 KB flash, 16 KB RAM.",
            fpu=False,
        ),
    )
}

DEFAULT_BOARD = "mps2_an386"


def board_ids():
    """All board ids, in table order."""
    return list(BOARDS)


def get_board(board_id):
    """Return the Board for board_id or raise BoardError listing the valid ids."""
    try:
        return BOARDS[board_id]
    except KeyError:
        raise BoardError(
            "Unknown board id %r. utensor's emulated boards are: %s. For a real board, "
            "use its PlatformIO board id and platform and pass the serial port "
            "(--port) instead of --board." % (board_id, ", ".join(BOARDS))
        ) from None


def platformio_board_json(board):
    """The PlatformIO board manifest of an emulated board (as a dict)."""
    return {
        "build": {
            "cpu": board.cpu,
            "mcu": board.board_id,
            "f_cpu": "%dL" % board.systick_hz,
            "utensor": {
                "qemu_machine": board.qemu_machine,
                "family": board.family,
                "uart_base": "0x%08X" % board.uart_base,
                "systick_hz": board.systick_hz,
                "fpu": board.fpu,
                "memory": {
                    key: {"name": r.name, "origin": "0x%08X" % r.origin, "length": r.length}
                    for key, r in (("code", board.code), ("const", board.const),
                                   ("ram", board.ram))
                },
            },
        },
        "frameworks": [],
        "name": board.name,
        "upload": {
            "maximum_ram_size": board.ram_bytes,
            "maximum_size": board.flash_bytes,
            "protocol": "qemu",
            "protocols": ["qemu"],
        },
        "url": board.url,
        "vendor": board.vendor,
    }


def write_board_jsons(directory):
    """Write <id>.json for every board into directory; return the paths written."""
    paths = []
    os.makedirs(directory, exist_ok=True)
    for board in BOARDS.values():
        path = os.path.join(directory, board.board_id + ".json")
        text = json.dumps(platformio_board_json(board), indent=2) + "\n"
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        paths.append(path)
    return paths


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "--write-json":
        for path in write_board_jsons(argv[1]):
            print(path)
        return 0
    for board in BOARDS.values():
        print("%-14s %-14s %-11s flash %7d KB  ram %6d KB" % (
            board.board_id, board.qemu_machine, board.core,
            board.flash_bytes // KB, board.ram_bytes // KB))
    return 0


if __name__ == "__main__":
    sys.exit(main())
