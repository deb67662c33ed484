"""Movements per second: a 24-hour structuring rule (an aggregate rule) over millions of movements.

Builds a deterministic day-by-day stream of cash movements with polars (no models: this is
the batch path a compliance job takes on a Parquet file), then times

* validation: ``validate_frame(frame, CashMovement)``, the model's checks column-wise;
* windows: the rule's rolling windows, failing windows and episodes
  (:func:`regkit.rules.rolling.failing_episodes`) on the validated columns;
* check: ``rk.check(policy, movements=batch)`` end to end on the validated batch: windows,
  the findings (records built only for the episodes' members) and the input fingerprint.

Run: ``.venv/bin/python benchmarks/bench_windows.py --movements 10000000``.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import polars as pl

import regkit as rk
from regkit.rules.backends.polars.rolling import failing_episodes
from regkit.rules.policy import parse_policy
from regkit.schemas.io import validate_frame

T = TypeVar("T")

POLICY = """\
policy: aml-bench
version: "1"
parameters: {threshold: 10000}
rules:
  - id: AML-STRUCT
    title: Deposits split under the reporting threshold
    severity: high
    applies_to: movement
    where: movement.kind == "deposit" and movement.amount < params.threshold
    group_by: [movement.account_id]
    window: 24h
    aggregate: {deposits: count(), total: sum(movement.amount)}
    assert: not (deposits >= 3 and total >= params.threshold)
    message: "{deposits} deposits totalling {total} within 24 hours"
"""

AS_OF = datetime(2027, 1, 1, tzinfo=UTC)
START = datetime(2026, 1, 1, tzinfo=UTC)
KINDS = ["deposit", "withdrawal", "bonus", "fee", "transfer_in", "transfer_out"]


def movements(count: int, accounts: int) -> pl.DataFrame:
    """``count`` movements over 300 days on ``accounts`` accounts, the same every run."""
    row = pl.col("row")
    span_us = 300 * 86_400 * 1_000_000
    start_us = int(START.timestamp() * 1_000_000)
    return (
        pl.DataFrame({"row": pl.int_range(0, count, eager=True)})
        .with_columns(
            movement_id=pl.format("M{}", row),
            account_id=pl.format("A{}", row.hash(1) % accounts),
            kind=pl.when(row.hash(2) % 10 < 7)
            .then(pl.lit("deposit"))
            .otherwise(pl.lit("withdrawal"))
            .cast(pl.Enum(KINDS)),
            amount=((row.hash(3) % 1_200_000 + 100).cast(pl.Decimal(38, 0)) / 100).cast(
                pl.Decimal(38, 2)
            ),
            currency=pl.lit("EUR"),
            at=(pl.lit(start_us) + (row.hash(4) % span_us).cast(pl.Int64)).cast(
                pl.Datetime("us", "UTC")
            ),
        )
        .drop("row")
        .sort("at")
    )


def timed(run: Callable[[], T], repeat: int) -> tuple[float, T]:
    """The best time of ``repeat`` runs, and the last result."""
    best = float("inf")
    result: T | None = None
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--movements", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    frame = movements(args.movements, args.accounts)
    policy = parse_policy(POLICY, "aml-bench.yaml")
    (rule,) = policy.compile(as_of=AS_OF).aggregate_rules("movement")
    n = frame.height
    print(f"{n:,} movements on {args.accounts:,} accounts; rule {rule.rule.rule.id} (24h)")

    seconds, batch = timed(lambda: validate_frame(frame, rk.CashMovement, "raise"), args.repeat)
    print(f"  validation     {seconds:6.2f} s  {n / seconds:>12,.0f} movements/s")
    indexed = batch.frame.with_row_index("__index")
    seconds, episodes = timed(lambda: failing_episodes(rule, indexed, AS_OF), args.repeat)
    print(f"  windows        {seconds:6.2f} s  {n / seconds:>12,.0f} movements/s")
    seconds, result = timed(lambda: rk.check(policy, movements=batch, as_of=AS_OF), args.repeat)
    print(f"  check (all)    {seconds:6.2f} s  {n / seconds:>12,.0f} movements/s")
    members = sum(len(f.member_ids) for f in result.findings)
    found = len(result.findings)
    print(f"  {found:,} episodes ({len(episodes):,} from the windows), {members:,} members")
    assert len(result.findings) == len(episodes)


if __name__ == "__main__":
    main()
