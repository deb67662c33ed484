"""Every backend of the engine gives the Python backend's findings, record for record."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import accounts, trades

import regkit as rk
from regkit.rules.policy import parse_policy

POLICY = """\
policy: mixed
version: "1"
parameters:
  caps: {fx_major: 30, fx_minor: 20, gold: 20, index_major: 20, commodity: 10,
         index_minor: 10, equity: 5, crypto: 2, other: 5, bond: 5}
  big: 1000000
rules:
  - id: LEV
    severity: high
    applies_to: trade
    when: account.category == "retail" and trade.instrument.product == "cfd"
    assert: trade.leverage <= params.caps[trade.instrument.underlying_class]
    message: "leverage {trade.leverage}"
    evidence: [trade.leverage]
  - id: BIG
    severity: medium
    applies_to: trade
    assert: trade.notional < params.big or trade.side == "sell"
  - id: MARGIN
    severity: low
    applies_to: trade
    when: trade.leverage is not None
    assert: trade.margin is not None
  - id: KYC
    severity: critical
    applies_to: account
    assert: account.kyc is not None and account.kyc.status == "verified"
  - id: RECENT
    severity: info
    applies_to: trade
    assert: days_between(trade.executed_at, as_of) <= 3650
"""

AS_OF = datetime(2026, 11, 21, tzinfo=UTC)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_python_and_polars_find_the_same(data: st.DataObject, backend: str) -> None:
    people = data.draw(
        st.lists(accounts(), min_size=1, max_size=4, unique_by=lambda a: a.account_id)
    )
    ids = st.sampled_from([a.account_id for a in people] + ["A-UNKNOWN"])
    deals = data.draw(
        st.lists(trades(account_id=ids), min_size=1, max_size=12, unique_by=lambda t: t.trade_id)
    )
    policy = parse_policy(POLICY)
    python = rk.check(policy, trades=deals, accounts=people, as_of=AS_OF, engine="python")
    polars = rk.check(policy, trades=deals, accounts=people, as_of=AS_OF, engine=backend)
    assert python.findings == polars.findings
    # Without accounts every account field reads as missing, on both backends alike.
    alone = rk.check(policy, trades=deals, as_of=AS_OF, engine="python")
    assert alone.findings == rk.check(policy, trades=deals, as_of=AS_OF, engine=backend).findings
    # A DataFrame of the trades finds the same (a decimal column has one scale, so a message
    # may show 21.0 where the record said 21: the evidence is equal as numbers).
    frame = pl.DataFrame([deal.to_row() for deal in deals], infer_schema_length=None)
    from_frame = rk.check(policy, trades=frame, accounts=people, as_of=AS_OF).findings
    assert [(f.rule_id, f.record_id, f.evidence) for f in from_frame] == [
        (f.rule_id, f.record_id, f.evidence) for f in python.findings
    ]


#: Any fixed offset (seconds included, up to a day either way) or a zone with summer time.
ZONES = st.one_of(
    st.timedeltas(-timedelta(hours=23, minutes=59), timedelta(hours=23, minutes=59)).map(
        lambda offset: timezone(timedelta(seconds=round(offset.total_seconds())))
    ),
    st.sampled_from([ZoneInfo("Europe/Nicosia"), ZoneInfo("America/New_York")]),
)
#: ISO 8601 offsets are hours and minutes: text with an offset in seconds is refused.
TEXT_ZONES = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)

CLOCK_RULES = """\
  - id: AFTER-AS-OF
    severity: low
    applies_to: trade
    assert: trade.executed_at <= as_of
    message: "executed {trade.executed_at} after as_of {as_of}"
"""


@st.composite
def as_of_forms(draw: st.DrawFn, near: datetime) -> tuple[object, datetime]:
    """``as_of`` in one of the forms it may take, and the UTC instant it means: a date (the
    start of that day in UTC), an aware datetime in any offset, or ISO 8601 text."""
    instant = (near + timedelta(microseconds=draw(st.sampled_from([-1, 0, 1])))).astimezone(UTC)
    zone = draw(ZONES)
    form = draw(st.sampled_from(["date", "date text", "datetime", "text", "text Z"]))
    if form.startswith("date"):
        day = instant.date()
        return (day if form == "date" else day.isoformat()), datetime.combine(day, time(), UTC)
    if form == "datetime":
        return instant.astimezone(zone), instant
    if form == "text Z":
        return instant.isoformat().replace("+00:00", "Z"), instant
    return instant.astimezone(draw(TEXT_ZONES)).isoformat(), instant


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_both_engines_read_as_of_the_same_in_any_form(data: st.DataObject, backend: str) -> None:
    people = data.draw(
        st.lists(accounts(), min_size=1, max_size=3, unique_by=lambda a: a.account_id)
    )
    ids = st.sampled_from([a.account_id for a in people])
    deals = data.draw(
        st.lists(trades(account_id=ids), min_size=1, max_size=8, unique_by=lambda t: t.trade_id)
    )
    # Near a trade's time, so that rules reading as_of find on either side of it.
    near = data.draw(st.sampled_from([deal.executed_at for deal in deals]))
    as_of, instant = data.draw(as_of_forms(near))
    policy = parse_policy(POLICY + CLOCK_RULES)
    expected = rk.check(policy, trades=deals, accounts=people, as_of=instant, engine="python")
    for engine in ("python", backend):
        result = rk.check(policy, trades=deals, accounts=people, as_of=as_of, engine=engine)
        assert result.as_of == instant
        assert result.findings == expected.findings, (engine, as_of)
