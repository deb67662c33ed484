"""What a newcomer reads: a help line for every option, the built-in packs in ``check
--help``, one hint for a file of the wrong record kind, and how many problems ``validate``
left out."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

import pytest

import regkit as rk
from regkit.cli import build_parser, main
from regkit.rules.policy import builtin_policies
from regkit.samples import SampleConfig, write_samples

MIFIR_SAMPLE = (
    Path(__file__).parents[1] / "reports" / "data" / "mifir_auth016_new_equity_cfd_minimal.xml"
)
LEI = "529900T8BM49AURSDO55"


def commands(
    parser: argparse.ArgumentParser, name: str = "regkit"
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command and subcommand parser, by its full name."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {choice.dest for choice in action._choices_actions if choice.help}
            for sub, subparser in action.choices.items():
                assert sub in helped, f"{name} {sub} has no help line"
                yield from commands(subparser, f"{name} {sub}")


def test_every_option_of_every_command_has_help() -> None:
    missing = set()
    for name, parser in commands(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._VersionAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                continue
            if action.help == argparse.SUPPRESS:
                continue
            if not action.help:
                missing.add(
                    (name, action.option_strings[0] if action.option_strings else action.metavar)
                )
    assert not missing, f"options without a help line: {sorted(missing)}"


def test_no_command_names_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    names = (
        "samples, demo, check, report, validate, pack, verify, feedback, runs, cases, store, "
        "status, submissions"
    )
    assert f"choose a command ({names}); regkit --help" in err


def test_check_help_lists_the_built_in_packs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    packs = list(builtin_policies())
    assert packs
    for name in packs:
        assert name in text


# --- a file of the wrong record kind --------------------------------------------------------


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folders = {}
    for form in ("parquet", "csv", "jsonl"):
        folder = tmp_path_factory.mktemp(form)
        write_samples(folder, SampleConfig(trades=20), form)
        folders[form] = folder
    return folders


@pytest.mark.parametrize("form", ["parquet", "csv", "jsonl"])
def test_check_gives_one_hint_for_accounts_given_as_trades(
    samples: dict[str, Path], form: str, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = samples[form] / f"accounts.{form}"
    assert main(["check", "--policy", "esma-cfd-retail", "--trades", str(accounts)]) == 2
    err = capsys.readouterr().err
    assert "unknown column" not in err
    assert err.count("looks like a file of") == 1
    assert (
        f"{accounts}: looks like a file of accounts, not trades: its columns match Account" in err
    )


def test_report_and_pack_give_the_hint_too(
    samples: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = samples["parquet"]
    trades, accounts = str(folder / "trades.parquet"), str(folder / "accounts.parquet")
    firm = str(folder / "firm.json")
    out = str(tmp_path / "reports")
    arguments = ["report", "mifir", "--trades", accounts, "--accounts", accounts]
    assert main([*arguments, "--firm", firm, "--out", out]) == 2
    err = capsys.readouterr().err
    assert "looks like a file of accounts, not trades: its columns match Account" in err
    assert "unknown column" not in err
    assert "row(s)" not in err  # the file is wrong, not a row of it
    arguments = ["report", "mifir", "--trades", trades, "--accounts", trades]
    assert main([*arguments, "--firm", firm, "--out", out]) == 2
    err = capsys.readouterr().err
    assert "looks like a file of trades, not accounts: its columns match Trade" in err
    assert "unknown column" not in err
    movements = str(folder / "movements.parquet")
    pack = ["pack", "--policy", "esma-cfd-retail", "--snapshots", movements]
    assert main([*pack, "--out", str(tmp_path / "pack.zip")]) == 2
    err = capsys.readouterr().err
    assert "looks like a file of movements, not snapshots: its columns match CashMovement" in err
    assert "unknown column" not in err


@pytest.mark.parametrize("form", ["parquet", "csv", "jsonl"])
def test_read_records_and_read_frame_give_one_hint(samples: dict[str, Path], form: str) -> None:
    snapshots = samples[form] / f"snapshots.{form}"
    streamed = list(rk.iter_records(snapshots, rk.Trade))
    for errors in (
        rk.read_records(snapshots, rk.Trade).errors,
        rk.read_frame(snapshots, rk.Trade).errors,
        streamed,
    ):
        (error,) = errors
        assert isinstance(error, rk.RecordError)
        assert error.reason.startswith(
            "looks like a file of snapshots, not trades: its columns match AccountSnapshot"
        )
        assert error.file == str(snapshots)


def test_a_misspelt_column_of_the_right_kind_is_still_named(tmp_path: Path) -> None:
    path = tmp_path / "movements.csv"
    path.write_text(
        "movement_id,account_id,kind,amount,currency,att\n"
        "M1,A1,deposit,100,EUR,2026-11-20T10:00:00Z\n",
        encoding="utf-8",
    )
    reasons = [error.reason for error in rk.read_records(path, rk.CashMovement).errors]
    assert any(reason.startswith("unknown column 'att'") for reason in reasons)
    assert not any("looks like a file of" in reason for reason in reasons)


# --- validate -------------------------------------------------------------------------------


def test_validate_says_how_many_problems_it_did_not_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = MIFIR_SAMPLE.read_bytes()
    document = document.replace(f"<ExctgPty>{LEI}</ExctgPty>".encode(), b"", 1)
    document = document.replace(f"<LEI>{LEI}</LEI>".encode(), b"<LEI>bad</LEI>", 1)
    document = document.replace(b"<MsgDefIdr>", b"<Priority/><MsgDefIdr>", 1)
    bad = tmp_path / "bad.xml"
    bad.write_bytes(document)
    assert main(["validate", "--max-problems", "1", str(bad)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{bad}:11: /BizData/Hdr/AppHdr/Priority: ")
    assert lines[1] == f"{bad}: 2 more problem(s) not shown (--max-problems N lists more)"
    assert main(["validate", str(bad)]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 3  # all three, nothing more to say
