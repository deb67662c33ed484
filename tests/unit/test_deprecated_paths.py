"""Modules that moved in 0.2 keep their old import paths for one release: each old path
still gives every name it gave, and each is the same object as at the new path."""

from __future__ import annotations

import importlib

import pytest

MOVED = [
    ("regkit.rules.expr", "regkit.rules.lang"),
    ("regkit.rules.rolling", "regkit.rules.backends.polars.rolling"),
    ("regkit.schemas.samples", "regkit.samples"),
    ("regkit.schemas.columnar", "regkit.schemas.io"),
    ("regkit.reports.mifir_feedback", "regkit.reports.mifir.feedback"),
    ("regkit.reports.emir_feedback", "regkit.reports.emir.feedback"),
    ("regkit.reports.reading", "regkit.reports.iso20022.reading"),
]

# Names whose old shape differs on purpose: expr.FUNCTIONS is the arity table it always
# was (the registry of functions with that name lives in regkit.rules.lang);
# rolling.polars_findings keeps its old signature (a Checker) over the backend's function.
RESHAPED = {("regkit.rules.expr", "FUNCTIONS"), ("regkit.rules.rolling", "polars_findings")}


@pytest.mark.parametrize(("old", "new"), MOVED)
def test_the_old_path_gives_the_same_objects_as_the_new(old: str, new: str) -> None:
    old_module = importlib.import_module(old)
    new_module = importlib.import_module(new)
    names = getattr(old_module, "__all__", None)
    assert names, f"{old} declares no __all__"
    for name in names:
        assert hasattr(old_module, name), f"{old}.{name} is gone"
        if (old, name) in RESHAPED or not hasattr(new_module, name):
            continue
        assert getattr(old_module, name) is getattr(new_module, name), f"{old}.{name}"


@pytest.mark.parametrize(("old", "new"), MOVED)
def test_the_old_module_says_where_it_moved(old: str, new: str) -> None:
    doc = importlib.import_module(old).__doc__ or ""
    assert doc.startswith("Deprecated"), old
    assert "one release" in doc, old
