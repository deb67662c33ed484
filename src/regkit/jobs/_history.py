"""The audit pack of a past period from the history store (``regkit pack --store``): the
period's runs, their findings each once, the exact policies, the cases that hold the
findings with the timeline of every event, and the submissions ledger's files of the period
with every status the regulators gave their records."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regkit.jobs._common import JobError, Progress, as_path, check_period, check_time, silent
from regkit.jobs._pack import PackResult, signing_key
from regkit.reports import audit_pack
from regkit.schemas.kinds import KINDS

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported only when it is used
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from regkit.store import (
        Case,
        CaseEvent,
        RunSummary,
        StatusRecord,
        StoredFinding,
        StoredPeriod,
        Submission,
        Transmission,
    )
    from regkit.store.ledger import FeedbackFile, LedgerPeriod, PeriodTransaction

__all__ = ["history_of", "ledger_of", "pack_from_store"]


def pack_from_store(
    *,
    out: str | os.PathLike[str],
    store: str | os.PathLike[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    account: str | None = None,
    created_at: datetime | None = None,
    title: str | None = None,
    sign: str | os.PathLike[str] | bytes | Ed25519PrivateKey | None = None,
    progress: Progress | None = None,
) -> PackResult:
    """Build the audit pack of a past period from a history store (what ``regkit pack
    --store`` does): the findings of the runs of the period (each once), the policies that
    ran, the runs, and the cases that hold the findings with every event of their history
    (see :mod:`regkit.store.period`). Nothing is checked again.

    Without ``account``, the pack also holds the submissions ledger's files of the period
    (their day in it) with every record in them and every status the regulators gave each,
    and the feedback files that answered them or were created in the period
    (``data/store/submissions.json``; :meth:`regkit.store.Store.ledger_period`); a period
    without either has no such file. A pack of one account leaves the ledger out (its files
    are the firm's, not an account's).

    Args:
        out: the audit pack to write.
        store: the store's URL or path (default: ``REGKIT_STORE``, else ``./regkit.db``).
        start: the first day of the period (UTC, inclusive); None: from the first run.
        end: the last day of the period (UTC, inclusive); None: to the last run.
        account: only this account's findings and their cases.
        created_at: the pack's date; default: the time of the last run or case event of the
            period, or the creation of a later file or feedback file of its ledger, so that
            building it again from the same store gives the same bytes.
        title: the report's title.
        sign: an Ed25519 private key (a PEM file, PEM bytes or the key) to sign the pack.
        progress: told of each step.

    Returns:
        The pack's path, the period's result, and the records its runs checked.

    Raises:
        JobError: no run of the store covers the period (or the account).
        StoreError: the store does not open.
        TypeError: an argument of the wrong type.
    """
    target = as_path("out", out)
    check_period(start, end)
    moment = check_time("created_at", created_at)
    key = signing_key(sign)
    tell = progress or silent
    tell("reading the store", 0, 0)
    period, ledger = _read(store, start, end, account)
    result = period.result()
    scope = audit_pack.PackScope(
        accounts=() if account is None else (account,), start=start, end=end,
        kinds=tuple(result.records_checked),
    )  # fmt: skip
    tell(f"writing {target.name}", 0, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", audit_pack.PackWarning)
        path = audit_pack.build(result, target, inputs="fingerprints", scope=scope,
                                created_at=moment or _latest(period, ledger), title=title,
                                signer=key, history=history_of(period, ledger))  # fmt: skip
    records = {_plural(kind): count for kind, count in result.records_checked.items()}
    said = tuple(str(warning.message) for warning in caught)
    return PackResult(path=path, result=result, records=records,
                      regulator_files=(), signed=key is not None, warnings=said)  # fmt: skip


def _read(
    store: str | os.PathLike[str] | None,
    start: date | None,
    end: date | None,
    account: str | None,
) -> tuple[StoredPeriod, LedgerPeriod | None]:
    """The period from the store, and its ledger when no account is asked for; a SQLite
    file that is not there is refused (not made)."""
    from sqlalchemy.engine import make_url

    from regkit.store import open_store, store_url

    url = make_url(store_url(store))
    local = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if local and not Path(str(url.database)).is_file():
        raise JobError(f"no store at {url.database}")
    with open_store(store) as opened:
        period = opened.period(start, end, account=account)
        where = opened.url
        ledger = None if account is not None else opened.ledger_period(start, end)
    if not period.runs:
        raise JobError(f"store {where}: no run covers {_described(start, end, account)}")
    return period, ledger


def _latest(period: StoredPeriod, ledger: LedgerPeriod | None) -> datetime | None:
    """The pack's default date: the last run or case event, or a later file or feedback of
    the ledger (each a time the store holds, never when it was written to the store)."""
    moments = [period.latest, None if ledger is None else ledger.latest]
    return max((moment for moment in moments if moment is not None), default=None)


def _plural(kind: str) -> str:
    return KINDS[kind].plural if kind in KINDS else kind


def _described(start: date | None, end: date | None, account: str | None) -> str:
    days = audit_pack.PackScope(start=start, end=end).period
    return days if account is None else f"{days} for account {account}"


def history_of(period: StoredPeriod, ledger: LedgerPeriod | None = None) -> audit_pack.PackHistory:
    """A stored period as a pack's history: its runs, cases and findings, and its ledger
    when it has a file or feedback, as plain data."""
    log = {"events": period.log.events, "ok": period.log.ok,
           "problems": list(period.log.problems)}  # fmt: skip
    return audit_pack.PackHistory(
        runs=[_run(run, period) for run in period.runs],
        cases=[_case(case) for case in period.cases],
        findings=[_finding(item) for item in period.findings],
        log=log,
        ledger={} if ledger is None or ledger.empty else ledger_of(ledger),
    )


def _iso(moment: datetime | date | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _run(run: RunSummary, period: StoredPeriod) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "as_of": _iso(run.as_of),
        "regkit_version": run.regkit_version,
        "period": None if run.period is None else [day.isoformat() for day in run.period],
        "accounts": None if run.accounts is None else list(run.accounts),
        "policies": [{"id": i, "version": v, "sha256": s} for i, v, s in run.policies],
        "inputs": [
            {"name": n, "fingerprint": f, "records": r, "kept": k} for n, f, r, k in run.inputs
        ],
        "rules": list(period.rules[run.run_id]),
        "records_checked": dict(period.records[run.run_id]),
        "findings": run.findings,
        "new": run.new,
        "seen": run.seen,
        "gone": run.gone,
    }


def _case(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "rule_id": case.rule_id,
        "group": list(case.group),
        "account_id": case.account_id,
        "severity": case.severity,
        "status": case.status,
        "resolution": case.resolution,
        "assignee": case.assignee,
        "due_on": _iso(case.due_on),
        "snoozed_until": _iso(case.snoozed_until),
        "opened_at": _iso(case.opened_at),
        "updated_at": _iso(case.updated_at),
        "closed_at": _iso(case.closed_at),
        "findings": list(case.findings),
        "events": [_event(event) for event in case.events],
    }


def _event(event: CaseEvent) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "at": _iso(event.at),
        "actor": event.actor,
        "action": event.action,
        "before": _plain(event.before),
        "after": _plain(event.after),
        "previous": event.previous,
        "digest": event.digest,
    }


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else dict(values)


def _finding(item: StoredFinding) -> dict[str, Any]:
    return {
        "key": item.key,
        "state": item.state,
        "first_run": item.first_run,
        "gone_run": item.gone_run,
        "runs": list(item.runs),
        "cases": list(item.cases),
    }


# --- the ledger of the period ----------------------------------------------------------------


def ledger_of(ledger: LedgerPeriod) -> dict[str, Any]:
    """A period's ledger as ``data/store/submissions.json`` holds it: each file with its
    records and each record's statuses, each transaction's state, the feedback files, and
    their unmatched statuses. Times are UTC with ``Z``; when the store recorded a file or
    ingested a feedback file is left out (the store's clock, not its content)."""
    records: dict[int, list[dict[str, Any]]] = {}
    for sent in ledger.transmissions:
        entry = _transmission(sent, ledger.history.get(sent.transmission_id, ()), ledger)
        records.setdefault(sent.submission_id, []).append(entry)
    return {
        "submissions": [
            _submission(item, ledger.file_statuses.get(item.submission_id, ()),
                        records.get(item.submission_id, []))
            for item in ledger.submissions
        ],
        "transactions": [_transaction(item) for item in ledger.transactions],
        "feedback": [_feedback(item) for item in ledger.feedback],
        "unmatched": [_status(item) for item in ledger.unmatched],
    }  # fmt: skip


def _utc(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _submission(
    item: Submission, statuses: Sequence[StatusRecord], records: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "regime": item.regime,
        "sender": item.sender,
        "recipient": item.recipient,
        "day": item.day.isoformat(),
        "sequence": item.sequence,
        "file_name": item.file_name,
        "message_id": item.message_id,
        "sha256": item.sha256,
        "created_at": _utc(item.created_at),
        "records": item.records,
        "purpose": item.purpose,
        "statuses": [_status(status) for status in statuses],
        "transmissions": records,
    }


def _transmission(
    sent: Transmission, history: Sequence[StatusRecord], ledger: LedgerPeriod
) -> dict[str, Any]:
    current = None if sent.status is None else sent.status.status_id
    corrected = None if sent.corrects is None else ledger.corrected.get(sent.corrects)
    return {
        "transmission_id": sent.transmission_id,
        "position": sent.position,
        "reference": sent.reference,
        "trade_id": sent.trade_id,
        "action": sent.action,
        "record_hash": sent.record_hash,
        "traded_at": _utc(sent.traded_at),
        "corrects": None if sent.corrects is None else {
            "transmission_id": sent.corrects,
            "file_name": None if corrected is None else corrected[0],
            "position": None if corrected is None else corrected[1],
        },
        "outcome": sent.outcome,
        "statuses": [
            {**_status(status, own=True), "current": status.status_id == current}
            for status in history
        ],
    }  # fmt: skip


def _status(status: StatusRecord, *, own: bool = False) -> dict[str, Any]:
    """A status: its feedback file, code, outcome, rules as [id, text], whether it was
    inferred (for a record the feedback does not list) and its feedback's creation time;
    and, but for a record's own (``own``), what it names."""
    entry: dict[str, Any] = {
        "feedback_file": status.feedback_file,
        "code": status.code,
        "outcome": status.outcome,
        "rules": [list(rule) for rule in status.rules],
        "inferred": status.inferred,
        "created_at": _utc(status.created_at),
    }
    if not own:
        entry |= {"reference": status.reference, "message_id": status.message_id}
    return entry


def _transaction(item: PeriodTransaction) -> dict[str, Any]:
    return {
        "regime": item.regime,
        "reference": item.reference,
        "trade_id": item.trade_id,
        "state": item.state,
        "transmissions": list(item.transmissions),
    }


def _feedback(item: FeedbackFile) -> dict[str, Any]:
    return {
        "regime": item.regime,
        "message": item.message,
        "file_name": item.file_name,
        "sha256": item.sha256,
        "message_id": item.message_id,
        "created_at": _utc(item.created_at),
        "summary": dict(item.summary),
    }
