"""The command-line reference page (docs/cli.md) is what the ``regkit`` parser gives now.

The page is generated from :func:`regkit.cli.build_parser` by ``regkit.clidocs``; after
changing a command or an option, regenerate it with ``make cli-docs``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from regkit.cli import build_parser
from regkit.clidocs import GENERATED, cli_reference, main, outdated, write_cli_docs

ROOT = Path(__file__).resolve().parents[2]
CLI_DOCS = ROOT / "docs" / "cli.md"
REGENERATE = "make cli-docs  (or: python -m regkit.clidocs --out docs/cli.md)"


def test_the_committed_page_is_current() -> None:
    assert not outdated(CLI_DOCS), f"docs/cli.md is out of date; regenerate: {REGENERATE}"


def test_every_command_and_option_is_on_the_page() -> None:
    page = cli_reference()
    assert page.startswith(GENERATED + "\n")
    for name in ("samples", "demo", "check", "report mifir", "report emir", "validate", "pack"):
        assert f"\n## regkit {name}\n" in page
        assert f"\nusage: regkit {name} " in page
    check = page.split("\n## regkit check\n", 1)[1].split("\n## ", 1)[0]
    assert (
        "| `--out FILE` | write every finding to FILE, in the format its extension names" in check
    )
    assert (
        "| `--policy POLICY` | Required. a policy file, or the name of a built-in pack: " in check
    )
    assert "Exit codes: 0 when all went well" in page
    # every option of every parser, by argparse's own name for it
    options = {
        option
        for action in build_parser()._subparsers._group_actions  # type: ignore[union-attr]
        if isinstance(action, argparse._SubParsersAction)
        for parser in action.choices.values()
        for each in parser._actions
        for option in each.option_strings
        if option.startswith("--") and each.help != argparse.SUPPRESS and option != "--help"
    }
    for option in options:
        assert f"| `{option}" in page, option


def test_the_page_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    narrow = cli_reference()
    monkeypatch.setenv("COLUMNS", "300")
    assert cli_reference() == narrow


def test_main_checks_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli.md"
    assert main(["--check", "--out", str(out)]) == 1
    assert "make cli-docs" in capsys.readouterr().err
    assert main(["--out", str(out)]) == 0
    assert main(["--check", "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert not write_cli_docs(out)  # an unchanged page is not rewritten
    assert out.read_text(encoding="utf-8") == cli_reference()
    assert not list(tmp_path.glob(".*partial"))
