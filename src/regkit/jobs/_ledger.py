"""The submissions ledger's jobs: report files recorded as they are written, regulator
feedback ingested, the state of every transaction, and what must be sent again.

``regkit report NAME --store URL`` numbers its files from the store and records each file
and record in it; ``regkit feedback ingest`` reads auth.031 and auth.092 files into it;
``regkit status`` lists where each transaction stands; ``regkit report NAME --resubmit``
renders the corrections and cancellations the ledger calls for.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, cast

import yaml

from regkit.errors import RenderError
from regkit.jobs._common import JobError, as_path, check_date
from regkit.jobs._inputs import checked_trades
from regkit.reports.sent import describe
from regkit.reports.values import Rendered, Skipped
from regkit.rules.policy import Policy, parameter_overrides, parse_policy
from regkit.schemas.firm import Firm
from regkit.schemas.trade import Trade

if TYPE_CHECKING:  # SQLAlchemy is imported only when a store is used
    from regkit.reports.emir.state import StateComparison
    from regkit.store import (
        Expected,
        Ingested,
        ReceivedFeedback,
        SentRecord,
        Store,
        TransactionState,
    )
    from regkit.store.ledger import Outcome

__all__ = [
    "Capture",
    "LedgerRun",
    "Resubmission",
    "Resubmitted",
    "compare_trade_state",
    "expected_transactions",
    "ingest_feedback",
    "open_ledger",
    "plan_resubmission",
    "read_received",
    "record_files",
    "resubmit_from",
    "submission_status",
    "with_reported",
]


def open_ledger(store: str | os.PathLike[str] | None) -> Store:
    """The store of a ledger job (imported here: the store is optional)."""
    from regkit.store import open_store

    return open_store(store)


class Capture:
    """What a renderer wrote, record by record (its ``observe``), kept in a temporary
    file until the files exist; and the file numbers the store handed out."""

    def __init__(self, regime: str, store: Store | None, sender: str, created: datetime):
        self.regime = regime
        self.store = store
        self.sender = sender
        self.day = created.astimezone(UTC).date()
        self.numbers: dict[int, int] = {}
        # Closed by close(): the spool lives as long as the capture.
        self.spool: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115

    def number(self, place: int) -> int:
        """The sequence number of the run's file at ``place``: the store's next."""
        if place not in self.numbers:
            assert self.store is not None
            self.numbers[place] = self.store.next_sequence(self.regime, self.sender, self.day)
        return self.numbers[place]

    def __call__(self, place: int, key: str, data: bytes) -> None:
        info = describe(self.regime, data)
        traded = None if info.traded_at is None else info.traded_at.isoformat()
        row = [place, key, info.reference, info.action, info.content_hash, traded, info.fields]
        self.spool.write(json.dumps(row) + "\n")

    def rows(self) -> Iterator[list[Any]]:
        """What was written, in order: [place, key, reference, action, hash, traded, fields]."""
        self.spool.seek(0)
        for line in self.spool:
            yield json.loads(line)

    def close(self) -> None:
        self.spool.close()


def _batches(items: Iterable[Trade], size: int) -> Iterator[list[Trade]]:
    """Items in lists of ``size`` (the last shorter), read as they come."""
    source = iter(items)
    while batch := list(itertools.islice(source, size)):
        yield batch


def _trade_id(key: str) -> str | None:
    """The trade of a record's key (a MiFIR cancellation's key names no trade)."""
    return None if key.startswith("cancellation ") else key


def record_files(
    store: Store,
    capture: Capture,
    files: Rendered,
    *,
    firm: Firm,
    created: datetime,
    message_id: Callable[[Path, int], str],
    recipient: str | None,
    purpose: str = "report",
    corrects: Mapping[str, int] | None = None,
) -> list[Any]:
    """Record each file written and its records in the ledger (after the files exist),
    streamed from the capture's spool: a file's records are never all in memory."""
    from regkit.store import SentFile

    links = corrects or {}
    kept = []
    for place, rows in itertools.groupby(capture.rows(), key=lambda row: int(row[0])):
        path = files[place - 1]
        sequence = capture.numbers.get(place, place)
        sent = SentFile(capture.regime, firm.reporting_lei, recipient, capture.day, sequence,
                        path.name, message_id(path, sequence), _sha256(path), created,
                        purpose)  # fmt: skip
        kept.append(store.record_submission(sent, (_sent(row, links) for row in rows)))
    return kept


def _sent(row: list[Any], links: Mapping[str, int]) -> SentRecord:
    """A spooled row as the ledger keeps it, with what it corrects."""
    from regkit.store import SentRecord

    _, key, reference, action, digest, traded, fields = row
    trade_id = _trade_id(key)
    link = links.get(key) if trade_id is not None else links.get(f"cancel {reference}")
    when = None if traded is None else datetime.fromisoformat(traded)
    return SentRecord(reference, action, digest, trade_id, when, fields, link)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- feedback --------------------------------------------------------------------------------


def read_received(path: Path) -> ReceivedFeedback:
    """A feedback file read into what the ledger ingests: auth.031 (MiFIR) or auth.092
    (EMIR), by the message it holds.

    Raises:
        RenderError: the file is neither, or cannot be read (safely, against its schema).
    """
    from regkit.reports.xml import detect

    message = detect(path)
    digest = _sha256(path)
    if message == "auth.031":
        return _mifir_received(path, digest)
    if message == "auth.092":
        return _emir_received(path, digest)
    raise RenderError(f"{path}: holds {message}, not regulator feedback (auth.031 or auth.092)")


def _outcome(value: str) -> Outcome:
    if value not in ("accepted", "rejected", "pending"):  # pragma: no cover (Outcome's values)
        raise RenderError(f"unknown outcome {value!r}")
    return cast("Outcome", value)


def _rules(rules: Sequence[Any]) -> tuple[tuple[str, str | None], ...]:
    return tuple((rule.id, rule.description) for rule in rules)


def _mifir_received(path: Path, digest: str) -> ReceivedFeedback:
    from regkit.reports.mifir.feedback import MessageStatus, read_feedback
    from regkit.store import ReceivedFeedback, ReceivedStatus

    (file,) = read_feedback(path).files
    taken = {MessageStatus.ACCEPTED, MessageStatus.PARTIALLY_ACCEPTED, MessageStatus.WARNING}
    statuses: list[ReceivedStatus] = []
    for advice in file.advices:
        unlisted: Outcome | None = "accepted" if advice.status in taken else None
        if advice.rejects_file:
            unlisted = "rejected"
        rules = _rules(advice.rules)
        code, named = advice.status.value, advice.original_message
        statuses.append(ReceivedStatus(code, unlisted or "pending", message_id=named,
                                       rules=rules, unlisted=unlisted))  # fmt: skip
        statuses += [
            ReceivedStatus(tx.status.value, _outcome(tx.outcome.value), reference=tx.reference,
                           message_id=named, rules=_rules(tx.rules))
            for tx in advice.transactions
        ]  # fmt: skip
    summary = {"advices": [[a.original_message, a.status.value, len(a.transactions)]
                           for a in file.advices]}  # fmt: skip
    return ReceivedFeedback("mifir", "auth.031", path.name, digest, file.message_id,
                            file.created, tuple(statuses), None, summary)  # fmt: skip


def _emir_received(path: Path, digest: str) -> ReceivedFeedback:
    from regkit.reports.emir.feedback import read_rejections
    from regkit.store import ReceivedFeedback, ReceivedStatus

    (file,) = read_rejections(path).files
    statuses: list[ReceivedStatus] = []
    for message in file.messages:
        outcome = _outcome(message.status.outcome.value)
        statuses.append(ReceivedStatus(message.status.value, outcome,
                                       message_id=message.message_id,
                                       rules=_rules(message.rules), unlisted=outcome))  # fmt: skip
    for tx in file.transactions:
        if tx.uti is None:
            continue  # named by a technical record id only: kept in the summary
        statuses.append(ReceivedStatus(tx.status.value, _outcome(tx.outcome.value),
                                       reference=tx.uti, rules=_rules(tx.rules),
                                       action=tx.action_type))  # fmt: skip
    nameless = [tx.technical_record_id for tx in file.transactions if tx.uti is None]
    summary = {"reference_date": None if file.reference_date is None
               else file.reference_date.isoformat(), "without_uti": nameless}  # fmt: skip
    return ReceivedFeedback("emir", "auth.092", path.name, digest, file.message_id,
                            file.created, tuple(statuses), file.reference_date,
                            summary)  # fmt: skip


def ingest_feedback(
    paths: Sequence[str | os.PathLike[str]], *, store: str | os.PathLike[str] | None = None
) -> list[Ingested]:
    """Ingest regulator feedback files into a store's ledger, in the order given (what
    ``regkit feedback ingest`` does): each file once; a file ingested before changes
    nothing.

    Raises:
        JobError: a file is missing.
        RenderError: a file is not auth.031 or auth.092, or breaks its schema (nothing
            of any file is ingested).
    """
    files = [as_path("paths", path) for path in paths]
    for path in files:
        if not path.is_file():
            raise JobError(f"{path}: no such file")
    received = [read_received(path) for path in files]
    with open_ledger(store) as ledger:
        return [ledger.ingest(item) for item in received]


# --- status ----------------------------------------------------------------------------------


def submission_status(
    *,
    store: str | os.PathLike[str] | None = None,
    regimes: Sequence[str] = ("mifir", "emir"),
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    late: bool = False,
    rejected: bool = False,
    calendar: str = "TARGET",
    expected: Sequence[Any] = (),
) -> list[TransactionState]:
    """Where each transaction stands (what ``regkit status`` lists), by regime and
    reference: of trades executed from ``start`` to ``end`` when given; only the late
    ones, or only the rejected ones, when asked.

    Raises:
        TypeError: a day that is not a date; ValueError: a regime regkit does not keep.
    """
    for name, value in (("start", start), ("end", end), ("as_of", as_of)):
        check_date(name, value)
    if isinstance(regimes, str) or any(regime not in ("mifir", "emir") for regime in regimes):
        raise ValueError(f"regimes must be a list of mifir and emir, got {regimes!r}")
    with open_ledger(store) as ledger:
        found: list[TransactionState] = []
        for regime in regimes:
            traded = None if start is None and end is None else (start, end)
            found += ledger.transactions(regime, as_of=as_of, calendar=calendar,
                                         expected=expected, traded=traded)  # fmt: skip
    return [state for state in found if _wanted(state, start, end, late, rejected)]


def _wanted(
    state: TransactionState, start: date | None, end: date | None, late: bool, rejected: bool
) -> bool:
    day = None if state.traded_at is None else state.traded_at.astimezone(UTC).date()
    if day is not None and ((start and day < start) or (end and day > end)):
        return False
    if late and not state.late:
        return False
    return not rejected or state.state == "rejected"


# --- resubmission ----------------------------------------------------------------------------


@dataclass
class Resubmission:
    """What the ledger calls for sending again, from the trades given.

    Attributes:
        send: trade id → (action, the transmission it corrects) of each report to render.
        cancel: reference → the transmission it cancels (MiFIR ``CANC``, EMIR ``EROR``).
        unchanged: rejected transactions whose data is as it was rejected (not sent: fix
            the data first), as (reference, trade id).
        missing: rejected transactions whose trade is not among the trades given.
        by_hand: rejected EMIR reports of an action a resubmission does not render (TERM,
            VALU ...: ``regkit report emir --action``), as (reference, trade id, action).
    """

    send: dict[str, tuple[str, int]] = field(default_factory=dict)
    cancel: dict[str, int] = field(default_factory=dict)
    unchanged: list[tuple[str, str | None]] = field(default_factory=list)
    missing: list[tuple[str, str | None]] = field(default_factory=list)
    by_hand: list[tuple[str, str | None, str]] = field(default_factory=list)


#: The actions whose report carries the whole derivative (what a correction compares).
_WHOLE = frozenset({"NEWT", "MODI", "CORR", "POSC"})


def plan_resubmission(
    regime: str,
    states: Sequence[TransactionState],
    hashes: Mapping[str, str],
    cancel: Sequence[str],
) -> Resubmission:
    """What must go again (see :func:`regkit.jobs.report` with ``resubmit``).

    Args:
        regime: ``mifir`` or ``emir``.
        states: every transaction of the regime, as the ledger has it.
        hashes: trade id → the content hash of its report rendered from the trades given
            now (:func:`regkit.reports.sent.content_hash`).
        cancel: trade ids or references to cancel.

    Raises:
        JobError: a transaction to cancel that the ledger does not hold as reported.
    """
    plan = Resubmission()
    for state in states:
        _plan_one(regime, state, hashes, plan)
    _plan_cancellations(regime, states, cancel, plan)
    return plan


def _plan_one(
    regime: str, state: TransactionState, hashes: Mapping[str, str], plan: Resubmission
) -> None:
    latest = state.latest
    if latest is None or (state.trade_id is None and latest.action != _cancelling(regime)):
        return
    if state.state == "rejected":
        _plan_rejected(regime, state, hashes, plan)
        return
    if state.state not in ("accepted", "corrected", "awaiting", "cancelled"):
        return
    trade_id = state.trade_id
    held = [t for t in state.transmissions if t.outcome != "rejected" and t.action in _WHOLE]
    if trade_id is None or not held or trade_id not in hashes:
        return
    if hashes[trade_id] == held[-1].record_hash:
        return  # never sent again: the regulator holds this data
    if state.state == "cancelled":
        plan.send[trade_id] = ("NEWT", latest.transmission_id)  # a new report after EROR/CANC
    elif regime == "emir":
        plan.send[trade_id] = ("CORR", held[-1].transmission_id)
    else:  # MiFIR has no correction: cancel the report held, then report anew
        plan.cancel[state.reference] = held[-1].transmission_id
        plan.send[trade_id] = ("NEWT", held[-1].transmission_id)


def _plan_rejected(
    regime: str, state: TransactionState, hashes: Mapping[str, str], plan: Resubmission
) -> None:
    latest = state.latest
    assert latest is not None
    if latest.action == _cancelling(regime):  # a rejected cancellation: send it again
        plan.cancel[state.reference] = latest.transmission_id
        return
    trade_id = state.trade_id
    if regime == "emir" and latest.action not in _WHOLE:  # TERM, VALU ...: its own run
        plan.by_hand.append((state.reference, trade_id, latest.action))
    elif trade_id is None or trade_id not in hashes:
        plan.missing.append((state.reference, trade_id))
    elif hashes[trade_id] == latest.record_hash:
        plan.unchanged.append((state.reference, trade_id))
    else:  # a rejected report never reached the regulator's data: the same action again
        plan.send[trade_id] = (latest.action, latest.transmission_id)


def _cancelling(regime: str) -> str:
    return "CANC" if regime == "mifir" else "EROR"


def _plan_cancellations(
    regime: str, states: Sequence[TransactionState], cancel: Sequence[str], plan: Resubmission
) -> None:
    by_name: dict[str, TransactionState] = {}
    for state in states:
        by_name[state.reference] = state
        if state.trade_id is not None:
            by_name.setdefault(state.trade_id, state)
    refused = []
    for name in cancel:
        found = by_name.get(name)
        held = [] if found is None else [t for t in found.transmissions if t.outcome != "rejected"]
        if found is None or not held or found.state == "cancelled":
            refused.append(name)
            continue
        plan.cancel[found.reference] = held[-1].transmission_id
        if found.trade_id is not None:
            plan.send.pop(found.trade_id, None)
    if refused:
        raise JobError(
            f"cannot cancel {', '.join(refused)}: the ledger holds no {regime} report of it "
            "that the regulator took, or it is cancelled already"
        )


class Resubmitted(Rendered):
    """The files of a resubmission (:class:`~regkit.reports.values.Rendered`), with the
    plan they carry out (:attr:`plan`)."""

    plan: Resubmission


def _message_id(regime: str) -> Callable[[datetime], Callable[[Path, int], str]]:
    """How feedback names a file of a regime: MiFIR by its ``AppHdr/BizMsgIdr``; EMIR by its
    name without ``.xml`` (an auth.030 file has no header of its own)."""
    if regime == "mifir":
        from regkit.reports.mifir import message_id

        return lambda created: lambda path, sequence: message_id(created, sequence)
    return lambda created: lambda path, sequence: path.stem


def _recipient(regime: str, firm: Firm) -> str | None:
    if regime != "mifir":
        return None
    from regkit.reports.mifir.authorities import authority_for

    return authority_for(firm.report_recipient).recipient_id


@dataclass
class LedgerRun:
    """One rendering recorded in the ledger: the report's name and renderer, the firm, the
    creation time, and the store."""

    regime: str
    render: Callable[..., Rendered]
    accounts: Sequence[Any]
    firm: Firm
    created: datetime
    store: Store
    purpose: str = "report"

    def __call__(
        self, trades: Any, out: Path, corrects: Mapping[str, int] | None = None, **keywords: Any
    ) -> Rendered:
        """Render with the store's numbering, then record the files and their records."""
        if self.purpose == "report":
            return self._new_only(trades, out, **keywords)
        return self._render(trades, out, corrects, **keywords)

    def _new_only(self, trades: Iterable[Trade], out: Path, **keywords: Any) -> Rendered:
        """A report run leaves out the trades the ledger holds a report of, with the same
        action, that the regulator did not reject (a second NEWT of one transaction is
        refused as a duplicate); each is listed as skipped, naming the file."""
        action = str(keywords.get("action") or "NEWT")
        skipped: list[Skipped] = []

        def fresh() -> Iterator[Trade]:
            for chunk in _batches(trades, 10_000):
                held = self.store.held_reports(self.regime, action, [t.trade_id for t in chunk])
                for trade in chunk:
                    kept = held.get(trade.trade_id)
                    if kept is None:
                        yield trade
                    else:
                        skipped.append(Skipped(trade.trade_id, f"reported already in {kept}"))

        files = self._render(fresh(), out, None, **keywords)
        files.skipped = (*files.skipped, *skipped)
        return files

    def _render(
        self, trades: Any, out: Path, corrects: Mapping[str, int] | None, **keywords: Any
    ) -> Rendered:
        capture = Capture(self.regime, self.store, self.firm.reporting_lei, self.created)
        try:
            files = self.render(trades, self.accounts, self.firm, out, created_at=self.created,
                                first_sequence=capture.number, observe=capture,
                                **keywords)  # fmt: skip
            record_files(self.store, capture, files, firm=self.firm, created=self.created,
                         message_id=_message_id(self.regime)(self.created),
                         recipient=_recipient(self.regime, self.firm), purpose=self.purpose,
                         corrects=corrects)  # fmt: skip
        finally:
            capture.close()
        return files


