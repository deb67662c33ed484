"""The store writes a finding's JSON and identity without building ``Finding.to_dict``'s data
(a third of the time of recording): both must be what ``to_dict`` gives, for any finding."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from regkit.rules.findings import Finding
from regkit.store._bulk import sqlite_time
from regkit.store.blocks import pack, unpack
from regkit.store.runs import content_of, finding_key
from regkit.store.schema import UtcDateTime

COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class Side(Enum):
    BUY = "buy"


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(max_size=8),
    st.decimals(allow_nan=False, allow_infinity=False, places=4),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.just(Side.BUY),
)
NESTED = st.recursive(
    VALUES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    return Finding(
        rule_id=draw(st.sampled_from(["R-ONE", "AML-STRUCT"])),
        severity=draw(st.sampled_from(["info", "low", "high", "critical"])),
        record_kind=draw(st.sampled_from(["trade", "movement"])),
        record_id=draw(st.text(min_size=1, max_size=10)),
        message=draw(st.text(max_size=30)),
        evidence=draw(st.dictionaries(st.text(max_size=12), NESTED, max_size=4)),
        reference=draw(st.dictionaries(st.text(max_size=6), st.text(max_size=10), max_size=3)),
        rule_version=draw(st.none() | st.text(max_size=6)),
        group_key=draw(st.none() | st.lists(VALUES, min_size=1, max_size=3).map(tuple)),
        member_ids=tuple(draw(st.lists(st.text(max_size=6), max_size=4))),
        at=draw(st.none() | st.datetimes(timezones=st.just(UTC))),
    )


@given(findings())
def test_a_finding_s_stored_json_is_its_to_dict(finding: Finding) -> None:
    text = content_of(finding)
    assert text == COMPACT.encode(finding.to_dict())
    assert Finding.from_dict(json.loads(text)).to_dict() == finding.to_dict()


@given(findings())
def test_a_finding_s_identity_is_the_hash_of_its_plain_parts(finding: Finding) -> None:
    data = finding.to_dict()
    if data["group_key"] is None:
        parts = [data["rule_id"], data["record_kind"], data["record_id"]]
    else:
        start = data["member_ids"][0] if data["member_ids"] else data["record_id"]
        parts = [data["rule_id"], data["record_kind"], data["group_key"], start]
    assert finding_key(finding) == hashlib.sha256(COMPACT.encode(parts).encode()).hexdigest()


def test_a_value_json_cannot_write_is_refused_by_type() -> None:
    finding = Finding("R", "low", "trade", "T1", "m", evidence={"x": {1, 2}})
    with pytest.raises(TypeError, match="of type set is not JSON"):
        content_of(finding)


def test_a_date_and_a_decimal_are_written_as_to_dict_writes_them() -> None:
    finding = Finding("R", "low", "trade", "T1", "m",
                      evidence={"d": date(2026, 1, 2), "p": Decimal("1.50")},
                      at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))  # fmt: skip
    assert '"evidence":{"d":"2026-01-02","p":"1.50"}' in content_of(finding)
    assert content_of(finding).endswith('"at":"2026-01-02T03:04:00Z"}')


TEXT = st.text(st.characters(codec="utf-8"), max_size=30)  # U+2028, U+0085, tabs, breaks


@given(st.lists(st.tuples(findings(), st.sampled_from(["new", "seen"]), TEXT), max_size=6))
def test_a_block_gives_back_each_finding_s_key_state_and_json(
    items: list[tuple[Finding, str, str]],
) -> None:
    """A run's block (``regkit.store.blocks``) splits its lines on tabs and line feeds only:
    any text a finding holds (a line separator, a tab, a next-line) comes back whole."""
    lines = [
        (finding_key(finding), state, content_of(replace(finding, message=message)))
        for finding, state, message in items
    ]
    assert list(unpack(pack(lines))) == lines
    back = [Finding.from_dict(json.loads(text)).to_dict() for _, _, text in unpack(pack(lines))]
    assert back == [replace(finding, message=message).to_dict() for finding, _, message in items]


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5, minutes=-30))])))
def test_a_time_bound_in_bulk_is_the_text_sqlalchemy_writes_into_sqlite(moment: datetime) -> None:
    """Rows written in bulk must compare with rows written through SQLAlchemy: a run
    closes the findings of its period by comparing their times as SQLite text."""
    dialect = sqlite.dialect()
    processor = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    assert sqlite_time(moment) == processor(moment)
