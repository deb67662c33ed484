"""The package's shape: imports point one way, no import circles, no function over 80 lines.

The checks read the source with :mod:`ast`, so they see every import a module runs: at
module level and inside a function (an import moved into a function to dodge a circle is
still a circle). Imports under ``if TYPE_CHECKING:`` are left out: they are never run, they
only name types for the type checker. ``from package import name`` counts as an import of
``package.name`` when that is a module, else of ``package`` itself.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
MAX_FUNCTION_LINES = 80

# DESIGN.md: cli → jobs → (store, reports, recon) → rules → schemas. A layer may import the
# layers after it in this list, never one before it (the packages of one layer are siblings).
LAYERS = (
    ("regkit.cli",),
    ("regkit.jobs",),
    ("regkit.reports", "regkit.store"),
    ("regkit.rules",),
    ("regkit.schemas",),
)


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((SRC / "regkit").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _base(module: str, node: ast.ImportFrom) -> str | None:
    if not node.level:
        return node.module
    parts = module.split(".")
    if modules()[module].name != "__init__.py":
        parts.pop()
    parts = parts[: len(parts) - node.level + 1]
    return ".".join([*parts, node.module] if node.module else parts)


def _imported(module: str, node: ast.AST) -> Iterator[str]:
    known = modules()
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names if alias.name in known)
    elif isinstance(node, ast.ImportFrom):
        base = _base(module, node)
        if base is None or not base.startswith("regkit"):
            return
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in known:
                yield submodule
            elif base in known:
                yield base


def _type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``)."""
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of a tree except those under ``if TYPE_CHECKING:`` (its ``else`` kept)."""
    for child in ast.iter_child_nodes(tree):
        if _type_checking(child):
            assert isinstance(child, ast.If)
            for other in child.orelse:
                yield other
                yield from _run_nodes(other)
            continue
        yield child
        yield from _run_nodes(child)


def _targets(module: str, source: str) -> set[str]:
    tree = ast.parse(source)
    return {target for node in _run_nodes(tree) for target in _imported(module, node)}


@cache
def imports() -> dict[str, frozenset[str]]:
    graph: dict[str, frozenset[str]] = {}
    for module, path in modules().items():
        targets = _targets(module, path.read_text(encoding="utf-8"))
        graph[module] = frozenset(targets - {module})
    return graph


def circles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = [stack.pop()]
            while component[-1] != node:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset()}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": frozenset({"b"}), "b": frozenset()}) == []


def test_the_import_reader_sees_lazy_and_type_checking_imports() -> None:
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from regkit.rules.policy import Policy
def late():
    from regkit.rules import engine
    import regkit.errors
"""
    tree = ast.parse(source)
    found = {
        target for node in ast.walk(tree) for target in _imported("regkit.rules.findings", node)
    }
    assert found == {"regkit.rules.policy", "regkit.rules.engine", "regkit.errors"}


def test_no_import_circles() -> None:
    found = circles(dict(imports()))
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(circle) for circle in found)


def _layer(module: str) -> int | None:
    for rank, layer in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in layer):
            return rank
    return None


def test_imports_point_one_way() -> None:
    upward = []
    for module, targets in imports().items():
        rank = _layer(module)
        if rank is None:
            continue
        for target in sorted(targets):
            target_rank = _layer(target)
            if target_rank is not None and target_rank < rank:
                upward.append(f"{module} imports {target}")
    assert not upward, (
        "imports against the layering cli → jobs → (reports, store) → rules → schemas:\n"
        + "\n".join(upward)
    )


def _functions() -> Iterator[tuple[str, int, str, int]]:
    for path in modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                yield str(path.relative_to(SRC)), node.lineno, node.name, length


@pytest.mark.parametrize("limit", [MAX_FUNCTION_LINES])
def test_no_function_is_longer_than_the_limit(limit: int) -> None:
    long = [
        f"{path}:{line} {name} ({length} lines)"
        for path, line, name, length in _functions()
        if length > limit
    ]
    assert not long, f"functions over {limit} lines:\n" + "\n".join(long)
