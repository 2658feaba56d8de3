"""README.md's code blocks checked against the code, so the README cannot drift from it.

Every ```cpp block is compiled verbatim with the host compiler (utensor's C++11 flags with
-Wall -Wextra -Werror, hostbuild.BASE_FLAGS), linked with the runtime and the models it
needs, and run:

- a block that includes a generated model header ("my_model.hpp") is compiled with that
  model converted under that name (MODEL_HEADERS); a block that defines
  utensor_user_op_<Op> with a model that calls that operator (USER_OP_MODELS);
- a block without main() gets one from outside the snippet (the documented wrapper):
  runtime/host/runner.cpp when a model is linked (samples in, outputs out, compared with
  the model's reference vectors when it has them), else an empty main;
- a block with its own main() must exit 0.

The snippet's text is never edited: a change to a README block that breaks compilation,
linking or the run fails its test. ```ini blocks are parsed with configparser and every
custom_utensor_* option in them must be one platformio/extra_script.py reads (its OPTION_*
constants); every utensor_add_model(...) call (```cmake blocks and inline code) must parse
against the keywords runtime/cmake/utensor_add_model.cmake declares. Test ids are README
line numbers (the line of the opening fence, or of the inline call).
"""

import configparser
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

from conftest import REPO
from opcheck import compare
from utensor import convert, hostbuild

README = os.path.join(REPO, "README.md")
EXTRA_SCRIPT = os.path.join(REPO, "platformio", "extra_script.py")
ADD_MODEL_CMAKE = os.path.join(REPO, "runtime", "cmake", "utensor_add_model.cmake")
ATAN_VECTORS = os.path.join(REPO, "examples", "custom_operator", "test", "test_atan", "vectors.h")


@dataclass(frozen=True)
class ModelSpec:
    """A model a snippet can be compiled with: converted once per module under `name`."""
    name: str
    path: str
    user_ops: Tuple[str, ...] = ()
    vectors: Optional[str] = None  # a header with kInputs / kExpected (float) for the runner


SINE = ModelSpec("my_model", os.path.join(REPO, "examples", "hello_world", "models", "sine_int8.tflite"))
ATAN = ModelSpec("dense_atan", os.path.join(REPO, "examples", "custom_operator", "models", "dense_atan.tflite"),
                 user_ops=("Atan",), vectors=ATAN_VECTORS)
# `#include "<name>.hpp"` in a snippet -> the model that header is generated from.
MODEL_HEADERS: Dict[str, ModelSpec] = {SINE.name: SINE}
# `utensor_user_op_<Op>` defined in a snippet -> a model whose graph calls <Op>.
USER_OP_MODELS: Dict[str, ModelSpec] = {"Atan": ATAN}
EMPTY_MAIN = "int main() { return 0; }\n"


# ---- the README's blocks ----

@dataclass
class Block:
    lang: str
    line: int  # 1-based line of the opening fence
    text: str


def readme_blocks(path: str = README) -> List[Block]:
    blocks, current, body = [], None, []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            fence = re.match(r"^```\s*([\w+-]*)\s*$", line.rstrip("\n"))
            if current is None and fence:
                current, body = Block(fence.group(1).lower(), number, ""), []
            elif current is not None and line.rstrip() == "```":
                current.text = "".join(body)
                blocks.append(current)
                current = None
            elif current is not None:
                body.append(line)
    assert current is None, f"{path}:{current.line}: ``` block never closed"
    return blocks


BLOCKS = readme_blocks()


def _blocks(lang: str) -> List[Block]:
    return [b for b in BLOCKS if b.lang == lang]


def _ids(blocks: Sequence[Block]) -> List[str]:
    return [f"README.md:{b.line}" for b in blocks]


# ---- C++: compile, link and run ----

@dataclass
class CppPlan:
    models: List[ModelSpec] = field(default_factory=list)
    main: Optional[str] = None  # a main() source added beside the snippet; None: the snippet has one


def plan_cpp(text: str) -> CppPlan:
    """What a snippet needs to link: its models, and a main() when it has none."""
    plan = CppPlan()
    for header in re.findall(r'^\s*#\s*include\s+"([^"]+)\.hpp"', text, re.M):
        if header.startswith("utensor/"):
            continue
        if header not in MODEL_HEADERS:
            pytest.fail(f'the snippet includes "{header}.hpp": add the model it is generated from '
                        "to MODEL_HEADERS in test/test_readme.py")
        plan.models.append(MODEL_HEADERS[header])
    for op in re.findall(r"\butensor_user_op_(\w+)\s*\(", text):
        if op not in USER_OP_MODELS:
            pytest.fail(f"the snippet defines utensor_user_op_{op}: add a model calling {op} "
                        "to USER_OP_MODELS in test/test_readme.py")
        if USER_OP_MODELS[op] not in plan.models:
            plan.models.append(USER_OP_MODELS[op])
    if not re.search(r"\bint\s+main\s*\(", text):
        plan.main = hostbuild.RUNNER if plan.models else EMPTY_MAIN
    return plan


