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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, select

from regkit._version import __version__
from regkit.errors import PolicyError, StoreError
from regkit.rules.findings import CheckResult, Finding, plain_value
from regkit.rules.policy import Policy, parameter_overrides
from regkit.rules.severity import Severity
from regkit.store._bulk import Bulk
from regkit.store.blocks import BLOCK, Line, compress, text_of
from regkit.store.cases import CaseRouter, Opening, group_text
from regkit.store.schema import (
    cases,
    findings,
    run_blocks,
    run_gone,
    run_inputs,
    run_policies,
    runs,
)

__all__ = [
    "CasePolicy",
    "RecordedRun",
    "RunSummary",
    "content_of",
    "dangling",
    "finding_key",
    "keep_input",
    "keep_input_remote",
    "key_hash",
    "record_run",
    "run_id",
    "run_summary",
]

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
    router = None
    if cases.cases_from is not None:
        router = CaseRouter(connection, identity, cases.by, datetime.now(UTC))
    lowest = cases.cases_from
    opening = frozenset(s for s in Severity if lowest is not None and s.rank >= lowest.rank)
    covered = _covered(connection, result.rules_evaluated, scope)
    recording = _Recording(identity, account_of, opening, router, covered)
    _record_findings(connection, recording, result.findings, told)
    told("closing the findings gone", 0, 0)
    gone = _mark_gone(connection, identity, recording)
    told("opening cases", 0, 0)
    opened, joined = (0, 0) if router is None else router.finish()
    new, seen = recording.new, recording.seen
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


def key_hash(key: str) -> int:
    """A finding key's first 64 bits, as a signed integer: what ``findings`` is indexed by
    (a quarter of the key's size; the full key tells two apart when they share it)."""
    return int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)


@dataclass
class _Recording:
    """What recording a run's findings keeps between its blocks."""

    run_id: str
    account_of: AccountOf
    opening: frozenset[str]
    """The severities whose new findings open or join cases."""
    router: CaseRouter | None
    covered: dict[str, int]
    """The open findings of the run's rules in its scope, by key: those it does not find
    are gone (found by one query, not a query per block)."""
    written: set[str] = field(default_factory=set)
    """Every key the run found so far (found twice by one run: seen the second time)."""
    seen_ids: set[int] = field(default_factory=set)
    """The ids of the findings known before the run that it found again."""
    groups: dict[tuple[str | None, str | None], str] = field(default_factory=dict)
    """Each case group's JSON, by the group's JSON or the account (made once each)."""
    new: int = 0
    seen: int = 0


def _record_findings(
    connection: Connection,
    recording: _Recording,
    found: Sequence[Finding],
    progress: Progress,
) -> None:
    """Write a run's findings a block at a time: each new finding's row (with its case,
    when it opens or joins one), the findings it found again that had gone, and the block
    (compressed by a thread of its own while the next block is made)."""
    bulk = Bulk(connection)
    waiting: list[tuple[tuple[Any, ...], Future[bytes]]] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="regkit-block") as packer:
        for number, block in enumerate(_blocks(found)):
            lines = _write_block(bulk, recording, block)
            row = (recording.run_id, number, block[0][0], len(block))
            waiting.append((row, packer.submit(compress, text_of(lines))))
            if len(waiting) > 1:
                _write_packed(bulk, waiting.pop(0))
            progress("recording findings", recording.new + recording.seen, len(found))
        for item in waiting:
            _write_packed(bulk, item)


def _write_packed(bulk: Bulk, item: tuple[tuple[Any, ...], Future[bytes]]) -> None:
    row, packed = item
    bulk.insert(run_blocks, [(*row, packed.result())])


def _write_block(
    bulk: Bulk, recording: _Recording, block: Sequence[tuple[int, Finding]]
) -> list[Line]:
    """Write a block's new findings (with their cases) and the findings it found again
    that had gone; its lines."""
    keys = [finding_key(finding) for _, finding in block]
    covered = recording.covered
    looked_up = [key for key in set(keys) if key not in recording.written]
    known = {key: (covered[key], "open") for key in looked_up if key in covered}
    known.update(_known(bulk, [key for key in looked_up if key not in covered]))
    lines, rows, openings = _lines(recording, bulk, block, keys, known)
    if recording.router is not None and openings:
        routed = recording.router.route(openings)
        for key, case_id in routed.items():
            rows[key][-1] = case_id
    bulk.insert(findings, list(rows.values()), bound=True)
    back = [finding_id for finding_id, state in known.values() if state != "open"]
    bulk.update(findings, "finding_id", {"state": "open", "gone_run": None}, sorted(back))
    recording.seen_ids.update(finding_id for finding_id, _ in known.values())
    recording.written.update(keys)
    recording.new += len(rows)
    recording.seen += len(block) - len(rows)
    return lines


