"""SCons builder of the utensor-qemu dev-platform.

Compiles the project for one emulated board with the Arm GNU toolchain (utensor.tools),
links it with the board support in ../bsp (vector table, startup, UART, port API) and a
linker script generated from the board JSON, and makes `upload` run the firmware in QEMU
(through scripts/utensor/qemu.py, the one module that knows QEMU's command line).
"""

import os
import sys

from SCons.Script import (  # pylint: disable=import-error
    AlwaysBuild,
    Builder,
    COMMAND_LINE_TARGETS,
    Default,
    DefaultEnvironment,
)

env = DefaultEnvironment()
platform = env.PioPlatform()
board = env.BoardConfig()

PLATFORM_DIR = os.path.realpath(platform.get_dir())
BSP_DIR = os.path.join(PLATFORM_DIR, "bsp")
# The platform lives in the utensor library tree (platformio/platform): the port API
# header and the Python package are found relative to it.
LIBRARY_DIR = os.path.dirname(os.path.dirname(PLATFORM_DIR))
RUNTIME_INCLUDE = os.path.join(LIBRARY_DIR, "runtime", "include")
SCRIPTS_DIR = os.path.join(LIBRARY_DIR, "scripts")

if not os.path.isfile(os.path.join(RUNTIME_INCLUDE, "utensor", "port.hpp")):
    sys.stderr.write(
        "Error: the utensor-qemu dev-platform at %s is not inside a utensor library tree "
        "(%s is missing). Point `platform =` at the library's own folder with "
        "`symlink:///path/to/utensor/platformio/platform`, not at a copy.\n"
        % (PLATFORM_DIR, os.path.join(RUNTIME_INCLUDE, "utensor", "port.hpp"))
    )
    env.Exit(1)

if SCRIPTS_DIR not in sys.path:
    sys.path.insert(0, SCRIPTS_DIR)
from utensor.tools import ToolNotFound, find_tool  # noqa: E402  pylint: disable=wrong-import-position

# The toolchain is called by plain name below; put its folder first on the build's PATH so
# a PlatformIO started without /usr/bin (or the toolchain's own folder) on PATH finds it.
try:
    env.PrependENVPath("PATH", os.path.dirname(
        find_tool("arm-none-eabi-gcc", "utensor's emulated boards compile with it")))
except ToolNotFound as exc:
    sys.stderr.write("Error: %s\n" % exc)
    env.Exit(1)