def build_snippet(snippet: str, work_dir: str, gen_dirs: Sequence[str],
                  main: Optional[str] = None) -> Tuple[Optional[str], str]:
    """Compile `snippet` verbatim (plus `main`, a path or source text, when given) with the
    generated sources of `gen_dirs` and the host runtime. Returns (executable or None when
    the build failed, compiler output)."""
    os.makedirs(work_dir, exist_ok=True)
    sources = [os.path.join(work_dir, "snippet.cpp")]
    with open(sources[0], "w", encoding="utf-8") as f:
        f.write(snippet)
    if main is not None:
        if not os.path.isfile(main):
            path = os.path.join(work_dir, "wrapper_main.cpp")
            with open(path, "w") as f:
                f.write(main)
            main = path
        sources.append(main)
    includes = ["-I", hostbuild.RUNTIME_INCLUDE]
    for gen in gen_dirs:
        includes += ["-I", gen]
        sources += sorted(os.path.join(gen, n) for n in os.listdir(gen) if n.endswith(".cpp"))
    exe = os.path.join(work_dir, "snippet")
    cmd = [hostbuild.CXX, *hostbuild.BASE_FLAGS, *includes, *sources, hostbuild.runtime_library(), "-o", exe]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return (exe if proc.returncode == 0 else None), " ".join(cmd) + "\n" + proc.stdout


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """spec -> folder with that model converted (once per module, on first use)."""
    root = tmp_path_factory.mktemp("readme_models")
    done: Dict[ModelSpec, str] = {}

    def get(spec: ModelSpec) -> str:
        if spec not in done:
            out = str(root / spec.name)
            convert.convert_to_directory([spec.path], out, name=spec.name, user_ops=list(spec.user_ops))
            done[spec] = out
        return done[spec]

    return get


def _header_floats(path: str, name: str) -> np.ndarray:
    with open(path) as f:
        body = re.search(r"%s\[\d+\]\[\d+\] = \{(.*?)\};" % name, f.read(), re.S).group(1)
    return np.array([float(v.rstrip("f")) for v in re.findall(r"-?[\d.]+(?:e-?\d+)?f", body)], np.float32)