def content_hashes(
    regime: str, render: Callable[..., Rendered], trades: Any, **keywords: Any
) -> dict[str, str]:
    """The content hash of each trade's report as rendered now (into a folder thrown
    away), by trade id; ``keywords`` holds the renderer's accounts and firm."""
    from regkit.reports.sent import content_hash

    hashes: dict[str, str] = {}

    def observe(place: int, key: str, data: bytes) -> None:
        hashes[key] = content_hash(regime, data)

    with tempfile.TemporaryDirectory(prefix="regkit-resubmit-") as folder:
        render(trades, out_dir=folder, observe=observe, validate=False, check=False,
               **keywords)  # fmt: skip
    return hashes


def resubmit_from(
    run: LedgerRun,
    trades: Iterable[Trade],
    out: Path,
    keywords: Mapping[str, Any],
    *,
    cancel: Sequence[str] = (),
    max_records: int | None = None,
    validate: bool = True,
) -> Resubmitted:
    """Render what the ledger calls for sending again (see :func:`regkit.jobs.report`),
    each record linked to the transmission it corrects or cancels."""
    own = {key: value for key, value in keywords.items() if key != "cancellations"}
    states = run.store.transactions(run.regime)
    known = {state.trade_id for state in states if state.trade_id is not None}
    kept = [trade for trade in trades if trade.trade_id in known]
    dry = {k: v for k, v in own.items() if k not in ("check", "write_passing", "action")}
    hashes = content_hashes(run.regime, run.render, kept, accounts=run.accounts, firm=run.firm,
                            created_at=run.created, **dry)  # fmt: skip
    plan = plan_resubmission(run.regime, states, hashes, cancel)
    run.purpose = "resubmission"
    common = {"max_records": max_records, "validate": validate}
    if run.regime == "mifir":
        files = _resubmit_mifir(run, kept, out, plan, {**own, **common})
    else:
        files = _resubmit_emir(run, kept, states, out, plan, {**own, **common})
    done = Resubmitted(
        [path for rendered in files for path in rendered],
        reported=sum(rendered.reported for rendered in files),
        cancelled=sum(rendered.cancelled for rendered in files),
        skipped=[item for rendered in files for item in rendered.skipped],
    )
    done.plan = plan
    return done


