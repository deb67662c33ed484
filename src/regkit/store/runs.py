"""Recording check runs: the run, its policies and inputs, and its findings by identity.

A finding's identity (:func:`finding_key`) is its rule with its record (a record rule), or
its rule with its group and the record its episode started with (an aggregate rule): the
same breach found again by a later run is the same finding. A run records, for each of its
findings, whether it is ``new`` or ``seen`` again, and which open findings it no longer
found (``gone``): those of the rules it ran, within its period and accounts when it has
them (a run over Tuesday's trades does not close Monday's findings).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, select

from regkit._version import __version__
from regkit.errors import PolicyError, StoreError
from regkit.rules.findings import CheckResult, Finding, plain_value
from regkit.rules.policy import Policy, parameter_overrides
from regkit.rules.severity import Severity
from regkit.store._bulk import Bulk
from regkit.store.cases import Opening, open_cases
from regkit.store.schema import findings, run_findings, run_gone, run_inputs, run_policies, runs

__all__ = [
    "BLOCK",
    "CasePolicy",
    "RecordedRun",
    "RunSummary",
    "content_of",
    "finding_key",
    "keep_input",
    "keep_input_remote",
    "record_run",
    "run_id",
    "run_summary",
]

#: Findings written together (one query finds which are known, one insert writes them).
BLOCK = 10_000

AccountOf = Callable[[Finding], str | None]
Progress = Callable[[str, int, int], None]
"""Told what recording is doing: the step, and the findings written against their number."""


def _silent(what: str, done: int, total: int) -> None:
    """Progress that shows nothing."""


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _as_plain(value: Any) -> Any:
    """What JSON cannot write as it is (a decimal, a time, an enum, a mapping), written as
    :meth:`Finding.to_dict` writes it."""
    if type(value) is datetime:  # every finding's time: the common case first
        return value.isoformat().replace("+00:00", "Z")
    plain = plain_value(value)
    if plain is value:
        raise TypeError(f"a finding's value of type {type(value).__name__} is not JSON")
    return plain


#: :data:`_JSON` that writes a finding's own values as ``to_dict`` would, so a finding's
#: JSON is written in one call, without its ``to_dict`` data (a third of the time).
_FAST = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_as_plain)


def content_of(finding: Finding) -> str:
    """A finding's JSON as the store keeps it: ``json.dumps(finding.to_dict())``, compact,
    made without the intermediate data."""
    return _FAST.encode(
        {
            "rule_id": finding.rule_id,
            "rule_version": finding.rule_version,
            "severity": str(finding.severity),
            "record_kind": finding.record_kind,
            "record_id": finding.record_id,
            "message": finding.message,
            "evidence": finding.evidence,
            "reference": finding.reference,
            "group_key": finding.group_key,
            "member_ids": finding.member_ids,
            "at": finding.at,
        }
    )


@dataclass(frozen=True)
class RecordedRun:
    """What recording a result did.

    Attributes:
        run_id: the run's id (the SHA-256 of what identifies the result).
        created: False when the same result had been recorded before (nothing written).
        findings: the run's findings.
        new: those no earlier run found.
        seen: those an earlier run found too.
        gone: open findings of its rules, in its scope, that it no longer found.
        cases_opened: cases its new findings opened.
        cases_joined: open cases its new findings joined.
    """

    run_id: str
    created: bool
    findings: int
    new: int
    seen: int
    gone: int
    cases_opened: int = 0
    cases_joined: int = 0


@dataclass(frozen=True)
class CasePolicy:
    """Which new findings open cases (at or above ``cases_from``; None: none), and who
    their events name."""

    cases_from: Severity | None
    by: str


@dataclass(frozen=True)
class RunSummary:
    """A recorded run, as listed."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    as_of: datetime | None
    regkit_version: str
    policies: tuple[tuple[str, str, str], ...]
    """(id, version, SHA-256) of each policy."""
    inputs: tuple[tuple[str, str, int | None, str | None], ...]
    """(name, fingerprint, records, kept file) of each input."""
    period: tuple[date, date] | None
    accounts: tuple[str, ...] | None
    findings: int
    new: int
    seen: int
    gone: int


