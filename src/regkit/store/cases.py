"""Cases: what a compliance officer works on, opened from findings and changed only through
events appended to a log.

A new finding at or above a severity (``high`` unless told) opens a case, or joins the open
case of the same rule and group: an aggregate finding's group, else the account of the
finding's record when it is known, else the record. A case is ``open``, ``investigating``,
``escalated`` or ``closed`` (with a resolution: ``breach_confirmed``, ``false_positive``,
``remediated``); it has an assignee, a due day, notes, and a snooze with an end.

Every change is an event (who, when, what, the values before and after) in ``case_events``.
Each event carries the SHA-256 of the one before it, over the whole store, and its own over
its content and that: :func:`verify_log` recomputes the chain, so an event changed, taken
out or put in is found. Nothing here updates or deletes an event.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)

from regkit.errors import StoreError
from regkit.rules.severity import Severity
from regkit.store._bulk import Bulk
from regkit.store.schema import case_events, cases

__all__ = [
    "GENESIS",
    "RESOLUTIONS",
    "STATUSES",
    "Case",
    "CaseEvent",
    "CaseRouter",
    "LogCheck",
    "Opening",
    "append_event",
    "change_case",
    "group_text",
    "list_cases",
    "load_case",
    "load_cases",
    "verify_log",
]

STATUSES = ("open", "investigating", "escalated", "closed")
RESOLUTIONS = ("breach_confirmed", "false_positive", "remediated")
#: The statuses a case may move to from each (closing and reopening have their own calls).
MOVES: Mapping[str, frozenset[str]] = {
    "open": frozenset({"investigating", "escalated"}),
    "investigating": frozenset({"open", "escalated"}),
    "escalated": frozenset({"investigating"}),
    "closed": frozenset(),
}
#: What the first event's ``previous`` is.
GENESIS = "0" * 64

_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class CaseEvent:
    """One change to a case, as the log keeps it."""

    event_id: int
    case_id: int
    at: datetime
    actor: str
    action: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    digest: str
    """The SHA-256 of the event (:func:`digest_of`), over its content and ``previous``."""
    previous: str
    """The digest of the event before it in the log (:data:`GENESIS` for the first)."""


@dataclass(frozen=True)
class Case:
    """A case as it stands (its history is in :attr:`events` when asked for)."""

    case_id: int
    rule_id: str
    group: tuple[Any, ...]
    account_id: str | None
    severity: str
    status: str
    resolution: str | None
    assignee: str | None
    due_on: date | None
    snoozed_until: datetime | None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    findings: tuple[str, ...] = ()
    """The keys of its findings, in the order they joined."""
    events: tuple[CaseEvent, ...] = ()

    @staticmethod
    def of(row: RowMapping) -> Case:
        return Case(
            case_id=row["case_id"],
            rule_id=row["rule_id"],
            group=tuple(json.loads(row["case_group"])),
            account_id=row["account_id"],
            severity=row["severity"],
            status=row["status"],
            resolution=row["resolution"],
            assignee=row["assignee"],
            due_on=row["due_on"],
            snoozed_until=row["snoozed_until"],
            opened_at=row["opened_at"],
            updated_at=row["updated_at"],
            closed_at=row["closed_at"],
        )


class Opening(NamedTuple):
    """A new finding that opens a case or joins one (a tuple: a run makes one per new
    finding)."""

    finding_key: str
    rule_id: str
    group: str
    """Its case's group, as the case keeps it (:func:`group_text`)."""
    account_id: str | None
    severity: str


def group_text(parts: Sequence[Any]) -> str:
    """A case's group as ``cases.case_group`` keeps it: JSON, its mappings' keys sorted."""
    return _JSON.encode(list(parts))


def digest_of(previous: str, case_id: int, at: datetime, actor: str, action: str,
              before: str | None, after: str | None) -> str:  # fmt: skip
    """An event's SHA-256: over the one before it and everything it says."""
    content = [previous, case_id, at.astimezone(UTC).isoformat(), actor, action, before, after]
    return hashlib.sha256(_JSON.encode(content).encode()).hexdigest()


def _last_digest(connection: Connection) -> str:
    query = select(case_events.c.digest).order_by(case_events.c.event_id.desc()).limit(1)
    return connection.scalar(query) or GENESIS


