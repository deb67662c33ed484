"""The history store: check runs and their findings kept over time, in SQLite by default or
PostgreSQL for servers (SQLAlchemy Core, with the Alembic migrations shipped here).

Examples:
    >>> import regkit as rk
    >>> from regkit.store import open_store
    >>> policy = rk.load_policy("esma-cfd-retail")
    >>> result = rk.check(policy, trades=[], accounts=[], as_of="2026-11-20")
    >>> with open_store("sqlite://") as store:  # in memory; a path keeps a file
    ...     first = store.record(result)
    ...     again = store.record(result)
    >>> (first.created, again.created, first.run_id == again.run_id)
    (True, False, True)
"""

from __future__ import annotations

import gc
import getpass
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, select

from regkit.errors import StoreError
from regkit.rules.findings import CheckResult, Finding
from regkit.rules.policy import Policy
from regkit.rules.severity import Severity
from regkit.store import _engine, ledger, schema
from regkit.store._engine import DEFAULT_PATH, ENVIRONMENT, store_url
from regkit.store.blocks import unpack
from regkit.store.cases import (
    STATUSES,
    Case,
    CaseEvent,
    LogCheck,
    change_case,
    list_cases,
    load_case,
    verify_log,
)
from regkit.store.ledger import (
    Expected,
    Ingested,
    ReceivedFeedback,
    ReceivedStatus,
    SentFile,
    SentRecord,
    StatusRecord,
    Submission,
    TransactionState,
    Transmission,
)
from regkit.store.period import StoredFinding, StoredPeriod, StoredPolicy, read_period
from regkit.store.runs import (
    CasePolicy,
    RecordedRun,
    RunSummary,
    Scope,
    dangling,
    finding_key,
    keep_input,
    keep_input_remote,
    record_run,
    run_summary,
)

__all__ = [
    "DEFAULT_PATH",
    "ENVIRONMENT",
    "Case",
    "CaseEvent",
    "Expected",
    "Ingested",
    "LogCheck",
    "ReceivedFeedback",
    "ReceivedStatus",
    "RecordedRun",
    "RunSummary",
    "SentFile",
    "SentRecord",
    "StatusRecord",
    "Store",
    "StoredFinding",
    "StoredPeriod",
    "StoredPolicy",
    "Submission",
    "TransactionState",
    "Transmission",
    "finding_key",
    "open_store",
    "store_url",
    "upgrade_store",
]


def open_store(
    url: str | os.PathLike[str] | None = None, *, inputs_dir: str | os.PathLike[str] | None = None
) -> Store:
    """Open (or create) a history store.

    Args:
        url: a SQLAlchemy URL (``postgresql+psycopg://user@host/db``) or the path of a SQLite
            file; default: the ``REGKIT_STORE`` environment variable, else ``./regkit.db``.
        inputs_dir: where kept input files go: a folder, or an object-store URL
            (``s3://bucket/regkit-inputs``; needs the ``objectstore`` extra and the
            filesystem's fsspec package, such as ``s3fs``); default for a SQLite file: the
            folder ``<file>.inputs`` beside it; a server store keeps inputs only when given
            one.

    Raises:
        StoreError: the URL does not connect, or the store was made by a newer regkit or
            must be upgraded first (``regkit store upgrade``).
    """
    resolved = store_url(url)
    if inputs_dir is not None and not isinstance(inputs_dir, str | os.PathLike):
        raise TypeError(f"inputs_dir must be a path or None, got {type(inputs_dir).__name__}")
    engine = _engine.connect(resolved)
    folder = _folder(inputs_dir) if inputs_dir is not None else _beside(engine)
    return Store(engine, resolved, folder)


def upgrade_store(url: str | os.PathLike[str] | None = None) -> tuple[str | None, str]:
    """Run a store's migrations up to this regkit's revision; the revisions before and after
    (``None`` before: the store was new)."""
    return _engine.upgrade(store_url(url))


def _folder(inputs_dir: str | os.PathLike[str]) -> Path | str:
    """A local folder as a path; a URL (``s3://bucket/inputs``, ``file:///srv/inputs``) as
    it is, for fsspec."""
    if isinstance(inputs_dir, str) and "://" in inputs_dir:
        return inputs_dir.rstrip("/")
    return Path(inputs_dir)


