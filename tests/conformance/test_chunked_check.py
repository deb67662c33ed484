"""Parquet files checked in chunks (``regkit.rules.chunked``) give the findings the whole
records give, in the same order, for every built-in pack: record rules chunk by chunk,
aggregate rules over the columns they read, records read back by their row."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_expr_backends import books
from test_policy_backends import policies

import regkit as rk
from regkit import jobs
from regkit.rules.chunked import BadRowsError, check_parquet
from regkit.rules.policy import builtin_policies, load_policy, parse_policy
from regkit.samples import SampleConfig, write_samples
from regkit.schemas.io import read_frame, write_records
from regkit.schemas.kinds import KINDS

AS_OF = "2026-11-20"


def _sample_files(folder: Path, trades: int, format: str) -> dict[str, Path]:
    """A sample brokerage's record files, by kind plural."""
    write_samples(folder, SampleConfig(trades=trades), format)  # type: ignore[arg-type]
    paths = {kind.plural: folder / f"{kind.plural}.{format}" for kind in KINDS.values()}
    return {name: path for name, path in paths.items() if path.exists()}


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _sample_files(tmp_path_factory.mktemp("chunked"), 500, "parquet")


@pytest.mark.parametrize("pack", sorted(builtin_policies()))
@pytest.mark.parametrize("chunk_rows", [41])
def test_every_pack_finds_the_same_in_chunks(
    brokerage: dict[str, Path], pack: str, chunk_rows: int
) -> None:
    policy = load_policy(pack)
    models = {kind.plural: kind.model for kind in KINDS.values()}
    whole = rk.check(
        policy,
        as_of=AS_OF,
        **{name: read_frame(path, models[name]) for name, path in brokerage.items()},
    )
    chunked = check_parquet(policy, brokerage, as_of=AS_OF, chunk_rows=chunk_rows)
    assert chunked.findings == whole.findings
    assert chunked.counts == whole.counts
    assert chunked.records_checked == whole.records_checked


def test_the_job_checks_in_chunks_with_the_cap_and_the_files_fingerprints(
    brokerage: dict[str, Path],
) -> None:
    import hashlib

    result = jobs.check_files(
        "mifir-data-quality", as_of=AS_OF, chunk_rows=50, max_findings_per_rule=3, **brokerage
    )
    whole = jobs.check_files("mifir-data-quality", as_of=AS_OF, **brokerage)
    assert result.counts == whole.counts
    assert len(result.findings) <= 3 * len(result.counts_by_rule)
    trades = brokerage["trades"]
    assert result.input_fingerprints["trades"] == hashlib.sha256(trades.read_bytes()).hexdigest()


def test_bad_rows_in_a_later_chunk_are_named_by_their_row_and_nothing_is_checked(
    brokerage: dict[str, Path], tmp_path: Path
) -> None:
    frame = pl.read_parquet(brokerage["trades"])
    broken = frame.with_columns(
        pl.when(pl.int_range(pl.len()).is_in([3, 401]))
        .then(pl.lit("-"))
        .otherwise(pl.col("side"))
        .alias("side")
    )
    path = tmp_path / "trades.parquet"
    broken.write_parquet(path)
    files = {**brokerage, "trades": path}
    with pytest.raises(BadRowsError) as caught:
        check_parquet(load_policy("esma-cfd-retail"), files, as_of=AS_OF, chunk_rows=100)
    assert [error.row for error in caught.value.rows] == [4, 402]  # rows from 1, as read_frame
    assert [error.row for error in read_frame(path, rk.Trade).errors] == [4, 402]
    with pytest.raises(jobs.JobError) as refused:
        jobs.check_files("esma-cfd-retail", as_of=AS_OF, chunk_rows=100, **files)
    assert "2 input errors; nothing checked" in str(refused.value)
    assert len(refused.value.record_errors) == 2


def test_chunk_rows_must_be_a_whole_number_of_one_or_more(brokerage: dict[str, Path]) -> None:
    with pytest.raises(ValueError, match="chunk_rows must be at least 1, got 0"):
        check_parquet(load_policy("kyc"), brokerage, chunk_rows=0)
    with pytest.raises(TypeError, match="chunk_rows must be a whole number"):
        jobs.check_files("kyc", chunk_rows="10", **brokerage)  # type: ignore[arg-type]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(policies(), books(), st.integers(1, 5))
def test_random_policies_find_the_same_in_chunks(
    tmp_path: Path, text: str, book: tuple[list[rk.Trade], list[rk.Account]], chunk_rows: int
) -> None:
    policy = parse_policy(text, "random.yaml")
    trades, accounts = book
    folder = tmp_path / uuid.uuid4().hex
    folder.mkdir()
    files = {"trades": folder / "trades.parquet"}
    write_records(trades, files["trades"])
    if accounts:
        files["accounts"] = folder / "accounts.parquet"
        write_records(accounts, files["accounts"])
    # The files read whole, as `regkit check` reads them: a frame's decimal column has the
    # most places any of its values has, and so have the records and evidence built from it.
    models = {"trades": rk.Trade, "accounts": rk.Account}
    frames = {name: read_frame(path, models[name]) for name, path in files.items()}
    whole = rk.check(policy, as_of=AS_OF, engine="polars", **frames)
    chunked = check_parquet(policy, files, as_of=AS_OF, chunk_rows=chunk_rows)
    assert chunked.findings == whole.findings