def append_event(
    connection: Connection,
    case_id: int,
    actor: str,
    action: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    at: datetime,
) -> None:
    """Append one event to the log, chained to the last (in the caller's write
    transaction, which holds the store's write lock)."""
    previous = _last_digest(connection)
    before_text = None if before is None else _JSON.encode(_plain(before))
    after_text = None if after is None else _JSON.encode(_plain(after))
    digest = digest_of(previous, case_id, at, actor, action, before_text, after_text)
    connection.execute(
        insert(case_events).values(
            case_id=case_id, at=at, actor=actor, action=action, before=before_text,
            after=after_text, previous=previous, digest=digest,
        )
    )  # fmt: skip


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, date | datetime) else value
        for name, value in values.items()
    }


class CaseRouter:
    """Which case each new finding of a run opens or joins (the open case of its rule and
    group, else a new one), decided a block of findings at a time so that each finding is
    written with its case; :meth:`finish` then writes one event per case the run touched."""

    def __init__(self, connection: Connection, run_id: str, actor: str, at: datetime) -> None:
        self.connection, self.run_id, self.actor, self.at = connection, run_id, actor, at
        self.found: dict[tuple[str, str], int] = {}
        self.rules: set[str] = set()
        self.members: dict[tuple[str, str], list[Opening]] = {}
        self.opened: dict[tuple[str, str], str] = {}  # each case opened: its first severity

    def route(self, openings: Sequence[Opening]) -> dict[str, int]:
        """The case of each opening's finding, by its key (new cases are inserted now)."""
        by_case: dict[tuple[str, str], list[Opening]] = {}
        for opening in openings:
            by_case.setdefault((opening.rule_id, opening.group), []).append(opening)
        rules = {rule for rule, _ in by_case} - self.rules
        if rules:
            self.found.update(_open_ones(self.connection, rules))
            self.rules |= rules
        fresh = [(key[1], by_case[key]) for key in by_case if key not in self.found]
        self.found.update(_new_cases(self.connection, fresh, self.run_id, self.at))
        self.opened.update({(members[0].rule_id, group): _highest(members)
                            for group, members in fresh})  # fmt: skip
        routed: dict[str, int] = {}
        for key, members in by_case.items():
            self.members.setdefault(key, []).extend(members)
            routed.update((member.finding_key, self.found[key]) for member in members)
        return routed

    def finish(self) -> tuple[int, int]:
        """Write the events of the cases opened and joined; their numbers."""
        events: list[tuple[int, str, dict[str, Any]]] = []
        raised: list[tuple[int, str]] = []
        for key, members in self.members.items():
            case_id, keys = self.found[key], [member.finding_key for member in members]
            if key not in self.opened:
                events.append((case_id, "joined", {"findings": keys, "run": self.run_id}))
                continue
            severity = _highest(members)
            if severity != self.opened[key]:  # a later block held a graver finding
                raised.append((case_id, severity))
            events.append((case_id, "opened", {"findings": keys, "run": self.run_id,
                           "status": "open", "severity": severity}))  # fmt: skip
        joined = [self.found[key] for key in self.members if key not in self.opened]
        bulk = Bulk(self.connection)
        bulk.update(cases, "case_id", {"updated_at": self.at}, joined)
        for case_id, severity in raised:
            bulk.update(cases, "case_id", {"severity": severity}, [case_id])
        bulk.insert(case_events, _chained(self.connection, events, self.actor, self.at))
        return len(self.opened), len(joined)


