"""The VLM package's import graph has no circles: every module can be read, and imported, after
the modules it names, down to the leaves (``errors``, ``params``, ``image``, ...).

Edges are read from the source (:mod:`ast`), not from a live import: every ``import`` counts,
including those inside functions and under ``if TYPE_CHECKING:`` (a circle drawn only for the
type checker is still a circle a reader has to break)."""

from __future__ import annotations

import ast
from pathlib import Path

import phibench_plugins.detectors.vlm as vlm

PACKAGE = vlm.__name__
ROOT = Path(vlm.__file__).parent


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


def imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (``from .x import y`` resolved; a name that is
    a submodule counts as that submodule)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [origin] + [f"{origin}.{alias.name}" for alias in node.names]
        else:
            continue
        out |= {t for t in targets if t in modules and t != name}
    return out


def graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports(p, modules) for p in paths}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every circle found by a depth-first walk (each reported once, from its first module)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            walk(node)
    return found


def test_the_graph_is_read():
    edges = graph()
    assert f"{PACKAGE}.errors" in edges and edges[PACKAGE]  # the front imports its modules
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_vlm_package_imports_without_circles():
    assert cycles(graph()) == []


def test_no_module_imports_the_package_front():
    """Modules import each other directly, never the package ``__init__`` (which imports them)."""
    edges = graph()
    assert [m for m, targets in edges.items() if m != PACKAGE and PACKAGE in targets] == []
