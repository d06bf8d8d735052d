"""The package's shape: settings modules that import alone and light, no import circle, no
module over 500 lines, no private name used outside its module, help that says each default
from the setting itself."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from facetrack_otio.config import Settings
from facetrack_otio.setting import declared, default_words, walk

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "facetrack_otio"
MAX_LINES = 500
# What a settings module must not pull in: it is imported by --help and by every worker.
HEAVY = {"numpy", "torch", "cv2", "scipy", "opentimelineio", "PIL", "tqdm", "webrtcvad", "dlib"}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
SETTINGS_MODULES = sorted(
    [_name(p) for p in PACKAGE.rglob("settings.py")]
    + ["facetrack_otio.config", "facetrack_otio.setting", "facetrack_otio.settings_toml"]
)


def _module_of(name: str) -> str:
    """The package module that ``import name`` loads (a name inside a module: the module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name


def _imports(path: Path) -> list[tuple[ast.ImportFrom | ast.Import, list[str]]]:
    """Every import statement of the package's modules in ``path`` (those made for type
    checkers only left out), with the names it imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    out = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("facetrack_otio"):
            out.append((node, [f"{node.module}.{a.name}" for a in node.names]))
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("facetrack_otio")]
            if names:
                out.append((node, names))
    return out


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_a_settings_module_imports_alone_and_light(module: str) -> None:
    code = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert not HEAVY & set(json.loads(proc.stdout))


def test_no_import_circle_among_the_modules() -> None:
    # Imports inside functions count too: a circle that only a late import hides is one.
    graph = {
        name: {_module_of(n) for _, names in _imports(path) for n in names} - {name, ""}
        for name, path in MODULES.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for name in graph:
        if name not in index:
            visit(name)
    assert circles == []


def test_no_module_over_500_lines() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_private_name_is_used_outside_its_module() -> None:
    crossings = []
    for name, path in MODULES.items():
        modules = set()  # names this module binds to other package modules
        for node, names in _imports(path):
            for full, alias in zip(names, node.names):
                leaf = alias.name.rpartition(".")[2]
                if leaf.startswith("_") and not leaf.startswith("__"):
                    crossings.append(f"{name}: imports {full}")
                if full in MODULES:
                    modules.add(alias.asname or leaf)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                crossings.append(f"{name}: uses {node.value.id}.{node.attr}")
    assert crossings == []


def test_help_says_each_default_from_the_setting() -> None:
    from facetrack_otio.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    checked = 0
    for _, f, _owner in walk(Settings()):
        spec = declared(f)
        assert spec is not None and "default" not in spec.help.lower(), f.name
        for command in spec.commands:
            action = next(a for a in commands[command]._actions if spec.flag in a.option_strings)
            if not isinstance(f.default, bool):  # a switch has no default to say
                assert action.help.endswith(f"(default: {default_words(f)})"), spec.flag
            checked += 1
    assert checked > 20
