"""The history store: findings recorded a second, and a compliance officer's look-up of one
account's open cases in a large store.

Records ``--findings`` findings (a leverage breach per trade, over ``--accounts`` accounts,
each high, so each account has a case) as a first run, then the same again as a second run
(every finding seen again), into a SQLite file and, with ``--postgres URL``, into a
PostgreSQL database (which must exist and be empty). Prints findings a second for each run,
the peak memory, and the median time of listing one account's open cases.

Run: ``.venv/bin/python benchmarks/bench_store.py --findings 1000000``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _memory import peak_mb

from regkit.rules.findings import CheckResult, Finding
from regkit.store import open_store

DAY = datetime(2026, 11, 20, tzinfo=UTC)


def result(findings: int, accounts: int, started: datetime) -> CheckResult:
    """A run of ``findings`` leverage breaches, one per trade."""
    found = [
        Finding(
            rule_id="ESMA-CFD-LEV", severity="high", record_kind="trade", record_id=f"T{n:09d}",
            message=f"leverage 50:1 above the 30:1 cap (trade T{n:09d})",
            evidence={"trade.leverage": "50", "trade.instrument.underlying_class": "fx_major"},
            reference={"regulator": "ESMA", "document": "Decision (EU) 2018/796"},
            rule_version="2026.1", at=DAY + timedelta(seconds=n % 86_400),
        )
        for n in range(findings)
    ]  # fmt: skip
    return CheckResult(
        findings=found, policy_id="esma-cfd-retail", policy_version="2026.1",
        policy_sha256="0" * 64, started_at=started, finished_at=started,
        rules_evaluated=("ESMA-CFD-LEV",), as_of=DAY,
    )  # fmt: skip


def measure(url: str, findings: int, accounts: int) -> None:
    """Record two runs and time the look-ups."""

    def account_of(finding: Finding) -> str:
        return f"A{int(finding.record_id[1:]) % accounts:06d}"

    with open_store(url) as store:
        for number in range(2):
            run = result(findings, accounts, DAY + timedelta(days=number))
            started = time.perf_counter()
            recorded = store.record(run, account_of=account_of, by="bench")
            seconds = time.perf_counter() - started
            print(f"  run {number + 1}: {findings / seconds:>10,.0f} findings/s "
                  f"({seconds:.1f} s; {recorded.new:,} new, {recorded.seen:,} seen, "
                  f"{recorded.cases_opened:,} cases opened)", flush=True)  # fmt: skip
        times = []
        for number in range(50):
            started = time.perf_counter()
            found = store.cases(account=f"A{(number * 7919) % accounts:06d}")
            times.append(time.perf_counter() - started)
            assert len(found) == 1
        print(f"  one account's open cases: {statistics.median(times) * 1000:.1f} ms median")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=200_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"SQLite, {args.findings:,} findings over {args.accounts:,} accounts")
        measure(str(Path(folder) / "regkit.db"), args.findings, args.accounts)
    if args.postgres:
        print(f"PostgreSQL, {args.findings:,} findings over {args.accounts:,} accounts")
        measure(args.postgres, args.findings, args.accounts)
    print(f"peak memory {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
