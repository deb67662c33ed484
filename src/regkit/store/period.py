"""A past period read back from the store: its runs, their findings, and the cases that hold
them with every event of their history, for an audit pack of the period
(``regkit pack --store``).

A run is in a period when the days it covered overlap it; a run recorded without a period
is in it when the day of its ``as_of`` (else of its end) is. A finding of those runs is in
the period when its time (``at``) is, or when it has none; with an account, only that
account's findings are. A finding found by several runs of the period is one finding: the
last run's content, in the order the findings were first found. A case is in the period
when it holds one of its findings; all of its events are, up to now.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import yaml
from sqlalchemy import Connection, RowMapping, select

from regkit.errors import PolicyError, StoreError
from regkit.rules.findings import CheckResult, Finding
from regkit.rules.policy import Policy, canonical_sha256, parse_policy
from regkit.store.blocks import BLOCK, unpack
from regkit.store.cases import Case, LogCheck, load_cases, verify_log
from regkit.store.runs import RunSummary, key_hash, run_summary
from regkit.store.schema import findings, run_blocks, run_policies, runs

__all__ = ["StoredFinding", "StoredPeriod", "StoredPolicy", "read_period"]


@dataclass(frozen=True)
class StoredPolicy:
    """A policy (version) that ran, as the store keeps it: its exact text (empty when the
    run was recorded without it) and its parameter overrides (YAML, or None)."""

    policy_id: str
    version: str
    sha256: str
    text: str
    parameters: str | None

    def load(self) -> Policy | None:
        """The policy again, when its text reads back with the same SHA-256 (a policy with
        Python rules, or recorded without its text, does not)."""
        if not self.text:
            return None
        overrides = None if self.parameters is None else yaml.safe_load(self.parameters)
        try:
            policy = parse_policy(self.text, f"store:{self.policy_id}", parameters=overrides)
        except PolicyError:
            return None
        return policy if policy.sha256 == self.sha256 else None


@dataclass(frozen=True)
class StoredFinding:
    """A finding of the period, with its identity and where the store has seen it.

    Attributes:
        key: its identity (:func:`regkit.store.finding_key`).
        finding: its content, as the last run of the period that found it recorded it.
        runs: the runs of the period that found it, in order.
        state: ``open`` or ``gone`` now.
        first_run: the run that first found it (perhaps before the period).
        gone_run: the run that no longer found it, when it is gone.
        account_id: its account, when known.
        cases: the cases that hold it.
    """

    key: str
    finding: Finding
    runs: tuple[str, ...]
    state: str
    first_run: str
    gone_run: str | None
    account_id: str | None
    cases: tuple[int, ...] = ()


@dataclass(frozen=True)
class StoredPeriod:
    """What the store holds of a period (see the module for what is in it).

    Attributes:
        start, end: the first and last day asked for (None: open).
        account: the account asked for (None: all).
        runs: the runs of the period, oldest first.
        policies: each policy version that ran in them, by id, version and SHA-256.
        findings: the findings of the period, each once.
        cases: the cases that hold them, each with its findings and events.
        log: the events of its cases, counted, with the problems the check of the whole
            case log found when the period was read (:meth:`regkit.store.Store.verify`).
        rules: each run's rules, by run id.
        records: each run's records checked per kind, by run id.
        unlisted: each run's findings beyond its limit, by run id (rule → count).
    """

    start: date | None
    end: date | None
    account: str | None
    runs: tuple[RunSummary, ...]
    policies: tuple[StoredPolicy, ...]
    findings: tuple[StoredFinding, ...]
    cases: tuple[Case, ...]
    log: LogCheck
    rules: Mapping[str, tuple[str, ...]]
    records: Mapping[str, Mapping[str, int]]
    unlisted: Mapping[str, Mapping[str, int]]

    @property
    def latest(self) -> datetime | None:
        """The time of the last thing in the period: its last run's end, or a later event
        of one of its cases (an audit pack's default date, so a rebuild gives the same
        bytes)."""
        moments = [run.finished_at for run in self.runs]
        moments += [event.at for case in self.cases for event in case.events]
        return max(moments, default=None)

    def result(self) -> CheckResult:
        """The period's findings as one check result: its policies (several versions are
        listed as ``policy_versions``), every rule its runs ran, the records they checked,
        and its findings each once. Its times are those of the first run's start and the last
        run's end; findings the runs did not keep are their totals (not narrowed to the
        period or account); ``as_of`` and the input fingerprints are the run's when there
        is one run, else None and none (each run's are in :attr:`runs`).

        Raises:
            ValueError: the period has no run.
        """
        if not self.runs:
            raise ValueError("a period without a run has no result")
        checked: Counter[str] = Counter()
        unlisted: Counter[str] = Counter()
        for run in self.runs:
            checked.update(self.records[run.run_id])
            unlisted.update(self.unlisted[run.run_id])
        identity = _policy_identity(self.policies)
        loaded = tuple(policy for stored in self.policies if (policy := stored.load()))
        versions = sorted({run.regkit_version for run in self.runs})
        only = self.runs[0] if len(self.runs) == 1 else None
        return CheckResult(
            findings=[item.finding for item in self.findings],
            policy_id=identity["policy_id"],
            policy_version=identity["policy_version"],
            policy_sha256=identity["policy_sha256"],
            policy_versions=identity["policy_versions"],
            started_at=min(run.started_at for run in self.runs),
            finished_at=max(run.finished_at for run in self.runs),
            rules_evaluated=tuple(sorted({rule for run in self.rules.values() for rule in run})),
            records_checked=dict(sorted(checked.items())),
            regkit_version=", ".join(versions),
            input_fingerprints={} if only is None else {n: f for n, f, _, _ in only.inputs},
            as_of=None if only is None else only.as_of,
            policies=loaded,
            unlisted=dict(sorted(unlisted.items())),
            unlisted_severity=_unlisted_severity(self, loaded, unlisted),
        )


def _policy_identity(policies: Sequence[StoredPolicy]) -> dict[str, Any]:
    """The result's policy fields: the policy itself, or its versions listed."""
    if len(policies) == 1:
        only = policies[0]
        return {"policy_id": only.policy_id, "policy_version": only.version,
                "policy_sha256": only.sha256, "policy_versions": ()}  # fmt: skip
    ids = sorted({policy.policy_id for policy in policies})
    return {
        "policy_id": ", ".join(ids),
        "policy_version": ", ".join(policy.version for policy in policies),
        "policy_sha256": canonical_sha256({"versions": [policy.sha256 for policy in policies]}),
        "policy_versions": tuple(
            {"version": policy.version, "sha256": policy.sha256, "effective_from": None,
             "effective_to": None}
            for policy in policies
        ),
    }  # fmt: skip


def _unlisted_severity(
    period: StoredPeriod, policies: Sequence[Policy], unlisted: Mapping[str, int]
) -> dict[str, str]:
    """The severity of each rule with findings not kept: its rule's, in the policies read
    back from the store; else its kept findings' (a run keeps a rule's first findings up to
    its limit); only a rule of neither (a policy recorded without its text, whose findings
    of the period were all beyond the limit) is counted as ``high``, and the docs say so."""
    found = {item.finding.rule_id: str(item.finding.severity) for item in period.findings}
    found |= {rule.id: str(rule.severity) for policy in policies for rule in policy.rules}
    return {rule: found.get(rule, "high") for rule in sorted(unlisted)}


def read_period(
    connection: Connection, start: date | None, end: date | None, account: str | None
) -> StoredPeriod:
    """Read a period from the store (see the module for what is in it)."""
    chosen = [
        run_summary(connection, row)
        for row in connection.execute(
            select(runs).order_by(runs.c.finished_at, runs.c.run_id)
        ).mappings()
        if _in_period(row, start, end) and _for_account(row, account)
    ]
    ids = [run.run_id for run in chosen]
    found = tuple(_findings(connection, ids, start, end, account))
    case_ids = sorted({case_id for item in found for case_id in item.cases})
    extra = _run_details(connection, ids)
    cases = tuple(load_cases(connection, case_ids))
    return StoredPeriod(
        start=start,
        end=end,
        account=account,
        runs=tuple(chosen),
        policies=_policies(connection, ids),
        findings=found,
        cases=cases,
        log=LogCheck(sum(len(case.events) for case in cases), verify_log(connection).problems),
        rules=extra["rules"],
        records=extra["records_checked"],
        unlisted=extra["unlisted"],
    )


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _in_period(row: RowMapping, start: date | None, end: date | None) -> bool:
    """Whether a run's days overlap the period (see the module)."""
    first, last = row["period_from"], row["period_to"]
    if first is None:
        first = last = _day(row["as_of"] or row["finished_at"])
    return (start is None or last >= start) and (end is None or first <= end)


def _for_account(row: RowMapping, account: str | None) -> bool:
    """Whether a run covered the account (a run of all accounts did)."""
    return account is None or row["accounts"] is None or account in json.loads(row["accounts"])


def _run_details(connection: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each run's rules, records checked and findings not kept, by run id."""
    details: dict[str, dict[str, Any]] = {"rules": {}, "records_checked": {}, "unlisted": {}}
    query = select(runs.c.run_id, runs.c.rules, runs.c.records_checked, runs.c.unlisted)
    for row in connection.execute(query.where(runs.c.run_id.in_(ids))).mappings():
        details["rules"][row["run_id"]] = tuple(json.loads(row["rules"]))
        details["records_checked"][row["run_id"]] = json.loads(row["records_checked"])
        details["unlisted"][row["run_id"]] = json.loads(row["unlisted"])
    return details


def _policies(connection: Connection, ids: Sequence[str]) -> tuple[StoredPolicy, ...]:
    """Each policy version the runs ran, once, by id, version and SHA-256."""
    query = select(
        run_policies.c.policy_id, run_policies.c.version, run_policies.c.sha256,
        run_policies.c.text, run_policies.c.parameters,
    ).where(run_policies.c.run_id.in_(ids))  # fmt: skip
    found: dict[str, StoredPolicy] = {}
    for row in connection.execute(query):
        known = found.get(row.sha256)
        if known is None or (not known.text and row.text):  # keep a copy with its text
            found[row.sha256] = StoredPolicy(*row)
    return tuple(sorted(found.values(), key=lambda p: (p.policy_id, p.version, p.sha256)))


def _findings(
    connection: Connection,
    ids: Sequence[str],
    start: date | None,
    end: date | None,
    account: str | None,
) -> list[StoredFinding]:
    """The findings of the runs in the period, each once, in the order first found; a
    finding's time is the one its run found (a trade amended to another day moves it)."""
    found: list[tuple[str, Finding, str]] = []
    known: dict[str, RowMapping] = {}
    for run_id in ids:
        query = (
            select(run_blocks.c.data)
            .where(run_blocks.c.run_id == run_id)
            .order_by(run_blocks.c.block)
        )
        for data in connection.scalars(query):
            lines = list(unpack(data))
            known.update(_identities(connection, {key for key, _, _ in lines} - known.keys()))
            for key, _, content in lines:
                if account is not None and known[key]["account_id"] != account:
                    continue
                finding = Finding.from_dict(json.loads(content))
                if _at_in_period(finding.at, start, end):
                    found.append((key, finding, run_id))
    return _once(found, known)


def _identities(connection: Connection, keys: Iterable[str]) -> dict[str, RowMapping]:
    """The rows of ``findings`` of some keys."""
    wanted = sorted(keys)
    rows: dict[str, RowMapping] = {}
    for part in _chunks(wanted, BLOCK):
        hashes = sorted({key_hash(key) for key in part})
        query = select(findings).where(findings.c.key_hash.in_(hashes))
        rows.update((row["finding_key"], row) for row in connection.execute(query).mappings())
    missing = [key for key in wanted if key not in rows]
    if missing:
        raise StoreError(f"a run's findings name {missing[0]}, which the store does not hold "
                         "(regkit store verify)")  # fmt: skip
    return {key: rows[key] for key in wanted}


def _at_in_period(at: datetime | None, start: date | None, end: date | None) -> bool:
    if at is None:
        return True
    day = _day(at)
    return (start is None or day >= start) and (end is None or day <= end)


def _once(
    found: Iterable[tuple[str, Finding, str]], known: Mapping[str, RowMapping]
) -> list[StoredFinding]:
    """Each finding once: the last run's content, at the place it was first found."""
    latest: dict[str, Finding] = {}
    seen_by: dict[str, list[str]] = {}
    for key, finding, run_id in found:
        latest[key] = finding  # the first assignment fixes the key's place
        seen_by.setdefault(key, []).append(run_id)
    return [
        StoredFinding(
            key=key,
            finding=finding,
            runs=tuple(seen_by[key]),
            state=known[key]["state"],
            first_run=known[key]["first_run"],
            gone_run=known[key]["gone_run"],
            account_id=known[key]["account_id"],
            cases=() if known[key]["case_id"] is None else (known[key]["case_id"],),
        )
        for key, finding in latest.items()
    ]


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