def run_summary(connection: Connection, row: RowMapping) -> RunSummary:
    """A run's row as a :class:`RunSummary`, with its policies and inputs."""
    run = row["run_id"]
    policies, inputs = run_policies, run_inputs
    policy_rows = connection.execute(
        select(policies.c.policy_id, policies.c.version, policies.c.sha256)
        .where(policies.c.run_id == run)
        .order_by(policies.c.position)
    ).all()
    input_rows = connection.execute(
        select(inputs.c.name, inputs.c.fingerprint, inputs.c.records, inputs.c.kept)
        .where(inputs.c.run_id == run)
        .order_by(inputs.c.name)
    ).all()
    first, last = row["period_from"], row["period_to"]
    accounts = row["accounts"]
    return RunSummary(
        run_id=run,
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        as_of=row["as_of"],
        regkit_version=row["regkit_version"],
        policies=tuple(tuple(item) for item in policy_rows),
        inputs=tuple(tuple(item) for item in input_rows),
        period=None if first is None else (first, last),
        accounts=None if accounts is None else tuple(json.loads(accounts)),
        findings=row["findings"],
        new=row["new"],
        seen=row["seen"],
        gone=row["gone"],
    )


def finding_key(finding: Finding) -> str:
    """A finding's identity across runs (the module says what it is made of): the SHA-256
    of the JSON of its rule, record kind and record, or of its rule, record kind, group and
    the record its episode started with."""
    group = finding.group_key
    if group is None:
        parts: tuple[Any, ...] = (finding.rule_id, finding.record_kind, finding.record_id)
    else:
        start = finding.member_ids[0] if finding.member_ids else finding.record_id
        parts = (finding.rule_id, finding.record_kind, group, start)
    return hashlib.sha256(_FAST.encode(parts).encode()).hexdigest()


def run_id(
    result: CheckResult,
    policies: Sequence[Policy],
    period: tuple[date, date] | None,
    accounts: Sequence[str] | None,
) -> str:
    """A run's id: the SHA-256 of its policies, inputs, ``as_of``, start, end and scope."""
    data = {
        "policies": [[p.id, p.version, p.sha256] for p in policies]
        or [[result.policy_id, result.policy_version, result.policy_sha256]],
        "inputs": sorted(result.input_fingerprints.items()),
        "as_of": None if result.as_of is None else result.as_of.isoformat(),
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "period": None if period is None else [day.isoformat() for day in period],
        "accounts": None if accounts is None else sorted(accounts),
    }
    return hashlib.sha256(_JSON.encode(data).encode()).hexdigest()


@dataclass(frozen=True)
class Scope:
    """What a run covered: its period (first and last day) and accounts, when given."""

    period: tuple[date, date] | None = None
    accounts: tuple[str, ...] | None = None


def record_run(
    connection: Connection,
    result: CheckResult,
    *,
    policies: Sequence[Policy],
    scope: Scope,
    kept: Mapping[str, str],
    account_of: AccountOf,
    cases: CasePolicy,
    progress: Progress | None = None,
) -> RecordedRun:
    """Record a result in an open write transaction (see :meth:`regkit.store.Store.record`)."""
    identity = run_id(result, policies, scope.period, scope.accounts)
    known = connection.execute(select(runs).where(runs.c.run_id == identity)).first()
    if known is not None:
        row = known._mapping
        counted = (row["findings"], row["new"], row["seen"], row["gone"])
        return RecordedRun(identity, False, *counted)
    connection.execute(runs.insert(), _run_row(identity, result, scope))
    connection.execute(run_policies.insert(), _policy_rows(identity, result, policies))
    if result.input_fingerprints:
        connection.execute(run_inputs.insert(), _input_rows(identity, result, kept))
    told = progress or _silent
    new, seen, openings = _record_findings(
        connection, identity, result.findings, account_of, cases.cases_from, told
    )
    told("closing the findings gone", 0, 0)
    gone = _mark_gone(connection, identity, result.rules_evaluated, scope)
    told("opening cases", 0, 0)
    opened, joined = open_cases(connection, openings, identity, cases.by, datetime.now(UTC))
    total = new + seen
    counts = {"findings": total, "new": new, "seen": seen, "gone": gone}
    connection.execute(runs.update().where(runs.c.run_id == identity).values(**counts))
    return RecordedRun(identity, True, total, new, seen, gone, opened, joined)