def _run_with_runner(exe: str, spec: ModelSpec) -> None:
    """Stream the model's reference inputs through the runner main; compare the outputs."""
    if spec.vectors:
        x, want = _header_floats(spec.vectors, "kInputs"), _header_floats(spec.vectors, "kExpected")
    else:  # no reference: one sample of zeros must run
        g = convert.read_model(spec.path)
        x, want = np.zeros(sum(g.tensor(i).nbytes for i in g.inputs), np.uint8), None
    proc = subprocess.run([exe], input=x.tobytes(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    if want is not None:
        problems = compare(np.frombuffer(proc.stdout, np.float32), want)
        assert not problems, "\n".join(problems)


@pytest.mark.parametrize("block", _blocks("cpp"), ids=_ids(_blocks("cpp")))
def test_cpp_block_compiles_links_and_runs(block, generated, tmp_path):
    plan = plan_cpp(block.text)
    gen_dirs = [generated(spec) for spec in plan.models]
    exe, log = build_snippet(block.text, str(tmp_path), gen_dirs, plan.main)
    assert exe, f"README.md:{block.line}: the ```cpp block does not build:\n{log}"
    if plan.main == hostbuild.RUNNER:
        _run_with_runner(exe, plan.models[0])
    else:
        proc = subprocess.run([exe], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"README.md:{block.line}: exit {proc.returncode}\n{proc.stdout}{proc.stderr}"


def test_readme_has_the_cpp_blocks_this_module_knows():
    """The quick start and the custom operator are compiled (not skipped by a renamed fence)."""
    texts = [b.text for b in _blocks("cpp")]
    assert any('#include "my_model.hpp"' in t for t in texts)
    assert any("utensor_user_op_Atan(" in t for t in texts)


def _quick_start() -> str:
    return next(b.text for b in _blocks("cpp") if '#include "my_model.hpp"' in b.text)


@pytest.mark.parametrize("old,new,error", [
    ("model.input_0_data()", "model.input_zero_data()", "input_zero_data"),  # no such accessor
    ("int main() {", "int main() {\n  int unused = 0;", "unused variable"),      # -Wall -Werror
], ids=["unknown-accessor", "unused-variable"])
def test_a_broken_snippet_fails_the_same_build(generated, tmp_path, old, new, error):
    snippet = _quick_start()
    assert old in snippet, "the negative check no longer matches the README's quick start"
    exe, log = build_snippet(snippet.replace(old, new), str(tmp_path), [generated(SINE)], plan_cpp(snippet).main)
    assert exe is None and error in log, log


def test_a_snippet_missing_its_user_op_fails_to_link(generated, tmp_path):
    """Compiling is not enough: a user operator under another name links to nothing."""
    source = next(b.text for b in _blocks("cpp") if "utensor_user_op_Atan(" in b.text)
    broken = source.replace("utensor_user_op_Atan(", "utensor_user_op_Atn(")
    exe, log = build_snippet(broken, str(tmp_path), [generated(ATAN)], hostbuild.RUNNER)
    assert exe is None and "undefined reference" in log and "utensor_user_op_Atan" in log, log


# ---- platformio.ini: options the extra script reads ----

def extra_script_options() -> Dict[str, str]:
    """OPTION_* constant -> option name, for constants the extra script uses beyond defining."""
    with open(EXTRA_SCRIPT) as f:
        text = f.read()
    options = dict(re.findall(r'^(OPTION_\w+)\s*=\s*"([^"]+)"', text, re.M))
    return {const: name for const, name in options.items() if len(re.findall(r"\b%s\b" % const, text)) > 1}


def ini_problems(text: str) -> List[str]:
    """Options of an ini snippet that PlatformIO would accept but utensor never reads."""
    parser = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"),
                                       comment_prefixes=(";", "#"), strict=True)
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip()[0] not in ";#"), "")
    # A fragment of bare `key = value` lines belongs to some [env:...] section.
    parser.read_string(text if first.startswith("[") else "[env:readme]\n" + text)
    names = [o for s in parser.sections() for o in parser.options(s)]
    if not names:
        return ["no option in the block"]
    known = set(extra_script_options().values())
    return [f"{o}: not an option platformio/extra_script.py reads (it reads {', '.join(sorted(known))})"
            for o in names if o.startswith("custom_utensor_") and o not in known]


def test_extra_script_options_are_found():
    options = extra_script_options()
    assert "custom_utensor_models" in options.values()
    assert all(name.startswith("custom_utensor_") for name in options.values())


@pytest.mark.parametrize("block", _blocks("ini"), ids=_ids(_blocks("ini")))
def test_ini_block_uses_options_utensor_reads(block):
    problems = ini_problems(block.text)
    assert not problems, f"README.md:{block.line}: " + "\n".join(problems)


def test_ini_check_rejects_an_unknown_option():
    assert ini_problems("custom_utensor_models = a.tflite\n") == []
    problems = ini_problems("[env:x]\ncustom_utensor_model = a.tflite   ; singular\n")
    assert len(problems) == 1 and problems[0].startswith("custom_utensor_model:")


# ---- CMake: utensor_add_model() keywords ----

def add_model_keywords() -> Tuple[int, set, set, set]:
    """(positional count, options, one-value keywords, multi-value keywords)."""
    with open(ADD_MODEL_CMAKE) as f:
        m = re.search(r'cmake_parse_arguments\(PARSE_ARGV\s+(\d+)\s+\w+'
                      r'\s+"([^"]*)"\s+"([^"]*)"\s+"([^"]*)"\)', f.read())
    assert m, f"{ADD_MODEL_CMAKE}: no cmake_parse_arguments(PARSE_ARGV ...) call"
    options, one, multi = (set(filter(None, m.group(k).split(";"))) for k in (2, 3, 4))
    return int(m.group(1)), options, one, multi


