"""The submissions ledger: each regulator file written, each record in it, the regulator's
feedback on each, and from those the state of every reported transaction.

A reporting team asks the ledger, any day: which trades are not reported yet, which are
late, which the regulator rejected and why, what has been sent again, and what still
waits for an answer. The tables are in :mod:`regkit.store.schema`; the store's methods
(:meth:`regkit.store.Store.record_submission`, :meth:`~regkit.store.Store.ingest`,
:meth:`~regkit.store.Store.transactions` ...) call what is here. This module knows no XML:
the jobs read the files (:mod:`regkit.reports.ledger`) and hand over what they hold.

* **Submissions.** A file (:class:`SentFile`) and its records (:class:`SentRecord`): the
  reference (MiFIR's transaction reference, RTS 22 field 2; EMIR's UTI, REFIT field 2.1),
  the trade id, the action (MiFIR ``NEWT``/``CANC``; EMIR ``NEWT``, ``MODI``, ``CORR``,
  ``TERM``, ``EROR``, ``POSC``, ``VALU``), the SHA-256 of its content and the trade's
  execution time. The same file recorded twice is one submission.
* **Sequence numbers** come from the store (:func:`next_sequence`), one regime, sender
  and day at a time, inside the writing transaction's lock: two runs never get the same
  number. A number handed to a run that then failed is not handed out again (a gap, which
  the naming conventions allow; a repeated name is what they refuse).
* **Feedback** (:class:`ReceivedFeedback`) is ingested once, by its SHA-256: a second
  ingestion of the same bytes changes nothing. Each status is matched to the submission it
  names and to the transmission of its reference; what matches nothing is kept, with no
  transmission, and listed as unmatched (:func:`unmatched`). A status about a whole file
  answers each of its records the feedback does not list (``unlisted``: an NCA's ``ACPT``
  or ``PART`` accepts them, ``RJCT``/``INCF``/``CRPT`` rejects them); a trade repository's
  daily rejection report (auth.092, ``covers``) accepts the day's transmissions it does not
  reject, as ESMA's DATREJ lists rejections only.
* **A transaction's state** (:class:`TransactionState`) is read from its transmissions
  and their latest statuses (a status read later supersedes an earlier one unless both
  carry a creation time and the later-read one is older): ``awaiting`` feedback,
  ``accepted``, ``rejected`` (with the rules), ``corrected`` (accepted after a rejection),
  ``cancelled`` (its last report cancels it: MiFIR ``CANC``, EMIR ``EROR``), or
  ``not_reported`` (expected, never sent). Its deadline is the end of the working day after
  its execution (MiFIR Art. 26(1), EMIR Art. 9(1)); it is late when its first report the
  regulator did not reject was sent after that day, or it has none and the day is past.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from regkit.errors import StoreError
from regkit.rules.calendars import add_working_days, working_days_between
from regkit.store import schema
from regkit.store._bulk import Bulk

__all__ = [
    "AGE_BUCKETS",
    "CANCELLING",
    "REGIMES",
    "STATES",
    "Expected",
    "Ingested",
    "ReceivedFeedback",
    "ReceivedStatus",
    "SentFile",
    "SentRecord",
    "StatusRecord",
    "Submission",
    "TransactionState",
    "Transmission",
    "age_bucket",
]

#: The regimes the ledger keeps.
REGIMES: Final = ("mifir", "emir")

#: The action that withdraws a reported transaction: a MiFIR cancellation (``Tx/Cxl``) or
#: an EMIR error report (``EROR``).
CANCELLING: Final[Mapping[str, str]] = {"mifir": "CANC", "emir": "EROR"}

#: The states of a transaction, in the order tables list them.
STATES: Final = ("not_reported", "rejected", "awaiting", "corrected", "accepted", "cancelled")

#: Ageing buckets in working days: (label, lowest, highest or None).
AGE_BUCKETS: Final = (("0-1", 0, 1), ("2-5", 2, 5), ("6-20", 6, 20), (">20", 21, None))

Outcome = Literal["accepted", "rejected", "pending"]


def age_bucket(days: int) -> str:
    """The ageing bucket of a number of working days.

    Examples:
        >>> [age_bucket(days) for days in (0, 1, 2, 5, 6, 20, 21, 400)]
        ['0-1', '0-1', '2-5', '2-5', '6-20', '6-20', '>20', '>20']
    """
    for label, low, high in AGE_BUCKETS:
        if days >= low and (high is None or days <= high):
            return label
    return AGE_BUCKETS[0][0]  # a negative age (traded after the day asked about)


@dataclass(frozen=True)
class SentRecord:
    """One record of a file sent (a ``Tx``, an EMIR ``Rpt``).

    Attributes:
        reference: MiFIR's transaction reference or EMIR's UTI.
        action: ``NEWT`` or ``CANC`` (MiFIR); the EMIR action type.
        record_hash: the SHA-256 of the record's content (without the reporting timestamp
            and action element, so that the same data hashes the same when sent again).
        trade_id: the trade it reports, when known.
        traded_at: the trade's execution time (the T+1 deadline's start), when known.
        fields: EMIR: the key fields a trade state report is compared on.
        corrects: the transmission this one corrects (resubmissions).
    """

    reference: str
    action: str
    record_hash: str
    trade_id: str | None = None
    traded_at: datetime | None = None
    fields: Mapping[str, str] | None = None
    corrects: int | None = None


@dataclass(frozen=True)
class SentFile:
    """A regulator file written (what the ledger keeps of it besides its records).

    Attributes:
        regime: ``mifir`` or ``emir``.
        sender: the submitting entity's LEI.
        recipient: the competent authority (MiFIR), or None.
        day: the day in the file's name (UTC).
        sequence: its sequence number that day.
        file_name: its name.
        message_id: the id feedback names it by: MiFIR's ``AppHdr/BizMsgIdr``; EMIR: the
            file's name without ``.xml``.
        sha256: the SHA-256 of its bytes.
        created_at: its creation time.
        purpose: ``report``, or ``resubmission`` (corrections and cancellations).
    """

    regime: str
    sender: str
    recipient: str | None
    day: date
    sequence: int
    file_name: str
    message_id: str
    sha256: str
    created_at: datetime
    purpose: str = "report"


@dataclass(frozen=True)
class Submission(SentFile):
    """A file as the ledger holds it: :class:`SentFile` with its id, record count and when
    it was recorded."""

    submission_id: int = 0
    records: int = 0
    recorded_at: datetime | None = None


@dataclass(frozen=True)
class ReceivedStatus:
    """One status a feedback file gives.

    Attributes:
        code: the status code (``ACPT``, ``RJCT``, ``PDNG``, ``INCF`` ...).
        outcome: what it means: ``accepted``, ``rejected`` or ``pending``.
        reference: the transaction it is about (None: a whole file).
        message_id: the submitted file it names, when it names one.
        rules: the validation rules failed, as (id, text).
        action: EMIR: the action type of the report it is about, when given.
        unlisted: for a whole file: what its records the feedback does not list are.
    """

    code: str
    outcome: Outcome
    reference: str | None = None
    message_id: str | None = None
    rules: tuple[tuple[str, str | None], ...] = ()
    action: str | None = None
    unlisted: Outcome | None = None


@dataclass(frozen=True)
class ReceivedFeedback:
    """A feedback file, read (by :mod:`regkit.jobs`), to ingest.

    Attributes:
        regime: ``mifir`` or ``emir``.
        message: the message (``auth.031``, ``auth.092``).
        file_name: its name.
        sha256: the SHA-256 of its bytes (a file is ingested once).
        message_id: its own ``AppHdr/BizMsgIdr``, when it has one.
        created_at: its ``AppHdr/CreDt``, when it has one.
        statuses: every status, file-level ones (no reference) and per transaction.
        covers: auth.092: the day its statistics are of, whose transmissions it accepts
            unless it rejects them.
        summary: what else it says (counts), kept as JSON.
    """

    regime: str
    message: str
    file_name: str
    sha256: str
    message_id: str | None
    created_at: datetime | None
    statuses: tuple[ReceivedStatus, ...]
    covers: date | None = None
    summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ingested:
    """What ingesting one feedback file did.

    Attributes:
        feedback_id: its id in the store.
        file_name: its name.
        new: False when the same bytes were ingested before (nothing changed).
        matched: statuses matched to a transmission (or to a file, for a file's status).
        inferred: statuses given to records the feedback does not list (from a file's
            status, or from auth.092's day).
        unmatched: statuses that match nothing in the ledger (kept, and listed).
    """

    feedback_id: int
    file_name: str
    new: bool
    matched: int
    inferred: int
    unmatched: int


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """A status as the ledger holds it (see :class:`ReceivedStatus`), with the feedback it
    came in and what it was matched to."""

    status_id: int
    feedback_id: int
    feedback_file: str
    code: str
    outcome: Outcome
    reference: str | None
    message_id: str | None
    rules: tuple[tuple[str, str | None], ...]
    inferred: bool
    created_at: datetime | None
    submission_id: int | None
    transmission_id: int | None


@dataclass(frozen=True)
class Expected:
    """A transaction that should be reported (from the trades): what ``not_reported``
    is found against."""

    regime: str
    reference: str
    trade_id: str
    traded_at: datetime | None


@dataclass(frozen=True, slots=True)
class Transmission:
    """One record sent, with the file it went in and its current status.

    Its EMIR key fields are kept as the JSON text the store holds (``fields_text``) and
    read when asked for (:attr:`fields`): a ledger's states rarely need them.
    """

    transmission_id: int
    submission_id: int
    file_name: str
    sent_at: datetime
    position: int
    reference: str
    trade_id: str | None
    action: str
    record_hash: str
    traded_at: datetime | None
    corrects: int | None
    fields_text: str | None
    status: StatusRecord | None

    @property
    def fields(self) -> Mapping[str, str] | None:
        """EMIR: the key fields a trade state report is compared on (None for MiFIR)."""
        return None if self.fields_text is None else dict(json.loads(self.fields_text))

    @property
    def outcome(self) -> Outcome:
        """Its current outcome: pending until feedback says otherwise."""
        return "pending" if self.status is None else self.status.outcome


@dataclass(frozen=True, slots=True)
class TransactionState:
    """Where one transaction stands (see the module's docstring).

    Attributes:
        regime: ``mifir`` or ``emir``.
        reference: its transaction reference or UTI.
        trade_id: its trade, when known.
        state: one of :data:`STATES`.
        traded_at: when the trade was executed, when known.
        deadline: the last day it may be reported on (T+1 working day), when known.
        reported_on: the day its first report the regulator did not reject was sent.
        late: reported after the deadline, or not yet and the deadline has passed.
        age: working days from the trade's day to the day it was settled (accepted,
            corrected, cancelled) or to the day asked about while it is open.
        rules: the rules of its rejection, as (id, text), when rejected.
        transmissions: every record sent for it, in order.
    """

    regime: str
    reference: str
    trade_id: str | None
    state: str
    traded_at: datetime | None
    deadline: date | None
    reported_on: date | None
    late: bool
    age: int | None
    rules: tuple[tuple[str, str | None], ...]
    transmissions: tuple[Transmission, ...]

    @property
    def bucket(self) -> str | None:
        """Its ageing bucket (:data:`AGE_BUCKETS`), when its age is known."""
        return None if self.age is None else age_bucket(self.age)

    @property
    def latest(self) -> Transmission | None:
        """Its last record sent, if any."""
        return self.transmissions[-1] if self.transmissions else None


# --- writing ---------------------------------------------------------------------------------


def next_sequence(connection: Connection, regime: str, sender: str, day: date) -> int:
    """Hand out the next file sequence number of a regime, sender and day (in the caller's
    writing transaction, which holds the store's write lock)."""
    table = schema.sequences
    where = (table.c.regime == regime) & (table.c.sender == sender) & (table.c.day == day)
    last = connection.execute(select(table.c.last).where(where)).scalar_one_or_none()
    if last is None:
        number = _highest_filed(connection, regime, sender, day) + 1
        connection.execute(insert(table).values(regime=regime, sender=sender, day=day,
                                                last=number))  # fmt: skip
        return number
    connection.execute(update(table).where(where).values(last=last + 1))
    return int(last) + 1


def _highest_filed(connection: Connection, regime: str, sender: str, day: date) -> int:
    table = schema.submissions
    found = connection.execute(
        select(func.max(table.c.sequence)).where(
            (table.c.regime == regime) & (table.c.sender == sender) & (table.c.day == day)
        )
    ).scalar_one_or_none()
    return int(found or 0)


def record_submission(
    connection: Connection, sent: SentFile, records: Iterable[SentRecord], now: datetime
) -> tuple[Submission, bool]:
    """Keep a file and its records; the same file (name and SHA-256) again is the one
    submission already kept. Returns the submission and whether it is new."""
    _check_regime(sent.regime)
    known = _submission_where(
        connection,
        (schema.submissions.c.file_name == sent.file_name)
        & (schema.submissions.c.sha256 == sent.sha256),
    )
    if known:
        return known[0], False
    _refuse_taken_number(connection, sent)
    values = {name: getattr(sent, name) for name in _SENT_COLUMNS}
    submission_id = connection.execute(
        insert(schema.submissions)
        .values(**values, recorded_at=now, records=0)
        .returning(schema.submissions.c.submission_id)
    ).scalar_one()
    count = _write_records(connection, int(submission_id), records)
    connection.execute(update(schema.submissions)
                       .where(schema.submissions.c.submission_id == submission_id)
                       .values(records=count))  # fmt: skip
    _raise_last(connection, sent)
    (kept,) = _submission_where(connection, schema.submissions.c.submission_id == submission_id)
    return kept, True


_SENT_COLUMNS: Final = ("regime", "sender", "recipient", "day", "sequence", "file_name",
                        "message_id", "sha256", "created_at", "purpose")  # fmt: skip


def _check_regime(regime: str) -> None:
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {', '.join(REGIMES)}, got {regime!r}")


def _refuse_taken_number(connection: Connection, sent: SentFile) -> None:
    table = schema.submissions
    taken = _submission_where(
        connection,
        (table.c.regime == sent.regime) & (table.c.sender == sent.sender)
        & (table.c.day == sent.day) & (table.c.sequence == sent.sequence),
    )  # fmt: skip
    if taken:
        raise StoreError(
            f"{sent.file_name}: sequence {sent.sequence} of {sent.day} is already the ledger's "
            f"{taken[0].file_name} (other bytes); a file name is never used twice"
        )


def _raise_last(connection: Connection, sent: SentFile) -> None:
    """A file numbered outside the store (written without one) moves the day's last
    number past it, so the store never hands its number out."""
    table = schema.sequences
    where = ((table.c.regime == sent.regime) & (table.c.sender == sent.sender)
             & (table.c.day == sent.day))  # fmt: skip
    last = connection.execute(select(table.c.last).where(where)).scalar_one_or_none()
    if last is None:
        connection.execute(insert(table).values(regime=sent.regime, sender=sent.sender,
                                                day=sent.day, last=sent.sequence))  # fmt: skip
    elif last < sent.sequence:
        connection.execute(update(table).where(where).values(last=sent.sequence))


def _write_records(
    connection: Connection, submission_id: int, records: Iterable[SentRecord]
) -> int:
    bulk = Bulk(connection)
    batch: list[tuple[Any, ...]] = []
    count = 0
    for record in records:
        count += 1
        fields = None if record.fields is None else json.dumps(dict(record.fields), sort_keys=True)
        batch.append((submission_id, count, record.reference, record.trade_id, record.action,
                      record.record_hash, record.traded_at, record.corrects, fields))  # fmt: skip
        if len(batch) == 10_000:
            bulk.insert(schema.transmissions, batch)
            batch = []
    bulk.insert(schema.transmissions, batch)
    return count


def ingest(connection: Connection, received: ReceivedFeedback, now: datetime) -> Ingested:
    """Keep a feedback file and its statuses, each matched to what it is about; a file
    ingested before changes nothing."""
    _check_regime(received.regime)
    known = connection.execute(
        select(schema.feedback.c.feedback_id).where(schema.feedback.c.sha256 == received.sha256)
    ).scalar_one_or_none()
    if known is not None:
        return _counted(connection, int(known), received.file_name, new=False)
    feedback_id = int(
        connection.execute(
            insert(schema.feedback)
            .values(regime=received.regime, message=received.message,
                    file_name=received.file_name, sha256=received.sha256,
                    message_id=received.message_id, created_at=received.created_at,
                    ingested_at=now, summary=json.dumps(dict(received.summary), sort_keys=True))
            .returning(schema.feedback.c.feedback_id)
        ).scalar_one()
    )  # fmt: skip
    rows = _Matcher(connection, received, feedback_id).rows()
    Bulk(connection).insert(schema.statuses, rows)
    return _counted(connection, feedback_id, received.file_name, new=True)


def _counted(connection: Connection, feedback_id: int, name: str, *, new: bool) -> Ingested:
    table = schema.statuses
    rows = connection.execute(
        select(table.c.inferred, table.c.transmission_id, table.c.submission_id,
               table.c.reference).where(table.c.feedback_id == feedback_id)
    ).all()  # fmt: skip
    inferred = sum(1 for row in rows if row[0])
    unmatched = sum(1 for row in rows if _is_unmatched(row[1], row[2], row[3]))
    return Ingested(feedback_id, name, new, len(rows) - inferred - unmatched, inferred, unmatched)


def _is_unmatched(transmission: int | None, submission: int | None, reference: str | None) -> bool:
    if reference is None:
        return submission is None
    return transmission is None


class _Matcher:
    """The status rows of one feedback: each status matched, then the inferred ones."""

    def __init__(self, connection: Connection, received: ReceivedFeedback, feedback_id: int):
        self.connection = connection
        self.received = received
        self.feedback_id = feedback_id
        self.bulk = Bulk(connection)
        self.submissions = self._submissions()
        self.contents: dict[int, dict[str, list[tuple[int, str]]]] = {}
        self.listed: set[int] = set()

    def _submissions(self) -> dict[str, int]:
        named = sorted({s.message_id for s in self.received.statuses if s.message_id})
        table = schema.submissions
        found: dict[str, int] = {}
        for message_id, submission_id in self.connection.execute(
            select(table.c.message_id, table.c.submission_id)
            .where((table.c.regime == self.received.regime) & table.c.message_id.in_(named))
            .order_by(table.c.submission_id)
        ):
            found[message_id] = int(submission_id)
        return found

    def _content(self, submission_id: int) -> dict[str, list[tuple[int, str]]]:
        """A submission's transmissions by reference: (id, action), in order."""
        if submission_id not in self.contents:
            table = schema.transmissions
            by_reference: dict[str, list[tuple[int, str]]] = {}
            for row in self.connection.execute(
                select(table.c.transmission_id, table.c.reference, table.c.action)
                .where(table.c.submission_id == submission_id)
                .order_by(table.c.transmission_id)
            ):
                by_reference.setdefault(row[1], []).append((int(row[0]), row[2]))
            self.contents[submission_id] = by_reference
        return self.contents[submission_id]

    def rows(self) -> list[tuple[Any, ...]]:
        records = [s for s in self.received.statuses if s.reference is not None]
        files = [s for s in self.received.statuses if s.reference is None]
        loose = self._loose([s.reference for s in records if self._submission(s) is None])
        rows = [self._record_row(status, loose) for status in records]
        for status in files:
            rows += self._file_rows(status)
        if self.received.covers is not None:
            rows += self._covered_rows(self.received.covers, files)
        return rows

    def _submission(self, status: ReceivedStatus) -> int | None:
        return None if status.message_id is None else self.submissions.get(status.message_id)

    def _loose(self, references: Sequence[str | None]) -> dict[str, list[tuple[int, int, str]]]:
        """Transmissions of references whose status names no known file: (id, submission,
        action), in order."""
        wanted = sorted({reference for reference in references if reference is not None})
        found: dict[str, list[tuple[int, int, str]]] = {}
        for start in range(0, len(wanted), 5_000):
            part = wanted[start : start + 5_000]
            wanted_columns = ["transmission_id", "submission_id", "reference", "action"]
            rows = self.bulk.rows_in(schema.transmissions, "reference", part, wanted_columns)
            for row in sorted(rows):
                found.setdefault(row[2], []).append((int(row[0]), int(row[1]), row[3]))
        return found

    def _record_row(
        self, status: ReceivedStatus, loose: Mapping[str, list[tuple[int, int, str]]]
    ) -> tuple[Any, ...]:
        assert status.reference is not None
        submission = self._submission(status)
        transmission: int | None = None
        if submission is not None:
            candidates = self._content(submission).get(status.reference, [])
            transmission = _pick([(t, submission, a) for t, a in candidates], status.action)
        else:
            chosen = loose.get(status.reference, [])
            transmission = _pick(chosen, status.action)
            submission = next((s for t, s, _ in chosen if t == transmission), None)
        if transmission is not None:
            self.listed.add(transmission)
        return self._row(status, submission, transmission, inferred=False)

    def _row(
        self,
        status: ReceivedStatus,
        submission: int | None,
        transmission: int | None,
        *,
        inferred: bool,
        reference: str | None = None,
        outcome: Outcome | None = None,
    ) -> tuple[Any, ...]:
        rules = json.dumps([list(rule) for rule in status.rules])
        return (self.feedback_id, submission, transmission, reference or status.reference,
                status.message_id, status.code, outcome or status.outcome, rules, int(inferred),
                self.received.created_at)  # fmt: skip

    def _file_rows(self, status: ReceivedStatus) -> list[tuple[Any, ...]]:
        submission = self._submission(status)
        rows = [self._row(status, submission, None, inferred=False)]
        if submission is None or status.unlisted is None:
            return rows
        for reference, sent in sorted(self._content(submission).items()):
            for transmission, _ in sent:
                if transmission not in self.listed:
                    row = self._row(status, submission, transmission, inferred=True,
                                    reference=reference, outcome=status.unlisted)  # fmt: skip
                    rows.append(row)
                    self.listed.add(transmission)
        return rows

    def _covered_rows(self, day: date, files: Sequence[ReceivedStatus]) -> list[tuple[Any, ...]]:
        """auth.092: the day's submissions' transmissions it neither lists nor rejects,
        and that no feedback answered yet, are accepted."""
        named = {self._submission(status) for status in files}
        table = schema.submissions
        day_files = self.connection.execute(
            select(table.c.submission_id, table.c.message_id)
            .where((table.c.regime == self.received.regime) & (table.c.day == day))
            .order_by(table.c.submission_id)
        ).all()
        answered = _answered(self.connection, [int(row[0]) for row in day_files])
        rows: list[tuple[Any, ...]] = []
        for submission_id, message_id in day_files:
            if submission_id in named:
                continue
            for reference, sent in sorted(self._content(int(submission_id)).items()):
                for transmission, _ in sent:
                    if transmission in self.listed or transmission in answered:
                        continue
                    status = ReceivedStatus("ACPT", "accepted", message_id=message_id)
                    rows.append(self._row(status, int(submission_id), transmission,
                                          inferred=True, reference=reference))  # fmt: skip
        return rows


def _pick(candidates: Sequence[tuple[int, int, str]], action: str | None) -> int | None:
    """The latest transmission among candidates, of the action when the status names one."""
    same = [c for c in candidates if action is None or c[2] == action] or list(candidates)
    return same[-1][0] if same else None


def _answered(connection: Connection, submission_ids: Sequence[int]) -> set[int]:
    """The transmissions of some submissions that any feedback has answered."""
    if not submission_ids:
        return set()
    table = schema.statuses
    return {
        int(row[0])
        for row in connection.execute(
            select(table.c.transmission_id).where(
                table.c.submission_id.in_(submission_ids) & table.c.transmission_id.is_not(None)
            )
        )
    }


# --- reading ---------------------------------------------------------------------------------


def _submission_where(connection: Connection, where: Any) -> list[Submission]:
    table = schema.submissions
    rows = connection.execute(select(table).where(where).order_by(table.c.submission_id))
    return [_submission(row._mapping) for row in rows]


def _submission(row: RowMapping) -> Submission:
    return Submission(
        regime=row["regime"], sender=row["sender"], recipient=row["recipient"], day=row["day"],
        sequence=row["sequence"], file_name=row["file_name"], message_id=row["message_id"],
        sha256=row["sha256"], created_at=row["created_at"], purpose=row["purpose"],
        submission_id=row["submission_id"], records=row["records"],
        recorded_at=row["recorded_at"],
    )  # fmt: skip


def submissions(
    connection: Connection,
    *,
    regime: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> list[Submission]:
    """The files in the ledger, oldest first; of a regime, and created from ``start`` to
    ``end`` (UTC days, inclusive) when given."""
    table = schema.submissions
    where: Any = table.c.submission_id.is_not(None)
    if regime is not None:
        _check_regime(regime)
        where = where & (table.c.regime == regime)
    if start is not None:
        where = where & (table.c.day >= start)
    if end is not None:
        where = where & (table.c.day <= end)
    return _submission_where(connection, where)


def status_records(connection: Connection, where: Any = None) -> list[StatusRecord]:
    """Statuses kept, in the order ingested (all, or those ``where`` selects)."""
    return list(_streamed(connection, where))


def _streamed(connection: Connection, where: Any = None) -> Iterator[StatusRecord]:
    """Statuses kept, in the order ingested, one at a time (all, or those ``where``
    selects)."""
    statuses, feedback = schema.statuses, schema.feedback
    query = (
        select(statuses, feedback.c.file_name)
        .join(feedback, feedback.c.feedback_id == statuses.c.feedback_id)
        .order_by(statuses.c.status_id)
    )
    if where is not None:
        query = query.where(where)
    for row in connection.execute(query):
        yield _status(row._mapping)


def _status(row: RowMapping) -> StatusRecord:
    return StatusRecord(
        status_id=int(row["status_id"]), feedback_id=int(row["feedback_id"]),
        feedback_file=row["file_name"], code=row["code"], outcome=row["outcome"],
        reference=row["reference"], message_id=row["message_id"],
        rules=_rules_of(row["rules"]),
        inferred=bool(row["inferred"]), created_at=row["created_at"],
        submission_id=row["submission_id"], transmission_id=row["transmission_id"],
    )  # fmt: skip


def _rules_of(text: str) -> tuple[tuple[str, str | None], ...]:
    if text == "[]":
        return ()
    return tuple((rule[0], rule[1]) for rule in json.loads(text))


def unmatched(connection: Connection) -> list[StatusRecord]:
    """Statuses about a file or a transaction the ledger does not hold, in the order
    ingested."""
    table = schema.statuses
    return status_records(
        connection,
        (table.c.reference.is_(None) & table.c.submission_id.is_(None))
        | (table.c.reference.is_not(None) & table.c.transmission_id.is_(None)),
    )


def supersedes(new: datetime | None, old: datetime | None) -> bool:
    """A status read later replaces an earlier one unless both carry a creation time and
    the later-read one is older (as :func:`regkit.reports.iso20022.feedback.supersedes`)."""
    return new is None or old is None or new >= old


def _current(history: Iterable[StatusRecord]) -> dict[int, StatusRecord]:
    current: dict[int, StatusRecord] = {}
    for status in history:
        if status.transmission_id is None:
            continue
        known = current.get(status.transmission_id)
        if known is None or supersedes(status.created_at, known.created_at):
            current[status.transmission_id] = status
    return current


def transmissions(
    connection: Connection,
    *,
    regime: str | None = None,
    references: Sequence[str] | None = None,
    traded: tuple[date | None, date | None] | None = None,
) -> list[Transmission]:
    """Records sent, oldest first, each with its current status; of a regime, of some
    references, and of the transactions with a trade executed from the first to the last
    day of ``traded`` (UTC, inclusive), when given."""
    sent, files = schema.transmissions, schema.submissions
    where: Any = sent.c.transmission_id.is_not(None)
    if regime is not None:
        _check_regime(regime)
        where = where & (files.c.regime == regime)
    if references is not None:
        where = where & sent.c.reference.in_(sorted(set(references)))
    if traded is not None:
        where = where & sent.c.reference.in_(_traded_between(*traded))
    joined = sent.join(files, files.c.submission_id == sent.c.submission_id)
    query = (
        select(sent, files.c.file_name, files.c.created_at.label("sent_at"), files.c.regime)
        .select_from(joined).where(where).order_by(sent.c.transmission_id)
    )  # fmt: skip
    chosen = select(sent.c.transmission_id).select_from(joined).where(where)
    current = _current(_streamed(connection, schema.statuses.c.transmission_id.in_(chosen)))
    return [
        _transmission(row._mapping, current.get(int(row.transmission_id)))
        for row in connection.execute(query)
    ]


def _traded_between(start: date | None, end: date | None) -> Any:
    """The references with a record of a trade executed in a period (UTC days)."""
    sent = schema.transmissions
    where: Any = sent.c.traded_at.is_not(None)
    if start is not None:
        where = where & (sent.c.traded_at >= datetime.combine(start, time(), UTC))
    if end is not None:
        after = datetime.combine(end, time(), UTC) + timedelta(days=1)
        where = where & (sent.c.traded_at < after)
    return select(sent.c.reference).where(where)


def _transmission(row: RowMapping, status: StatusRecord | None) -> Transmission:
    fields = row["fields"]
    return Transmission(
        transmission_id=int(row["transmission_id"]), submission_id=int(row["submission_id"]),
        file_name=row["file_name"], sent_at=row["sent_at"], position=int(row["position"]),
        reference=row["reference"], trade_id=row["trade_id"], action=row["action"],
        record_hash=row["record_hash"], traded_at=row["traded_at"],
        corrects=None if row["corrects"] is None else int(row["corrects"]),
        fields_text=fields, status=status,
    )  # fmt: skip


def states(
    connection: Connection,
    regime: str,
    *,
    as_of: date,
    calendar: str = "TARGET",
    expected: Iterable[Expected] = (),
    traded: tuple[date | None, date | None] | None = None,
) -> list[TransactionState]:
    """Every transaction of a regime the ledger holds (with a trade executed in ``traded``,
    when given), and each expected one it does not, with where it stands on ``as_of`` (see
    the module's docstring), by reference."""
    by_reference: dict[str, list[Transmission]] = {}
    for sent in transmissions(connection, regime=regime, traded=traded):
        by_reference.setdefault(sent.reference, []).append(sent)
    found = [
        _state(regime, reference, sent, as_of, calendar) for reference, sent in by_reference.items()
    ]
    trades = {state.trade_id for state in found if state.trade_id is not None}
    for item in expected:  # known by its reference, or by its trade (an EMIR UTI generated)
        if item.regime != regime or item.reference in by_reference or item.trade_id in trades:
            continue
        found.append(_unreported(item, as_of, calendar))
        trades.add(item.trade_id)
    return sorted(found, key=lambda state: state.reference)


def _deadline(traded_at: datetime | None, calendar: str) -> date | None:
    if traded_at is None:
        return None
    return _next_working_day(traded_at.astimezone(UTC).date(), calendar)


@functools.lru_cache(maxsize=4096)
def _next_working_day(day: date, calendar: str) -> date:
    """The working day after ``day`` (a day's trades share it: looked up once)."""
    return add_working_days(day, 1, calendar)


@functools.lru_cache(maxsize=65536)
def _working_days(start: date, end: date, calendar: str) -> int:
    return max(0, working_days_between(start, end, calendar))


def _unreported(item: Expected, as_of: date, calendar: str) -> TransactionState:
    deadline = _deadline(item.traded_at, calendar)
    age = None if item.traded_at is None else _age(item.traded_at, as_of, calendar)
    return TransactionState(item.regime, item.reference, item.trade_id, "not_reported",
                            item.traded_at, deadline, None,
                            deadline is not None and as_of > deadline, age, (), ())  # fmt: skip


def _age(traded_at: datetime, until: date, calendar: str) -> int:
    return _working_days(traded_at.astimezone(UTC).date(), until, calendar)


def _state(
    regime: str, reference: str, sent: Sequence[Transmission], as_of: date, calendar: str
) -> TransactionState:
    latest = sent[-1]
    traded_at = next((item.traded_at for item in sent if item.traded_at is not None), None)
    trade_id = next((item.trade_id for item in sent if item.trade_id is not None), None)
    state = _state_of(regime, sent)
    held = [item for item in sent if item.outcome != "rejected"]
    reported_on = held[0].sent_at.astimezone(UTC).date() if held else None
    deadline = _deadline(traded_at, calendar)
    late = deadline is not None and (reported_on or as_of) > deadline
    settled = state in ("accepted", "corrected", "cancelled")
    until = latest.sent_at.astimezone(UTC).date() if settled else as_of
    age = None if traded_at is None else _age(traded_at, min(until, as_of), calendar)
    rules = latest.status.rules if state == "rejected" and latest.status is not None else ()
    return TransactionState(regime, reference, trade_id, state, traded_at, deadline,
                            reported_on, late, age, rules, tuple(sent))  # fmt: skip


def _state_of(regime: str, sent: Sequence[Transmission]) -> str:
    latest = sent[-1]
    if latest.outcome == "rejected":
        return "rejected"
    if latest.action == CANCELLING[regime]:
        return "cancelled"
    if latest.outcome == "pending":
        return "awaiting"
    earlier_rejected = any(item.outcome == "rejected" for item in sent[:-1])
    return "corrected" if earlier_rejected else "accepted"


def held_reports(
    connection: Connection, regime: str, action: str, trade_ids: Sequence[str]
) -> dict[str, str]:
    """Of some trades, each with a report of an action that the regulator did not reject
    (accepted, or awaiting its answer): trade id → the file it went in."""
    sent, files, statuses = schema.transmissions, schema.submissions, schema.statuses
    rows = connection.execute(
        select(sent.c.transmission_id, sent.c.trade_id, files.c.file_name)
        .join(files, files.c.submission_id == sent.c.submission_id)
        .where((files.c.regime == regime) & (sent.c.action == action)
               & sent.c.trade_id.in_(sorted(set(trade_ids))))
        .order_by(sent.c.transmission_id)
    ).all()  # fmt: skip
    current: dict[int, tuple[str, datetime | None]] = {}
    for transmission_id, outcome, created in connection.execute(
        select(statuses.c.transmission_id, statuses.c.outcome, statuses.c.created_at)
        .where(statuses.c.transmission_id.in_([row[0] for row in rows]))
        .order_by(statuses.c.status_id)
    ):
        known = current.get(transmission_id)
        if known is None or supersedes(created, known[1]):
            current[transmission_id] = (outcome, created)
    return {
        trade_id: file_name
        for transmission_id, trade_id, file_name in rows
        if current.get(transmission_id, ("pending", None))[0] != "rejected"
    }


def reported(connection: Connection, regime: str) -> frozenset[str]:
    """The references and trade ids of every transaction reported and not rejected (held
    by the regulator or awaiting its answer): the ``reported`` parameter of the
    ``MIFIR-LATE`` and ``EMIR-LATE`` rules. Read with two narrow queries: the current
    outcome of each transmission answered, then each transmission's reference and trade."""
    statuses, sent, files = schema.statuses, schema.transmissions, schema.submissions
    current: dict[int, tuple[str, datetime | None]] = {}
    for transmission_id, outcome, created in connection.execute(
        select(statuses.c.transmission_id, statuses.c.outcome, statuses.c.created_at)
        .where(statuses.c.transmission_id.is_not(None))
        .order_by(statuses.c.status_id)
    ):
        known = current.get(transmission_id)
        if known is None or supersedes(created, known[1]):
            current[transmission_id] = (outcome, created)
    held: set[str] = set()
    for transmission_id, reference, trade_id in connection.execute(
        select(sent.c.transmission_id, sent.c.reference, sent.c.trade_id)
        .join(files, files.c.submission_id == sent.c.submission_id)
        .where(files.c.regime == regime)
    ):
        answer = current.get(transmission_id)
        if answer is None or answer[0] != "rejected":
            held.add(reference)
            if trade_id is not None:
                held.add(trade_id)
    return frozenset(held)


# --- a period's ledger (an audit pack of the period) -------------------------------------------


@dataclass(frozen=True)
class FeedbackFile:
    """A feedback file as the ledger holds it (see :class:`ReceivedFeedback`), with when it
    was ingested."""

    feedback_id: int
    regime: str
    message: str
    file_name: str
    sha256: str
    message_id: str | None
    created_at: datetime | None
    ingested_at: datetime
    summary: Mapping[str, Any]


@dataclass(frozen=True)
class PeriodTransaction:
    """A transaction as a period's transmissions give it: its state from those alone (a
    correction of a transmission sent before the period says so by its ``corrects``)."""

    regime: str
    reference: str
    trade_id: str | None
    state: str
    transmissions: tuple[int, ...]


@dataclass(frozen=True)
class LedgerPeriod:
    """What the ledger holds of a period (:func:`ledger_period`).

    Attributes:
        start, end: the first and last day asked for (None: open).
        submissions: the files whose day (the day in their names) is in the period.
        transmissions: their records, file by file in file order, each with its current
            status.
        history: every status of each of those transmissions, in the order ingested
            (superseded ones included), by transmission id.
        file_statuses: the statuses about each of those files as a whole, by submission id.
        feedback: the feedback files that gave one of those files or transmissions a
            status, and those of the period: created in it (or, without a creation time,
            ingested in it).
        unmatched: the statuses of those feedback files that match nothing in the ledger.
        corrected: the file name and position of each transmission one of them corrects,
            by its id (it may be of a file before the period).
        transactions: each transaction of those transmissions, by regime and reference.
    """

    start: date | None
    end: date | None
    submissions: tuple[Submission, ...]
    transmissions: tuple[Transmission, ...]
    history: Mapping[int, tuple[StatusRecord, ...]]
    file_statuses: Mapping[int, tuple[StatusRecord, ...]]
    feedback: tuple[FeedbackFile, ...]
    unmatched: tuple[StatusRecord, ...]
    corrected: Mapping[int, tuple[str, int]]
    transactions: tuple[PeriodTransaction, ...]

    @property
    def empty(self) -> bool:
        """Whether the period has neither a file sent nor feedback."""
        return not self.submissions and not self.feedback

    @property
    def latest(self) -> datetime | None:
        """The time of the last thing in it: a file's or a feedback file's creation (not
        when either was recorded: that is the store's own clock, not its content)."""
        moments = [item.created_at for item in self.submissions]
        moments += [item.created_at for item in self.feedback if item.created_at is not None]
        return max(moments, default=None)


def ledger_period(connection: Connection, start: date | None, end: date | None) -> LedgerPeriod:
    """The files of a period (their day from ``start`` to ``end``, inclusive), every record
    in them with every status it was given, and the feedback of the period (see
    :class:`LedgerPeriod`)."""
    files = submissions(connection, start=start, end=end)
    of_period = select(schema.submissions.c.submission_id).where(_days(start, end))
    rows = _period_rows(connection, start, end)
    statuses = schema.statuses
    answers = status_records(
        connection,
        statuses.c.submission_id.in_(of_period)
        | statuses.c.transmission_id.in_(_period_transmission_ids(start, end)),
    )
    ids = {int(row["transmission_id"]) for row in rows}
    history: dict[int, list[StatusRecord]] = {}
    whole: dict[int, list[StatusRecord]] = {}
    for status in answers:
        if status.transmission_id in ids:
            history.setdefault(status.transmission_id, []).append(status)
        elif status.reference is None and status.submission_id is not None:
            whole.setdefault(status.submission_id, []).append(status)
    current = _current(answers)
    transmitted = tuple(
        _transmission(row, current.get(int(row["transmission_id"]))) for row in rows
    )
    feedback = _period_feedback(connection, {s.feedback_id for s in answers}, start, end)
    return LedgerPeriod(
        start=start, end=end, submissions=tuple(files), transmissions=transmitted,
        history={key: tuple(value) for key, value in history.items()},
        file_statuses={key: tuple(value) for key, value in whole.items()},
        feedback=feedback,
        unmatched=tuple(_unmatched_of(connection, [item.feedback_id for item in feedback])),
        corrected=_corrected(connection, transmitted),
        transactions=_period_transactions(files, transmitted),
    )  # fmt: skip


def _days(start: date | None, end: date | None) -> Any:
    table = schema.submissions
    where: Any = table.c.submission_id.is_not(None)
    if start is not None:
        where = where & (table.c.day >= start)
    if end is not None:
        where = where & (table.c.day <= end)
    return where


def _period_transmission_ids(start: date | None, end: date | None) -> Any:
    sent, files = schema.transmissions, schema.submissions
    return (
        select(sent.c.transmission_id)
        .join(files, files.c.submission_id == sent.c.submission_id)
        .where(_days(start, end))
    )


def _period_rows(connection: Connection, start: date | None, end: date | None) -> list[RowMapping]:
    """The records of the period's files, file by file in file order."""
    sent, files = schema.transmissions, schema.submissions
    query = (
        select(sent, files.c.file_name, files.c.created_at.label("sent_at"))
        .join(files, files.c.submission_id == sent.c.submission_id)
        .where(_days(start, end))
        .order_by(sent.c.submission_id, sent.c.position)
    )
    return [row._mapping for row in connection.execute(query)]


def _period_feedback(
    connection: Connection, answering: set[int], start: date | None, end: date | None
) -> tuple[FeedbackFile, ...]:
    """The feedback files that answered the period's files, and those of the period."""
    table = schema.feedback
    found = []
    for row in connection.execute(select(table).order_by(table.c.feedback_id)).mappings():
        day = (row["created_at"] or row["ingested_at"]).astimezone(UTC).date()
        in_period = (start is None or day >= start) and (end is None or day <= end)
        if int(row["feedback_id"]) in answering or in_period:
            found.append(_feedback_file(row))
    return tuple(found)


def _feedback_file(row: RowMapping) -> FeedbackFile:
    return FeedbackFile(
        feedback_id=int(row["feedback_id"]), regime=row["regime"], message=row["message"],
        file_name=row["file_name"], sha256=row["sha256"], message_id=row["message_id"],
        created_at=row["created_at"], ingested_at=row["ingested_at"],
        summary=json.loads(row["summary"]),
    )  # fmt: skip


def _unmatched_of(connection: Connection, feedback_ids: Sequence[int]) -> list[StatusRecord]:
    """The unmatched statuses of some feedback files, in the order ingested."""
    table = schema.statuses
    found: list[StatusRecord] = []
    for first in range(0, len(feedback_ids), 5_000):
        part = feedback_ids[first : first + 5_000]
        found += status_records(
            connection,
            table.c.feedback_id.in_(part)
            & (
                (table.c.reference.is_(None) & table.c.submission_id.is_(None))
                | (table.c.reference.is_not(None) & table.c.transmission_id.is_(None))
            ),
        )
    return sorted(found, key=lambda status: status.status_id)


def _corrected(connection: Connection, sent: Sequence[Transmission]) -> dict[int, tuple[str, int]]:
    """The file name and position of each transmission some of ``sent`` correct."""
    wanted = sorted({item.corrects for item in sent if item.corrects is not None})
    known = {item.transmission_id: (item.file_name, item.position) for item in sent}
    found = {key: known[key] for key in wanted if key in known}
    missing = [key for key in wanted if key not in known]
    table, files = schema.transmissions, schema.submissions
    for first in range(0, len(missing), 5_000):
        query = (
            select(table.c.transmission_id, files.c.file_name, table.c.position)
            .join(files, files.c.submission_id == table.c.submission_id)
            .where(table.c.transmission_id.in_(missing[first : first + 5_000]))
        )
        found.update((int(row[0]), (row[1], int(row[2]))) for row in connection.execute(query))
    return dict(sorted(found.items()))


def _period_transactions(
    files: Sequence[Submission], sent: Sequence[Transmission]
) -> tuple[PeriodTransaction, ...]:
    """Each transaction of the period's transmissions, by regime and reference, with its
    state from them (in the order sent)."""
    regimes = {item.submission_id: item.regime for item in files}
    grouped: dict[tuple[str, str], list[Transmission]] = {}
    for item in sorted(sent, key=lambda one: one.transmission_id):
        grouped.setdefault((regimes[item.submission_id], item.reference), []).append(item)
    return tuple(
        PeriodTransaction(
            regime=regime,
            reference=reference,
            trade_id=next((t.trade_id for t in items if t.trade_id is not None), None),
            state=_state_of(regime, items),
            transmissions=tuple(item.transmission_id for item in items),
        )
        for (regime, reference), items in sorted(grouped.items())
    )