def _run_row(identity: str, result: CheckResult, scope: Scope) -> dict[str, Any]:
    period = scope.period
    return {
        "run_id": identity,
        "started_at": result.started_at,
        "finished_at": result.finished_at,
        "as_of": result.as_of,
        "recorded_at": datetime.now(UTC),
        "regkit_version": result.regkit_version or __version__,
        "period_from": None if period is None else period[0],
        "period_to": None if period is None else period[1],
        "accounts": None if scope.accounts is None else _JSON.encode(list(scope.accounts)),
        "rules": _JSON.encode(list(result.rules_evaluated)),
        "records_checked": _JSON.encode(dict(result.records_checked)),
        "unlisted": _JSON.encode(dict(result.unlisted)),
        "findings": 0,
        "new": 0,
        "seen": 0,
        "gone": 0,
    }


def _policy_rows(
    identity: str, result: CheckResult, policies: Sequence[Policy]
) -> list[dict[str, Any]]:
    if not policies:  # a result made without its policies: their ids and hashes only
        return [
            {"run_id": identity, "position": 0, "policy_id": result.policy_id,
             "version": result.policy_version, "sha256": result.policy_sha256, "text": "",
             "parameters": None}
        ]  # fmt: skip
    return [
        {"run_id": identity, "position": number, "policy_id": policy.id,
         "version": policy.version, "sha256": policy.sha256, "text": policy.text,
         "parameters": _overrides(policy)}
        for number, policy in enumerate(policies)
    ]  # fmt: skip


def _overrides(policy: Policy) -> str | None:
    try:
        return parameter_overrides(policy)
    except PolicyError as exc:
        raise StoreError(str(exc)) from None


def _input_rows(
    identity: str, result: CheckResult, kept: Mapping[str, str]
) -> list[dict[str, Any]]:
    counts = {_plural(kind): count for kind, count in result.records_checked.items()}
    return [
        {"run_id": identity, "name": name, "fingerprint": fingerprint,
         "records": counts.get(name), "kept": kept.get(name)}
        for name, fingerprint in sorted(result.input_fingerprints.items())
    ]  # fmt: skip


def _plural(kind: str) -> str:
    from regkit.schemas.kinds import KINDS

    return KINDS[kind].plural if kind in KINDS else kind


def _blocks(items: Iterable[Finding]) -> Iterator[list[tuple[int, Finding]]]:
    numbered = enumerate(items)
    while block := list(islice(numbered, BLOCK)):
        yield block


def _record_findings(
    connection: Connection,
    identity: str,
    found: Sequence[Finding],
    account_of: AccountOf,
    cases_from: Severity | None,
    progress: Progress,
) -> tuple[int, int, list[Opening]]:
    """Write a run's findings a block at a time; the numbers new and seen again, and the new
    findings that open or join cases (at or above ``cases_from``)."""
    bulk = Bulk(connection)
    new = seen = 0
    total = len(found)
    openings: list[Opening] = []
    written: set[str] = set()  # a finding found twice by one run is seen the second time
    for block in _blocks(found):
        keys = [finding_key(finding) for _, finding in block]
        known = bulk.existing(findings, "finding_key", sorted(set(keys)))
        fresh: dict[str, tuple[Any, ...]] = {}
        rows = []
        for (position, finding), key in zip(block, keys, strict=True):
            state = "seen" if key in known or key in fresh else "new"
            if state == "new":
                account = account_of(finding)
                fresh[key] = _finding_row(key, finding, identity, account)
                if cases_from is not None and finding.level.rank >= cases_from.rank:
                    openings.append(_opening(finding, key, fresh[key][4], account))
            rows.append((identity, position, key, state, content_of(finding)))
        bulk.insert(findings, [fresh[key] for key in sorted(fresh)])  # in the index's order
        again = sorted(known - written)
        bulk.update(findings, "finding_key", {"state": "open", "last_run": identity,
                                              "gone_run": None}, again)  # fmt: skip
        bulk.insert(run_findings, rows)
        written.update(keys)
        new += len(fresh)
        seen += len(rows) - len(fresh)
        progress("recording findings", new + seen, total)
    return new, seen, openings


