"""The submissions ledger: records kept a second, feedback statuses ingested a second, and the
time to read every transaction's state; and what keeping the ledger adds to a report run.

Part one, the store alone: one file of ``--records`` EMIR records kept
(:meth:`Store.record_submission`), a rejection report for its day rejecting one in a
thousand and accepting the rest (``Store.ingest``: each rejection matched, each other record
inferred accepted), then every transaction's state (``Store.transactions``) and the
``reported`` set of the LATE rules. Into a SQLite file and, with ``--postgres URL``, a
PostgreSQL database (which must exist and be empty).

Part two, ``--trades N`` (default 50,000; 0: skip): ``regkit report mifir`` of a sample of N
trades without a store, then with one (numbered by the store, each record kept), each
into its own folder; trades a second for both.

Run: ``.venv/bin/python benchmarks/bench_ledger.py --records 1000000``
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from _memory import peak_mb

from regkit import jobs
from regkit.store import (
    ReceivedFeedback,
    ReceivedStatus,
    SentFile,
    SentRecord,
    open_store,
)

DAY = date(2026, 11, 20)
LEI = "529900RKSAMPLEFIRM88"


def records(count: int) -> list[SentRecord]:
    moment = datetime(2026, 11, 20, 9, tzinfo=UTC)
    return [
        SentRecord(f"{LEI}T{n:09d}", "NEWT", hashlib.sha256(str(n).encode()).hexdigest(),
                   f"T{n:09d}", moment + timedelta(seconds=n % 30_000),
                   {"notional": "1000.00", "notional_currency": "EUR"})
        for n in range(count)
    ]  # fmt: skip


def feedback(count: int) -> ReceivedFeedback:
    rule = (("EMIR-VR-2009-02", "The CFI code is not valid"),)
    rejected = tuple(
        ReceivedStatus("RJCT", "rejected", reference=f"{LEI}T{n:09d}", rules=rule, action="NEWT")
        for n in range(0, count, 1_000)
    )
    return ReceivedFeedback("emir", "auth.092", "DATREJ.xml", "f" * 64, "TR-1",
                            datetime(2026, 11, 21, 6, tzinfo=UTC), rejected, DAY)  # fmt: skip


def store_part(url: str, count: int, label: str) -> None:
    sent = SentFile("emir", LEI, None, DAY, 1, "F1.xml", "F1", "e" * 64,
                    datetime(2026, 11, 20, 18, tzinfo=UTC))  # fmt: skip
    kept = records(count)
    with open_store(url) as store:
        started = time.perf_counter()
        store.record_submission(sent, kept)
        recorded = time.perf_counter() - started
        started = time.perf_counter()
        done = store.ingest(feedback(count))
        ingested = time.perf_counter() - started
        started = time.perf_counter()
        states = store.transactions("emir", as_of=DAY + timedelta(days=3))
        read = time.perf_counter() - started
        started = time.perf_counter()
        held = store.reported("emir")
        reported = time.perf_counter() - started
    print(f"{label}: kept {count:,} records in {recorded:.1f} s ({count / recorded:,.0f}/s); "
          f"ingested {done.matched + done.inferred:,} statuses in {ingested:.1f} s "
          f"({(done.matched + done.inferred) / ingested:,.0f}/s); {len(states):,} states in "
          f"{read:.1f} s ({len(states) / read:,.0f}/s); reported set of {len(held):,} in "
          f"{reported:.1f} s; peak {peak_mb():,.0f} MB")  # fmt: skip


def report_part(trades: int, folder: Path) -> None:
    jobs.samples(folder / "sample", trades=trades, format="parquet")
    files = {"trades": folder / "sample" / "trades.parquet",
             "accounts": folder / "sample" / "accounts.parquet",
             "firm": folder / "sample" / "firm.json"}  # fmt: skip
    created = datetime(2026, 12, 1, 6, tzinfo=UTC)
    for label, store in (("without a store", None), ("with the ledger", folder / "r.db")):
        started = time.perf_counter()
        done = jobs.report("mifir", out=folder / label.replace(" ", "-"), created_at=created,
                           store=store, write_passing=True, **files)  # fmt: skip
        took = time.perf_counter() - started
        print(f"report mifir {label}: {len(done)} file(s), {trades / took:,.0f} trades/s "
              f"({took:.1f} s); peak {peak_mb():,.0f} MB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--trades", type=int, default=50_000)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store_part(str(Path(folder) / "ledger.db"), args.records, "SQLite")
        if args.postgres:
            store_part(args.postgres, args.records, "PostgreSQL")
        if args.trades:
            report_part(args.trades, Path(folder))


if __name__ == "__main__":
    main()
