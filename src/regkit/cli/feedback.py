"""``regkit feedback``: regulators' feedback reconciled with the trades reported, each
rejection naming the rules it broke: a trade repository's EMIR rejection feedback
(auth.092) and an NCA's MiFIR status advice (auth.031), told apart by their namespace.

EMIR: each rule a rejection names is printed with what regkit knows of it
(:func:`regkit.reports.emir.feedback.vr_info`): the REFIT field, and whether regkit checks
it before submission (a rule of ``emir-refit-vr``, or the report record's types) or why not.
Rule ids regkit does not know, and rules regkit checks that were still refused, are listed
at the end.

MiFIR: each error code is printed with its RTS 22 field and what regkit does about it
(:func:`regkit.reports.mifir.precheck.code_info`): the ``mifir-vr`` rules of the field, or
why the code is not checked before submission (it needs FIRDS, GLEIF or the NCA's earlier
reports).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

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
from regkit.reports.mifir import feedback as mifir_feedback
from regkit.reports.mifir.feedback import read_feedback_files
from regkit.reports.mifir.precheck import code_info
from regkit.reports.xml import detect
from regkit.schemas.trade import Trade

__all__ = ["add", "lines", "mifir_lines", "run"]


def add(commands: Any) -> None:
    """The ``feedback`` command's parser."""
    feedback = commands.add_parser(
        "feedback",
        help="reconcile EMIR (auth.092) and MiFIR (auth.031) feedback with the trades reported",
        description="Read regulators' feedback, oldest file first: a trade repository's EMIR "
        "REFIT rejection feedback (auth.092) and an NCA's MiFIR status advice (auth.031), "
        "told apart by their namespace. List each rejected report (by trade with --trades, "
        "else by UTI or transaction reference) and each message or file refused as a whole, "
        "with every rule it broke: its field, and whether regkit checks it before submission "
        "(a rule of the emir-refit-vr or mifir-vr pack, or the report record's types) or why "
        "not. For EMIR, rule ids regkit does not know, and rules regkit checks that were still "
        "refused, are listed at the end. Exit 0 when nothing is rejected, 1 when something "
        "is, 2 when a file cannot be read or is other feedback. `regkit feedback ingest "
        "FILE... --store URL` instead keeps each file's statuses in the store's submissions "
        "ledger, matched to the files and records they name (a file ingested before changes "
        "nothing; exit 1 when a status matches nothing in the ledger).",
    )
    feedback.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FEEDBACK.xml",
        help="the auth.092 and auth.031 files, oldest first (a later status of a report "
        "supersedes one before); `regkit feedback ingest FILE...` keeps them in the store's "
        "submissions ledger instead",
    )
    feedback.add_argument(
        "--store",
        metavar="URL",
        help="with ingest: the store (a SQLAlchemy URL or a SQLite file; default: "
        "$REGKIT_STORE, else ./regkit.db)",
    )
    feedback.add_argument(
        "--trades", type=Path, metavar="FILE", help="the trades reported (CSV, JSONL, Parquet)"
    )
    feedback.add_argument(
        "--firm",
        type=Path,
        metavar="FILE",
        help="the reporting firm (TOML or JSON): EMIR trades without a uti were reported "
        "under the UTI regkit generated from its LEI and the trade id",
    )
    feedback.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Print each rejection with its rules, then the counts (per regime, EMIR first); or,
    for ``regkit feedback ingest``, keep the files in the store's ledger."""
    if args.files and args.files[0] == Path("ingest") and not args.files[0].exists():
        return _ingest(args.files[1:], args.store)
    if args.store is not None:
        raise UsageError("--store is for `regkit feedback ingest FILE...`")
    files = _by_message(args.files)
    trades: list[Trade] = []
    if args.trades is not None:
        read = jobs.read_files({"trades": args.trades})["trades"]
        trades = [record for record in read if isinstance(record, Trade)]
    both = all(files.values())
    rejected = False
    if files[_EMIR]:
        out, found = _emir(files[_EMIR], trades, args.firm)
        _print(["EMIR (auth.092):", *out] if both else out)
        rejected |= found
    if files[_MIFIR]:
        result = mifir_feedback.reconcile(read_feedback_files(files[_MIFIR]), trades)
        out = mifir_lines(result)
        _print(["MiFIR (auth.031):", *out] if both else out)
        rejected |= bool(result.rejected or _mifir_refused(result))
        rejected |= bool(result.unresolved_file_rejections)
    return 1 if rejected else 0