def _known(bulk: Bulk, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    """The id and state of each of some keys that the store already holds."""
    if not keys:
        return {}
    wanted = set(keys)
    rows = bulk.rows_in(findings, "key_hash", sorted({key_hash(key) for key in keys}),
                        ("finding_key", "finding_id", "state"))  # fmt: skip
    return {key: (finding_id, state) for key, finding_id, state in rows if key in wanted}


def _lines(
    recording: _Recording,
    bulk: Bulk,
    block: Sequence[tuple[int, Finding]],
    keys: Sequence[str],
    known: Mapping[str, tuple[int, str]],
) -> tuple[list[Line], dict[str, list[Any]], list[Opening]]:
    """A block's lines, the rows of its new findings (by key, in the block's order) and the
    openings of cases among them."""
    lines: list[Line] = []
    rows: dict[str, list[Any]] = {}
    openings: list[Opening] = []
    opening = recording.opening
    for (_, finding), key in zip(block, keys, strict=True):
        state = "seen"
        if key not in known and key not in rows and key not in recording.written:
            state = "new"
            account = recording.account_of(finding)
            rows[key] = row = _finding_row(bulk, key, finding, recording.run_id, account)
            if finding.severity in opening:
                openings.append(_opening(recording, finding, key, row[5], account))
        lines.append((key, state, content_of(finding)))
    return lines, rows, openings


def _opening(
    recording: _Recording, finding: Finding, key: str, group: str | None, account: str | None
) -> Opening:
    """A new finding's case: its rule's, for its group (aggregate; ``group`` is its JSON),
    else its account, else its record."""
    if group is None and not account:
        parts = ["record", finding.record_kind, finding.record_id]
        return Opening(key, finding.rule_id, group_text(parts), account, str(finding.severity))
    text = recording.groups.get((group, account))
    if text is None:
        parts = json.loads(group) if group is not None else ["account", str(account)]
        text = recording.groups[group, account] = group_text(parts)
    return Opening(key, finding.rule_id, text, account, str(finding.severity))


def _finding_row(
    bulk: Bulk, key: str, finding: Finding, identity: str, account: str | None
) -> list[Any]:
    """A new finding's row of ``findings``, bound for the database, in the table's column
    order without its id (its group as JSON, sixth; its case, last, None until it has
    one)."""
    start = finding.member_ids[0] if finding.member_ids else None
    group = finding.group_key
    return [
        key_hash(key),
        key,
        finding.rule_id,
        finding.record_kind,
        finding.record_id,
        None if group is None else _FAST.encode(group),
        None if group is None else start,
        account,
        str(finding.severity),
        bulk.time(finding.at),
        "open",
        identity,
        None,
        None,
    ]


def _covered(connection: Connection, rules: Sequence[str], scope: Scope) -> dict[str, int]:
    """The open findings of some rules within a run's scope (its period and accounts,
    when it has them), by key: the findings the run closes when it does not find them."""
    if not rules:
        return {}
    covered = and_(findings.c.state == "open", findings.c.rule_id.in_(sorted(set(rules))))
    if scope.period is not None:
        first, last = scope.period
        start = datetime.combine(first, time(), UTC)
        end = datetime.combine(last + timedelta(days=1), time(), UTC)
        covered = and_(covered, findings.c.at >= start, findings.c.at < end)
    if scope.accounts is not None:
        covered = and_(covered, findings.c.account_id.in_(sorted(scope.accounts)))
    query = select(findings.c.finding_key, findings.c.finding_id).where(covered)
    return dict(connection.execute(query).all())


def _mark_gone(connection: Connection, identity: str, recording: _Recording) -> int:
    """Close the open findings of the run's rules, in its scope, that it did not find."""
    gone = sorted(set(recording.covered.values()) - recording.seen_ids)
    bulk = Bulk(connection)
    for start_at in range(0, len(gone), BLOCK):
        ids = gone[start_at : start_at + BLOCK]
        bulk.update(findings, "finding_id", {"state": "gone", "gone_run": identity}, ids)
        keys = bulk.rows_in(findings, "finding_id", ids, ("finding_key",))
        bulk.insert(run_gone, sorted((identity, key) for (key,) in keys))
    return len(gone)


def dangling(connection: Connection) -> list[str]:
    """What the store's references that are not foreign keys name and the store does not
    hold (:mod:`regkit.store.schema` says why they are not): a finding's runs and case, a
    gone finding's identity."""
    named = {
        "a first run": (findings.c.first_run, runs.c.run_id, findings),
        "a gone run": (findings.c.gone_run, runs.c.run_id, findings),
        "a case": (findings.c.case_id, cases.c.case_id, findings),
        "a finding": (run_gone.c.finding_key, findings.c.finding_key, run_gone),
    }
    problems = []
    for what, (reference, target, table) in named.items():
        missing = ~select(target).where(target == reference).exists()
        query = select(func.count()).select_from(table).where(reference.is_not(None), missing)
        count = connection.scalar(query) or 0
        if count:
            rows = "findings" if table is findings else "gone findings"
            problems.append(f"{count} {rows} name {what} the store does not hold")
    return problems


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
