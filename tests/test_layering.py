"""The architecture, enforced: imports run one way through the layers, with no circles (function-level
imports count; `if TYPE_CHECKING:` ones don't), only app/ imports gradio, only cli/ imports argparse,
importing the app loads neither the benchmark nor the CLI, nothing outside models/ branches on a
model family's name (ask the registry instead), and no module is over LINE_BUDGET lines.

Layers, bottom to top (a module may import its own layer and those below):
  0 vocabulary: normgen, data, losses, regularizers, models.*, render.grids
  1 config, checkpoints
  2 engine.*, eval.*, render.figures
  3 zoo.*
  4 service.*, bench.*, classroom.*
  5 cli.*, app.*
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from normgen.data import DATASETS
from normgen.models import MODEL_NAMES

PKG = Path(__file__).resolve().parents[1] / "normgen"
LINE_BUDGET = 400  # lines a module may have: a longer one is split by concept (issue 26)

# the longest matching prefix decides a module's layer
LAYERS = {
    "normgen": 0, "normgen.data": 0, "normgen.losses": 0, "normgen.regularizers": 0, "normgen.models": 0,
    "normgen.render.grids": 0, "normgen.__main__": 5,
    "normgen.config": 1, "normgen.checkpoints": 1,
    "normgen.engine": 2, "normgen.eval": 2, "normgen.render": 2,
    "normgen.zoo": 3,
    "normgen.service": 4, "normgen.bench": 4, "normgen.classroom": 4,
    "normgen.cli": 5, "normgen.app": 5,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def layer(mod: str) -> int:
    best = max((k for k in LAYERS if mod == k or mod.startswith(k + ".")), key=len)
    return LAYERS[best]


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports(mod: str) -> set[str]:
    """Every module `mod` imports anywhere in its file (normgen modules resolved to the deepest file)."""
    path = MODULES[mod]
    tree = ast.parse(path.read_text())
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([node.module] if node.module else []))
            for a in node.names:  # `from pkg import submodule` imports the submodule
                sub = f"{base}.{a.name}"
                found.add(sub if sub in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


GRAPH = {m: {i for i in imports(m) if i in MODULES and i != m} for m in MODULES}


def test_every_module_has_a_layer():
    for m in MODULES:
        assert layer(m) >= 0, m


@pytest.mark.parametrize("mod", sorted(MODULES))
def test_imports_run_down_the_layers(mod):
    upward = sorted(i for i in GRAPH[mod] if layer(i) > layer(mod))
    assert not upward, f"{mod} (layer {layer(mod)}) imports from a higher layer: {upward}"


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def dfs(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state and (cycle := dfs(n)):
                return cycle
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(MODULES):
        if m not in state and (cycle := dfs(m)):
            pytest.fail("import cycle: " + " -> ".join(cycle))


@pytest.mark.parametrize("lib,home", [("gradio", "normgen.app"), ("argparse", "normgen.cli")])
def test_only_one_package_imports(lib, home):
    users = sorted(m for m in MODULES if any(i == lib or i.startswith(lib + ".") for i in imports(m)))
    outside = [m for m in users if not (m == home or m.startswith(home + "."))]
    assert not outside, f"{lib} is imported outside {home}: {outside}"


def _loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in sys.modules if m.startswith('normgen')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=PKG.parent, check=True)
    return set(out.stdout.split())


def test_the_app_loads_neither_the_benchmark_nor_the_cli():
    loaded = _loaded_by("import normgen.app; normgen.app.build_demo")
    assert not {m for m in loaded if m.startswith(("normgen.bench", "normgen.cli"))}, sorted(loaded)
    service = _loaded_by("import normgen.service.runs")
    assert not {m for m in service if m.startswith(("normgen.bench", "normgen.cli", "normgen.zoo.build",
                                                    "normgen.app"))}, sorted(service)


def _name_comparisons(tree: ast.AST, names: set[str]) -> list[int]:
    """Line numbers of `x == "gan"`, `x != "vae"`, `x in ("gan", "cgan")` style tests on registered names."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        for op, right in zip(node.ops, node.comparators, strict=True):
            sides = [node.left, right]
            if isinstance(op, (ast.Eq, ast.NotEq)) and any(
                    isinstance(s, ast.Constant) and s.value in names for s in sides):
                lines.append(node.lineno)
            elif isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List, ast.Set)) and any(
                    isinstance(e, ast.Constant) and e.value in names for e in right.elts):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("what,names,home", [
    ("model family", set(MODEL_NAMES), "normgen.models"),
    ("dataset", set(DATASETS), "normgen.data"),
])
def test_nothing_branches_on_a_registered_name(what, names, home):
    """A fact about a family or a dataset lives in its registry entry; code elsewhere asks for it."""
    found = []
    for m, path in MODULES.items():
        if m == home or m.startswith(home + "."):
            continue
        found += [f"{path.relative_to(PKG.parent)}:{n}" for n in _name_comparisons(ast.parse(path.read_text()), names)]
    assert not found, f"branches on a {what} name (ask the registry instead): {found}"


