"""The running aggregates of a sliding window are those of the window summed afresh, digit
for digit: a record that left the window leaves no trace in the values written in findings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from regkit.rules.policy import parse_policy
from regkit.rules.windows import AggregateRule, Entry, Running

AS_OF = datetime(2026, 11, 30, tzinfo=UTC)
POLICY = """\
policy: p
version: "1"
rules:
  - id: R
    severity: low
    applies_to: movement
    group_by: [movement.account_id]
    window: 24h
    aggregate:
      total: sum(movement.amount)
      mean: mean(movement.amount)
      low: min(movement.amount)
      high: max(movement.amount)
      n: count()
      distinct: count_distinct(movement.amount)
    assert: n > 0
"""
# Amounts written to 0 to 4 places (100, 100.0, 100.00 ...), positive and negative.
AMOUNTS = st.builds(
    lambda digits, places: Decimal(digits).scaleb(-places),
    st.integers(min_value=-(10**7), max_value=10**7),
    st.integers(min_value=0, max_value=4),
)


def rule() -> AggregateRule:
    (compiled,) = parse_policy(POLICY).compile(as_of=AS_OF).aggregate_rules("movement")
    return compiled


@example(amounts=[Decimal("0"), Decimal("0.0")], width=2)  # min's first of equals
@given(
    amounts=st.lists(st.one_of(st.none(), AMOUNTS), min_size=1, max_size=30),
    width=st.integers(min_value=1, max_value=6),
)
def test_a_sliding_window_s_running_values_are_its_values_afresh(
    amounts: list[Decimal | None], width: int
) -> None:
    compiled = rule()
    running = Running(compiled)
    entries = [
        Entry(n, n, AS_OF, None, {}, (a, a, a, a, None, a), 0)  # type: ignore[arg-type]
        for n, a in enumerate(amounts)
    ]
    for n, entry in enumerate(entries):
        running.add(entry)
        if n >= width:
            running.remove(entries[n - width])
        window = entries[max(0, n - width + 1) : n + 1]
        got = running.values()
        want = compiled.aggregates(window)
        assert got == want
        assert {k: str(v) for k, v in got.items()} == {k: str(v) for k, v in want.items()}


def test_a_sum_is_written_at_the_places_of_the_values_in_its_window() -> None:
    compiled = rule()
    running = Running(compiled)
    values = [Decimal("100.00"), Decimal("100"), Decimal("100")]
    entries = [Entry(n, n, AS_OF, None, {}, (v,) * 4 + (None, v), 0) for n, v in enumerate(values)]  # type: ignore[arg-type]
    for entry in entries:
        running.add(entry)
    assert str(running.values()["total"]) == "300.00"
    running.remove(entries[0])
    assert str(running.values()["total"]) == "200"