CPU_FLAGS = {
    "cortex-m0": ["-mcpu=cortex-m0", "-mfloat-abi=soft"],
    "cortex-m3": ["-mcpu=cortex-m3", "-mfloat-abi=soft"],
    "cortex-m4": ["-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"],
    "cortex-m7": ["-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"],
    "cortex-m33": ["-mcpu=cortex-m33", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"],
    # -mcpu=cortex-m55 implies the FPU and Helium (MVE) extensions.
    "cortex-m55": ["-mcpu=cortex-m55", "-mfloat-abi=hard"],
}

cpu = board.get("build.cpu")
if cpu not in CPU_FLAGS:
    sys.stderr.write("Error: board %s has unsupported build.cpu %r (known: %s)\n"
                     % (board.id, cpu, ", ".join(sorted(CPU_FLAGS))))
    env.Exit(1)
machine_flags = ["-mthumb"] + CPU_FLAGS[cpu]
uconf = board.get("build.utensor")
memory = uconf["memory"]
ram_length = int(memory["ram"]["length"])
stack_size = int(board.get("build.utensor_stack_size",
                           min(64 * 1024, max(2 * 1024, ram_length // 8))))

if env.get("PROGNAME", "program") == "program":
    env.Replace(PROGNAME="firmware")

env.Replace(
    AR="arm-none-eabi-gcc-ar",
    AS="arm-none-eabi-as",
    CC="arm-none-eabi-gcc",
    CXX="arm-none-eabi-g++",
    GDB="arm-none-eabi-gdb",
    OBJCOPY="arm-none-eabi-objcopy",
    RANLIB="arm-none-eabi-gcc-ranlib",
    SIZETOOL="arm-none-eabi-size",
    ARFLAGS=["rc"],
    SIZEPROGREGEXP=r"^(?:\.vectors|\.text|\.data|\.rodata|\.ARM\.exidx|\.ARM\.extab|\.init_array)\s+(\d+).*",
    SIZEDATAREGEXP=r"^(?:\.data|\.bss)\s+(\d+).*",
    SIZECHECKCMD="$SIZETOOL -A -d $SOURCES",
    SIZEPRINTCMD="$SIZETOOL -B -d $SOURCES",
    PROGSUFFIX=".elf",
)

env.Append(
    ASFLAGS=machine_flags,
    ASPPFLAGS=machine_flags + ["-x", "assembler-with-cpp"],
    CCFLAGS=machine_flags + [
        "-Os",
        "-ffunction-sections",
        "-fdata-sections",
        "-Wall",
        "-Wextra",
    ],
    CXXFLAGS=["-fno-exceptions", "-fno-rtti", "-fno-threadsafe-statics"],
    CPPDEFINES=[
        ("UTENSOR_QEMU_BOARD", '\\"%s\\"' % board.id),
        ("F_CPU", board.get("build.f_cpu")),
    ],
    LINKFLAGS=machine_flags + [
        "--specs=nano.specs",
        "-nostartfiles",
        "-Wl,--gc-sections",
        "-Wl,--no-warn-rwx-segments",
        "-Wl,-Map,$BUILD_DIR/firmware.map",
    ],
    LIBS=["c_nano", "m", "gcc", "stdc++_nano", "nosys"],
)


def _write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _linker_script():
    """Board MEMORY block + region aliases, then the shared section placement."""
    regions = {}
    for key in ("code", "const", "ram"):
        r = memory[key]
        regions.setdefault(r["name"], (int(r["origin"], 16), int(r["length"])))
    lines = ["/* Generated by utensor-qemu for board %s; edits are overwritten. */" % board.id,
             "MEMORY", "{"]
    for name, (origin, length) in regions.items():
        attrs = "rwx" if name == memory["ram"]["name"] else "rx"
        lines.append("  %s (%s) : ORIGIN = 0x%08X, LENGTH = %d" % (name, attrs, origin, length))
    lines += ["}",
              'REGION_ALIAS("REGION_CODE", %s);' % memory["code"]["name"],
              'REGION_ALIAS("REGION_CONST", %s);' % memory["const"]["name"],
              "UTENSOR_STACK_SIZE = %d;" % stack_size,
              'INCLUDE "%s"' % os.path.join(BSP_DIR, "sections.ld").replace("\\", "/"),
              ""]
    return "\n".join(lines)


if not board.get("build.ldscript", ""):
    ldscript = os.path.join(env.subst("$BUILD_DIR"), "utensor_board.ld")
    _write_if_changed(ldscript, _linker_script())
    env.Replace(LDSCRIPT_PATH=ldscript)

# Board support: compiled as objects (not an archive) so the vector table is linked.
UART_SOURCES = {"cmsdk": "uart_cmsdk.c", "stm32f4": "uart_stm32f4.c", "nrf51": "uart_nrf51.c"}
bsp_env = env.Clone()
bsp_env.Append(
    CPPPATH=[BSP_DIR, RUNTIME_INCLUDE],
    CPPDEFINES=[
        ("UTENSOR_BSP_UART_BASE", "%su" % uconf["uart_base"]),
        ("UTENSOR_BSP_SYSTICK_HZ", "%du" % int(uconf["systick_hz"])),
        ("UTENSOR_BSP_FPU", 1 if uconf.get("fpu") else 0),
    ],
    CCFLAGS=["-O2"],
)
bsp_env.BuildSources(
    os.path.join("$BUILD_DIR", "utensor_bsp"),
    BSP_DIR,
    src_filter=["-<*>", "+<startup.c>", "+<port.c>", "+<%s>" % UART_SOURCES[uconf["family"]]],
)

env.Append(
    BUILDERS=dict(
        ElfToBin=Builder(
            action=env.VerboseAction(
                "$OBJCOPY -O binary $SOURCES $TARGET", "Building $TARGET"),
            suffix=".bin",
        )
    )
)

target_elf = None
if "nobuild" in COMMAND_LINE_TARGETS:
    target_elf = os.path.join("$BUILD_DIR", "${PROGNAME}.elf")
    target_bin = os.path.join("$BUILD_DIR", "${PROGNAME}.bin")
else:
    target_elf = env.BuildProgram()
    target_bin = env.ElfToBin(os.path.join("$BUILD_DIR", "${PROGNAME}"), target_elf)
    env.Depends(target_bin, "checkprogsize")

env.AddPlatformTarget("buildprog", target_bin, None, "Build")
target_size = env.AddPlatformTarget(
    "size", target_elf, env.VerboseAction("$SIZEPRINTCMD", "Calculating size $SOURCE"),
    "Program Size", "Calculate program size",
)


def _run_in_qemu(target, source, env):  # pylint: disable=unused-argument
    """`upload`: run the firmware in QEMU, UART on this terminal; fail on non-zero exit."""
    from utensor import qemu  # pylint: disable=import-outside-toplevel

    timeout = float(env.GetProjectOption("custom_utensor_qemu_timeout", "600"))
    extra = env.GetProjectOption("custom_utensor_qemu_args", "").split()
    code = qemu.run_foreground(board.id, str(source[0]), timeout_s=timeout,
                               extra_args=extra)
    if code != 0:
        sys.stderr.write("[utensor] firmware exited with code %d under QEMU %s\n"
                         % (code, uconf["qemu_machine"]))
    return code


upload = env.AddPlatformTarget(
    "upload", target_elf,
    env.VerboseAction(_run_in_qemu, "Running $SOURCE in QEMU (%s)" % uconf["qemu_machine"]),
    "Upload", "Run the firmware in QEMU",
)
AlwaysBuild(upload)

Default([target_bin, target_size])