def test_every_module_imports_cleanly_without_side_effects(tmp_path):
    """Importing every module in a fresh process raises nothing and writes no file."""
    code = ("import importlib, sys; mods = sys.argv[1:]\n"
            "for m in mods: importlib.import_module(m)\n")
    subprocess.run([sys.executable, "-c", code, *sorted(m for m in MODULES if m != "normgen.__main__")],
                   cwd=tmp_path, check=True, timeout=300, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(PKG.parent)})
    assert list(tmp_path.iterdir()) == []


def test_no_module_is_over_the_line_budget():
    """A module over LINE_BUDGET lines holds more than one concept: split it by concept, each new module
    named for what it holds (not part1 / part2)."""
    lengths = {str(p.relative_to(PKG.parent)): len(p.read_text(encoding="utf-8").splitlines())
               for p in MODULES.values()}
    over = sorted((n, path) for path, n in lengths.items() if n > LINE_BUDGET)
    assert not over, f"modules over {LINE_BUDGET} lines: " + ", ".join(f"{path} ({n})" for n, path in over)


def test_a_penalty_added_in_regularizers_alone_reaches_the_cli_the_config_and_the_zoo(tmp_path):
    """Issue 26's recipe, done for real: a copy of the package whose regularizers.py gains one PenaltyInfo (Σw⁴,
    through the L2 function on w²) and nothing else. Its CLI offers --l4 and trains with it (the checkpoint's
    config holds the λ), the zoo's spec builds and a ZooSpec carries it in its id and regularizer, an index
    row written before the penalty existed reads λ 0, and the shipped entries' recipes still match (no rebuild)."""
    import shutil

    shutil.copytree(PKG, tmp_path / "normgen", ignore=shutil.ignore_patterns("__pycache__"))
    reg = tmp_path / "normgen" / "regularizers.py"
    text = reg.read_text()
    anchor = "    PenaltyInfo(\"act\","
    assert anchor in text
    added = ("    PenaltyInfo('l4', 'L4', 'λ·Σw⁴', 'weights', 'a test', l2_penalty,\n"
             "                lambda layers, lead: l2_penalty((w * w for w, _ in layers), lead)),\n")
    reg.write_text(text.replace(anchor, added + anchor, 1))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = lambda *args: subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,  # noqa: E731
                                       cwd=tmp_path, env=env)
    helped = run("-m", "normgen", "train", "--help")
    assert helped.returncode == 0 and "--l4 L4" in helped.stdout and "λ·Σw⁴" in helped.stdout, helped.stderr[-2000:]
    trained = run("-m", "normgen", "train", "--model", "gan", "--dataset", "shapes", "--steps", "3", "--l4", "1e-2",
                  "--out", str(tmp_path / "run"), "--quiet")
    assert trained.returncode == 0, trained.stderr[-3000:]
    code = ("import glob, json\n"
            "from normgen.checkpoints import load\n"
            "from normgen.zoo.index import Entry\n"
            "from normgen.zoo.spec import ZooSpec, spec\n"
            "ck = load(glob.glob('run/*.safetensors')[0])\n"
            "s = ZooSpec('gan', 'mnist', 1, 'l4', l4=1e-3)\n"
            "row = {k: v for k, v in s.to_dict().items() if k != 'l4'}\n"
            "row.update(device='cpu', wall_s=1.0, sha256='0' * 64, steps=10)\n"
            "from normgen.zoo.build import plan\n"
            "from normgen.zoo.index import load_index\n"
            f"index = load_index({str(PKG.parent / 'checkpoints')!r})\n"
            "grid = [g for g in spec() if g.model == 'gan' and g.dataset == 'mnist' and index.get(g.id)][:3]\n"
            "states = [state for _, state in plan(index, grid, steps=None, eval_n=2000, half=True)]\n"
            "print(json.dumps({'cfg': ck.config.reg.l4, 'specs': len(spec()), 'id': s.id, 'reg': s.reg.l4,\n"
            "                  'old_row': Entry.from_dict(row).l4, 'shipped': states}))\n")
    got = run("-c", code)
    assert got.returncode == 0, got.stderr[-3000:]
    out = json.loads(got.stdout.strip().splitlines()[-1])
    assert out["cfg"] == 1e-2 and out["specs"] > 100 and "-l4=0.001-" in out["id"] and out["reg"] == 1e-3
    assert out["old_row"] == 0.0 and out["shipped"] == ["ok"] * 3  # the shipped entries need no retraining

SERVER = ("normgen.service", "normgen.classroom.store")  # runtime state's home: the server wing and the class store
_MUTATORS = {"append", "update", "pop", "clear", "setdefault", "move_to_end", "popitem", "add", "discard", "extend",
             "insert", "remove", "appendleft", "popleft"}


