"""The README's example runs as written and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_opens_with_the_two_commands() -> None:
    first_block = README.read_text(encoding="utf-8").split("```")[1]
    assert "make demo" in first_block
    assert "make test" in first_block


def test_readme_example_runs_and_prints_what_it_says() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match is not None
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(match.group(1), "README.md", "exec"), {"__name__": "__main__"})
    lines = printed.getvalue().splitlines()
    assert lines[0] == "2026-11-20 08:30:00.123000+00:00"
    assert lines[1] == "108500.0000"
    assert lines[2].startswith("1 Trade: row 2, key 'T2', field 'account_id': Field required")