def _opening(finding: Finding, key: str, group: str | None, account: str | None) -> Opening:
    """A new finding's case: its rule's, for its group (aggregate; ``group`` is its JSON),
    else its account, else its record."""
    if group is not None:
        parts: list[Any] = json.loads(group)
    elif account:
        parts = ["account", account]
    else:
        parts = ["record", finding.record_kind, finding.record_id]
    return Opening(key, finding.rule_id, tuple(parts), account, str(finding.severity))


def _finding_row(key: str, finding: Finding, identity: str, account: str | None) -> tuple[Any, ...]:
    """A new finding's row of ``findings``, in the table's column order (its group as JSON,
    fifth)."""
    start = finding.member_ids[0] if finding.member_ids else None
    group = finding.group_key
    return (
        key,
        finding.rule_id,
        finding.record_kind,
        finding.record_id,
        None if group is None else _FAST.encode(group),
        None if finding.group_key is None else start,
        account,
        str(finding.severity),
        finding.at,
        "open",
        identity,
        identity,
        None,
    )


def _mark_gone(connection: Connection, identity: str, rules: Sequence[str], scope: Scope) -> int:
    """Close the open findings of the run's rules, in its scope, that it did not find."""
    if not rules:
        return 0
    covered = and_(
        findings.c.state == "open",
        findings.c.rule_id.in_(sorted(set(rules))),
        findings.c.last_run != identity,
    )
    if scope.period is not None:
        first, last = scope.period
        start = datetime.combine(first, time(), UTC)
        end = datetime.combine(last + timedelta(days=1), time(), UTC)
        covered = and_(covered, findings.c.at >= start, findings.c.at < end)
    if scope.accounts is not None:
        covered = and_(covered, findings.c.account_id.in_(sorted(scope.accounts)))
    gone = sorted(connection.scalars(select(findings.c.finding_key).where(covered)))
    bulk = Bulk(connection)
    for start_at in range(0, len(gone), BLOCK):
        keys = gone[start_at : start_at + BLOCK]
        bulk.update(findings, "finding_key", {"state": "gone", "gone_run": identity}, keys)
        bulk.insert(run_gone, [(identity, key) for key in keys])
    return len(gone)


def _kept_name(path: Path) -> str:
    """A kept input's name: its SHA-256 and its suffix."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest() + "".join(path.suffixes[-1:])


def keep_input_remote(url: str, path: Path) -> str:
    """Copy an input file to an object store (any fsspec URL: ``s3://bucket/prefix``), named
    by its SHA-256 (the same file kept twice is one copy); the name under the URL. An
    object store makes an object visible only once it is whole.

    Raises:
        StoreError: fsspec (the ``objectstore`` extra) or the URL's filesystem is missing,
            or the copy fails.
    """
    try:
        import fsspec
    except ImportError:
        raise StoreError(f"inputs at {url} need fsspec: pip install "
                         "'regkit-compliance[objectstore]'") from None  # fmt: skip
    name = _kept_name(path)
    try:
        filesystem, root = fsspec.core.url_to_fs(url)
        target = f"{root}/{name}"
        if not filesystem.exists(target):
            filesystem.put_file(str(path), target)
    except (ImportError, ValueError, OSError) as exc:
        raise StoreError(f"inputs at {url}: cannot keep {path.name}: {exc}") from None
    return name


def keep_input(folder: Path, path: Path) -> str:
    """Copy an input file into the store's folder of inputs, named by its SHA-256 (the same
    file kept twice is one copy); the name under the folder."""
    name = _kept_name(path)
    target = folder / name
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".part") as handle:
            temporary = Path(handle.name)
        try:
            shutil.copyfile(path, temporary)
            temporary.replace(target)
        finally:
            temporary.unlink(missing_ok=True)
    return name
