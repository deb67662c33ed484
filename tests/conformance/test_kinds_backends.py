"""Aggregate rules over several record kinds (``applies_to: [movement, trade]``): the polars
backend, the Python backend and the streaming WindowState give the same findings, and they
match a literal reading of the definition: the records of both kinds share the windows in
time order, ties in the order of the kinds listed and then in input order, and at a record
of one kind the other kind's fields are missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import regkit as rk
from regkit import CashMovement, Trade
from regkit.rules.policy import parse_policy

AS_OF = datetime(2026, 11, 30, tzinfo=UTC)
START = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
SPANS = {"2h": timedelta(hours=2), "24h": timedelta(hours=24), "3d": timedelta(days=3)}
MINUTES = [0, 30, 119, 120, 121, 1439, 1440, 2000, 4320]
AMOUNTS = [Decimal(v) for v in ("100", "2500.50", "4000", "9999.99")]
Record = CashMovement | Trade

#: assert text -> python over the aggregates and the record (``None`` at the other kind)
ASSERTS = {
    "withdrawal": (
        'not (movement.kind == "withdrawal" and deposited > 0 and traded < deposited)',
        lambda a, m, t: (
            not (
                m is not None
                and m.kind.value == "withdrawal"
                and a["deposited"] > 0
                and a["traded"] < a["deposited"]
            )
        ),
    ),
    "count": ("n < 3", lambda a, m, t: a["n"] < 3),
    "trade": (
        "trade.quantity is None or traded <= 15",
        lambda a, m, t: t is None or a["traded"] <= 15,
    ),
}


@st.composite
def books(draw: st.DrawFn) -> tuple[list[CashMovement], list[Trade]]:
    base = {
        "instrument": {
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        }
    }
    movements = [
        CashMovement(
            movement_id=f"M{index}",
            account_id=draw(st.sampled_from(["A1", "A2"])),
            kind=draw(st.sampled_from(["deposit", "withdrawal", "bonus"])),
            amount=draw(st.sampled_from(AMOUNTS)),
            currency="EUR",
            at=START + timedelta(minutes=draw(st.sampled_from(MINUTES))),
        )
        for index in range(draw(st.integers(min_value=0, max_value=12)))
    ]
    trades = [
        Trade.model_validate(
            base
            | {
                "trade_id": f"T{index}",
                "account_id": draw(st.sampled_from(["A1", "A2"])),
                "side": draw(st.sampled_from(["buy", "sell"])),
                "quantity": draw(st.sampled_from(["1", "5", "10"])),
                "price": "1.0850",
                "executed_at": START + timedelta(minutes=draw(st.sampled_from(MINUTES))),
            }
        )
        for index in range(draw(st.integers(min_value=0, max_value=12)))
    ]
    return movements, trades


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "window": draw(st.sampled_from([*SPANS, "calendar_day", "all"])),
        "assert": ASSERTS[draw(st.sampled_from(sorted(ASSERTS)))],
        "episodes": draw(st.booleans()),
        "where": draw(st.booleans()),
    }


def policy_text(spec: dict[str, Any]) -> str:
    where = (
        '    where: movement.kind != "bonus" or trade.trade_id is not None\n'
        if spec["where"]
        else ""
    )
    return (
        'policy: kinds\nversion: "1"\nrules:\n'
        "  - id: INOUT\n    severity: high\n    applies_to: [movement, trade]\n"
        f"{where}"
        "    group_by:\n      - coalesce(movement.account_id, trade.account_id)\n"
        f"    window: {spec['window']}\n"
        f"    episodes: {'true' if spec['episodes'] else 'false'}\n"
        "    aggregate:\n"
        '      deposited: sum(movement.amount if movement.kind == "deposit" else 0)\n'
        "      traded: sum(trade.quantity)\n"
        "      n: count()\n"
        f"    assert: {spec['assert'][0]}\n"
        '    message: "{deposited} {traded} {n}"\n'
    )


def key(record: Record) -> str:
    return record.movement_id if isinstance(record, CashMovement) else record.trade_id


def at(record: Record) -> datetime:
    return record.at if isinstance(record, CashMovement) else record.executed_at


def oracle(
    spec: dict[str, Any], movements: list[CashMovement], trades: list[Trade]
) -> list[tuple[Any, ...]]:
    """Episodes by the definition: (trigger id, kind, group, member ids, aggregates)."""
    merged: list[Record] = [*movements, *trades]  # ties: movements first, then input order
    entered = sorted(
        (
            r
            for r in merged
            if not spec["where"] or not isinstance(r, CashMovement) or r.kind.value != "bonus"
        ),
        key=at,
    )
    groups: dict[str, list[Record]] = {}
    for record in entered:
        groups.setdefault(record.account_id, []).append(record)
    order = {id(r): n for n, r in enumerate(entered)}
    found: list[tuple[int, tuple[Any, ...]]] = []
    for group, members in groups.items():
        failing: list[tuple[int, int, dict[str, Any]]] = []  # (start, position, values)
        for position, record in enumerate(members):
            if spec["window"] == "all":
                start = 0
            elif spec["window"] == "calendar_day":
                start = next(i for i, r in enumerate(members) if at(r).date() == at(record).date())
            else:
                start = next(
                    i for i, r in enumerate(members) if at(r) > at(record) - SPANS[spec["window"]]
                )
            window = members[start : position + 1]
            values = {
                "deposited": sum(
                    (
                        r.amount
                        for r in window
                        if isinstance(r, CashMovement) and r.kind.value == "deposit"
                    ),
                    Decimal(0),
                ),
                "traded": sum((r.quantity for r in window if isinstance(r, Trade)), Decimal(0)),
                "n": len(window),
            }
            movement = record if isinstance(record, CashMovement) else None
            trade = record if isinstance(record, Trade) else None
            if not spec["assert"][1](values, movement, trade):
                failing.append((start, position, values))
        for episode in _episodes(spec, failing):
            (start, position, values), members_at = episode
            trigger = members[position]
            ids = tuple(key(members[i]) for i in members_at)
            kind = "movement" if isinstance(trigger, CashMovement) else "trade"
            found.append((order[id(trigger)], (key(trigger), kind, (group,), ids, values)))
    return [item for _, item in sorted(found, key=lambda f: f[0])]


def _episodes(
    spec: dict[str, Any], failing: list[tuple[int, int, dict[str, Any]]]
) -> list[tuple[tuple[int, int, dict[str, Any]], list[int]]]:
    """Failing windows merged into episodes, with their members' positions."""
    episodes: list[tuple[tuple[int, int, dict[str, Any]], list[int]]] = []
    running = spec["window"] == "all"
    last = -2
    for start, position, values in failing:
        if running or not spec["episodes"]:  # runs of failing records, or each alone
            if spec["episodes"] and episodes and last == position - 1:
                episodes[-1][1].append(position)
            else:
                episodes.append(((start, position, values), [position]))
        elif spec["episodes"] and episodes and start <= last:
            first = episodes[-1][1][0]
            episodes[-1] = (episodes[-1][0], list(range(first, position + 1)))
        else:
            episodes.append(((start, position, values), list(range(start, position + 1))))
        last = position
    return episodes


def summary(findings: list[rk.Finding]) -> list[tuple[Any, ...]]:
    return [
        (
            f.record_id,
            f.record_kind,
            f.group_key,
            f.member_ids,
            {k: v for k, v in f.evidence.items() if "." not in k},
        )
        for f in findings
    ]


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(spec=rules(), book=books())
def test_several_kinds_python_polars_streaming_and_the_definition_agree(
    spec: dict[str, Any], book: tuple[list[CashMovement], list[Trade]], backend: str
) -> None:
    movements, trades = book
    policy = parse_policy(policy_text(spec))
    python = rk.check(policy, movements=movements, trades=trades, as_of=AS_OF, engine="python")
    columnar = rk.check(policy, movements=movements, trades=trades, as_of=AS_OF, engine=backend)
    assert python.findings == columnar.findings

    state = policy.compile(as_of=AS_OF).window_state()
    for record in sorted([*movements, *trades], key=at):
        if isinstance(record, CashMovement):
            state.add_movement(record)
        else:
            state.add_trade(record)
    assert state.findings() == python.findings

    assert summary(python.findings) == oracle(spec, movements, trades)
    event(f"findings: {min(len(python.findings), 3)}")
