"""``regkit status`` and ``regkit submissions``: the submissions ledger of a history store
(see :mod:`regkit.store.ledger`).

``regkit status`` lists where each reported transaction stands (not reported, awaiting
feedback, accepted, rejected with its rules, corrected, cancelled), whether it is late
against the T+1 working-day deadline, and its age in working days (0-1, 2-5, 6-20, >20).
``regkit submissions files`` lists the files in the ledger, ``regkit submissions
unmatched`` the feedback that matched nothing, and ``regkit submissions compare`` a trade
repository's trade state report (auth.107) against what the ledger says is open.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regkit.cli._common import day
from regkit.cli.store import _STORE_HELP

if TYPE_CHECKING:
    from regkit.store import TransactionState

__all__ = ["add", "status_rows"]


def add(commands: Any) -> None:
    """The ``status`` and ``submissions`` commands' parsers."""
    _add_status(commands)
    _add_submissions(commands)


def _add_status(commands: Any) -> None:
    status = commands.add_parser(
        "status",
        help="where each reported transaction stands: feedback, lateness and age",
        description="List each transaction of the store's submissions ledger with where it "
        "stands: not_reported (with --trades), awaiting (feedback), accepted, rejected (with "
        "the rules), corrected (accepted after a rejection) or cancelled; whether it is late "
        "(first report the regulator did not reject sent after the working day following the "
        "trade, or none and that day has passed) and its age in working days, in buckets "
        "0-1, 2-5, 6-20 and >20. Then the counts per regime, state and bucket.",
    )
    status.add_argument("--store", metavar="URL", help=_STORE_HELP)
    status.add_argument(
        "--from", dest="start", type=day, metavar="DAY", help="trades executed from this day (UTC)"
    )
    status.add_argument(
        "--to", dest="end", type=day, metavar="DAY", help="trades executed up to this day (UTC)"
    )
    status.add_argument("--regime", choices=("mifir", "emir"), help="one regime only")
    status.add_argument("--late", action="store_true", help="only the late ones")
    status.add_argument("--rejected", action="store_true", help="only the rejected ones")
    status.add_argument(
        "--as-of",
        type=day,
        metavar="DAY",
        help="the day lateness and ages are reckoned on (default: today, UTC)",
    )
    status.add_argument(
        "--calendar",
        default="TARGET",
        metavar="NAME",
        help="the working-day calendar: TARGET, UK or a country code",
    )
    status.add_argument(
        "--trades",
        type=Path,
        metavar="FILE",
        help="the trades that should be reported: each reportable one the "
        "ledger lacks is listed not_reported",
    )
    status.add_argument(
        "--format",
        choices=("table", "csv"),
        default="table",
        help="a table (default) or CSV on stdout",
    )
    status.set_defaults(run=run_status)


def status_rows(states: Sequence[TransactionState]) -> list[list[str]]:
    """The rows ``regkit status`` prints, one per transaction (the header first)."""
    rows = [
        [
            "REGIME",
            "REFERENCE",
            "TRADE",
            "STATE",
            "TRADED",
            "DEADLINE",
            "REPORTED",
            "LATE",
            "AGE",
            "BUCKET",
            "SENT",
            "RULES",
        ]
    ]
    for state in states:
        rows.append(
            [
                state.regime,
                state.reference,
                state.trade_id or "",
                state.state,
                "" if state.traded_at is None else f"{state.traded_at.astimezone(UTC):%Y-%m-%d}",
                _day(state.deadline),
                _day(state.reported_on),
                "late" if state.late else "",
                "" if state.age is None else str(state.age),
                state.bucket or "",
                str(len(state.transmissions)),
                "; ".join(
                    rule if text is None else f"{rule}: {text}" for rule, text in state.rules
                ),
            ]
        )
    return rows


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def run_status(args: argparse.Namespace) -> int:
    """Print the transactions' states, then the counts; exit 1 when any is late or
    rejected, so a scheduler notices."""
    from regkit import jobs

    regimes = (args.regime,) if args.regime else ("mifir", "emir")
    expected = _expected(args.trades, regimes) if args.trades is not None else []
    states = jobs.submission_status(
        store=args.store,
        regimes=regimes,
        start=args.start,
        end=args.end,
        as_of=args.as_of,
        late=args.late,
        rejected=args.rejected,
        calendar=args.calendar,
        expected=expected,
    )
    rows = status_rows(states)
    if args.format == "csv":
        csv.writer(sys.stdout, lineterminator="\n").writerows(rows)
        return _code(states)
    _table(rows)
    _summary(states)
    return _code(states)


