"""``regkit feedback``: a trade repository's EMIR rejection feedback (auth.092), reconciled
with the trades reported, each rejection naming the VRs it broke.

Each rule a rejection names is printed with what regkit knows of it
(:func:`regkit.reports.emir.feedback.vr_info`): the REFIT field, and whether regkit checks
it before submission (a rule of ``emir-refit-vr``, or the report record's types) or why not.
Rule ids regkit does not know, and rules regkit checks that were still refused, are listed
at the end.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from regkit import jobs
from regkit.cli._common import UsageError
from regkit.errors import IdentifierError
from regkit.reports.emir import uti_of
from regkit.reports.emir.feedback import (
    BrokenRule,
    Reconciliation,
    TransactionStatus,
    ValidationRule,
    explain_rules,
    read_rejection_files,
    reconcile,
)
from regkit.reports.iso20022.feedback import Outcome
from regkit.schemas.trade import Trade

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """The ``feedback`` command's parser."""
    feedback = commands.add_parser(
        "feedback",
        help="reconcile EMIR rejection feedback (auth.092) with the trades reported",
        description="Read a trade repository's EMIR REFIT rejection feedback (auth.092), "
        "oldest file first, and list each rejected derivative (by trade with --trades, else "
        "by UTI) and each message refused as a whole, with every validation rule it broke: "
        "its REFIT field, and whether regkit checks it before submission (a rule of the "
        "emir-refit-vr pack, or the report record's types) or why not. Rule ids regkit does "
        "not know, and rules regkit checks that were still refused, are listed at the end. "
        "Exit 0 when nothing is rejected, 1 when something is, 2 when a file cannot be read.",
    )
    feedback.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FEEDBACK.xml",
        help="the auth.092 files, oldest first (a later status of a UTI supersedes one before)",
    )
    feedback.add_argument(
        "--trades", type=Path, metavar="FILE", help="the trades reported (CSV, JSONL, Parquet)"
    )
    feedback.add_argument(
        "--firm",
        type=Path,
        metavar="FILE",
        help="the reporting firm (TOML or JSON): trades without a uti were reported under "
        "the UTI regkit generated from its LEI and the trade id",
    )
    feedback.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print each rejection with its rules, then the counts and the flagged rule ids."""
    rejections = read_rejection_files(args.files)
    trades: list[Trade] = []
    if args.trades is not None:
        read = jobs.read_files({"trades": args.trades})["trades"]
        trades = [record for record in read if isinstance(record, Trade)]
    utis: Callable[[Trade], str] = (
        uti_of(jobs.load_firm(args.firm)) if args.firm is not None else _own_uti
    )
    try:
        result = reconcile(rejections, trades, uti_of=utis)
    except IdentifierError as exc:
        raise UsageError(f"{exc} (give --firm when regkit generated the UTIs)") from None
    for line in lines(result):
        print(line, file=sys.stdout)
    rejected = result.rejected or result.unresolved_message_rejections or _refused(result)
    return 1 if rejected else 0


def lines(result: Reconciliation) -> list[str]:
    """The lines ``regkit feedback`` prints for a reconciliation."""
    out: list[str] = []
    for rejection in result.rejected:
        head = f"{rejection.trade.trade_id} UTI {rejection.uti} rejected"
        out.append(f"{head} ({_status(rejection.status)})")
        out += _broken(rejection.broken)
    for status in _refused(result):
        out.append(f"UTI {status.uti or '(none)'} rejected ({_status(status)})")
        out += _rules(status.rules)
    for message in result.unresolved_message_rejections:
        out.append(
            f"message {message.message_id} rejected as a whole ({message.status.value}; "
            f"{message.feedback_file}:{message.line})"
        )
        out += _rules(message.rules)
    out.append(
        f"accepted {len(result.accepted)}, rejected {len(result.rejected)}, "
        f"pending {len(result.pending)}, other UTIs rejected {len(_refused(result))}, "
        f"messages rejected {len(result.unresolved_message_rejections)}"
    )
    if result.unknown_rules:
        out.append(
            "rule ids regkit does not know (not ESMA's EMIR REFIT VRs): "
            + ", ".join(result.unknown_rules)
        )
    if result.checked_rules:
        out.append(
            "rules regkit checks before submission, still refused (a regkit bug or a data "
            "difference): " + ", ".join(result.checked_rules)
        )
    return out


def _own_uti(trade: Trade) -> str:
    """A trade's own UTI (an IdentifierError without one)."""
    if trade.uti is None:
        raise IdentifierError(f"trade {trade.trade_id} has no uti")
    return trade.uti


def _refused(result: Reconciliation) -> tuple[TransactionStatus, ...]:
    """The rejected statuses of UTIs that match no trade given."""
    return tuple(s for s in result.unmatched if s.outcome is Outcome.REJECTED)


def _status(status: TransactionStatus) -> str:
    """A status's code, action type and where it was read."""
    parts = [status.status.value]
    if status.action_type:
        parts.append(status.action_type)
    if status.inferred and status.message_id:
        parts.append(f"message {status.message_id}")
    if status.line is not None:
        parts.append(f"{status.feedback_file}:{status.line}")
    return "; ".join(parts)


def _rules(rules: Iterable[ValidationRule]) -> list[str]:
    """Each rule with what regkit knows of it (:func:`_broken`)."""
    return _broken(explain_rules(rules))


def _broken(broken: Iterable[BrokenRule]) -> list[str]:
    """Per rule: its id, field and the trade repository's text; then whether regkit checks
    it (or why not); then a flag for an unknown id or a rule regkit checks."""
    out: list[str] = []
    for item in broken:
        info = item.info
        field = "no field" if info.field is None else f"field {info.field}"
        if info.field_name:
            field = f"{field} {info.field_name}"
        text = f": {item.rule.description}" if item.rule.description else ""
        out.append(f"  {item.id} ({field}){text}")
        if item.flag == "unknown":
            out.append(f"    FLAG: {info.check}")
            continue
        out.append(f"    {info.check}")
        if item.flag == "checked":
            out.append(
                "    FLAG: refused though regkit checks it before submission: a regkit bug "
                "or a data difference"
            )
    return out
