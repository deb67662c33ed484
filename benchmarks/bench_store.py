"""The history store: findings recorded a second, and a compliance officer's look-up of one
account's open cases in a large store.

Records ``--findings`` findings (a leverage breach per trade, over ``--accounts`` accounts,
each high, so each account has a case) as a first run, then the same again as a second run
(every finding seen again), then a third run of as many new findings of another rule,
medium, which open no case; into a SQLite file and, with ``--postgres URL``, into a
PostgreSQL database (which must exist and be empty). Prints findings a second for each run,
the peak memory, the median time of listing one account's open cases, and the time of
building the audit pack of the three runs from the store (``regkit pack --store``; not with
``--no-pack``).

With ``--large N``, fills a store with N findings by SQL instead (the recording path would
take too long for ten million): one run and N findings, each in its case (ten rules over
``--accounts`` accounts, a case per rule and account, a fifth of them open; the run's
blocks and the cases' events are left out, as the look-up reads neither), then times
listing one account's open cases (``store.cases``), the compliance officer's look-up the
indexes are for.

Run: ``.venv/bin/python benchmarks/bench_store.py --findings 1000000``
or ``.venv/bin/python benchmarks/bench_store.py --large 10000000 --accounts 100000``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _memory import peak_mb

from regkit.jobs import pack_from_store
from regkit.rules.findings import CheckResult, Finding
from regkit.store import open_store

DAY = datetime(2026, 11, 20, tzinfo=UTC)


def result(
    findings: int, accounts: int, started: datetime, rule: str = "ESMA-CFD-LEV",
    severity: str = "high",
) -> CheckResult:  # fmt: skip
    """A run of ``findings`` leverage breaches, one per trade (their rule's reference one
    object, as the engines give it)."""
    reference = {"regulator": "ESMA", "document": "Decision (EU) 2018/796"}
    found = [
        Finding(
            rule_id=rule, severity=severity, record_kind="trade", record_id=f"T{n:09d}",
            message=f"leverage 50:1 above the 30:1 cap (trade T{n:09d})",
            evidence={"trade.leverage": "50", "trade.instrument.underlying_class": "fx_major"},
            reference=reference,
            rule_version="2026.1", at=DAY + timedelta(seconds=n % 86_400),
        )
        for n in range(findings)
    ]  # fmt: skip
    return CheckResult(
        findings=found, policy_id="esma-cfd-retail", policy_version="2026.1",
        policy_sha256="0" * 64, started_at=started, finished_at=started,
        rules_evaluated=(rule,), as_of=DAY,
    )  # fmt: skip


def measure(url: str, findings: int, accounts: int, pack: bool = True) -> None:
    """Record the three runs, time the look-ups and (``pack``) the pack of the runs."""

    def account_of(finding: Finding) -> str:
        return f"A{int(finding.record_id[1:]) % accounts:06d}"

    runs = [
        result(findings, accounts, DAY),
        result(findings, accounts, DAY + timedelta(days=1)),
        result(findings, accounts, DAY + timedelta(days=2), "ESMA-CFD-MARGIN", "medium"),
    ]
    with open_store(url) as store:
        for number, run in enumerate(runs):
            started = time.perf_counter()
            recorded = store.record(run, account_of=account_of, by="bench")
            seconds = time.perf_counter() - started
            print(f"  run {number + 1}: {findings / seconds:>10,.0f} findings/s "
                  f"({seconds:.1f} s; {recorded.new:,} new, {recorded.seen:,} seen, "
                  f"{recorded.cases_opened:,} cases opened)", flush=True)  # fmt: skip
        if "://" not in url:
            sizes = [Path(url + end).stat().st_size / 1e6 for end in ("", "-wal")]
            print(f"  the SQLite store: {sizes[0]:,.0f} MB, and {sizes[1]:,.0f} MB of log")
        times = []
        for number in range(50):
            started = time.perf_counter()
            found = store.cases(account=f"A{(number * 7919) % accounts:06d}")
            times.append(time.perf_counter() - started)
            assert len(found) == 1
        print(f"  one account's open cases: {statistics.median(times) * 1000:.1f} ms median")
    if not pack:
        return
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        done = pack_from_store(out=Path(folder) / "pack.zip", store=url)
        seconds = time.perf_counter() - started
    print(f"  the audit pack of the three runs from the store: {seconds:.1f} s "
          f"({len(done.result.findings) / seconds:,.0f} findings/s)")  # fmt: skip


_RUN = "f" * 64
_BLOCK = 1_000_000
_FILL = {
    "sqlite": (
        "WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) ",
        "printf('%064d', i)",
        "printf('A%06d', {number})",
        "'2026-11-20 00:00:00.000000'",
    ),
    "postgresql": (
        "WITH n(i) AS (SELECT generate_series({first}, {last})) ",
        "lpad(i::text, 64, '0')",
        "'A' || lpad(({number})::text, 6, '0')",
        "TIMESTAMPTZ '2026-11-20 00:00:00+00'",
    ),
}


def _statements(dialect: str, findings: int, accounts: int) -> list[tuple[str, int]]:
    """Each table's INSERT ... SELECT over numbers ``{first}`` to ``{last}``, and its rows."""
    numbers, key, account, moment = _FILL[dialect]
    times = ", ".join([moment] * 4)
    owner = account.format(number=f"i % {accounts}")
    return [
        (f"INSERT INTO runs SELECT '{_RUN}', {times}, 'bench', NULL, NULL, NULL, '[]', "
         f"'{{{{}}}}', '{{{{}}}}', {findings}, {findings}, 0, 0 FROM (SELECT 1) AS one WHERE "
         "{first} <= "
         "{last}", 1),
        (numbers + "INSERT INTO cases (case_id, rule_id, case_group, account_id, severity, "
         "status, opened_at, updated_at) SELECT i + 1, 'RULE-' || (i % 10), '[]', "
         f"{account.format(number='i / 10')}, 'high', CASE WHEN i % 5 = 0 THEN 'open' ELSE "
         f"'closed' END, {moment}, {moment} FROM n", accounts * 10),
        (numbers + f"INSERT INTO findings SELECT i + 1, i, {key}, 'RULE-' || (i % 10), 'trade', "
         f"'T' || i, NULL, NULL, {owner}, 'high', {moment}, 'open', '{_RUN}', NULL, "
         f"(i % {accounts}) * 10 + i % 10 + 1 FROM n", findings),
    ]  # fmt: skip