def _mutable_state(tree: ast.Module) -> list[str]:
    """`global` statements, and module-level names mutated inside a function (a registry filled at import is not
    state: it never changes afterwards). Memoizing a pure function with functools is allowed: keyed by its
    arguments, it cannot change an answer."""
    top = {t.id for n in tree.body for t in (n.targets if isinstance(n, ast.Assign) else
                                             [n.target] if isinstance(n, ast.AnnAssign) else [])
           if isinstance(t, ast.Name)}
    found = []
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for n in ast.walk(fn):
            if isinstance(n, ast.Global):
                found += [f"{n.lineno}: global {', '.join(n.names)}"]
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _MUTATORS
                  and isinstance(n.func.value, ast.Name) and n.func.value.id in top):
                found.append(f"{n.lineno}: {n.func.value.id}.{n.func.attr}()")
            elif isinstance(n, (ast.Assign, ast.AugAssign, ast.Delete)):
                for t in (n.targets if isinstance(n, (ast.Assign, ast.Delete)) else [n.target]):
                    if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id in top:
                        found.append(f"{n.lineno}: {t.value.id}[...] =")
    return found


def _frozen(cls: ast.ClassDef) -> bool:
    """A class whose instances cannot change: a frozen dataclass, a NamedTuple or an Enum."""
    frozen = any(isinstance(d, ast.Call) and any(k.arg == "frozen" and getattr(k.value, "value", False) is True
                                                 for k in d.keywords) for d in cls.decorator_list)
    return frozen or any(getattr(b, "id", getattr(b, "attr", "")) in ("NamedTuple", "Enum") for b in cls.bases)


def _state_objects(tree: ast.Module) -> list[str]:
    """Module-level objects that hold state between calls: an instance of a class of this module that is not
    frozen, or of a class the server wing defines (a cache made at import and filled by requests)."""
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    from_server = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                   and (n.module or "").startswith(SERVER) for a in n.names}
    found = []
    for n in tree.body:
        value = n.value if isinstance(n, (ast.Assign, ast.AnnAssign)) else None
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
            name = value.func.id
            if (name in classes and not _frozen(classes[name])) or (name in from_server and name[:1].isupper()):
                found.append(f"{n.lineno}: an instance of {name}")
    return found


def test_runtime_state_lives_only_in_the_server():
    """The library, the zoo and the app keep no state between calls: caches, counters and registries of live
    things belong to the server wing (issue 26), where one place can answer for them."""
    found = [f"{MODULES[m].relative_to(PKG.parent)}:{hit}" for m in sorted(MODULES)
             if not m.startswith(SERVER) for tree in [ast.parse(MODULES[m].read_text())]
             for hit in _mutable_state(tree) + _state_objects(tree)]
    assert not found, "module-level state outside the server: " + "; ".join(found)


def test_the_state_check_sees_a_cache_object_but_not_a_frozen_value():
    tree = ast.parse("from dataclasses import dataclass\nfrom normgen.service.explore_images import Lru\n"
                     "class Slices:\n    def __init__(self):\n        self.items = {}\n"
                     "@dataclass(frozen=True)\nclass Point:\n    x: int = 0\n"
                     "CACHE = Slices()\nKEPT = Lru(8)\nORIGIN = Point()\n")
    assert [s.split(": ", 1)[1] for s in _state_objects(tree)] == ["an instance of Slices", "an instance of Lru"]


def test_the_state_check_sees_a_cache_and_a_global():
    tree = ast.parse("CACHE = {}\nN = 0\nREG = {}\nREG['a'] = 1\n"
                     "def get(k):\n    CACHE[k] = 1\n\ndef bump():\n    global N\n    N += 1\n")
    assert [s.split(": ", 1)[1] for s in _mutable_state(tree)] == ["CACHE[...] =", "global N"]


# helpers in app/ whose tuple of values code unpacks (not a reply to Gradio)
UNPACKED = {"selection", "_selected_png", "_nearest_png", "loss_words", "_run", "readouts", "_hist_inputs",
            "_legend", "baseline_view", "run_defaults", "compare_choices", "curves", "chart_html"}


def test_the_app_replies_by_name_never_by_position():
    """A handler wired to several outputs builds its reply as a dict of names (normgen.app.replies.in_order): no
    function or lambda in app/ returns a tuple literal of two or more values, but for the helpers whose values code
    unpacks (UNPACKED). A 16-value reply patched by index was how a reordering broke silently (issue 26)."""
    found = []
    for path in sorted((PKG / "app").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        sort_keys = {id(k.value) for n in ast.walk(tree) if isinstance(n, ast.Call)
                     for k in n.keywords if k.arg == "key"}
        for node in ast.walk(tree):
            if isinstance(node, ast.Lambda) and isinstance(node.body, ast.Tuple) and len(node.body.elts) > 1 \
                    and id(node) not in sort_keys:  # a sort key's tuple goes to sorted(), not to Gradio
                found.append(f"{path.name}:{node.lineno} lambda")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name not in UNPACKED \
                    and not node.name.startswith("build"):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Tuple) and len(sub.value.elts) > 1:
                        found.append(f"{path.name}:{sub.lineno} {node.name}")
    assert not found, found
