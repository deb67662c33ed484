"""The workflows as Python calls (``regkit.jobs``) do what the commands do, with the same
arguments: the same pack bytes, the same report files; and the report registry."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from regkit import jobs
from regkit.cli import DemoContext, main, read_firm
from regkit.errors import RenderError
from regkit.reports import audit_pack, emir, mifir
from regkit.reports.registry import REPORTS, report_type
from regkit.samples import SampleConfig, write_samples

CREATED = "2026-11-20T18:00:00Z"
MOMENT = datetime(2026, 11, 20, 18, tzinfo=UTC)


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("brokerage")
    write_samples(folder, SampleConfig(trades=300), "parquet")
    return folder


def test_the_pack_job_gives_the_bytes_the_command_gives(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    by_cli, by_job = tmp_path / "cli.zip", tmp_path / "job.zip"
    code = main(
        ["pack", "--policy", "esma-cfd-retail",
         "--trades", str(brokerage / "trades.parquet"),
         "--accounts", str(brokerage / "accounts.parquet"),
         "--snapshots", str(brokerage / "snapshots.parquet"),
         "--firm", str(brokerage / "firm.json"), "--with-reports", "mifir,emir",
         "--account", "A000001", "--from", "2026-11-02", "--to", "2026-11-20",
         "--created-at", CREATED, "--as-of", CREATED, "--out", str(by_cli)]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    done = jobs.pack(
        "esma-cfd-retail",
        trades=brokerage / "trades.parquet",
        accounts=brokerage / "accounts.parquet",
        snapshots=brokerage / "snapshots.parquet",
        firm=brokerage / "firm.json",
        with_reports=["mifir", "emir"],
        account="A000001",
        start=date(2026, 11, 2),
        end=date(2026, 11, 20),
        created_at=MOMENT,
        as_of=MOMENT,
        out=by_job,
    )
    assert by_job.read_bytes() == by_cli.read_bytes()
    assert done.path == by_job
    assert list(done.records) == ["trades", "accounts", "snapshots"]
    assert done.records["accounts"] == 1
    assert len(done.regulator_files) == 2
    assert not done.signed
    assert done.warnings  # dated before the check ran, as the command warns on stderr
    counts = ", ".join(f"{count:,} {name}" for name, count in done.records.items())
    assert f"{len(done.result.findings):,} findings from {counts}; 2 regulator file(s)" in printed
    assert audit_pack.verify(by_job).ok


def test_the_report_job_writes_the_files_the_command_writes(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = {
        "trades": brokerage / "trades.parquet",
        "accounts": brokerage / "accounts.parquet",
        "firm": brokerage / "firm.json",
    }
    args = [f"--{name}={path}" for name, path in common.items()]
    assert main(["report", "emir", *args, "--action", "TERM", "--created-at", CREATED,
                 "--out", str(tmp_path / "cli")]) == 0  # fmt: skip
    files = jobs.report("emir", action="TERM", created_at=MOMENT, out=tmp_path / "job", **common)
    (by_cli,) = sorted((tmp_path / "cli").iterdir())
    (by_job,) = files
    assert by_job.name == by_cli.name
    assert by_job.read_bytes() == by_cli.read_bytes()
    assert main(["report", "mifir", *args, "--cancel", "T1", "--created-at", CREATED,
                 "--out", str(tmp_path / "mifir-cli")]) == 0  # fmt: skip
    mine = jobs.report("mifir", cancel=["T1"], created_at=MOMENT, out=tmp_path / "m", **common)
    theirs = sorted((tmp_path / "mifir-cli").iterdir())
    assert [path.read_bytes() for path in mine] == [path.read_bytes() for path in theirs]
    capsys.readouterr()


def test_jobs_refuse_wrong_argument_types_naming_the_argument(
    brokerage: Path, tmp_path: Path
) -> None:
    with pytest.raises(TypeError, match="path must be a path"):
        jobs.load_firm(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="trades must be a path"):
        jobs.report("emir", trades=1, accounts="a", firm="f", out=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown option"):
        jobs.report("emir", trades="t", accounts="a", firm="f", out=tmp_path, cancels=["x"])
    with pytest.raises(TypeError, match="start must be a date"):
        jobs.pack("esma-cfd-retail", out=tmp_path / "p.zip", start="2026-11-02")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="with_reports must be a list"):
        jobs.pack("esma-cfd-retail", out=tmp_path / "p.zip", with_reports="mifir")
    with pytest.raises(TypeError, match="unknown record files 'trade'"):
        jobs.pack("esma-cfd-retail", out=tmp_path / "p.zip", trade=brokerage / "trades.parquet")
    with pytest.raises(TypeError, match="trades must be a whole number"):
        jobs.samples(tmp_path, trades="10")  # type: ignore[arg-type]


def test_bad_rows_are_a_job_error_that_names_each_row(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id\nA1\n", encoding="utf-8")
    with pytest.raises(jobs.JobError, match="nothing was packed") as caught:
        jobs.pack("esma-cfd-retail", out=tmp_path / "p.zip", accounts=accounts)
    assert caught.value.record_errors
    with pytest.raises(jobs.JobError, match="no such file"):
        jobs.read_files({"trades": tmp_path / "none.csv"})
    with pytest.raises(jobs.JobError, match="give at least one of trades, accounts"):
        jobs.check_files("esma-cfd-retail")


def test_read_files_scopes_by_account_and_period(brokerage: Path) -> None:
    found = jobs.record_files(brokerage)
    assert list(found) == ["trades", "accounts", "movements", "snapshots"]
    scoped = jobs.read_files(found, account="A000001", start=date(2026, 11, 3))
    assert {trade.account_id for trade in scoped["trades"]} <= {"A000001"}
    assert all(trade.executed_at.date() >= date(2026, 11, 3) for trade in scoped["trades"])
    assert [account.account_id for account in scoped["accounts"]] == ["A000001"]


def test_check_files_tells_its_progress(brokerage: Path) -> None:
    told: list[tuple[str, int, int]] = []
    result = jobs.check_files(
        "esma-cfd-retail",
        trades=brokerage / "trades.parquet",
        accounts=brokerage / "accounts.parquet",
        as_of=CREATED,
        progress=lambda what, done, total: told.append((what, done, total)),
    )
    assert result.records_checked["trade"] == 300
    assert told[0] == (f"reading {brokerage / 'trades.parquet'}", 0, 0)
    assert any(what.startswith("checking against esma-cfd-retail") for what, _, _ in told)


def test_the_registry_names_each_report_once() -> None:
    assert list(REPORTS) == ["mifir", "emir"]
    assert report_type("mifir").render is mifir.render
    assert report_type("emir").file_name is emir.file_name
    assert report_type("mifir").max_records == mifir.DEFAULT_MAX_RECORDS
    assert report_type("emir").max_records_help == "reports per file (100,000)"
    with pytest.raises(RenderError, match="unknown report 'fatca'; the reports are: mifir, emir"):
        report_type("fatca")


def test_the_old_names_of_the_command_line_still_work(tmp_path: Path) -> None:
    assert read_firm is jobs.load_firm
    out = io.StringIO()
    ctx = DemoContext(tmp_path, 1, out)
    ctx.say("a line")
    assert out.getvalue() == "a line\n"
    assert isinstance(ctx, jobs.DemoContext)
    assert ctx.out is out


def test_the_pack_job_refuses_bad_arguments_before_it_checks(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="sign must be a PEM file"):
        jobs.pack("esma-cfd-retail", out=tmp_path / "p.zip", sign=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="inputs must be 'records' or 'fingerprints'"):
        jobs.pack("esma-cfd-retail", out=tmp_path / "p.zip", inputs="all")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="created_at must be a datetime"):
        jobs.pack("esma-cfd-retail", out=tmp_path / "p.zip", created_at="now")  # type: ignore[arg-type]
    with pytest.raises(jobs.JobError, match="unknown report"):
        jobs.pack("esma-cfd-retail", out=tmp_path / "p.zip", with_reports=["fatca"])
    with pytest.raises(jobs.JobError, match="the last day 2026-11-01 is before the first"):
        jobs.pack(
            "esma-cfd-retail",
            out=tmp_path / "p.zip",
            start=date(2026, 11, 2),
            end=date(2026, 11, 1),
        )
