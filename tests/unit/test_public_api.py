"""The public API: what ``import regkit`` offers, and that ``__all__`` says so exactly."""

from __future__ import annotations

import ast
import importlib.resources
import inspect
import re
import types
from pathlib import Path

import pytest

import regkit

RECORD_CLASSES = [
    "Account",
    "AccountSnapshot",
    "CashMovement",
    "Firm",
    "Instrument",
    "Kyc",
    "LegalEntity",
    "NaturalPerson",
    "Trade",
]


def _names_bound_in_init() -> set[str]:
    """Every name the package's ``__init__`` binds at module level (imports, defs, assignments)."""
    source = Path(inspect.getfile(regkit)).read_text(encoding="utf-8")
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def test_all_is_sorted_without_duplicates() -> None:
    assert regkit.__all__ == sorted(regkit.__all__)
    assert len(set(regkit.__all__)) == len(regkit.__all__)


def test_every_name_in_all_exists() -> None:
    missing = [name for name in regkit.__all__ if not hasattr(regkit, name)]
    assert missing == []


def test_every_public_name_of_init_is_in_all() -> None:
    public = {name for name in _names_bound_in_init() if not name.startswith("_")}
    public.discard("annotations")  # from __future__ import annotations
    assert public - set(regkit.__all__) == set()


def test_no_public_attribute_is_left_out_of_all() -> None:
    # Submodules (regkit.schemas, regkit.errors) are reachable but are not API names.
    public = {
        name
        for name, value in vars(regkit).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - set(regkit.__all__) == set()


@pytest.mark.parametrize("name", [*RECORD_CLASSES, "read_records", "iter_records", "RecordBatch"])
def test_records_and_loaders_import_from_the_package(name: str) -> None:
    assert name in regkit.__all__
    exported = getattr(regkit, name)
    module = inspect.getmodule(exported)
    assert module is not None
    assert module.__name__.startswith("regkit.schemas.")  # private module, public re-export


def test_record_classes_are_records() -> None:
    for name in RECORD_CLASSES:
        assert issubclass(getattr(regkit, name), regkit.Record)


def test_version_is_a_string() -> None:
    assert isinstance(regkit.__version__, str)
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?([abrc.]+\d+)?(\.dev\d+)?(\+.+)?", regkit.__version__)


def test_py_typed_is_shipped() -> None:
    marker = importlib.resources.files("regkit") / "py.typed"
    assert marker.is_file()