def _resubmit_mifir(
    run: LedgerRun, kept: list[Trade], out: Path, plan: Resubmission, keywords: dict[str, Any]
) -> list[Rendered]:
    if not plan.send and not plan.cancel:
        return []
    corrects = {trade_id: link for trade_id, (_, link) in plan.send.items()}
    corrects |= {f"cancel {reference}": link for reference, link in plan.cancel.items()}
    sent = [trade for trade in kept if trade.trade_id in plan.send]
    return [run(sent, out, corrects, cancellations=sorted(plan.cancel), **keywords)]


def _resubmit_emir(
    run: LedgerRun,
    kept: list[Trade],
    states: Sequence[TransactionState],
    out: Path,
    plan: Resubmission,
    keywords: dict[str, Any],
) -> list[Rendered]:
    by_id = {trade.trade_id: trade for trade in kept}
    groups: dict[str, list[Trade]] = {}
    corrects: dict[str, int] = {}
    for trade_id, (action, link) in plan.send.items():
        groups.setdefault(action, []).append(by_id[trade_id])
        corrects[trade_id] = link
    trade_of = {state.reference: state.trade_id for state in states}
    lacking = sorted(ref for ref in plan.cancel if trade_of.get(ref) not in by_id)
    if lacking:
        raise JobError(f"an EROR report is made from its trade: {', '.join(lacking)} "
                       "have no trade among the trades given")  # fmt: skip
    for reference, link in plan.cancel.items():
        cancelled = by_id[str(trade_of[reference])]
        groups.setdefault("EROR", []).append(cancelled)
        corrects[cancelled.trade_id] = link
    rendered = []
    for action in sorted(groups):
        rendered.append(run(groups[action], out, corrects, **{**keywords, "action": action}))
    return rendered