def add_model_problems(args: str) -> List[str]:
    """Problems of the arguments of one utensor_add_model(...) call as the README writes
    it (`[KEYWORD value]` marks optional ones), parsed as cmake_parse_arguments does."""
    skip, options, one, multi = add_model_keywords()
    tokens = re.sub(r"#[^\n]*", "", args).replace("[", " ").replace("]", " ").split()
    problems, unparsed, values, current = [], [], {}, None
    if len(tokens) < skip:
        return [f"fewer than {skip} leading arguments (the target)"]
    for tok in tokens[skip:]:
        if tok in options | one | multi:
            if tok in values:
                problems.append(f"{tok} given twice")
            values[tok], current = [], (tok if tok not in options else None)
        elif current in multi or (current in one and not values[current]):
            values[current].append(tok)
        else:
            unparsed.append(tok)
            current = None
    for kw in one | multi:
        if kw in values and not values[kw]:
            problems.append(f"{kw} without a value")
    # The unparsed arguments are the model files: a misspelled keyword lands among them.
    for tok in unparsed:
        if not re.search(r"[./$]", tok):
            problems.append(f"{tok!r} is neither a keyword of utensor_add_model "
                            f"({', '.join(sorted(options | one | multi))}) nor a model file")
    if not unparsed:
        problems.append("no model file")
    return problems


def readme_add_model_calls() -> List[Tuple[int, str]]:
    """(line, arguments) of every utensor_add_model(...) call in the README: in ```cmake
    blocks, and inline code that is a whole call (not an error message quoting one)."""
    calls = []
    for b in _blocks("cmake"):
        for m in re.finditer(r"\butensor_add_model\(([^)]*)\)", b.text):
            calls.append((b.line + 1 + b.text.count("\n", 0, m.start()), m.group(1)))
    with open(README, encoding="utf-8") as f:
        text = f.read()
    for m in re.finditer(r"`(utensor_add_model\(([^)`]*)\))`", text):
        calls.append((text.count("\n", 0, m.start()) + 1, m.group(2)))
    return sorted(calls)


def test_readme_calls_utensor_add_model_in_a_cmake_block():
    assert any("utensor_add_model(" in b.text for b in _blocks("cmake"))


@pytest.mark.parametrize("line,args", readme_add_model_calls(),
                         ids=[f"README.md:{line}" for line, _ in readme_add_model_calls()])
def test_utensor_add_model_call_parses(line, args):
    problems = add_model_problems(args)
    assert not problems, f"README.md:{line}: utensor_add_model({args}): " + "; ".join(problems)


def test_cmake_check_rejects_unknown_keywords():
    assert add_model_problems("app m.tflite NAME x USER_OPS Atan GELU") == []
    assert add_model_problems("app m.tflite USER_OP Atan")  # misspelled: would be two "models"
    assert add_model_problems("app m.tflite NAME a b")       # NAME takes one value
    assert add_model_problems("app NAME x")                  # no model


# ---- shell: every concrete `utensor ...` command line parses ----

def readme_utensor_commands() -> List[Tuple[int, List[str]]]:
    """(README line, argv) of each `utensor` command in ```sh blocks; synopsis lines
    (optional parts in [brackets], alternatives with |, `...`) are not concrete commands."""
    import shlex  # pylint: disable=import-outside-toplevel

    commands = []
    for block in _blocks("sh"):
        for offset, line in enumerate(block.text.splitlines(), 1):
            code = line.split(" #", 1)[0]
            if not code.startswith("utensor ") or "[" in code or "..." in code:
                continue
            commands.append((block.line + offset, shlex.split(line, comments=True)[1:]))
    return commands


def utensor_argv_problem(argv: Sequence[str]) -> Optional[str]:
    """None when `utensor argv` parses with the real CLI parser, else argparse's message."""
    import contextlib  # pylint: disable=import-outside-toplevel
    import io  # pylint: disable=import-outside-toplevel

    from utensor import cli  # pylint: disable=import-outside-toplevel

    parser = cli.build_parser(cli._load_commands())  # pylint: disable=protected-access
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            parser.parse_args(list(argv))
    except SystemExit:
        return err.getvalue().strip() or "exit"
    return None


def test_readme_has_concrete_utensor_commands():
    names = {argv[0] for _, argv in readme_utensor_commands()}
    assert {"verify", "library-dir"} <= names, names


@pytest.mark.parametrize("line,argv", readme_utensor_commands(),
                         ids=[f"README.md:{n}" for n, _ in readme_utensor_commands()])
def test_utensor_command_line_parses(line, argv):
    assert utensor_argv_problem(argv) is None, f"README.md:{line}: {utensor_argv_problem(argv)}"


def test_command_check_rejects_an_unknown_option():
    assert "unrecognized arguments: --nope" in utensor_argv_problem(["library-dir", "--nope"])
    assert "invalid choice" in utensor_argv_problem(["flash", "m.tflite"])