def _expected(path: Path, regimes: Sequence[str]) -> list[Any]:
    from regkit import jobs

    return jobs.expected_transactions(path, regimes)


def _code(states: Sequence[TransactionState]) -> int:
    return 1 if any(s.late or s.state in ("rejected", "not_reported") for s in states) else 0


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip(), file=sys.stdout)


def _summary(states: Sequence[TransactionState]) -> None:
    if not states:
        print("no transactions in the ledger match", file=sys.stdout)
        return
    for regime in ("mifir", "emir"):
        mine = [state for state in states if state.regime == regime]
        if not mine:
            continue
        by_state = Counter(state.state for state in mine)
        buckets = Counter(state.bucket for state in mine if state.bucket is not None)
        late = sum(1 for state in mine if state.late)
        shown = ", ".join(f"{count:,} {name}" for name, count in sorted(by_state.items()))
        ages = ", ".join(f"{label}: {buckets[label]:,}" for label in ("0-1", "2-5", "6-20", ">20"))
        print(
            f"{regime}: {len(mine):,} transaction(s): {shown}; {late:,} late; "
            f"age in working days {ages}",
            file=sys.stdout,
        )


# --- submissions -----------------------------------------------------------------------------


def _add_submissions(commands: Any) -> None:
    parser = commands.add_parser(
        "submissions",
        help="the files in the submissions ledger, unmatched feedback, trade state checks",
        description="The submissions ledger of a history store: the files written into it "
        "(regkit report --store), the feedback that matched nothing in it (regkit feedback "
        "ingest), and a trade repository's trade state report (auth.107) compared with what "
        "the ledger says is open.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    files = actions.add_parser("files", help="the files, oldest first")
    files.add_argument("--regime", choices=("mifir", "emir"), help="one regime only")
    files.add_argument("--from", dest="start", type=day, metavar="DAY", help="from this day")
    files.add_argument("--to", dest="end", type=day, metavar="DAY", help="up to this day")
    files.set_defaults(run=_run_files)
    unmatched = actions.add_parser(
        "unmatched", help="statuses of feedback about files or transactions the ledger lacks"
    )
    unmatched.set_defaults(run=_run_unmatched)
    compare = actions.add_parser(
        "compare",
        help="a trade state report (auth.107) against what the ledger says is open",
        description="Read a trade repository's trade state report (auth.107) and list each "
        "difference with the ledger's EMIR derivatives: missing_at_tr (open here, not at the "
        "trade repository), open_at_tr (terminated or errored here), unknown_at_tr (never "
        "reported from here) and field_mismatch (other counterparty, notional and currency, "
        "expiry, execution time). Exit 1 when there is any.",
    )
    compare.add_argument("file", type=Path, metavar="TSR.xml", help="the auth.107 file")
    compare.set_defaults(run=_run_compare)
    for action in (files, unmatched, compare):
        action.add_argument("--store", metavar="URL", help=_STORE_HELP)


def _run_files(args: argparse.Namespace) -> int:
    from regkit.store import open_store

    with open_store(args.store) as store:
        found = store.submissions(regime=args.regime, start=args.start, end=args.end)
    for item in found:
        print(
            f"{item.regime}  {item.day}  {item.sequence:>6}  {item.records:>8,}  "
            f"{item.purpose:<12}  {item.file_name}  {item.sha256[:16]}",
            file=sys.stdout,
        )
    print(f"{len(found):,} file(s)", file=sys.stdout)
    return 0


def _run_unmatched(args: argparse.Namespace) -> int:
    from regkit.store import open_store

    with open_store(args.store) as store:
        found = store.unmatched()
    for status in found:
        what = status.reference or f"file {status.message_id or '(unnamed)'}"
        rules = "; ".join(rule for rule, _ in status.rules)
        print(
            f"{status.feedback_file}: {what}: {status.code}" + (f" ({rules})" if rules else ""),
            file=sys.stdout,
        )
    print(f"{len(found):,} unmatched status(es)", file=sys.stdout)
    return 1 if found else 0


def _run_compare(args: argparse.Namespace) -> int:
    from regkit import jobs

    comparison = jobs.compare_trade_state(args.file, store=args.store)
    for difference in comparison.differences:
        print(
            f"{difference.uti}: {difference.kind}"
            + (
                f" {difference.field}: ours {difference.ours!r}, theirs {difference.theirs!r}"
                if difference.field
                else ""
            ),
            file=sys.stdout,
        )
    print(
        f"{comparison.matched:,} matched, {len(comparison.differences):,} difference(s)",
        file=sys.stdout,
    )
    return 1 if comparison.differences else 0
