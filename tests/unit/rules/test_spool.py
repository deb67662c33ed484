"""Findings spooled to disk read back as the list they were: same findings, same order,
same indexing, same counts; and the result writes the same files from either."""

from __future__ import annotations

import dataclasses
import gc
import os
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regkit.rules.findings import CheckResult, Finding
from regkit.rules.spool import FindingsSpool, SpooledFindings

_RULES = st.sampled_from(["R-ONE", "R-TWO", "LONG-RULE-ID-THREE"])
_SEVERITIES = st.sampled_from(["info", "low", "medium", "high", "critical"])


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    number = draw(st.integers(0, 10**6))
    return Finding(
        rule_id=draw(_RULES),
        severity=draw(_SEVERITIES),
        record_kind=draw(st.sampled_from(["trade", "account", "movement"])),
        record_id=f"T{number}",
        message=draw(st.text(max_size=20)),
        evidence={"trade.price": Decimal(number).scaleb(-3), "trade.at": datetime(2026, 1, 1)},
        group_key=draw(st.none() | st.tuples(st.text(max_size=5))),
        member_ids=tuple(draw(st.lists(st.text(max_size=4), max_size=3))),
        at=datetime(2026, 11, 20, 9, number % 60, tzinfo=UTC),
    )


@given(
    batches=st.lists(st.lists(findings(), max_size=12), max_size=6),
    keep=st.integers(0, 15),
    block=st.integers(1, 7),
)
def test_spooled_findings_are_the_list_they_were(
    batches: list[list[Finding]], keep: int, block: int
) -> None:
    spool = FindingsSpool(keep_in_memory=keep, block=block)
    for batch in batches:
        spool.extend(batch)
    expected = [finding for batch in batches for finding in batch]
    found = spool.findings()
    assert isinstance(found, list) == (len(expected) <= keep)
    assert list(found) == expected
    assert found == expected
    assert len(found) == len(expected)
    for index in range(-len(expected), len(expected)):
        assert found[index] == expected[index]
    assert found[1:7:2] == expected[1:7:2]
    assert found[::-1] == expected[::-1]
    if isinstance(found, SpooledFindings):
        counted = Counter((f.rule_id, str(f.severity), f.record_kind) for f in expected)
        assert found.tally == counted


def test_a_spooled_finding_keeps_its_values_exactly() -> None:
    finding = Finding("R", "high", "trade", "T1", "m", evidence={"trade.price": Decimal("1.50")})
    spool = FindingsSpool(keep_in_memory=0)
    spool.extend([finding])
    (back,) = spool.findings()
    assert back.evidence["trade.price"] == Decimal("1.50")
    assert str(back.evidence["trade.price"]) == "1.50"


def test_an_index_out_of_range_or_of_the_wrong_type_is_refused() -> None:
    spool = FindingsSpool(keep_in_memory=0)
    spool.extend([Finding("R", "low", "trade", "T1", "m")])
    found = spool.findings()
    with pytest.raises(IndexError, match="finding 1 of 1"):
        found[1]
    with pytest.raises(TypeError, match="whole number"):
        found["0"]  # type: ignore[call-overload]


def test_the_file_is_private_and_deleted_with_the_findings(tmp_path: Path) -> None:
    spool = FindingsSpool(keep_in_memory=0, folder=str(tmp_path))
    spool.extend([Finding("R", "low", "trade", "T1", "m")])
    (path,) = tmp_path.iterdir()
    assert path.stat().st_mode & 0o077 == 0  # read and written by this user only
    found = spool.findings()
    del spool
    gc.collect()
    assert path.exists()  # the findings still need it
    del found
    gc.collect()
    assert not path.exists()


def test_a_spool_that_is_never_read_leaves_no_file(tmp_path: Path) -> None:
    spool = FindingsSpool(keep_in_memory=0, folder=str(tmp_path))
    spool.extend([Finding("R", "low", "trade", "T1", "m")])
    del spool
    gc.collect()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(("name", "value"), [("keep_in_memory", -1), ("block", 0)])
def test_the_spool_refuses_sizes_below_their_least(name: str, value: int) -> None:
    with pytest.raises(ValueError, match=name):
        FindingsSpool(**{name: value})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=name):
        FindingsSpool(**{name: True})  # type: ignore[arg-type]


def _result(found: list[Finding] | SpooledFindings) -> CheckResult:
    moment = datetime(2026, 11, 20, tzinfo=UTC)
    return CheckResult(
        findings=found,
        policy_id="p",
        policy_version="1",
        policy_sha256="0" * 64,
        started_at=moment,
        finished_at=moment,
        records_checked={"trade": 50},
        unlisted={"R-TWO": 4},
        unlisted_severity={"R-TWO": "low"},
    )


@given(st.lists(findings(), max_size=25))
def test_a_spooled_result_writes_and_counts_what_the_list_does(listed: list[Finding]) -> None:
    import tempfile

    spool = FindingsSpool(keep_in_memory=0, block=4)
    spool.extend(listed)
    small, large = _result(listed), _result(spool.findings())
    assert large.counts == small.counts
    assert large.total_findings == small.total_findings
    assert large.is_compliant("high") == small.is_compliant("high")
    assert large.to_json() == small.to_json()
    assert large.to_csv() == small.to_csv()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        large.write_json(out / "f.json")
        large.write_csv(out / "f.csv")
        assert (out / "f.json").read_text(encoding="utf-8") == small.to_json()
        assert (out / "f.csv").read_bytes() == small.to_csv().encode("utf-8")


def test_a_large_result_writes_parquet_in_blocks_with_the_rows_of_to_polars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import regkit.rules.findings as module

    listed = [
        Finding("R-ONE", "low", "trade", f"T{n}", f"m{n}", evidence={"x": Decimal(n)})
        for n in range(23)
    ]
    result = _result(listed)
    monkeypatch.setattr(module, "_PARQUET_BLOCK", 5)
    result.write_parquet(tmp_path / "f.parquet")
    assert pl.read_parquet(tmp_path / "f.parquet").equals(result.to_polars())
    assert [path.name for path in tmp_path.iterdir()] == ["f.parquet"]


def test_json_written_a_finding_at_a_time_is_to_json_for_the_empty_result(tmp_path: Path) -> None:
    result = dataclasses.replace(_result([]), unlisted={}, unlisted_severity={})
    result.write_json(tmp_path / "f.json")
    assert (tmp_path / "f.json").read_text(encoding="utf-8") == result.to_json()


@given(findings())
def test_the_cells_of_a_finding_are_those_of_its_dict(finding: Finding) -> None:
    import json

    from regkit.rules.findings import _CSV_COLUMNS, _Cells

    def cell(value: object) -> str:  # the cells as to_csv made them from to_dict
        if value is None:
            return ""
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        return str(value)

    data = finding.to_dict()
    assert _Cells().of(finding) == [cell(data[name]) for name in _CSV_COLUMNS]


def test_spooled_findings_pickle_and_copy_as_their_list() -> None:
    import copy
    import pickle

    listed = [Finding("R", "low", "trade", f"T{n}", "m") for n in range(3)]
    spool = FindingsSpool(keep_in_memory=0)
    spool.extend(listed)
    found = spool.findings()
    assert pickle.loads(pickle.dumps(found)) == listed
    assert copy.deepcopy(found) == listed
    assert isinstance(copy.copy(found), list)