def fill(url: str, findings: int, accounts: int) -> None:
    """A store of ``findings`` findings, written by SQL a million rows a transaction (see
    the module)."""
    from sqlalchemy import create_engine

    open_store(url).close()  # the tables
    engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    for statement, rows in _statements(engine.dialect.name, findings, accounts):
        for first in range(0, rows, _BLOCK):
            last = min(first + _BLOCK, rows) - 1
            sql = statement.format(first=first, last=last)
            if engine.dialect.name == "postgresql":  # psycopg reads % as a placeholder
                sql = sql.replace("%", "%%")
            with engine.begin() as connection:
                connection.exec_driver_sql(sql)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def look_up(url: str, accounts: int) -> None:
    """Time listing one account's open cases."""
    with open_store(url) as store:
        times = []
        for number in range(50):
            started = time.perf_counter()
            found = store.cases(account=f"A{(number * 7919) % accounts:06d}")
            times.append(time.perf_counter() - started)
            assert found, "a fifth of the cases are open: each account has two"
        print(
            f"  one account's open cases: {statistics.median(times) * 1000:.1f} ms median, "
            f"{max(times) * 1000:.1f} ms at most"
        )


def large(url: str, findings: int, accounts: int) -> None:
    started = time.perf_counter()
    fill(url, findings, accounts)
    print(f"  filled by SQL in {time.perf_counter() - started:.0f} s")
    look_up(url, accounts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--findings", type=int, default=200_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument("--large", type=int, metavar="N", help="fill N findings by SQL")
    parser.add_argument("--no-pack", action="store_true", help="leave out the pack's timing")
    args = parser.parse_args()
    count = args.large or args.findings
    with tempfile.TemporaryDirectory() as folder:
        stores = [("SQLite", str(Path(folder) / "regkit.db"))]
        stores += [("PostgreSQL", args.postgres)] if args.postgres else []
        for name, url in stores:
            print(f"{name}, {count:,} findings over {args.accounts:,} accounts")
            if args.large:
                large(url, count, args.accounts)
            else:
                measure(url, count, args.accounts, pack=not args.no_pack)
    print(f"peak memory {peak_mb():,.0f} MB")


if __name__ == "__main__":
    main()
