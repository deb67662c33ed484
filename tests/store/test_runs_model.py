"""Random sequences of runs, recorded in a store and played through a model of the rules
(new: never found before; seen: found before; gone: open, of the run's rules, in its
scope, and not found now): the counts and the findings' states agree run after run."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select

from regkit.rules.findings import CheckResult, Finding
from regkit.store import finding_key, open_store
from regkit.store.schema import findings

DAY = date(2026, 11, 16)
# The breaches a run may find: (rule, trade, account, day offset).
UNIVERSE = [(rule, f"T{n}", f"A{n % 3}", n % 4) for rule in ("R1", "R2") for n in range(8)]


def finding(rule: str, trade: str, offset: int) -> Finding:
    at = datetime.combine(DAY + timedelta(days=offset), datetime.min.time(), UTC)
    return Finding(rule_id=rule, severity="low", record_kind="trade", record_id=trade,
                   message=f"{rule} {trade}", at=at)  # fmt: skip


RUNS = st.lists(
    st.tuples(
        st.sets(st.integers(0, len(UNIVERSE) - 1)),  # what the run finds
        st.sampled_from([("R1", "R2"), ("R1",), ("R2",)]),  # the rules it ran
        st.one_of(st.none(), st.tuples(st.integers(0, 3), st.integers(0, 3))),  # its period
        st.one_of(st.none(), st.sets(st.sampled_from(["A0", "A1", "A2"]), min_size=1)),
    ),
    min_size=1,
    max_size=6,
)


def model_step(state: dict[str, str], run: Any) -> tuple[int, int, int]:
    found, rules, period, accounts = run
    new = seen = 0
    keys = set()
    for index in sorted(found):
        rule, trade, _, offset = UNIVERSE[index]
        if rule not in rules:
            continue
        key = finding_key(finding(rule, trade, offset))
        keys.add(key)
        if key in state:
            seen += 1
        else:
            new += 1
        state[key] = "open"
    gone = 0
    for rule, trade, account, offset in UNIVERSE:
        key = finding_key(finding(rule, trade, offset))
        covered = rule in rules and (period is None or min(period) <= offset <= max(period))
        covered = covered and (accounts is None or account in accounts)
        if state.get(key) == "open" and key not in keys and covered:
            state[key] = "gone"
            gone += 1
    return new, seen, gone


SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=40, deadline=None, suppress_health_check=SLOW)
@given(runs=RUNS)
def test_a_store_counts_new_seen_and_gone_as_the_rules_say(
    tmp_path_factory: Any, runs: list[Any]
) -> None:
    path = tmp_path_factory.mktemp("model") / "s.db"
    account = {trade: acc for _, trade, acc, _ in UNIVERSE}
    state: dict[str, str] = {}
    with open_store(path) as store:
        for number, run in enumerate(runs):
            found, rules, period, accounts = run
            listed = [finding(rule, trade, offset)
                      for rule, trade, _, offset in (UNIVERSE[i] for i in sorted(found))
                      if rule in rules]  # fmt: skip
            started = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=number)
            result = CheckResult(findings=listed, policy_id="p", policy_version="1",
                                 policy_sha256="0" * 64, started_at=started,
                                 finished_at=started, rules_evaluated=rules)  # fmt: skip
            days = None if period is None else tuple(DAY + timedelta(days=d) for d in
                                                     sorted(period))  # fmt: skip
            scoped = None if accounts is None else sorted(accounts)
            recorded = store.record(
                result, period=days, accounts=scoped, cases_from=None,
                account_of=lambda f: account[f.record_id],
            )  # fmt: skip
            assert (recorded.new, recorded.seen, recorded.gone) == model_step(state, run)
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        stored = dict(connection.execute(select(findings.c.finding_key, findings.c.state)).all())
    engine.dispose()
    assert stored == state