def expected_transactions(
    trades: str | os.PathLike[str], regimes: Sequence[str] = ("mifir", "emir")
) -> list[Expected]:
    """The transactions the trades of a file call for, by regime: each trade MiFIR reports
    (the ``mifir-data-quality`` pack's reportable products) and each derivative EMIR
    reports (``emir-refit-validation``'s, openings), for ``regkit status --trades``. An
    EMIR trade without a UTI is matched by its trade id.

    Raises:
        JobError: the file is missing or has bad rows.
    """
    from regkit.reports.mifir import Reportability
    from regkit.rules.policy import load_policy
    from regkit.schemas.identifiers import transaction_reference
    from regkit.store import Expected

    path = as_path("trades", trades)
    if not path.is_file():
        raise JobError(f"{path}: no such file")
    mifir = Reportability.from_policy(load_policy("mifir-data-quality"))
    emir_products = set(load_policy("emir-refit-validation").parameters["reportable_products"])
    found: list[Expected] = []
    for trade in checked_trades(path, []):
        if "mifir" in regimes and mifir.reason(trade.instrument) is None:
            found.append(Expected("mifir", transaction_reference(trade), trade.trade_id,
                                  trade.executed_at))  # fmt: skip
        opening = trade.position_effect != "close"
        if "emir" in regimes and opening and trade.instrument.product in emir_products:
            found.append(Expected("emir", trade.uti or trade.trade_id, trade.trade_id,
                                  trade.executed_at))  # fmt: skip
    return found


