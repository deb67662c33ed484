"""``jobs.record_check``: a check of record files kept in a store, each finding with the
account its record names, whatever the files' format."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, select

from regkit import jobs
from regkit.samples import SampleConfig, write_samples
from regkit.schemas.io import read_records
from regkit.schemas.trade import Trade
from regkit.store.schema import findings


@pytest.mark.parametrize("form", ["csv", "jsonl", "parquet"])
def test_each_finding_is_kept_with_its_record_s_account(tmp_path: Path, form: str) -> None:
    write_samples(tmp_path, SampleConfig(trades=300), form)
    files = {name: tmp_path / f"{name}.{form}" for name in ("trades", "accounts")}
    result = jobs.check_files("esma-cfd-retail", as_of="2026-11-20", **files)
    assert result.findings
    recorded = jobs.record_check(result, files, store=tmp_path / "s.db", by="test")
    assert recorded.new == len(result.findings)
    owner = {t.trade_id: t.account_id for t in read_records(files["trades"], Trade).records}
    engine = create_engine(f"sqlite:///{tmp_path / 's.db'}")
    with engine.connect() as connection:
        kept = connection.execute(
            select(findings.c.record_kind, findings.c.record_id, findings.c.account_id)
        ).all()
    engine.dispose()
    for kind, record, account in kept:
        assert account == (record if kind == "account" else owner[record]), (kind, record)


def test_a_snapshot_s_account_is_read_from_its_key(tmp_path: Path) -> None:
    from regkit.rules.findings import Finding

    path = tmp_path / "snapshots.parquet"
    pl.DataFrame({"account_id": ["A7"], "at": ["2026-11-20T00:00:00Z"]}).write_parquet(path)
    key = "A7|2026-11-20T00:00:00Z"
    found = [Finding(rule_id="R", severity="low", record_kind="snapshot", record_id=key,
                     message="m")]  # fmt: skip
    assert jobs.accounts_of(found, {"snapshots": path}) == {("snapshot", key): "A7"}
    assert jobs.accounts_of(found, {}) == {}  # no file: no account, nothing guessed


def test_a_file_s_span_is_its_records_first_and_last_utc_day(tmp_path: Path) -> None:
    from regkit.jobs._store import span_of

    text = tmp_path / "trades.csv"
    text.write_text(
        "trade_id,executed_at\nT1,2026-11-20T23:30:00-02:00\nT2,2026-11-20T00:10:00+01:00\n"
    )
    typed = tmp_path / "movements.parquet"
    moments = pl.Series([datetime(2026, 11, 25, 1, tzinfo=UTC)]).dt.convert_time_zone(
        "Europe/Paris"
    )
    pl.DataFrame({"at": moments}).write_parquet(typed)
    assert span_of({"trades": text}) == (date(2026, 11, 19), date(2026, 11, 21))
    assert span_of({"trades": text, "movements": typed}) == (date(2026, 11, 19), date(2026, 11, 25))
    assert span_of({"accounts": text}) is None
