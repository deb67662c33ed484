"""A pack of large Parquet files is built in bounded memory (the scope written chunk by
chunk, the check in chunks, the reports from a stream of the trades) and holds what the pack
of the same records read whole holds: the same findings, the same regulator files, the same
records in scope."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from regkit import jobs
from regkit.jobs import _pack, _scoped
from regkit.reports import audit_pack
from regkit.samples import SampleConfig, write_samples
from regkit.schemas.io import read_frame
from regkit.schemas.trade import Trade

MOMENT = datetime(2026, 11, 20, 18, tzinfo=UTC)
KINDS = ("trades", "accounts", "movements", "snapshots")


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("brokerage")
    write_samples(folder, SampleConfig(trades=400), "parquet")
    return folder


def _pack_of(brokerage: Path, out: Path, **scope: object) -> jobs.PackResult:
    return jobs.pack(
        "esma-cfd-retail",
        out=out,
        firm=brokerage / "firm.json",
        with_reports=["mifir", "emir"],
        created_at=MOMENT,
        as_of=MOMENT,
        **{name: brokerage / f"{name}.parquet" for name in KINDS},
        **scope,  # type: ignore[arg-type]
    )


def _streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as large: packed the bounded way, in chunks of a few dozen rows."""
    monkeypatch.setattr(_pack, "DEFAULT_CHUNK_ROWS", 45)
    monkeypatch.setattr(_scoped, "_CHUNK_ROWS", 37)


def _entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize(
    "scope",
    [
        {},
        {"account": "A000002", "start": date(2026, 11, 3), "end": date(2026, 11, 5)},
        {"start": date(2026, 11, 4)},
    ],
    ids=["everything", "account-and-period", "period"],
)
def test_a_large_pack_holds_what_the_pack_read_whole_holds(
    brokerage: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scope: dict[str, object]
) -> None:
    whole = _pack_of(brokerage, tmp_path / "whole.zip", **scope)
    _streamed(monkeypatch)
    large = _pack_of(brokerage, tmp_path / "large.zip", **scope)
    assert audit_pack.verify(large.path).ok
    assert large.records == whole.records
    assert large.result.findings == whole.result.findings
    assert large.result.counts == whole.result.counts
    assert large.regulator_files == whole.regulator_files
    small, big = _entries(whole.path), _entries(large.path)
    for name in large.regulator_files:
        assert big[f"data/regulator/{name}"] == small[f"data/regulator/{name}"]
    found = json.loads(big["data/findings.json"])
    assert found["findings"] == json.loads(small["data/findings.json"])["findings"]
    # The records in scope are in the pack, as a Parquet file the check fingerprinted.
    held = pl.read_parquet(big["data/inputs/trades.parquet"])
    scoped = jobs.read_files({"trades": brokerage / "trades.parquet"}, **scope)  # type: ignore[arg-type]
    assert held.get_column("trade_id").to_list() == [t.trade_id for t in scoped["trades"]]
    listed = json.loads(big["data/inputs/inputs.json"])["trades"]
    assert listed["sha256"] == listed["fingerprint"]


def test_the_records_of_a_large_pack_read_back_as_the_records_read_whole(
    brokerage: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _streamed(monkeypatch)
    large = _pack_of(brokerage, tmp_path / "large.zip", account="A000003")
    held = tmp_path / "held.parquet"
    held.write_bytes(_entries(large.path)["data/inputs/trades.parquet"])
    back = read_frame(held, Trade, "raise").records()
    scoped = jobs.read_files({"trades": brokerage / "trades.parquet"}, account="A000003")
    assert [t.to_dict() for t in back] == [t.to_dict() for t in scoped["trades"]]


@pytest.mark.parametrize("scope", [{}, {"start": date(2026, 11, 1)}], ids=["all", "period"])
def test_bad_rows_of_a_large_file_are_named_by_their_row_and_nothing_is_packed(
    brokerage: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scope: dict[str, date]
) -> None:
    trades = pl.read_parquet(brokerage / "trades.parquet")
    broken = trades.with_columns(
        pl.when(pl.int_range(pl.len()) == 300)
        .then(pl.lit(None, dtype=trades.schema["side"]))
        .otherwise(pl.col("side"))
        .alias("side")
    )
    folder = tmp_path / "in"
    folder.mkdir()
    broken.write_parquet(folder / "trades.parquet")
    (folder / "accounts.parquet").write_bytes((brokerage / "accounts.parquet").read_bytes())
    _streamed(monkeypatch)
    out = tmp_path / "p.zip"
    with pytest.raises(jobs.JobError, match="nothing was packed") as caught:
        jobs.pack(
            "esma-cfd-retail",
            out=out,
            trades=folder / "trades.parquet",
            accounts=folder / "accounts.parquet",
            **scope,
        )
    (error,) = caught.value.record_errors
    assert error.row == 301
    assert error.field == "side"
    assert str(folder / "trades.parquet") in str(error)
    assert not out.exists()


def test_a_scope_without_records_gives_a_pack_of_empty_files(
    brokerage: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _streamed(monkeypatch)
    large = _pack_of(brokerage, tmp_path / "large.zip", start=date(2030, 1, 1))
    assert audit_pack.verify(large.path).ok
    assert large.records["trades"] == 0
    assert not large.result.findings
