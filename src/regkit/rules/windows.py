"""Aggregate rules: rolling windows per group, one finding per episode, and ``WindowState``.

An aggregate rule (DESIGN.md, "Rules") asserts over aggregates of a group's records in a
time window::

    - id: AML-STRUCT
      severity: high
      applies_to: movement
      where: movement.kind == "deposit"
      group_by: [movement.account_id]
      window: 24h
      aggregate: {deposits: count(), total: sum(movement.amount)}
      assert: not (deposits >= 3 and total >= params.threshold)

What it means, exactly (both backends and the streaming state follow it):

* **Which records enter**: the records of the rule's kind whose event time falls in the
  rule's effective dates and for which ``where`` holds (every record when there is none).
* **Order**: by event time; records with the same time keep their input order.
* **Groups**: the values of the ``group_by`` expressions (``None`` is a value like any other).
* **The window of a record**: the records of its group, in that order, up to and including
  it, whose event time is later than the record's time minus the span: ``(t - 24h, t]``.
  For ``calendar_day``, the records of its group up to and including it on the same UTC day;
  for ``all``, every record of its group up to and including it (running totals).
* **Aggregates** over a window skip ``None`` values: ``count()`` counts the records,
  ``count_distinct(x)`` the distinct values, ``sum(x)`` is 0 when every value is ``None``,
  ``min``/``max``/``mean`` are ``None`` then. ``mean(x)`` is the sum divided by the number of
  values, rounded half to even at 16 decimal places (as polars divides decimals, so both
  backends agree digit for digit).
* **The assert** is checked at every record's window, with the aggregates by name and the
  record's own fields (and its account's); a window *fails* where the assert does not hold.
* **Episodes**: failing windows of one group that share a record merge into one episode and
  one finding (with ``episodes: false``, every failing window is a finding of its own, its
  members the window's records). Its ``record_id`` and ``at`` are the record whose window
  failed first (the trigger, when an alert goes out); its ``evidence`` and ``message`` use
  that window's aggregates (every aggregate is in the evidence, besides the rule's
  ``evidence`` names);
  ``group_key`` holds the group's values and ``member_ids`` every record of every failing
  window of the episode, in order.
* **Running totals** (``window: all``) are the exception: every window of a group shares
  its first record, so an episode is a run of consecutive failing windows (a position above
  its limit until it comes back), and its members are the records whose windows failed
  (with ``episodes: false``, each failing record alone).
* **Several kinds** (``applies_to: [movement, trade]``): the records of every kind listed
  share the windows, each at its own event time; records with the same time count in the
  order of the kinds listed, then in input order. At a record of one kind, the other
  kinds' names are ``None``, so their fields read as missing (``trade.notional`` is
  ``None`` at a movement); ``coalesce(movement.account_id, trade.account_id)`` groups both.
* A rule whose ``where``, ``group_by`` or aggregated expression raises on a record gives an
  ``error`` finding for that record, which does not enter; the same for an ``assert``, an
  ``evidence`` or a ``message`` that raises at a window.

:class:`WindowState` keeps each group's window, so a service can feed records one at a time
(in event-time order within each group): :meth:`WindowState.add` returns the alerts (the
episodes that record opened), and :meth:`WindowState.findings` the episodes so far, equal
to what :func:`regkit.check` finds over the same records.
"""

from __future__ import annotations

import enum
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any, Protocol

from regkit.rules.findings import Finding, Severity
from regkit.rules.inputs import kind_model, refuse_misfit
from regkit.rules.policy import CompiledRule, Policy, render_message
from regkit.schemas.account import Account
from regkit.schemas.base import Record
from regkit.schemas.kinds import KINDS, kind_of_model

__all__ = ["AggregateRule", "Episode", "WindowState", "mean_of"]


class _EventTimes(Mapping[str, str]):
    """Each kind's event-time field, read from ``KINDS`` at each look-up."""

    def __getitem__(self, kind: str) -> str:
        return KINDS[kind].event_time

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


#: The event time of each record kind (an account's is when it opened), live.
EVENT_TIME: Mapping[str, str] = _EventTimes()


class AggregateSource(Protocol):
    """What the windows read of a compiled policy (an engine ``Checker`` is one)."""

    @property
    def as_of(self) -> datetime | None:
        """The time rules read as ``as_of`` (``None``: now)."""
        ...

    def aggregate_rules(self, kind: str) -> tuple[AggregateRule, ...]:
        """The aggregate rules of a kind (``applies_to``), in policy order."""
        ...


