"""The shell examples of the quickstart run as written, in an empty folder.

Each ``regkit ...`` line of a ```sh block in ``docs/quickstart.md`` (under "The regkit
command") runs in order through ``python -m regkit`` with a real shell, so globs work as a user
types them. A line must exit 0 unless it ends in a comment ``# exit N``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
EXIT = re.compile(r"#\s*exit (\d+)")


def commands() -> list[tuple[str, int]]:
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index("## The regkit command") :]
    section = section[: section.index("\n## ", 1)]
    found = []
    for block in BLOCK.findall(section):
        for line in block.splitlines():
            if line.startswith("regkit "):
                expected = EXIT.search(line)
                found.append((line, int(expected.group(1)) if expected else 0))
    return found


def test_the_section_has_examples() -> None:
    names = {line.split()[1] for line, _ in commands()}
    assert {"samples", "check", "report", "validate", "pack", "verify"} <= names


def test_each_line_runs_as_written(tmp_path: Path) -> None:
    prelude = f'regkit() {{ "{sys.executable}" -m regkit "$@"; }}\n'
    for line, expected in commands():
        done = subprocess.run(
            ["bash", "-c", prelude + line],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != expected:
            pytest.fail(f"{line}\nexit {done.returncode}, expected {expected}\n{done.stderr}")
    assert (tmp_path / "findings.csv").read_text(encoding="utf-8").startswith("rule_id")
