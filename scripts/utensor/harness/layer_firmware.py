"""The per-layer debug harness firmware (`utensor verify --layers`).

The default harness firmware, plus: the model is converted here (not by the library's
extra script) with its layer table (emitter `layer_table=True`), and the build defines
UTENSOR_HARNESS_LAYERS and UTENSOR_LAYER_HOOK=utensor_harness_layer_done, so after every
operator the firmware can copy that operator's output into a capture buffer sized to the
largest one (see utensor/layer_table.hpp). The default firmware and the default generated
code are untouched by any of this.
"""

import os
from typing import Callable, Optional, Sequence

from .. import convert, emitter
from ..convert import REGISTRY_FILE
from ..errors import HarnessError
from ..ir import Graph
from ..version import __version__
from .firmware import ENV_NAME, Firmware, default_build_dir, elf_sizes, run_pio, write_project

LAYER_REGISTRY_FILE = "utensor_layers.cpp"
BUILD_FLAGS = ("-DUTENSOR_HARNESS_LAYERS", "-DUTENSOR_LAYER_HOOK=utensor_harness_layer_done")


def layer_registry_cpp(conversions: Sequence[convert.Conversion]) -> str:
    largest = max((c.graph.tensor(t).nbytes for c in conversions for op in c.graph.operators
                   for t in op.outputs), default=0)
    return emitter.environment().get_template("layer_registry.cpp.j2").render(
        version=__version__, models=[c.graph.name for c in conversions], capture_bytes=max(largest, 16))


def write_layer_sources(src_dir: str, model_path: str,
                        graph_transform: Optional[Callable[[Graph], None]] = None) -> convert.Conversion:
    """Convert `model_path` with its layer table into `src_dir` (with both registries).
    graph_transform: called on the graph before lowering (tests use it to break a layer)."""
    graph = convert.read_model(model_path)
    if graph_transform is not None:
        graph_transform(graph)
    c = convert.convert_graph(graph)
    emitted = emitter.emit_model(c.graph, c.calls, c.plan, layer_table=True)
    os.makedirs(src_dir, exist_ok=True)
    convert.write_files([
        (os.path.join(src_dir, emitted.header_name), emitted.header),
        (os.path.join(src_dir, emitted.source_name), emitted.source),
        (os.path.join(src_dir, REGISTRY_FILE), emitter.emit_registry([c.graph.name])),
        (os.path.join(src_dir, LAYER_REGISTRY_FILE), layer_registry_cpp([c])),
    ])
    return c


def build_layer_firmware(
    model_path: str,
    board_id: str,
    build_dir: Optional[str] = None,
    *,
    graph_transform: Optional[Callable[[Graph], None]] = None,
    build_flags: Sequence[str] = (),
    jobs: int = 2,
    verbose: bool = False,
    **ini_options,
) -> Firmware:
    """Generate the debug project, `pio run` it, and return the ELF with its sizes."""
    model_path = os.path.abspath(model_path)
    project = build_dir or default_build_dir([model_path], board_id) + "-layers"
    write_project(project, [], board_id, build_flags=list(BUILD_FLAGS) + list(build_flags), **ini_options)
    write_layer_sources(os.path.join(project, "src"), model_path, graph_transform)
    run_pio(project, jobs=jobs, verbose=verbose)
    elf = os.path.join(project, ".pio", "build", ENV_NAME, "firmware.elf")
    if not os.path.isfile(elf):
        raise HarnessError(f"`pio run` succeeded but {elf} does not exist.")
    text, data, bss, stack = elf_sizes(elf)
    return Firmware(elf, project, board_id, text, data, bss, stack)
