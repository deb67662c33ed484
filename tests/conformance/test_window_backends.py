"""Aggregate rules: the polars backend, the Python backend and the streaming WindowState give
the same findings, and all of them match a naive reading of the definition (the oracle below
re-reads every window from scratch, record by record)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import regkit as rk
from regkit import CashMovement
from regkit.rules.backends.polars import history, rolling
from regkit.rules.lang import format_value
from regkit.rules.policy import parse_policy
from regkit.rules.windows import mean_of

AS_OF = datetime(2026, 11, 30, tzinfo=UTC)
START = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
WINDOWS = {"30m": timedelta(minutes=30), "2h": timedelta(hours=2), "24h": timedelta(hours=24)}
AMOUNTS = [Decimal(v) for v in ("50", "99.99", "100", "2500.50", "4000", "9999.99")]

# name -> (aggregate text, python over the window's movements)
AGGREGATES: dict[str, tuple[str, Callable[[list[CashMovement]], Any]]] = {
    "n": ("count()", len),
    "total": ("sum(movement.amount)", lambda ms: sum((m.amount for m in ms), Decimal(0))),
    "biggest": ("max(movement.amount)", lambda ms: max(m.amount for m in ms)),
    "smallest": ("min(movement.amount)", lambda ms: min(m.amount for m in ms)),
    "average": (
        "mean(movement.amount)",
        lambda ms: mean_of(sum((m.amount for m in ms), Decimal(0)), len(ms)),
    ),
    "countries": (
        "count_distinct(movement.payer_country)",
        lambda ms: len({m.payer_country for m in ms if m.payer_country is not None}),
    ),
    "latest": ("max(movement.at)", lambda ms: max(m.at for m in ms)),
}

# assert text -> python over the aggregates and the window's own movement
ASSERTS: dict[str, tuple[str, Callable[[dict[str, Any], CashMovement], bool]]] = {
    "n": ("n < 3", lambda a, m: a["n"] < 3),
    "total": ("total <= 9000", lambda a, m: a["total"] <= 9000),
    "biggest": ("biggest < 5000", lambda a, m: a["biggest"] < 5000),
    "smallest": ("smallest >= 100", lambda a, m: a["smallest"] >= 100),
    "average": ("average < 3000", lambda a, m: a["average"] < 3000),
    "countries": ("countries < 2", lambda a, m: a["countries"] < 2),
    "latest": ("latest != as_of", lambda a, m: True),
}
MIXED = ("n < 2 or movement.amount < 1000", lambda a, m: a["n"] < 2 or m.amount < 1000)

GROUPS = {
    "movement.account_id": lambda m: m.account_id,
    "movement.payer_country": lambda m: m.payer_country,
    "movement.kind": lambda m: m.kind.value,
}
WHERES: dict[str | None, Callable[[CashMovement], bool]] = {
    None: lambda m: True,
    'movement.kind == "deposit"': lambda m: m.kind.value == "deposit",
    "movement.amount >= 100": lambda m: m.amount >= 100,
}


@st.composite
def movement_lists(draw: st.DrawFn) -> list[CashMovement]:
    count = draw(st.integers(min_value=1, max_value=25))
    items = []
    for index in range(count):
        minutes = draw(st.sampled_from([0, 10, 29, 30, 31, 60, 119, 120, 180, 1439, 1440, 1500]))
        day = draw(st.integers(min_value=0, max_value=2))
        items.append(
            CashMovement(
                movement_id=f"M{index}",
                account_id=draw(st.sampled_from(["A1", "A2"])),
                kind=draw(st.sampled_from(["deposit", "withdrawal", "bonus"])),
                amount=draw(st.sampled_from(AMOUNTS)),
                currency="EUR",
                at=START + timedelta(days=day, minutes=minutes),
                payer_country=draw(st.sampled_from([None, "DE", "FR", "CY"])),
            )
        )
    return items


@st.composite
def aggregate_rules(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(sorted(AGGREGATES)), min_size=1, max_size=3, unique=True))
    checked = draw(st.sampled_from(names))
    mixed = "n" in names and draw(st.booleans())
    return {
        "window": draw(st.sampled_from([*WINDOWS, "calendar_day", "all"])),
        "group_by": draw(
            st.lists(st.sampled_from(sorted(GROUPS)), min_size=1, max_size=2, unique=True)
        ),
        "where": draw(st.sampled_from(list(WHERES))),
        "aggregates": names,
        "assert": MIXED if mixed else ASSERTS[checked],
        "episodes": draw(st.booleans()),
    }


def policy_text(spec: dict[str, Any]) -> str:
    aggregates = ", ".join(f"{name}: {AGGREGATES[name][0]}" for name in spec["aggregates"])
    where = f"    where: {spec['where']}\n" if spec["where"] else ""
    message = " ".join(f"{name}={{{name}}}" for name in spec["aggregates"])
    return (
        'policy: windows\nversion: "1"\nrules:\n'
        "  - id: AGG\n    severity: high\n    applies_to: movement\n"
        f"{where}"
        f"    group_by: [{', '.join(spec['group_by'])}]\n"
        f"    window: {spec['window']}\n"
        f"    episodes: {'true' if spec['episodes'] else 'false'}\n"
        f"    aggregate: {{{aggregates}}}\n"
        f"    assert: {spec['assert'][0]}\n"
        f'    message: "{message}"\n'
        "    evidence: [movement.amount]\n"
    )


def oracle(spec: dict[str, Any], movements: list[CashMovement]) -> list[tuple[Any, ...]]:
    """Episodes by the definition: (trigger id, group key, member ids, aggregates)."""
    entered = sorted(
        (m for m in movements if WHERES[spec["where"]](m)), key=lambda m: m.at
    )  # stable: ties keep input order
    groups: dict[tuple[Any, ...], list[CashMovement]] = {}
    for movement in entered:
        key = tuple(GROUPS[name](movement) for name in spec["group_by"])
        groups.setdefault(key, []).append(movement)
    found: list[tuple[datetime, int, tuple[Any, ...]]] = []
    order = {id(m): n for n, m in enumerate(entered)}
    for key, members in groups.items():
        episode: list[Any] | None = None
        for position, movement in enumerate(members):
            if spec["window"] == "all":
                start = 0
            elif spec["window"] == "calendar_day":
                start = next(i for i, m in enumerate(members) if m.at.date() == movement.at.date())
            else:
                span = WINDOWS[spec["window"]]
                start = next(i for i, m in enumerate(members) if m.at > movement.at - span)
            window = members[start : position + 1]
            values = {name: AGGREGATES[name][1](window) for name in spec["aggregates"]}
            if spec["assert"][1](values, movement):
                continue
            if spec["window"] == "all":  # running totals: runs of failing records
                if episode is not None and spec["episodes"] and episode[-1] == position - 1:
                    episode[1].append(movement)
                    episode[-1] = position
                    continue
                if episode is not None:
                    found.append(_run(episode, key, order))
                episode = [movement, [movement], values, position]
                if not spec["episodes"]:
                    found.append(_run(episode, key, order))
                    episode = None
                continue
            if not spec["episodes"]:  # a finding of its own names its record alone
                found.append(_run([movement, [movement], values, position], key, order))
                continue
            if episode is not None and start <= episode[2]:
                episode[2] = position
                continue
            if episode is not None:
                found.append(_closed(episode, members, key, order))
            episode = [movement, start, position, values]
        if episode is not None:
            found.append(
                _run(episode, key, order)
                if spec["window"] == "all"
                else _closed(episode, members, key, order)
            )
    return [item for *_, item in sorted(found, key=lambda f: (f[0], f[1]))]


def _closed(
    episode: list[Any], members: list[CashMovement], key: tuple[Any, ...], order: dict[int, int]
) -> tuple[datetime, int, tuple[Any, ...]]:
    trigger, start, end, values = episode
    ids = tuple(m.movement_id for m in members[start : end + 1])
    return trigger.at, order[id(trigger)], (trigger.movement_id, key, ids, values)


def _run(
    episode: list[Any], key: tuple[Any, ...], order: dict[int, int]
) -> tuple[datetime, int, tuple[Any, ...]]:
    trigger, failed, values, _ = episode
    ids = tuple(m.movement_id for m in failed)
    return trigger.at, order[id(trigger)], (trigger.movement_id, key, ids, values)


def summary(findings: list[rk.Finding]) -> list[tuple[Any, ...]]:
    return [
        (
            f.record_id,
            f.group_key,
            f.member_ids,
            {k: v for k, v in f.evidence.items() if "." not in k},
        )
        for f in findings
    ]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(spec=aggregate_rules(), movements=movement_lists())
def test_python_polars_streaming_and_the_definition_agree(
    spec: dict[str, Any], movements: list[CashMovement], backend: str
) -> None:
    policy = parse_policy(policy_text(spec))
    python = rk.check(policy, movements=movements, as_of=AS_OF, engine="python").findings
    columnar = rk.check(policy, movements=movements, as_of=AS_OF, engine=backend).findings
    assert python == columnar
    with pytest.MonkeyPatch.context() as patch:  # windows rolled in parts of whole groups
        patch.setattr(rolling, "ROLL_ROWS", 3)
        patch.setattr(history, "HISTORY_BATCH", 2)  # windows' records fed in batches of 2
        parts = rk.check(policy, movements=movements, as_of=AS_OF, engine=backend).findings
    assert parts == python

    state = policy.compile(as_of=AS_OF).window_state()
    alerts = []
    for movement in sorted(movements, key=lambda m: m.at):
        alerts += state.add_movement(movement)
    assert state.findings() == python
    assert [a.record_id for a in alerts] == [f.record_id for f in python]

    assert summary(python) == oracle(spec, movements)
    event(f"findings: {min(len(python), 3)}")
    for finding in python:
        assert finding.message == " ".join(
            f"{name}={format_value(finding.evidence[name])}" for name in spec["aggregates"]
        )