def _ingest(paths: list[Path], store: str | None) -> int:
    """``regkit feedback ingest``: each file into the ledger, what it matched; exit 1
    when a status matched nothing in the ledger."""
    if not paths:
        raise UsageError("ingest: name the feedback files")
    unmatched = 0
    for done in jobs.ingest_feedback(paths, store=store):
        if not done.new:
            print(
                f"{done.file_name}: ingested before (feedback {done.feedback_id}); nothing changed",
                file=sys.stdout,
            )
            continue
        print(
            f"{done.file_name}: {done.matched:,} status(es) matched, {done.inferred:,} "
            f"inferred, {done.unmatched:,} unmatched",
            file=sys.stdout,
        )
        unmatched += done.unmatched
    return 1 if unmatched else 0


_EMIR: Final = "auth.092"
_MIFIR: Final = "auth.031"


def _by_message(paths: Iterable[Path]) -> dict[str, list[Path]]:
    """The files by their message, in the order given; any other message is refused."""
    files: dict[str, list[Path]] = {_EMIR: [], _MIFIR: []}
    for path in paths:
        message = detect(path)
        if message not in files:
            raise UsageError(
                f"{path}: {message} is not feedback regkit reads "
                f"({_EMIR} EMIR rejection feedback, {_MIFIR} MiFIR status advice)"
            )
        files[message].append(path)
    return files


def _emir(paths: list[Path], trades: list[Trade], firm: Path | None) -> tuple[list[str], bool]:
    """The lines of the EMIR feedback, and whether anything was rejected."""
    utis: Callable[[Trade], str] = uti_of(jobs.load_firm(firm)) if firm is not None else _own_uti
    try:
        result = reconcile(read_rejection_files(paths), trades, uti_of=utis)
    except IdentifierError as exc:
        raise UsageError(f"{exc} (give --firm when regkit generated the UTIs)") from None
    rejected = result.rejected or result.unresolved_message_rejections or _refused(result)
    return lines(result), bool(rejected)


def _print(out: Iterable[str]) -> None:
    for line in out:
        print(line, file=sys.stdout)


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


def mifir_lines(result: mifir_feedback.Reconciliation) -> list[str]:
    """The lines ``regkit feedback`` prints for a reconciliation of MiFIR feedback."""
    out: list[str] = []
    for rejection in result.rejected:
        status = rejection.status
        head = f"{rejection.trade.trade_id} TRN {status.reference} rejected"
        out.append(f"{head} ({_mifir_status(status)})")
        out += _codes(rejection.reasons)
    for status in _mifir_refused(result):
        out.append(f"TRN {status.reference} rejected ({_mifir_status(status)})")
        out += _codes(status.rules)
    for advice in result.unresolved_file_rejections:
        where = f"{advice.feedback_file}:{advice.line}" if advice.line else advice.feedback_file
        name = advice.original_message or "(not named)"
        out.append(f"file {name} rejected as a whole ({advice.status.value}; {where})")
        out += _codes(advice.rules)
    out.append(
        f"accepted {len(result.accepted)}, rejected {len(result.rejected)}, "
        f"pending {len(result.pending)}, other transactions rejected "
        f"{len(_mifir_refused(result))}, files rejected {len(result.unresolved_file_rejections)}"
    )
    return out


def _mifir_refused(
    result: mifir_feedback.Reconciliation,
) -> tuple[mifir_feedback.TransactionStatus, ...]:
    """The rejected statuses of transaction references that match no trade given."""
    return tuple(s for s in result.unmatched if s.outcome is Outcome.REJECTED)


def _mifir_status(status: mifir_feedback.TransactionStatus) -> str:
    """A status's code and where it was read."""
    parts = [status.status.value]
    if status.inferred and status.original_message:
        parts.append(f"file {status.original_message}")
    if status.line is not None:
        parts.append(f"{status.feedback_file}:{status.line}")
    return "; ".join(parts)


def _codes(rules: Iterable[ValidationRule]) -> list[str]:
    """Per error code: the code, its RTS 22 field and the NCA's text; then what regkit does
    about it before submission."""
    out: list[str] = []
    for rule in rules:
        info = code_info(rule.id)
        field = "no field" if info.field is None else f"field {info.field}"
        if info.field_name:
            field = f"{field} {info.field_name}"
        text = f": {rule.description}" if rule.description else ""
        out.append(f"  {rule.id} ({field}){text}")
        out.append(f"    {info.check}")
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
