"""The API reference (docs/reference/api.md) covers every public name, and the site builds.

Each public module's ``__all__`` must be reachable from a module the page documents with a
``::: module`` line: documented itself, or re-exported (the same object) by a documented
module. The site is built with ``mkdocs build --strict``, so a broken link, a stale nav entry or
a docstring mkdocstrings cannot read fails the suite rather than the docs job.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import regkit

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "reference" / "api.md"
DIRECTIVE = re.compile(r"^::: ([\w.]+)\s*$", re.M)
# Modules whose ``__all__`` serves other regkit modules, not users: their public names are
# reached through the documented modules. A new module goes on the page or here.
INTERNAL = {
    "regkit.cli",
    "regkit.cli.check",
    "regkit.cli.demo",
    "regkit.cli.feedback",
    "regkit.cli.ledger",
    "regkit.cli.pack",
    "regkit.cli.report",
    "regkit.cli.samples",
    "regkit.cli.store",
    "regkit.cli.validate",
    "regkit.cli.verify",
    "regkit.clidocs",
    "regkit.reports.emir_feedback",
    "regkit.reports.html",
    "regkit.reports.iso20022.reading",
    "regkit.reports.mifir_feedback",
    "regkit.reports.reading",
    "regkit.reports.values",
    "regkit.reports.writer",
    "regkit.rules.expr",
    "regkit.rules.backends.base",
    "regkit.rules.backends.polars",
    "regkit.rules.backends.polars.backend",
    "regkit.rules.backends.polars.history",
    "regkit.rules.backends.polars.records",
    "regkit.rules.backends.polars.rolling",
    "regkit.rules.backends.python",
    "regkit.rules.backends.python.backend",
    "regkit.rules.backends.python.windows",
    "regkit.rules.backends.registry",
    "regkit.rules.inputs",
    "regkit.rules.lang.checker",
    "regkit.rules.lang.docs",
    "regkit.rules.lang.expression",
    "regkit.rules.lang.fields",
    "regkit.rules.lang.lower",
    "regkit.rules.lang.pycodegen",
    "regkit.rules.lang.pyfindings",
    "regkit.rules.lang.scope",
    "regkit.rules.names",
    "regkit.rules.packdocs",
    "regkit.rules.rolling",
    "regkit.rules.severity",
    "regkit.schemas.base",
    "regkit.schemas.columnar",
    "regkit.schemas.io",
    "regkit.schemas.layout",
    "regkit.schemas.party",
    "regkit.schemas.samples",
    "regkit.schemas.trade",
    "regkit.store.runs",
}


def documented_modules() -> list[str]:
    return DIRECTIVE.findall(PAGE.read_text(encoding="utf-8"))


def public_modules() -> list[ModuleType]:
    found = [regkit]
    for info in pkgutil.walk_packages(regkit.__path__, "regkit."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        found.append(importlib.import_module(info.name))
    return [module for module in found if hasattr(module, "__all__")]


def exported(names: list[str]) -> set[int]:
    ids: set[int] = set()
    for name in names:
        module = importlib.import_module(name)
        ids.update(id(getattr(module, item)) for item in module.__all__)
    return ids


def test_every_documented_module_exists() -> None:
    for name in documented_modules():
        importlib.import_module(name)


def test_every_public_name_has_an_entry() -> None:
    names = documented_modules()
    covered = exported(names)
    missing = [
        f"{module.__name__}.{item}"
        for module in public_modules()
        if module.__name__ not in names and module.__name__ not in INTERNAL
        for item in module.__all__
        if not item.startswith("__")
        and id(getattr(module, item)) not in covered
        # Constants (ints, strings) share ids by interning; only callables and classes count.
        and (callable(getattr(module, item)))
    ]
    assert not missing, f"add these to docs/reference/api.md (or a documented __all__): {missing}"


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    if not os.environ.get("CI"):  # under CI the dev extras bring mkdocstrings: never skip there
        pytest.importorskip("mkdocstrings", reason="the docs extra is not installed")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    page = (tmp_path / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    assert "load_policy" in page
    assert "audit_pack" in page