_MEAN_PLACES = Decimal(1).scaleb(-16)
_MEAN_CONTEXT = Context(prec=80)


def kind_of(record: Record) -> str:
    """The kind of a record (``trade``, ``account``, ``movement``, ``snapshot``)."""
    return kind_of_model(type(record))


def event_time(record: Record, as_of: datetime) -> datetime:
    """A record's event time (``as_of`` when it has none)."""
    found: datetime | None = getattr(record, KINDS[kind_of(record)].event_time, None)
    return found or as_of


def mean_of(total: Any, count: int) -> Decimal | None:
    """The mean of ``count`` values summing to ``total``, rounded (half to even) to 16 places."""
    if count == 0:
        return None
    quotient = _MEAN_CONTEXT.divide(Decimal(total), Decimal(count))
    return quotient.quantize(_MEAN_PLACES, rounding=ROUND_HALF_EVEN, context=_MEAN_CONTEXT)


def aggregate(function: str, values: Sequence[Any], zero: Any) -> Any:
    """One aggregate over the values of a window (``None`` skipped; see the module)."""
    if function == "count":
        return len(values)
    present = [value for value in values if value is not None]
    if function == "count_distinct":
        return len(set(present))
    if function == "sum":
        return sum(present, zero)
    if not present:
        return None
    if function == "min":
        return min(present)
    if function == "max":
        return max(present)
    return mean_of(sum(present, zero), len(present))


@dataclass(frozen=True)
class Entry:
    """A record that entered a rule's windows."""

    seq: int
    """Its place in the order of all records of its kind (event time, then input order)."""
    position: int
    """Its place in its group."""
    at: datetime
    record: Record
    names: Mapping[str, Any]
    values: tuple[Any, ...]
    leg: int = 0
    """Which of the rule's legs of the record this is (0 when the rule has none)."""

    @property
    def order(self) -> tuple[int, int]:
        """Its place among every entry: the record's, then the leg's."""
        return self.seq, self.leg


@dataclass
class Episode:
    """Failing windows of one group that share records: one finding.

    Attributes:
        group_key: the group's values.
        trigger: the record whose window failed first.
        window: the members of the trigger's window.
        members: every record of every failing window, in order.
        end: the position in the group of the last failing window's record.
        values: the trigger window's aggregates, when they are known without its records
            (running totals, whose windows reach back to the group's first record, and a
            window that is a finding of its own, which names its record alone).
    """

    group_key: tuple[Any, ...]
    trigger: Entry
    window: tuple[Entry, ...]
    members: list[Entry]
    end: int
    values: Mapping[str, Any] | None = None


