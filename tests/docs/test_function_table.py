"""The function table of docs/policies.md is what the registry of functions gives now.

The table is generated from ``regkit.rules.lang.functions.FUNCTIONS`` by
``regkit.rules.lang.docs``; after changing a function, regenerate it with
``python -m regkit.rules.lang.docs --page docs/policies.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from regkit.rules.lang import FUNCTIONS
from regkit.rules.lang.docs import COMMAND, END, START, function_table, main, with_function_table

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "policies.md"


def test_the_committed_table_is_current() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert with_function_table(text) == text, (
        f"the function table of docs/policies.md is out of date; regenerate: {COMMAND}"
    )


def test_every_function_has_a_row_with_its_forms() -> None:
    table = function_table()
    for name, function in FUNCTIONS.items():
        assert function.signatures, name
        assert function.doc, name
        for signature in function.signatures:
            assert signature.startswith(f"{name}("), signature
            assert f"`{signature}`" in table


def test_only_the_region_is_rewritten() -> None:
    page = f"before\n{START}\nstale\n{END}\nafter\n"
    assert with_function_table(page) == f"before\n{START}\n{function_table()}{END}\nafter\n"
    with pytest.raises(ValueError, match="no region"):
        with_function_table("no markers here\n")


def test_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "policies.md"
    page.write_text(f"# Policies\n{START}\n| old |\n{END}\n", encoding="utf-8")
    assert main(["--check", "--page", str(page)]) == 1
    assert COMMAND in capsys.readouterr().err
    assert main(["--page", str(page)]) == 0
    assert main(["--check", "--page", str(page)]) == 0
    assert page.read_text(encoding="utf-8").startswith(f"# Policies\n{START}\n| function |")
    assert main(["--page", str(tmp_path / "missing.md")]) == 2