def _beside(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database + ".inputs")


class Store:
    """An open history store (see :func:`open_store`); close it, or use it in a ``with``."""

    def __init__(self, engine: Engine, url: str, inputs_dir: Path | str | None) -> None:
        self._engine = engine
        self.url = _engine.shown(url)
        """The store's URL, without a password."""
        self.inputs_dir = inputs_dir
        """Where kept inputs are copied: a folder, or an object-store URL (a string);
        ``None``: inputs are only fingerprinted."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the store's connections."""
        self._engine.dispose()

    def record(
        self,
        result: CheckResult,
        *,
        policies: Sequence[Policy] | None = None,
        inputs: Mapping[str, str | os.PathLike[str]] | None = None,
        period: tuple[date, date] | None = None,
        accounts: Sequence[str] | None = None,
        account_of: Callable[[Finding], str | None] | None = None,
        cases_from: str | Severity | None = "high",
        by: str | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> RecordedRun:
        """Keep a check run: its policies (id, version, SHA-256, text), inputs, ``as_of``,
        scope, regkit version and times, and its findings, each marked new or seen again;
        the open findings of its rules in its scope that it no longer found are gone.

        The same result recorded twice is one run (the second call writes nothing); a run is
        written whole or not at all.

        Args:
            result: what a check returned.
            policies: the policies that ran (default: ``result.policies``).
            inputs: input files to keep a copy of, by name (``{"trades": path}``), in
                :attr:`inputs_dir`; the others are kept as their fingerprints only.
            period: the first and last day the run covered (its findings' ``at``).
            accounts: the accounts the run covered.
            account_of: a finding's account, for listing findings and cases by account
                (default: the record's own id for an account finding, else none).
            cases_from: the lowest severity of a new finding that opens a case or joins
                one (:mod:`regkit.store.cases`); None: no cases.
            by: who the cases' events name (default: the user running this).
            progress: told each step, and the findings recorded against their number.
        """
        if not isinstance(result, CheckResult):
            raise TypeError(f"result must be a CheckResult, got {type(result).__name__}")
        scope = Scope(_period(period), None if accounts is None else _names(accounts))
        kept = self._keep(inputs or {})
        ran = tuple(policies if policies is not None else result.policies)
        lowest = None if cases_from is None else Severity.parse(cases_from)
        cases = CasePolicy(lowest, _actor(by))
        with _collector_paused(), _engine.writing(self._engine) as connection:
            return record_run(connection, result, policies=ran, scope=scope, kept=kept,
                              account_of=account_of or _own_account, cases=cases,
                              progress=progress)  # fmt: skip

    def _keep(self, inputs: Mapping[str, str | os.PathLike[str]]) -> dict[str, str]:
        if inputs and self.inputs_dir is None:
            raise StoreError(f"store {self.url}: has no folder for inputs (give inputs_dir)")
        kept = {}
        for name, path in inputs.items():
            if not Path(path).is_file():
                raise StoreError(f"input {name}: {path}: no such file")
            assert self.inputs_dir is not None
            if isinstance(self.inputs_dir, str):
                kept[name] = keep_input_remote(self.inputs_dir, Path(path))
            else:
                kept[name] = keep_input(self.inputs_dir, Path(path))
        return kept

    def runs(self) -> list[RunSummary]:
        """Every run, oldest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(schema.runs).order_by(schema.runs.c.finished_at, schema.runs.c.run_id)
            )
            return [run_summary(connection, row._mapping) for row in rows.all()]

    def run(self, run_id: str) -> RunSummary:
        """One run, by its id or a unique start of it."""
        with self._engine.connect() as connection:
            found = connection.execute(
                select(schema.runs).where(schema.runs.c.run_id.startswith(run_id, autoescape=True))
            ).all()
            if len(found) != 1:
                state = "no run" if not found else f"{len(found)} runs"
                raise StoreError(f"store {self.url}: {state} with an id starting {run_id!r}")
            return run_summary(connection, found[0]._mapping)

    def run_findings(self, run_id: str) -> list[tuple[str, Finding]]:
        """A run's findings, in its order, each with ``new`` or ``seen``."""
        full = self.run(run_id).run_id
        with self._engine.connect() as connection:
            blocks = connection.scalars(
                select(schema.run_blocks.c.data)
                .where(schema.run_blocks.c.run_id == full)
                .order_by(schema.run_blocks.c.block)
            )
            return [
                (state, Finding.from_dict(json.loads(text)))
                for data in blocks
                for _, state, text in unpack(data)
            ]

    # --- cases -------------------------------------------------------------------------

    def cases(
        self,
        *,
        status: str | Sequence[str] | None = None,
        rule: str | None = None,
        account: str | None = None,
        severity: str | Severity | None = None,
        older_than: timedelta | None = None,
        snoozed: bool = True,
    ) -> list[Case]:
        """The cases that match every filter given, oldest first.

        Args:
            status: one status or several (default: every status but ``closed``).
            rule: a rule id.
            account: an account id.
            severity: the lowest severity wanted.
            older_than: only cases open longer than this.
            snoozed: False leaves out cases snoozed until later.
        """
        if (
            status is not None
            and not isinstance(status, str)
            and not (isinstance(status, Sequence) and all(isinstance(item, str) for item in status))
        ):
            raise TypeError(f"status must be a status or a list of them, got {status!r}")
        wanted = [status] if isinstance(status, str) else list(status or STATUSES[:-1])
        now = datetime.now(UTC)
        with self._engine.connect() as connection:
            return list_cases(
                connection, statuses=wanted, rule=rule, account=account,
                severity=None if severity is None else str(Severity.parse(severity)),
                opened_before=None if older_than is None else now - older_than,
                awake_at=None if snoozed else now,
            )  # fmt: skip

    def case(self, case_id: int) -> Case:
        """One case with its findings' keys and every event of its history."""
        with self._engine.connect() as connection:
            return load_case(connection, case_id, history=True)

    def _change(
        self, case_id: int, by: str | None, action: str, changes: dict[str, Any],
        note: str | None = None,
    ) -> Case:  # fmt: skip
        with _engine.writing(self._engine) as connection:
            now = datetime.now(UTC)
            return change_case(connection, case_id, _actor(by), action, now, changes, note)

    def assign(self, case_id: int, assignee: str | None, *, by: str | None = None) -> Case:
        """Give a case to someone (None: to nobody)."""
        return self._change(case_id, by, "assigned", {"assignee": assignee})

    def note(self, case_id: int, text: str, *, by: str | None = None) -> Case:
        """Add a note to a case."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a note needs its text")
        return self._change(case_id, by, "noted", {}, text)

    def set_status(
        self, case_id: int, status: str, *, by: str | None = None, note: str | None = None
    ) -> Case:
        """Move a case to ``investigating``, ``escalated`` or back to ``open``."""
        return self._change(case_id, by, "status", {"status": status}, note)

    def close_case(
        self, case_id: int, resolution: str, *, by: str | None = None, note: str | None = None
    ) -> Case:
        """Close a case as ``breach_confirmed``, ``false_positive`` or ``remediated``."""
        changes = {"status": "closed", "resolution": resolution, "closed_at": datetime.now(UTC),
                   "snoozed_until": None}  # fmt: skip
        return self._change(case_id, by, "closed", changes, note)

    def reopen(self, case_id: int, *, by: str | None = None, note: str | None = None) -> Case:
        """Open a closed case again."""
        changes = {"status": "open", "resolution": None, "closed_at": None}
        return self._change(case_id, by, "reopened", changes, note)

    def snooze(
        self, case_id: int, until: datetime, *, by: str | None = None, note: str | None = None
    ) -> Case:
        """Hide a case from the lists of cases awake until a time."""
        if not isinstance(until, datetime) or until.tzinfo is None:
            raise TypeError("until must be an aware datetime")
        return self._change(case_id, by, "snoozed", {"snoozed_until": until}, note)

    def due(self, case_id: int, day: date | None, *, by: str | None = None) -> Case:
        """Set (or clear) the day a case is due."""
        if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
            raise TypeError("day must be a date or None")
        return self._change(case_id, by, "due", {"due_on": day})

    def period(
        self, start: date | None = None, end: date | None = None, *, account: str | None = None
    ) -> StoredPeriod:
        """A past period as the store holds it: its runs, their findings (each once) and the
        cases that hold them, with every event (:mod:`regkit.store.period`); what an audit
        pack of the period is built from.

        Args:
            start: the first day (UTC, inclusive); None: from the first run.
            end: the last day (UTC, inclusive); None: to the last run.
            account: only this account's findings (and the runs that covered it).
        """
        first, last = _day_argument("start", start), _day_argument("end", end)
        if first is not None and last is not None and last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first})")
        if account is not None and not isinstance(account, str):
            raise TypeError(f"account must be an account id, got {account!r}")
        with self._engine.connect() as connection:
            return read_period(connection, first, last, account)

    # --- the submissions ledger (regkit.store.ledger) -----------------------------------------

    def next_sequence(self, regime: str, sender: str, day: date) -> int:
        """Hand out the next file sequence number of a regime, sender and day: never one
        handed out before, nor one a file in the ledger has (in its own transaction)."""
        _ledger_regime(regime)
        if not isinstance(sender, str) or not sender:
            raise TypeError(f"sender must be an LEI (text), got {sender!r}")
        when = _day_argument("day", day)
        assert when is not None
        with _engine.writing(self._engine) as connection:
            return ledger.next_sequence(connection, regime, sender, when)

    def record_submission(self, sent: SentFile, records: Iterable[SentRecord]) -> Submission:
        """Keep a regulator file and each record in it, in file order; the same file (name
        and bytes) again is the submission kept before (nothing is written).

        Raises:
            StoreError: another file already has its regime, sender, day and number.
        """
        if not isinstance(sent, SentFile):
            raise TypeError(f"sent must be a SentFile, got {type(sent).__name__}")
        with _engine.writing(self._engine) as connection:
            submission, _ = ledger.record_submission(connection, sent, records, _now())
            return submission

    def ingest(self, received: ReceivedFeedback) -> Ingested:
        """Keep a regulator feedback file and each status in it, matched to the ledger's
        files and transmissions (see :mod:`regkit.store.ledger`); the same file again
        changes nothing (:attr:`Ingested.new` is False)."""
        if not isinstance(received, ReceivedFeedback):
            raise TypeError(f"received must be a ReceivedFeedback, got {type(received).__name__}")
        with _engine.writing(self._engine) as connection:
            return ledger.ingest(connection, received, _now())

    def submissions(
        self, *, regime: str | None = None, start: date | None = None, end: date | None = None
    ) -> list[Submission]:
        """The files in the ledger, oldest first: of a regime, and dated from ``start`` to
        ``end`` (the day in their names, inclusive), when given."""
        first, last = _day_argument("start", start), _day_argument("end", end)
        with self._engine.connect() as connection:
            return ledger.submissions(connection, regime=regime, start=first, end=last)

    def transmissions(
        self, *, regime: str | None = None, references: Sequence[str] | None = None
    ) -> list[Transmission]:
        """Every record sent (of a regime, of some references), oldest first, each with
        its current status."""
        with self._engine.connect() as connection:
            return ledger.transmissions(connection, regime=regime, references=references)

    def statuses(self) -> list[StatusRecord]:
        """Every status ingested, in order, superseded ones included."""
        with self._engine.connect() as connection:
            return ledger.status_records(connection)

    def unmatched(self) -> list[StatusRecord]:
        """Statuses about a file or a transaction the ledger does not hold, in order."""
        with self._engine.connect() as connection:
            return ledger.unmatched(connection)

    def transactions(
        self,
        regime: str,
        *,
        as_of: date | None = None,
        calendar: str = "TARGET",
        expected: Iterable[Expected] = (),
        traded: tuple[date | None, date | None] | None = None,
    ) -> list[TransactionState]:
        """Where each transaction of a regime stands on ``as_of`` (default: today, UTC):
        each one the ledger holds, and each ``expected`` one it does not (``not_reported``),
        by reference (:class:`~regkit.store.ledger.TransactionState`).

        Args:
            regime: ``mifir`` or ``emir``.
            as_of: the day lateness and ages are reckoned on.
            calendar: the working-day calendar of the T+1 deadline (``TARGET``, ``UK``,
                or a country code).
            expected: transactions that should be reported (e.g. from the trades).
            traded: only the transactions of trades executed from its first to its last
                day (UTC, inclusive; None: open-ended), and the expected ones of any day.
        """
        _ledger_regime(regime)
        day = _day_argument("as_of", as_of) or _now().date()
        with self._engine.connect() as connection:
            return ledger.states(connection, regime, as_of=day, calendar=calendar,
                                 expected=expected, traded=traded)  # fmt: skip

    def held_reports(self, regime: str, action: str, trade_ids: Sequence[str]) -> dict[str, str]:
        """Of some trades, those with a report of ``action`` the regulator did not reject
        (accepted or awaiting), each with the file it went in: what a report run leaves out."""
        _ledger_regime(regime)
        with self._engine.connect() as connection:
            return ledger.held_reports(connection, regime, action, trade_ids)

    def reported(self, regime: str) -> frozenset[str]:
        """The references and trade ids reported and not rejected (held by the regulator
        or awaiting its answer): ``MIFIR-LATE``'s and ``EMIR-LATE``'s ``reported``."""
        _ledger_regime(regime)
        with self._engine.connect() as connection:
            return ledger.reported(connection, regime)

    def ledger_period(
        self, start: date | None = None, end: date | None = None
    ) -> ledger.LedgerPeriod:
        """A past period as the ledger holds it: the files dated in it (the day in their
        names, from ``start`` to ``end`` inclusive; None: open), every record in them with
        every status it was given, and the feedback that answered them or was created in
        the period, with its unmatched statuses (:class:`~regkit.store.ledger.LedgerPeriod`);
        what an audit pack of the period shows of the ledger."""
        first, last = _day_argument("start", start), _day_argument("end", end)
        if first is not None and last is not None and last < first:
            raise ValueError(f"the period ends ({last}) before it starts ({first})")
        with self._engine.connect() as connection:
            return ledger.ledger_period(connection, first, last)

    def verify(self) -> LogCheck:
        """Recompute the case log's chain of digests (see :mod:`regkit.store.cases`), and
        check that each finding's runs and case, and each gone finding, are in the store."""
        with self._engine.connect() as connection:
            check = verify_log(connection)
            problems = check.problems + tuple(dangling(connection))
            return LogCheck(check.events, problems)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a run is written: a result's findings are
    many live objects, and the collector would walk them all again for every few thousand
    rows built (a third of the time of recording). Nothing written here makes a cycle."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _now() -> datetime:
    return datetime.now(UTC)


def _ledger_regime(regime: object) -> None:
    if regime not in ledger.REGIMES:
        raise ValueError(f"regime must be one of {', '.join(ledger.REGIMES)}, got {regime!r}")


def _actor(by: str | None) -> str:
    """Who a change names: ``by``, else the user running this."""
    if by is None:
        return getpass.getuser()
    if not isinstance(by, str) or not by.strip():
        raise ValueError("by must name who makes the change")
    return by.strip()


def _day_argument(name: str, value: object) -> date | None:
    if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
        raise TypeError(f"{name} must be a date or None, got {value!r}")
    return value


def _own_account(finding: Finding) -> str | None:
    return finding.record_id if finding.record_kind == "account" else None


def _period(period: tuple[date, date] | None) -> tuple[date, date] | None:
    if period is None:
        return None
    first, last = period
    if not all(isinstance(day, date) and not isinstance(day, datetime) for day in period):
        raise TypeError("period must be two dates (the first and the last day)")
    if last < first:
        raise ValueError(f"period ends ({last}) before it starts ({first})")
    return first, last


def _names(accounts: Sequence[str]) -> tuple[str, ...]:
    if (
        isinstance(accounts, str)
        or not isinstance(accounts, Iterable)
        or not all(isinstance(item, str) for item in accounts)
    ):
        raise TypeError("accounts must be a sequence of account ids")
    return tuple(sorted(set(accounts)))
