"""The audit pack of a past period from the history store (``regkit pack --store``): the
period's runs, their findings each once, the exact policies, and the cases that hold the
findings with the timeline of every event."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regkit.jobs._common import JobError, Progress, as_path, check_period, check_time, silent
from regkit.jobs._pack import PackResult, signing_key
from regkit.reports import audit_pack
from regkit.schemas.kinds import KINDS

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported only when it is used
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from regkit.store import Case, CaseEvent, RunSummary, StoredFinding, StoredPeriod

__all__ = ["history_of", "pack_from_store"]


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

    Args:
        out: the audit pack to write.
        store: the store's URL or path (default: ``REGKIT_STORE``, else ``./regkit.db``).
        start: the first day of the period (UTC, inclusive); None: from the first run.
        end: the last day of the period (UTC, inclusive); None: to the last run.
        account: only this account's findings and their cases.
        created_at: the pack's date; default: the time of the last run or case event of the
            period, so that building it again from the same store gives the same bytes.
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
    period = _read(store, start, end, account)
    result = period.result()
    scope = audit_pack.PackScope(
        accounts=() if account is None else (account,), start=start, end=end,
        kinds=tuple(result.records_checked),
    )  # fmt: skip
    tell(f"writing {target.name}", 0, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", audit_pack.PackWarning)
        path = audit_pack.build(result, target, inputs="fingerprints", scope=scope,
                                created_at=moment or period.latest, title=title, signer=key,
                                history=history_of(period))  # fmt: skip
    records = {_plural(kind): count for kind, count in result.records_checked.items()}
    said = tuple(str(warning.message) for warning in caught)
    return PackResult(path=path, result=result, records=records,
                      regulator_files=(), signed=key is not None, warnings=said)  # fmt: skip


def _read(
    store: str | os.PathLike[str] | None,
    start: date | None,
    end: date | None,
    account: str | None,
) -> StoredPeriod:
    """The period from the store; a SQLite file that is not there is refused (not made)."""
    from sqlalchemy.engine import make_url

    from regkit.store import open_store, store_url

    url = make_url(store_url(store))
    local = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if local and not Path(str(url.database)).is_file():
        raise JobError(f"no store at {url.database}")
    with open_store(store) as opened:
        period = opened.period(start, end, account=account)
        where = opened.url
    if not period.runs:
        raise JobError(f"store {where}: no run covers {_described(start, end, account)}")
    return period


def _plural(kind: str) -> str:
    return KINDS[kind].plural if kind in KINDS else kind


def _described(start: date | None, end: date | None, account: str | None) -> str:
    days = audit_pack.PackScope(start=start, end=end).period
    return days if account is None else f"{days} for account {account}"


def history_of(period: StoredPeriod) -> audit_pack.PackHistory:
    """A stored period as a pack's history: its runs, cases and findings as plain data."""
    log = {"events": period.log.events, "ok": period.log.ok,
           "problems": list(period.log.problems)}  # fmt: skip
    return audit_pack.PackHistory(
        runs=[_run(run, period) for run in period.runs],
        cases=[_case(case) for case in period.cases],
        findings=[_finding(item) for item in period.findings],
        log=log,
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