def _chained(
    connection: Connection, events: Sequence[tuple[int, str, dict[str, Any]]], actor: str,
    at: datetime,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """Rows of ``case_events`` (without their id), each chained to the one before."""
    previous = _last_digest(connection)
    rows = []
    for case_id, action, after in events:
        text = _JSON.encode(after)
        digest = digest_of(previous, case_id, at, actor, action, None, text)
        rows.append((case_id, at, actor, action, None, text, previous, digest))
        previous = digest
    return rows


def _open_ones(connection: Connection, rules: Iterable[str]) -> dict[tuple[str, str], int]:
    query = select(cases.c.rule_id, cases.c.case_group, cases.c.case_id).where(
        and_(cases.c.status != "closed", cases.c.rule_id.in_(sorted(rules)))
    )
    return {(rule, group): case_id for rule, group, case_id in connection.execute(query)}


def _highest(members: Sequence[Opening]) -> str:
    """The most serious severity of some findings (each written as a severity's value)."""
    found = {member.severity for member in members}  # a case's findings share one or two
    return str(max((Severity.parse(name) for name in found), key=lambda s: s.rank))


def _new_cases(
    connection: Connection, groups: Sequence[tuple[str, Sequence[Opening]]], run_id: str,
    at: datetime,
) -> dict[tuple[str, str], int]:  # fmt: skip
    """Insert new cases, all at once; their ids by (rule, group)."""
    if not groups:
        return {}
    rows = [
        (members[0].rule_id, group, members[0].account_id, _highest(members), "open", None,
         None, None, None, at, at, None, run_id)
        for group, members in groups
    ]  # fmt: skip
    before = connection.scalar(select(func.max(cases.c.case_id))) or 0
    Bulk(connection).insert(cases, rows)
    query = select(cases.c.rule_id, cases.c.case_group, cases.c.case_id).where(
        cases.c.case_id > before  # those just written: the write lock keeps others out
    )
    ids = {(rule, group): case_id for rule, group, case_id in connection.execute(query)}
    if len(ids) != len(rows):
        raise StoreError("the store gave no id to some new cases")
    return ids


@dataclass(frozen=True)
class LogCheck:
    """What verifying the log found."""

    events: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_log(connection: Connection) -> LogCheck:
    """Recompute the chain of every event: each one's ``previous`` must be the digest of the
    one before it, and its digest must be that of its content."""
    problems: list[str] = []
    previous = GENESIS
    count = 0
    query = select(case_events).order_by(case_events.c.event_id)
    for row in connection.execute(query).mappings():
        count += 1
        name = f"event {row['event_id']} (case {row['case_id']}, {row['action']})"
        if row["previous"] != previous:
            problems.append(f"{name}: follows {row['previous'][:12]}, not the event before it "
                            f"({previous[:12]}): an event was taken out or put in")  # fmt: skip
        digest = digest_of(row["previous"], row["case_id"], row["at"], row["actor"],
                           row["action"], row["before"], row["after"])  # fmt: skip
        if digest != row["digest"]:
            problems.append(f"{name}: its content does not match its digest: it was changed")
        previous = row["digest"]
    cases_total = connection.scalar(select(func.count()).select_from(cases)) or 0
    logged = connection.scalar(select(func.count(func.distinct(case_events.c.case_id)))) or 0
    if logged < cases_total:
        problems.append(f"{cases_total - logged} cases have no event: their history is gone")
    return LogCheck(count, tuple(problems))


def load_case(connection: Connection, case_id: int, *, history: bool = False) -> Case:
    """A case by id (with its findings and events when ``history``)."""
    if isinstance(case_id, bool) or not isinstance(case_id, int):
        raise TypeError(f"case_id must be an int, got {type(case_id).__name__}")
    row = connection.execute(select(cases).where(cases.c.case_id == case_id)).mappings().first()
    if row is None:
        raise StoreError(f"no case {case_id}")
    case = Case.of(row)
    if not history:
        return case
    rows = connection.execute(
        select(case_events).where(case_events.c.case_id == case_id).order_by(case_events.c.event_id)
    ).mappings()
    events = tuple(map(_event, rows))
    return dataclasses.replace(case, findings=findings_of(events), events=events)


def findings_of(events: Iterable[CaseEvent]) -> tuple[str, ...]:
    """A case's findings, from its log: those its ``opened`` and ``joined`` events name, in
    the order they came."""
    keys: list[str] = []
    for event in events:
        if event.action in ("opened", "joined") and event.after is not None:
            keys += event.after.get("findings", ())
    return tuple(keys)


def load_cases(connection: Connection, case_ids: Sequence[int]) -> list[Case]:
    """Cases by id, each with its findings and events (as :func:`load_case` with
    ``history``), read a thousand cases a query; in the order of the ids."""
    loaded: list[Case] = []
    for start in range(0, len(case_ids), 1000):
        block = list(case_ids[start : start + 1000])
        events: dict[int, list[CaseEvent]] = {case_id: [] for case_id in block}
        query = select(case_events).where(case_events.c.case_id.in_(block))
        for row in connection.execute(query.order_by(case_events.c.event_id)).mappings():
            events[row["case_id"]].append(_event(row))
        rows = connection.execute(select(cases).where(cases.c.case_id.in_(block))).mappings()
        found = {row["case_id"]: Case.of(row) for row in rows}
        missing = sorted(set(block) - set(found))
        if missing:
            raise StoreError(f"no case {missing[0]}")
        loaded += [
            dataclasses.replace(found[n], findings=findings_of(events[n]), events=tuple(events[n]))
            for n in block
        ]
    return loaded


def _event(row: RowMapping) -> CaseEvent:
    return CaseEvent(
        event_id=row["event_id"],
        case_id=row["case_id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        before=None if row["before"] is None else json.loads(row["before"]),
        after=None if row["after"] is None else json.loads(row["after"]),
        digest=row["digest"],
        previous=row["previous"],
    )


def change_case(
    connection: Connection,
    case_id: int,
    actor: str,
    action: str,
    at: datetime,
    changes: Mapping[str, Any],
    note: str | None = None,
) -> Case:
    """Change a case as the workflow allows, with its event (see :data:`MOVES`)."""
    if not isinstance(actor, str) or not actor.strip():
        raise ValueError("a change needs who made it (by)")
    case = load_case(connection, case_id)
    _allowed(case, action, changes, at)
    before = {name: getattr(case, name) for name in changes}
    after: dict[str, Any] = dict(changes)
    if note is not None:
        after["note"] = note
    if changes:
        connection.execute(
            update(cases).where(cases.c.case_id == case_id).values(**changes, updated_at=at)
        )
    append_event(connection, case_id, actor, action, before or None, after, at)
    return load_case(connection, case_id)


def _allowed(case: Case, action: str, changes: Mapping[str, Any], at: datetime) -> None:
    """Refuse, naming the case, a change the workflow forbids."""
    name = f"case {case.case_id} ({case.status})"
    if action == "status":
        wanted = changes["status"]
        if wanted not in STATUSES:
            raise StoreError(f"{name}: no status {wanted!r}; one of {', '.join(STATUSES)}")
        if wanted == "closed":
            raise StoreError(f"{name}: close it with a resolution (close)")
        if wanted not in MOVES[case.status]:
            raise StoreError(f"{name}: cannot move to {wanted}")
    elif action == "closed":
        if case.status == "closed":
            raise StoreError(f"{name}: already closed")
        if changes["resolution"] not in RESOLUTIONS:
            raise StoreError(f"{name}: a case closes as one of {', '.join(RESOLUTIONS)}, "
                             f"not {changes['resolution']!r}")  # fmt: skip
    elif action == "reopened" and case.status != "closed":
        raise StoreError(f"{name}: only a closed case is reopened")
    elif action in ("assigned", "snoozed", "due") and case.status == "closed":
        raise StoreError(f"{name}: reopen it first")
    elif action == "snoozed" and changes["snoozed_until"] <= at:
        raise StoreError(f"{name}: a snooze ends later than now")


def list_cases(
    connection: Connection,
    *,
    statuses: Sequence[str],
    rule: str | None = None,
    account: str | None = None,
    severity: str | None = None,
    opened_before: datetime | None = None,
    awake_at: datetime | None = None,
) -> list[Case]:
    """The cases that match every filter given, oldest first.

    Args:
        statuses: the statuses wanted.
        rule: a rule id.
        account: an account id.
        severity: the lowest severity wanted.
        opened_before: only cases opened before this time (older ones).
        awake_at: leave out cases snoozed past this time.
    """
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        raise StoreError(f"no status {unknown[0]!r}; one of {', '.join(STATUSES)}")
    where: list[ColumnElement[bool]] = [cases.c.status.in_(sorted(statuses))]
    if rule is not None:
        where.append(cases.c.rule_id == rule)
    if account is not None:
        where.append(cases.c.account_id == account)
    if severity is not None:
        lowest = Severity.parse(severity).rank
        where.append(cases.c.severity.in_(sorted(str(s) for s in Severity if s.rank >= lowest)))
    if opened_before is not None:
        where.append(cases.c.opened_at < opened_before)
    if awake_at is not None:
        where.append(or_(cases.c.snoozed_until.is_(None), cases.c.snoozed_until <= awake_at))
    query = select(cases).where(and_(*where)).order_by(cases.c.opened_at, cases.c.case_id)
    return [Case.of(row) for row in connection.execute(query).mappings()]