def compare_trade_state(
    path: str | os.PathLike[str], *, store: str | os.PathLike[str] | None = None
) -> StateComparison:
    """A trade repository's trade state report (auth.107) against the EMIR derivatives
    the ledger says are open (``regkit submissions compare``): each derivative's last
    report sent and not rejected, and the key fields of its last whole report.

    Raises:
        JobError: the file is missing.
        RenderError: it is not an auth.107, or breaks its schema.
    """
    from regkit.reports.emir.state import ExpectedDerivative, compare, read_trade_state

    file = as_path("path", path)
    if not file.is_file():
        raise JobError(f"{file}: no such file")
    state = read_trade_state(file)
    with open_ledger(store) as ledger:
        sent = ledger.transmissions(regime="emir")
    by_uti: dict[str, list[Any]] = {}
    for item in sent:
        if item.outcome != "rejected":
            by_uti.setdefault(item.reference, []).append(item)
    expected = []
    for uti, held in sorted(by_uti.items()):
        whole = [item for item in held if item.action in _WHOLE and item.fields]
        fields = dict(whole[-1].fields) if whole else {}
        last = held[-1].action
        expected.append(ExpectedDerivative(uti, last, last in ("TERM", "EROR"), fields))
    return compare(state, expected)


#: The built-in policies whose ``reported`` parameter the ledger fills, with their regime.
LEDGER_POLICIES: Final[Mapping[str, str]] = {
    "mifir-data-quality": "mifir",
    "emir-refit-validation": "emir",
}


def with_reported(policy: Policy, *, store: str | os.PathLike[str] | None = None) -> Policy:
    """The policy with the ledger's reported transactions added to its ``reported``
    parameter, so that ``MIFIR-LATE`` and ``EMIR-LATE`` find only the trades the store has
    no report of (what ``regkit check --store`` does); any other policy as it is. The
    references and trade ids the parameter held already stay.

    Raises:
        TypeError: ``policy`` is not a :class:`~regkit.rules.policy.Policy`.
    """
    if not isinstance(policy, Policy):
        raise TypeError(f"policy must be a Policy, got {type(policy).__name__}")
    regime = LEDGER_POLICIES.get(policy.id)
    if regime is None or "reported" not in policy.parameters or policy.python_rules:
        return policy
    with open_ledger(store) as ledger:
        held = ledger.reported(regime)
    if not held:
        return policy
    overrides = yaml.safe_load(parameter_overrides(policy) or "{}") or {}
    overrides["reported"] = sorted(set(policy.parameters["reported"]) | held)
    return parse_policy(policy.text, policy.source, parameters=overrides)