class AggregateRule:
    """An aggregate rule of a policy, compiled for the Python backend.

    Args:
        rule: the compiled rule (``rule.rule.is_aggregate``).
        policy: the policy it belongs to (its version goes into findings).
        starts: the first day the rule is in force (policy's and rule's together).
        ends: the day it stops being in force (policy's and rule's together).
    """

    def __init__(
        self, rule: CompiledRule, policy: Policy, starts: date | None, ends: date | None
    ) -> None:
        window = rule.rule.window
        assert window is not None  # an aggregate rule always has one
        self.rule = rule
        self.policy = policy
        self.kind = rule.rule.applies_to
        self.kinds = rule.rule.kinds
        self.blank: dict[str, Any] = dict.fromkeys(self.kinds) if rule.rule.also else {}
        """Every kind's name as ``None``, under the record's own (several kinds only)."""
        self.starts = starts
        self.ends = ends
        self.span = None if window.seconds is None else timedelta(seconds=window.seconds)
        self.unbounded = window.unbounded
        self.where = None if rule.where is None else rule.where.python()
        self.group_by = tuple(expr.python() for expr in rule.group_by)
        self.functions = tuple(a.function for a in rule.rule.aggregates)
        self.names = tuple(a.name for a in rule.rule.aggregates)
        arguments = [rule.aggregates[name] for name in self.names]
        self.arguments = tuple(None if expr is None else expr.python() for expr in arguments)
        self.zeros = tuple(
            0 if expr is None or expr.type.kind == "int" else Decimal(0) for expr in arguments
        )
        self.holds = rule.assertion.python()
        self.legs = tuple(
            {name: expr.python() for name, expr in leg.items()} for leg in rule.legs
        ) or ({},)
        scope = rule.scope
        self.takes_account = scope.record == "account" or "account" in scope.related
        """Whether the rule's expressions take an ``account``: the related record of a
        trade, movement or snapshot, or the record of an account rule. A rule over a kind
        with no account (``emir_report``, ``mifir_report``) takes none and is given none."""

    # --- records entering -------------------------------------------------------------

    def in_force(self, at: datetime) -> bool:
        """Whether the rule applies to a record with this event time."""
        day = at.date()
        return (self.starts is None or day >= self.starts) and (
            self.ends is None or day < self.ends
        )

    def selects(self, names: Mapping[str, Any]) -> bool:
        """Whether the record enters the windows (``where``)."""
        return self.where is None or bool(self.where(**names))

    def leg_names(self, names: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The names of each leg of the record: the record's, and the leg's values."""
        return [
            {**names, **{name: value(**names) for name, value in leg.items()}} for leg in self.legs
        ]

    def key(self, names: Mapping[str, Any]) -> tuple[Any, ...]:
        """The record's group: the values of ``group_by`` (enumerations as their values)."""
        return tuple(_plain(group(**names)) for group in self.group_by)

    def values(self, names: Mapping[str, Any]) -> tuple[Any, ...]:
        """The values the record adds to each aggregate (``None`` for ``count()``)."""
        return tuple(None if fn is None else fn(**names) for fn in self.arguments)

    # --- windows ----------------------------------------------------------------------

    def aggregates(self, window: Sequence[Entry]) -> dict[str, Any]:
        """The aggregates of a window, by name."""
        return {
            name: aggregate(function, [entry.values[index] for entry in window], zero)
            for index, (name, function, zero) in enumerate(
                zip(self.names, self.functions, self.zeros, strict=True)
            )
        }

    def fails(self, entry: Entry, values: Mapping[str, Any]) -> bool:
        """Whether the window of ``entry`` (with these aggregates) fails the assert."""
        return not self.holds(**entry.names, **values)

    def starts_window(self, first: Entry, entry: Entry) -> bool:
        """Whether ``first`` is still in the window of ``entry`` (both of one group)."""
        if self.unbounded:
            return True
        if self.span is None:
            return first.at.date() == entry.at.date()
        return first.at > entry.at - self.span

    # --- findings ---------------------------------------------------------------------

    def finding(self, episode: Episode, as_of: datetime) -> Finding:
        """The finding of an episode (an ``error`` finding if explaining it raises)."""
        trigger = episode.trigger
        try:
            values = (
                dict(episode.values)
                if episode.values is not None
                else self.aggregates(episode.window)
            )
            names = {**trigger.names, "as_of": as_of, **values}
            evidence = dict(values)
            for expr in self.rule.evidence:
                evidence[expr.text] = expr.python()(**names)
            message = render_message(self.rule.message, names)
        except Exception as exc:
            return self.crashed(trigger.record, trigger.at, exc)
        rule = self.rule.rule
        return Finding(
            rule_id=rule.id,
            rule_version=self.policy.version,
            severity=rule.severity,
            record_kind=kind_of(trigger.record),
            record_id=trigger.record.key,
            message=message or rule.title or rule.id,
            evidence=evidence,
            reference=rule.reference,
            group_key=episode.group_key,
            member_ids=tuple(dict.fromkeys(member.record.key for member in episode.members)),
            at=trigger.at,
        )

    def crashed(self, record: Record, at: datetime | None, exc: Exception) -> Finding:
        """The ``error`` finding of a rule that raised on a record."""
        rule = self.rule.rule
        return Finding(
            rule_id=rule.id,
            rule_version=self.policy.version,
            severity=Severity.ERROR,
            record_kind=kind_of(record),
            record_id=record.key,
            message=f"the rule could not be decided: {type(exc).__name__}: {exc}",
            reference=rule.reference,
            at=at,
        )


def _plain(value: Any) -> Any:
    """Enumeration members as their values, so group keys are plain data."""
    return value.value if isinstance(value, enum.Enum) else value


# --- the streaming state -------------------------------------------------------------------


class Running:
    """A window's aggregates, kept up to date as records enter and leave it (each record
    costs the same whatever the window's size; min and max use monotonic queues)."""

    def __init__(self, rule: AggregateRule) -> None:
        self.functions = rule.functions
        self.names = rule.names
        self.sums: list[Any] = list(rule.zeros)
        self.counts = [0] * len(rule.functions)
        self.distinct: list[Counter[Any]] = [Counter() for _ in rule.functions]
        self.extremes: list[deque[tuple[int, Any]]] = [deque() for _ in rule.functions]
        self.sliding = not rule.unbounded
        """Whether entries leave the window (a running total's never do: its sums keep the
        places of their values as they are, and need no queue of them)."""
        self.places: list[deque[tuple[int, int]]] = [deque() for _ in rule.functions]
        """A decimal sum's exponents in the window, smallest first (a monotonic queue): the
        window's sum is written to the places of its values, as if summed afresh, whatever
        left the window before."""
        self.size = 0

    def add(self, entry: Entry) -> None:
        """Count an entry that came into the window."""
        self.size += 1
        for index, (function, value) in enumerate(zip(self.functions, entry.values, strict=True)):
            if value is None or function == "count":
                continue
            if function in ("sum", "mean"):
                self.sums[index] = _add(self.sums[index], value)
                self.counts[index] += 1
                if self.sliding and isinstance(value, Decimal):
                    _enqueue(self.places[index], entry.position, _exponent(value), smallest=True)
            elif function == "count_distinct":
                self.distinct[index][value] += 1
            else:
                _enqueue(self.extremes[index], entry.position, value, smallest=function == "min")

    def remove(self, entry: Entry) -> None:
        """Take out an entry that left the window (the oldest one)."""
        self.size -= 1
        for index, (function, value) in enumerate(zip(self.functions, entry.values, strict=True)):
            if value is None or function == "count":
                continue
            if function in ("sum", "mean"):
                self.sums[index] = _add(self.sums[index], -value)
                self.counts[index] -= 1
                _dequeue(self.places[index], entry.position)
            elif function == "count_distinct":
                counter = self.distinct[index]
                counter[value] -= 1
                if not counter[value]:
                    del counter[value]
            else:
                _dequeue(self.extremes[index], entry.position)

    def values(self) -> dict[str, Any]:
        """The window's aggregates, by name."""
        found: dict[str, Any] = {}
        for index, (name, function) in enumerate(zip(self.names, self.functions, strict=True)):
            if function == "count":
                found[name] = self.size
            elif function == "sum":
                total = self.sums[index]
                found[name] = _placed(total, self.places[index]) if self.sliding else total
            elif function == "mean":
                found[name] = mean_of(self.sums[index], self.counts[index])
            elif function == "count_distinct":
                found[name] = len(self.distinct[index])
            else:
                queue = self.extremes[index]
                found[name] = queue[0][1] if queue else None
        return found


def _enqueue(queue: deque[tuple[int, Any]], position: int, value: Any, *, smallest: bool) -> None:
    """Add a value to a monotonic queue of a window's smallest (or largest) values. An equal
    value already there stays ahead of it: like ``min`` and ``max``, the window's first of
    equal values is its extreme (``0`` before ``0.0``)."""
    while queue and (queue[-1][1] > value if smallest else queue[-1][1] < value):
        queue.pop()
    queue.append((position, value))


def _dequeue(queue: deque[tuple[int, Any]], position: int) -> None:
    """Take the value of the entry at ``position``, the window's oldest, out of a queue."""
    if queue and queue[0][0] == position:
        queue.popleft()


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _placed(total: Any, places: deque[tuple[int, int]]) -> Any:
    """A running decimal sum at the places of the window's values (and of the sum's zero),
    as :func:`aggregate` writes it: ``100.00 + 100 - 100.00`` is ``100``."""
    if not isinstance(total, Decimal):
        return total
    exponent = min(0, places[0][1]) if places else 0
    return total.quantize(Decimal(1).scaleb(exponent), context=_MEAN_CONTEXT)


def _add(total: Any, value: Any) -> Any:
    """Exact addition: decimals at 80 digits (a running sum must not round)."""
    if isinstance(total, int) and isinstance(value, int):
        return total + value
    return _MEAN_CONTEXT.add(total, value)


@dataclass
class _Group:
    running: Running
    entries: deque[Entry] = field(default_factory=deque)
    positions: int = 0
    episode: Episode | None = None


class RuleState:
    """One aggregate rule's groups, open episodes and findings."""

    def __init__(self, rule: AggregateRule) -> None:
        self.rule = rule
        self.groups: dict[tuple[Any, ...], _Group] = {}
        self.closed: list[tuple[tuple[int, int], Episode | Finding]] = []
        """Closed episodes and error findings, by the seq of their record."""
        self.last: Episode | Finding | None = None
        """What the last record added gave: the episode its window failed in, or an error."""

    def add(
        self, seq: int, record: Record, at: datetime, names: Mapping[str, Any], as_of: datetime
    ) -> list[Finding]:
        """Feed one record (its ``seq`` in the feed, its event time and its names); return
        the alerts: the episodes it opened and the ``error`` finding if the rule raised."""
        rule = self.rule
        self.last = None
        if not rule.in_force(at):
            return []
        if rule.blank:
            names = {**rule.blank, **names}
        try:
            if not rule.selects(names):
                return []
            legs = [
                (n, rule.key(ln), rule.values(ln), ln) for n, ln in enumerate(rule.leg_names(names))
            ]
        except Exception as exc:
            return self.crash((seq, 0), rule.crashed(record, at, exc))
        alerts: list[Finding] = []
        last: Episode | Finding | None = None
        for leg, key, values, leg_names in legs:
            alerts += self._add_leg(seq, leg, record, at, key, values, leg_names, as_of)
            last = self.last or last
        self.last = last
        return alerts

    def _add_leg(
        self,
        seq: int,
        leg: int,
        record: Record,
        at: datetime,
        key: tuple[Any, ...],
        values: tuple[Any, ...],
        names: Mapping[str, Any],
        as_of: datetime,
    ) -> list[Finding]:
        rule = self.rule
        self.last = None
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group(Running(rule))
        if group.entries and at < group.entries[-1].at:
            last = group.entries[-1]
            raise ValueError(
                f"{kind_of(record)} {record.key!r} at {at.isoformat()} is earlier than "
                f"{last.record.key!r} at {last.at.isoformat()} of the same group {key!r} of "
                f"rule {rule.rule.rule.id}; feed the records of a group in time order"
            )
        entry = Entry(seq, group.positions, at, record, names, values, leg)
        group.positions += 1
        group.entries.append(entry)
        group.running.add(entry)
        while not rule.starts_window(group.entries[0], entry):
            group.running.remove(group.entries.popleft())
        try:
            aggregates = group.running.values()
            failing = rule.fails(entry, aggregates)
        except Exception as exc:
            return self.crash(entry.order, rule.crashed(record, at, exc))
        if rule.unbounded:
            return self._running_total(group, key, entry, aggregates if failing else None, as_of)
        if not failing:
            return []
        if not rule.rule.rule.episodes:  # one finding per failing window: the record's
            single = self.last = Episode(key, entry, (entry,), [entry], entry.position, aggregates)
            self.closed.append((entry.order, single))
            return [rule.finding(single, as_of)]
        window = tuple(group.entries)
        episode = group.episode
        if episode is not None and window[0].position <= episode.end:
            episode.members.extend(e for e in window if e.position > episode.end)
            episode.end = entry.position
            self.last = episode
            return []
        if episode is not None:
            self.closed.append((episode.trigger.order, episode))
        group.episode = self.last = Episode(key, entry, window, list(window), entry.position)
        return [rule.finding(group.episode, as_of)]

    def _running_total(
        self,
        group: _Group,
        key: tuple[Any, ...],
        entry: Entry,
        failing: Mapping[str, Any] | None,
        as_of: datetime,
    ) -> list[Finding]:
        """A record of a running total (``window: all``): episodes are runs of failing
        records, and only the last entry is kept (the running aggregates hold the rest)."""
        if len(group.entries) > 1:
            group.entries.popleft()
        if failing is None:
            return []
        episode = group.episode
        if self.rule.rule.rule.episodes and episode is not None:
            if episode.end == entry.position - 1:
                episode.members.append(entry)
                episode.end = entry.position
                self.last = episode
                return []
            self.closed.append((episode.trigger.order, episode))
        new = self.last = Episode(key, entry, (entry,), [entry], entry.position, failing)
        if self.rule.rule.rule.episodes:
            group.episode = new
        else:
            self.closed.append((entry.order, new))
        return [self.rule.finding(new, as_of)]

    def crash(self, order: tuple[int, int], finding: Finding) -> list[Finding]:
        """Keep the ``error`` finding of a record the rule raised on, in its place."""
        self.closed.append((order, finding))
        self.last = finding
        return [finding]

    def findings(self, as_of: datetime) -> list[Finding]:
        """Every episode and ``error`` finding so far, in the order they began."""
        items = list(self.closed)
        items += [(g.episode.trigger.order, g.episode) for g in self.groups.values() if g.episode]
        items.sort(key=lambda item: item[0])
        return [
            item if isinstance(item, Finding) else self.rule.finding(item, as_of)
            for _, item in items
        ]


class WindowState:
    """The aggregate rules of a policy, fed one record at a time (the embedded path).

    Example::

        state = rk.load_policy("aml.yaml").compile().window_state()
        for movement in stream:                      # in time order within each account
            for alert in state.add_movement(movement, account=accounts[movement.account_id]):
                notify(alert)
        episodes = state.findings()                  # the same as rk.check over the stream

    Args:
        checker: the compiled policy (its ``as_of`` is the time rules read as ``as_of``).
    """

    def __init__(self, checker: AggregateSource) -> None:
        self.checker = checker
        self._states = {
            kind: [RuleState(rule) for rule in checker.aggregate_rules(kind)] for kind in KINDS
        }
        """Each kind's rules (``applies_to`` first), in policy order."""
        self._rules: dict[str, list[RuleState]] = {kind: [] for kind in KINDS}
        """The rules each kind's records enter (a rule over several kinds under each)."""
        for states in self._states.values():
            for state in states:
                for kind in state.rule.kinds:
                    self._rules[kind].append(state)
        self._seq = 0

    def add(self, kind: str, record: Record, account: Account | None = None) -> list[Finding]:
        """Feed one record of a kind; return the alerts: the episodes it opened (with the
        members so far) and the ``error`` findings of rules that raised on it.

        Raises:
            ValueError: an unknown ``kind``, or an ``account`` that is not the record's.
            TypeError: a ``record`` that is not of the kind, or an ``account`` that is not
                an Account.
        """
        refuse_misfit(
            "WindowState.add", "record", kind_model("WindowState.add", kind), record, account
        )
        return self._add(kind, record, account)

    def _add(self, kind: str, record: Record, account: Account | None) -> list[Finding]:
        states = self._rules[kind]
        if not states:
            return []
        as_of = self.checker.as_of or datetime.now(UTC)
        at = event_time(record, as_of)
        names: dict[str, Any] = {kind: record, "as_of": as_of}
        with_account = names if kind == "account" else {**names, "account": account}
        seq = self._seq
        self._seq += 1
        alerts: list[Finding] = []
        for state in states:
            given = with_account if state.rule.takes_account else names
            alerts += state.add(seq, record, at, given, as_of)
        return alerts

    def add_movement(self, movement: Record, account: Account | None = None) -> list[Finding]:
        """Feed one cash movement (with its account)."""
        return self.add("movement", movement, account)

    def add_trade(self, trade: Record, account: Account | None = None) -> list[Finding]:
        """Feed one trade (with its account)."""
        return self.add("trade", trade, account)

    def add_snapshot(self, snapshot: Record, account: Account | None = None) -> list[Finding]:
        """Feed one account snapshot (with its account)."""
        return self.add("snapshot", snapshot, account)

    def findings(self, kind: str | None = None) -> list[Finding]:
        """Every episode so far (open ones with their members so far), rule by rule in
        policy order, each rule's in the order their first window failed."""
        as_of = self.checker.as_of or datetime.now(UTC)
        kinds = [kind] if kind is not None else list(self._states)
        return [
            finding
            for each in kinds
            for state in self._states[each]
            for finding in state.findings(as_of)
        ]


def at_record(
    checker: AggregateSource,
    kind: str,
    record: Record,
    account: Account | None,
    history: Iterable[Record],
) -> list[Finding]:
    """The aggregate findings at one record, given the earlier records of its windows: for
    each rule whose window at ``record`` fails, the finding of its episode (so far)."""
    state = WindowState(checker)
    as_of = checker.as_of or datetime.now(UTC)
    for earlier in ordered(history, as_of):
        state._add(kind_of(earlier), earlier, account)
    state._add(kind, record, account)
    findings: list[Finding] = []
    for rule_state in state._rules[kind]:
        last = rule_state.last
        if isinstance(last, Finding):
            findings.append(last)
        elif last is not None:
            findings.append(rule_state.rule.finding(last, as_of))
    return findings


def ordered(records: Iterable[Record], as_of: datetime) -> list[Record]:
    """Records in event-time order; ties in the order given (a record without an event
    time: ``as_of``)."""
    return sorted(records, key=lambda record: event_time(record, as_of))


# The names the rules' backends used before they were public.
_Entry = Entry
_Running = Running
_RuleState = RuleState