def test_findings_beyond_memory_are_spooled_and_read_back_the_same(
    brokerage: dict[str, Path], tmp_path: Path
) -> None:
    from regkit.rules.spool import SpooledFindings

    policy = load_policy("mifir-data-quality")
    held = check_parquet(policy, brokerage, as_of=AS_OF, chunk_rows=97)
    spooled = check_parquet(policy, brokerage, as_of=AS_OF, chunk_rows=97, keep_in_memory=10)
    assert isinstance(spooled.findings, SpooledFindings)
    assert len(spooled.findings) > 10
    assert spooled.findings == held.findings
    assert spooled.counts == held.counts
    spooled.write_json(tmp_path / "spooled.json")
    same = dataclasses.replace(spooled, findings=list(spooled.findings))
    assert (tmp_path / "spooled.json").read_text(encoding="utf-8") == same.to_json()


def test_running_totals_built_in_small_batches_find_what_python_finds(
    brokerage: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from regkit.rules.backends.polars import history

    monkeypatch.setattr(history, "HISTORY_BATCH", 7)  # many batches, groups split across them
    policy = load_policy("exposure")
    chunked = check_parquet(policy, brokerage, as_of=AS_OF, chunk_rows=100)
    models = {kind.plural: kind.model for kind in KINDS.values()}
    records = {name: read_frame(path, models[name]).records() for name, path in brokerage.items()}
    python = rk.check(policy, as_of=AS_OF, engine="python", **records)
    assert chunked.findings
    assert [f.to_dict() for f in chunked.findings] == [f.to_dict() for f in python.findings]


@pytest.fixture(scope="module")
def csv_brokerage(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _sample_files(tmp_path_factory.mktemp("chunked-csv"), 300, "csv")


@pytest.mark.parametrize("pack", ["exposure", "mifir-data-quality", "aml"])
def test_csv_files_are_checked_in_chunks_with_the_findings_read_whole(
    csv_brokerage: dict[str, Path], pack: str
) -> None:
    import hashlib

    from regkit.schemas.io import regular_csv

    assert all(regular_csv(path) for path in csv_brokerage.values())
    whole = jobs.check_files(pack, as_of=AS_OF, **csv_brokerage)
    chunked = jobs.check_files(pack, as_of=AS_OF, chunk_rows=53, **csv_brokerage)
    assert [f.to_dict() for f in chunked.findings] == [f.to_dict() for f in whole.findings]
    assert chunked.records_checked == whole.records_checked
    trades = csv_brokerage["trades"]
    assert chunked.input_fingerprints["trades"] == hashlib.sha256(trades.read_bytes()).hexdigest()


def test_a_bad_csv_row_is_named_by_the_csv_file_and_its_row(
    csv_brokerage: dict[str, Path], tmp_path: Path
) -> None:
    lines = csv_brokerage["trades"].read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[201].rstrip("\n").split(",")
    cells[header.index("quantity")] = "lots"
    lines[201] = ",".join(cells) + "\n"
    trades = tmp_path / "trades.csv"
    trades.write_text("".join(lines), encoding="utf-8")
    files = {"trades": trades, "accounts": csv_brokerage["accounts"]}
    with pytest.raises(jobs.JobError, match="nothing checked") as caught:
        jobs.check_files("esma-cfd-retail", as_of=AS_OF, chunk_rows=53, **files)
    with pytest.raises(jobs.JobError) as whole:
        jobs.check_files("esma-cfd-retail", **files)
    assert [str(e) for e in caught.value.record_errors] == [
        str(e) for e in whole.value.record_errors
    ]
    (error,) = caught.value.record_errors
    assert error.row == 201
    assert error.file == str(trades)


def test_a_csv_file_polars_would_read_differently_is_read_whole(
    csv_brokerage: dict[str, Path], tmp_path: Path
) -> None:
    from regkit.schemas.io import regular_csv

    text = csv_brokerage["trades"].read_text(encoding="utf-8")
    trades = tmp_path / "trades.csv"
    trades.write_text(text + "\n", encoding="utf-8")  # a blank line at the end
    assert not regular_csv(trades)
    files = {"trades": trades, "accounts": csv_brokerage["accounts"]}
    chunked = jobs.check_files("esma-cfd-retail", as_of=AS_OF, chunk_rows=53, **files)
    whole = jobs.check_files("esma-cfd-retail", as_of=AS_OF, **files)
    assert chunked.findings == whole.findings
    assert chunked.input_fingerprints == whole.input_fingerprints


@pytest.mark.parametrize("pack", ["aml", "exposure", "execution-quality", "emir-refit-validation"])
def test_windows_rolled_in_parts_of_whole_groups_find_the_same(
    brokerage: dict[str, Path], monkeypatch: pytest.MonkeyPatch, pack: str
) -> None:
    from regkit.rules.backends.polars import rolling

    policy = load_policy(pack)
    whole = check_parquet(policy, brokerage, as_of=AS_OF, chunk_rows=100)
    monkeypatch.setattr(rolling, "ROLL_ROWS", 23)  # many parts, each of whole groups
    parts = check_parquet(policy, brokerage, as_of=AS_OF, chunk_rows=100)
    assert parts.findings == whole.findings
