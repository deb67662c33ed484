"""Aggregate rules on the polars backend: the windows of :mod:`regkit.rules.windows`, rolled
column-wise (moved here from ``regkit.rules.rolling``, which re-exports it).

The semantics are those of :mod:`regkit.rules.windows`; this module decides, with polars,
which windows fail and how they merge into episodes. The findings of the episodes are then
written by the same code as the Python backend's (:meth:`AggregateRule.finding`), from the
records of each episode, so both backends give the same findings; where a finding names its
record alone (running totals, ``episodes: false``), its window's values come from its
records fed through the Python backend's running aggregates
(:mod:`~regkit.rules.backends.polars.history`).

How the windows are rolled: polars' ``rolling`` over an integer index. A window is
``(t - span, t]`` *and* stops at the record itself among records of the same time, so the
time is widened to make room for the order of ties: ``index = (t - t0) * 2k + tie``, where
``tie`` is the record's place among its group's records of the same time and ``k`` exceeds
the largest such count. With the period ``span * 2k - k`` a record's window then holds
exactly the earlier-or-tied-and-before records later than ``t - span`` (the proof is two
lines: a tie term never reaches ``k``, a time step is ``2k``). ``calendar_day`` rolls over
groups of (group, UTC day) with a period longer than the data. Running totals are not
rolled: each group's aggregates are accumulated.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import polars as pl

from regkit.rules.backends.polars.history import NO_HISTORY, SCHEMA, names_at, window_values
from regkit.rules.findings import Finding
from regkit.rules.lang import compile_expr, default_columns
from regkit.rules.windows import AggregateRule, Entry, Episode, event_time
from regkit.schemas.account import Account
from regkit.schemas.base import Record, key_text
from regkit.schemas.kinds import KINDS

__all__ = ["EpisodeRows", "failing_episodes", "polars_findings"]

INDEX = "__index"
_TIME = "__time"
_ROW = "__row"
_GID = "__gid"
_TIE = "__tie"
_T = "__t"
_POS = "__pos"
_FIRST = "__first"
_DAY = "__day"
_EPISODE = "__episode"
_AGG = "__agg."
_LEG = "__leg"
_LEG_PREFIX = "__leg."
_EVENT = "__event"
_LIMIT = 1 << 62


@dataclass(frozen=True)
class EpisodeRows:
    """One episode, by rows of the frame (their ``__index``).

    Attributes:
        members: every member's row, in order; the trigger's window is ``members[:window]``.
        window: how many members the trigger's window holds.
    """

    members: tuple[int, ...]
    window: int
    legs: tuple[int, ...] = ()
    """Each member's leg (see :attr:`regkit.rules.policy.Rule.legs`); all 0 without legs."""
    group: int = 0
    """The group's id (running totals only)."""
    position: int = 0
    """The trigger's position in its group (running totals only)."""

    @property
    def trigger(self) -> int:
        """The row of the record whose window failed first."""
        return self.members[self.window - 1]


Pick = Callable[[Sequence[int]], Sequence[Record]]
"""The records of some rows of a frame (by ``__index``)."""

Frame = pl.DataFrame | pl.LazyFrame
"""A kind's frame (or the lazy frame of a rule over several kinds)."""


def polars_findings(
    rules: Sequence[AggregateRule],
    kind: str,
    frames: Callable[[str], pl.DataFrame | None],
    picks: Callable[[str], Pick],
    related: Callable[[Record], Account | None],
    as_of: datetime | None,
) -> list[Finding]:
    """The findings of a kind's aggregate rules over frames of the records.

    Args:
        rules: the kind's aggregate rules (``applies_to``, the first kind of a rule).
        kind: the kind.
        frames: each kind's records as dotted columns (a related account's as
            ``account.*``) with their input order in ``__index``; ``None`` for no records.
        picks: each kind's records of some rows (by ``__index``), for the findings.
        related: a record's account.
        as_of: the time rules read as ``as_of`` (``None``: now).
    """
    now = as_of or datetime.now(UTC)
    findings: list[Finding] = []
    for rule in rules:
        if rule.blank:
            frame, pick = _combined(rule, frames, picks)
        else:
            frame, pick = frames(kind), picks(kind)
        if frame is not None:
            findings += _rule_findings(rule, frame, pick, related, now)
    return findings


def _rule_findings(
    rule: AggregateRule,
    frame: Frame,
    records: Pick,
    related: Callable[[Record], Account | None],
    as_of: datetime,
) -> list[Finding]:
    episodes, history = _failing(rule, frame, as_of)
    triggers = {(rows.group, rows.position) for rows in episodes}
    totals = window_values(rule, history, triggers, records, related, as_of)
    keys = _member_keys(rule, frame, episodes) if totals and rule.unbounded else None
    # Every record the findings read, built in one go (building is per call, not per row);
    # a running total's finding reads only its trigger and names its members by key.
    needed: set[int] = set()
    for rows in episodes:
        running = keys is not None and (rows.group, rows.position) in totals
        needed.update((rows.trigger,) if running else rows.members)
    ordered = sorted(needed)
    by_row = dict(zip(ordered, records(ordered), strict=True))

    def pick(rows: Sequence[int]) -> list[Record]:
        return [by_row[row] for row in rows]

    found: list[Finding] = []
    for number, rows in enumerate(episodes):
        values = totals.get((rows.group, rows.position))
        if values is not None and keys is not None:
            named = keys[number]
            found.append(_running_finding(rule, rows, pick, related, as_of, values, named))
        else:
            found.append(_finding(rule, rows, pick, related, as_of, values))
    return found


def _member_keys(
    rule: AggregateRule, frame: Frame, episodes: list[EpisodeRows]
) -> list[tuple[str, ...]] | None:
    """Each episode's members' record keys, each once and in order, read from the frame's
    key columns, column-wise (a firm-wide total's episodes name millions of records); None:
    the frame lacks them, or holds the rows of several kinds."""
    if rule.blank:
        return None
    fields = KINDS[rule.kind].key if rule.kind in KINDS else ()
    schema = frame.lazy().collect_schema()
    if not fields or any(name not in schema for name in fields):
        return None
    sizes = pl.Series([len(episode.members) for episode in episodes], dtype=pl.UInt32)
    members = pl.DataFrame(
        {
            "__e": pl.int_range(len(episodes), eager=True).repeat_by(sizes).explode(),
            INDEX: pl.Series(chain.from_iterable(e.members for e in episodes)),
        }
    ).cast({INDEX: schema[INDEX]})
    texts = [
        pl.col(name)
        if schema[name] == pl.String
        else pl.col(name).map_elements(key_text, return_dtype=pl.String)
        for name in fields
    ]
    keyed = (
        frame.lazy()
        .join(members.select(INDEX).unique().lazy(), on=INDEX, how="semi")
        .select(INDEX, pl.concat_str(texts, separator="|").alias("__key"))
        .collect()
    )
    lists = (
        members.join(keyed, on=INDEX, how="left", maintain_order="left")
        .group_by("__e", maintain_order=True)
        .agg(pl.col("__key").unique(maintain_order=True))
    )
    return [tuple(keys) for keys in lists.get_column("__key").to_list()]


def _combined(
    rule: AggregateRule,
    frames: Callable[[str], pl.DataFrame | None],
    picks: Callable[[str], Pick],
) -> tuple[Frame | None, Pick]:
    """The frames of a rule's kinds as one (a diagonal concatenation, in the order of the
    kinds): the first kind's fields as they are, another kind's under its name
    (``trade.notional``), the account's as ``account.*``, each row's event time in
    ``__event`` and ``__index`` numbered on from one kind to the next."""
    parts: list[pl.LazyFrame] = []
    ranges: list[tuple[int, int, str]] = []
    start = 0
    for number, kind in enumerate(rule.kinds):
        frame = frames(kind)
        if frame is None or frame.is_empty():
            continue
        part = frame.lazy().with_columns(
            pl.col(KINDS[kind].event_time).cast(pl.Datetime("us", "UTC")).alias(_EVENT),
            pl.col(INDEX).cast(pl.Int64) + start,
        )
        if number:
            keep = {INDEX, _EVENT}
            part = part.rename(
                {
                    column: f"{kind}.{column}"
                    for column in frame.columns
                    if column not in keep and not column.startswith("account.")
                }
            )
        parts.append(part)
        ranges.append((start, start + frame.height, kind))
        start += frame.height
    if not parts:
        return None, picks(rule.kind)
    # Lazy: the kinds' rows are read by each step of the rule, only the columns it reads (a
    # diagonal frame of ten million trades and their movements would be several GB).
    combined = pl.concat(parts, how="diagonal_relaxed")
    columns = default_columns(rule.kind)
    missing = {columns(name): name for name in _read(rule)}
    present = set(combined.collect_schema().names())
    combined = combined.with_columns(
        pl.lit(None, dtype=_dtype(rule, name)).alias(column)
        for column, name in sorted(missing.items())
        if column not in present
    )

    def pick(rows: Sequence[int]) -> list[Record]:
        found: dict[int, Record] = {}
        for low, high, kind in ranges:
            inside = [row for row in rows if low <= row < high]
            if inside:
                chosen = picks(kind)([row - low for row in inside])
                found.update(zip(inside, chosen, strict=True))
        return [found[row] for row in rows]

    return combined, pick


_DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "enum": pl.String(),
    "decimal": pl.Decimal(38, 9),
    "int": pl.Int64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us", "UTC"),
    "list": pl.List(pl.String()),
}


def _dtype(rule: AggregateRule, name: str) -> pl.DataType | None:
    """The column type of a field the rule reads (for a kind with no records)."""
    kind = compile_expr(name, rule.rule.scope).type.kind
    return _DTYPES.get(kind)


def _read(rule: AggregateRule) -> set[str]:
    """The dotted fields the rule's column-wise expressions read."""
    compiled = rule.rule
    exprs = [compiled.where, compiled.assertion, *compiled.group_by]
    exprs += list(compiled.aggregates.values())
    exprs += [expr for leg in compiled.legs for expr in leg.values()]
    return {name for expr in exprs if expr is not None for name in expr.names if "." in name}


def _finding(
    rule: AggregateRule,
    rows: EpisodeRows,
    records: Callable[[Sequence[int]], Sequence[Record]],
    related: Callable[[Record], Account | None],
    as_of: datetime,
    values: dict[str, Any] | None = None,
) -> Finding:
    members = []
    legs = rows.legs or (0,) * len(rows.members)
    for position, (record, leg) in enumerate(zip(records(rows.members), legs, strict=True)):
        names = names_at(rule, record, leg, related, as_of)
        at = event_time(record, as_of)
        window_values = rule.values(names) if position < rows.window and values is None else ()
        members.append(Entry(rows.trigger, position, at, record, names, window_values, leg))
    trigger = members[rows.window - 1]
    episode = Episode(
        group_key=rule.key(trigger.names),
        trigger=trigger,
        window=tuple(members[: rows.window]),
        members=members,
        end=len(members) - 1,
        values=values,
    )
    return rule.finding(episode, as_of)


def _running_finding(
    rule: AggregateRule,
    rows: EpisodeRows,
    records: Callable[[Sequence[int]], Sequence[Record]],
    related: Callable[[Record], Account | None],
    as_of: datetime,
    values: dict[str, Any],
    keys: tuple[str, ...],
) -> Finding:
    """The finding of a running total's episode: its trigger's record and totals, and its
    members' ``keys`` (a firm-wide total's episode can hold tens of thousands of records,
    which need not be built to be named)."""
    (record,) = records([rows.trigger])
    leg = rows.legs[rows.window - 1] if rows.legs else 0
    names = names_at(rule, record, leg, related, as_of)
    trigger = Entry(
        rows.trigger, rows.window - 1, event_time(record, as_of), record, names, (), leg
    )
    episode = Episode(rule.key(names), trigger, (trigger,), [trigger], 0, values)
    finding = rule.finding(episode, as_of)
    if finding.group_key is None:
        return finding  # the rule could not be decided: said of the trigger alone
    return dataclasses.replace(finding, member_ids=keys)


def failing_episodes(rule: AggregateRule, frame: Frame, as_of: datetime) -> list[EpisodeRows]:
    """The episodes of an aggregate rule over a frame, in the order their first window failed."""
    return _failing(rule, frame, as_of)[0]


def _failing(
    rule: AggregateRule, frame: Frame, as_of: datetime
) -> tuple[list[EpisodeRows], pl.DataFrame]:
    """The episodes, and the history of the windows whose values are computed from their
    records (:mod:`~regkit.rules.backends.polars.history`): running totals' and those of a
    rule whose failing windows are findings of their own."""
    rows = _entered(rule, frame, as_of)
    if rows.is_empty():
        return [], NO_HISTORY
    rows, period, by = _widen(rule, rows)
    split = rows.height > ROLL_ROWS  # one part at a time: only their failing rows are kept
    failing = pl.concat(
        [_failing_rows(rule, part, frame, period, by, as_of, split) for part in _by_groups(rows)]
    )
    merge = rule.rule.rule.episodes
    if rule.unbounded:
        episodes = _runs(failing, merge=merge)
        return episodes, _histories(rows, episodes)
    if merge:
        return _episodes(failing, rows), NO_HISTORY
    return _runs(failing, merge=False), _windows(rows, failing)


#: Rows rolled together: a rule's groups are split into parts of about this many rows, so
#: that the windows' aggregates of ten million records are not held at once.
ROLL_ROWS = 1_000_000


def _by_groups(rows: pl.DataFrame) -> Iterator[pl.DataFrame]:
    """The rows in parts of whole groups (about :data:`ROLL_ROWS` rows each), each part in
    the rows' order."""
    parts = -(-rows.height // ROLL_ROWS)
    if parts <= 1:
        yield rows
        return
    for number in range(parts):
        yield rows.filter(pl.col(_GID) % parts == number)


def _failing_rows(
    rule: AggregateRule,
    rows: pl.DataFrame,
    frame: Frame,
    period: int,
    by: list[str],
    as_of: datetime,
    split: bool,
) -> pl.DataFrame:
    """The rows of whole groups whose window fails the rule's assertion (``split``: the
    rows are a part of the groups)."""
    rolled = _roll(rule, rows, period, by)
    compiled = rule.rule
    legs = set(compiled.legs[0]) if compiled.legs else set()
    mapping = _value_columns(default_columns(rule.kind), legs)
    fails = ~compiled.assertion.polars(columns=mapping, as_of=as_of)
    if compiled.assertion.names:  # the assert reads the record's own fields too
        wanted = {mapping(name) for name in compiled.assertion.names} - set(rolled.columns)
        rolled = rolled.join(_own_fields(frame, rows, wanted, split), on=INDEX, how="left")
    return rolled.filter(fails).select(_GID, _ROW, _FIRST, _POS, INDEX, _LEG)


def _own_fields(frame: Frame, rows: pl.DataFrame, wanted: set[str], split: bool) -> pl.DataFrame:
    """The frame's ``wanted`` columns, by ``__index`` (of the rows of a part only, when
    ``split``)."""
    own = frame.lazy()
    if split:
        own = own.join(rows.select(INDEX).lazy(), on=INDEX, how="semi")
    names = [name for name in own.collect_schema().names() if name in wanted]
    return own.select(INDEX, *names).collect()


def _runs(failing: pl.DataFrame, *, merge: bool) -> list[EpisodeRows]:
    """Running totals' episodes: runs of consecutive failing records of a group (each
    failing record alone without ``merge``), the members being the failing records."""
    if failing.is_empty():
        return []
    failing = failing.sort([_GID, _POS])
    previous = pl.col(_POS).shift(1)
    starts = (
        previous.is_null()
        | (pl.col(_GID) != pl.col(_GID).shift(1))
        | (pl.col(_POS) != previous + 1)
        if merge
        else pl.repeat(True, pl.len())
    )
    runs = (
        failing.with_columns(starts.cum_sum().alias(_EPISODE))
        .group_by(_EPISODE, maintain_order=True)
        .agg(
            pl.col(_GID).first(),
            pl.col(_POS).first(),
            pl.col(_ROW).first().alias("trigger"),
            pl.col(INDEX).alias("members"),
            pl.col(_LEG).alias("legs"),
        )
        .sort("trigger")
    )
    return [
        EpisodeRows(tuple(members), 1, tuple(legs), int(group), int(position))
        for members, legs, group, position in runs.select("members", "legs", _GID, _POS).iter_rows()
    ]


def _histories(rows: pl.DataFrame, episodes: list[EpisodeRows]) -> pl.DataFrame:
    """Running totals' history: each group's rows up to its last trigger, a segment per
    group (a frame: a firm-wide total's history is every record, too many to hold as
    Python values)."""
    last: dict[int, int] = {}
    for episode in episodes:
        last[episode.group] = max(last.get(episode.group, 0), episode.position)
    if not last:
        return NO_HISTORY
    bounds = pl.DataFrame({_GID: list(last), "__last": list(last.values())}).cast(
        {_GID: rows.schema[_GID], "__last": pl.Int64}
    )
    history = (  # the rows are in group and position order (:func:`_widen`)
        rows.select(_GID, _POS, INDEX, _LEG)
        .join(bounds, on=_GID, maintain_order="left")
        .filter(pl.col(_POS) <= pl.col("__last"))
        .with_columns(pl.col(_GID).alias("__segment"))
    )
    return _history(history)


def _windows(rows: pl.DataFrame, failing: pl.DataFrame) -> pl.DataFrame:
    """The history of failing windows that are findings of their own: each group's rows
    that some failing window holds, in segments of consecutive positions (a window's
    first position opens a count, the position after its last closes it)."""
    if failing.is_empty():
        return NO_HISTORY
    opened = failing.select(_GID, pl.col(_FIRST).alias(_POS), pl.lit(1).alias("__d"))
    closed = failing.select(_GID, (pl.col(_POS) + 1).alias(_POS), pl.lit(-1).alias("__d"))
    counts = pl.concat([opened, closed]).group_by([_GID, _POS]).agg(pl.col("__d").sum())
    held = (
        rows.filter(pl.col(_GID).is_in(failing.get_column(_GID).unique().implode()))
        .select(_GID, _POS, INDEX, _LEG)
        .sort([_GID, _POS])
        .join(counts, on=[_GID, _POS], how="left", maintain_order="left")
        .filter(pl.col("__d").fill_null(0).cum_sum().over(_GID) > 0)
    )
    previous = pl.col(_POS).shift(1)
    starts = (
        previous.is_null()
        | (pl.col(_GID) != pl.col(_GID).shift(1))
        | (pl.col(_POS) != previous + 1)
    )
    return _history(held.with_columns(starts.cum_sum().alias("__segment")))


def _history(rows: pl.DataFrame) -> pl.DataFrame:
    """A history frame (:data:`~regkit.rules.backends.polars.history.SCHEMA`) of rows in
    order, with their ``__segment``."""
    names = ["__segment", _GID, _POS, INDEX, _LEG]
    return rows.select(
        pl.col(name).cast(pl.Int64).alias(column)
        for name, column in zip(names, SCHEMA, strict=True)
    )


def _entered(rule: AggregateRule, frame: Frame, as_of: datetime) -> pl.DataFrame:
    """The records that enter the rule's windows, narrowed to what the windows need: input
    order, time, group values and aggregated values, sorted by group, time, input order."""
    compiled = rule.rule
    record_columns = columns = default_columns(rule.kind)
    when = pl.lit(as_of.astimezone(UTC), dtype=pl.Datetime("us", "UTC"))
    column = _EVENT if rule.blank else KINDS[rule.kind].event_time
    time = pl.coalesce(pl.col(column).cast(pl.Datetime("us", "UTC")), when)
    entered = pl.lit(True)
    if compiled.where is not None:
        entered = compiled.where.polars(columns=columns, as_of=as_of)
    if rule.starts is not None:
        entered = entered & (time.dt.date() >= rule.starts)
    if rule.ends is not None:
        entered = entered & (time.dt.date() < rule.ends)
    groups = [f"__g{i}" for i in range(len(compiled.group_by))]
    leg_names = list(compiled.legs[0]) if compiled.legs else []
    columns = _leg_columns(columns, set(leg_names))
    selected = [
        pl.col(INDEX),
        pl.col(_LEG),
        time.alias(_TIME),
        *[
            expr.polars(columns=columns, as_of=as_of).alias(group)
            for expr, group in zip(compiled.group_by, groups, strict=True)
        ],
        *[
            expr.polars(columns=columns, as_of=as_of).alias(f"__v.{name}")
            for name, expr in compiled.aggregates.items()
            if expr is not None
        ],
        *[pl.col(_LEG_PREFIX + name) for name in leg_names],
    ]
    legs = compiled.legs or ({},)
    parts = [
        frame.lazy()
        .filter(entered)
        .with_columns(
            pl.lit(number, dtype=pl.Int64).alias(_LEG),
            *[
                expr.polars(columns=record_columns, as_of=as_of).alias(_LEG_PREFIX + name)
                for name, expr in leg.items()
            ],
        )
        .select(selected)
        for number, leg in enumerate(legs)
    ]
    # Ties of time in input order, a record's legs in their order (one sort: two would each
    # copy every row).
    query = parts[0] if len(parts) == 1 else pl.concat(parts)
    rows = query.sort([_TIME, INDEX, _LEG]).collect()
    row = pl.int_range(pl.len())
    new_time = (row == 0) | (pl.col(_TIME) != pl.col(_TIME).shift(1))
    rows = rows.with_columns(
        row.alias(_ROW),
        (row - pl.when(new_time).then(row).forward_fill()).alias(_TIE),
        pl.col(_TIME).dt.date().alias(_DAY),
    )
    rows = _group_ids(rows, groups).drop(groups)  # the group's id stands for its values
    return rows.with_columns((pl.col(_GID).cum_count().over(_GID) - 1).alias(_POS))


def _group_ids(rows: pl.DataFrame, groups: list[str]) -> pl.DataFrame:
    """A dense integer id per distinct group (``None`` is a value like any other)."""
    if len(groups) == 1 and rows.schema[groups[0]] == pl.String:
        codes = pl.col(groups[0]).cast(pl.Categorical).to_physical().cast(pl.Int64)
        return rows.with_columns(codes.fill_null(-1).alias(_GID))
    values = rows.select(groups)
    keys = values.unique().with_row_index(_GID)
    ids = values.join(keys, on=groups, how="left", nulls_equal=True, maintain_order="left")
    return rows.with_columns(ids.get_column(_GID))  # joined narrow: the rows are not copied


def _widen(rule: AggregateRule, rows: pl.DataFrame) -> tuple[pl.DataFrame, int, list[str]]:
    """The integer index that orders ties (module docstring), the rolling period and the
    groups to roll over; the rows narrowed to what rolling reads, each group's together."""
    if rule.unbounded:  # accumulated, not rolled (:func:`_accumulate`)
        return rows.drop(_TIME, _TIE, _DAY).sort(_GID, maintain_order=True), 0, [_GID]
    stats = rows.select(
        pl.col(_TIME).dt.epoch("us").min().alias("low"),
        pl.col(_TIME).dt.epoch("us").max().alias("high"),
        pl.col(_TIE).max().alias("ties"),
    ).row(0, named=True)
    spread = int(stats["high"]) - int(stats["low"]) + 1
    k = int(stats["ties"]) + 1
    if spread * 2 * k >= _LIMIT:
        # Too many records share a time across groups: count ties within each group only.
        rows = rows.with_columns(pl.col(_ROW).cum_count().over([_GID, _TIME]).alias(_TIE) - 1)
        k = int(rows.select(pl.col(_TIE).max()).item()) + 1
    step = 2 * k
    if spread * step >= _LIMIT:
        raise OverflowError(
            f"rule {rule.rule.rule.id}: {k} records of one group share a time over a span of "
            f"{spread} µs; too many to roll in 64 bits (use the python engine)"
        )
    index = (pl.col(_TIME).dt.epoch("us") - int(stats["low"])) * step + pl.col(_TIE)
    # Rolling per group wants each group's rows together: a stable sort keeps time order.
    unread = [_TIME, _TIE] if rule.span is None else [_TIME, _TIE, _DAY]
    rows = rows.with_columns(index.alias(_T)).drop(unread).sort(_GID, maintain_order=True)
    if rule.span is None:
        return rows, spread * step + 1, [_GID, _DAY]
    span = int(rule.span.total_seconds() * 1_000_000)
    return rows, min(span, spread + 1) * step - k, [_GID]


def _roll(rule: AggregateRule, rows: pl.DataFrame, period: int, by: list[str]) -> pl.DataFrame:
    """Each row's window aggregates, with its first position in the group."""
    if rule.unbounded:
        return _accumulate(rule, rows)
    aggregations = [
        pl.col(INDEX).last(),
        pl.col(_ROW).last(),
        pl.col(_POS).first().alias(_FIRST),
        pl.col(_POS).last(),
        pl.col(_LEG).last(),
        *[
            pl.col(_LEG_PREFIX + name).last()
            for name in (rule.rule.legs[0] if rule.rule.legs else ())
        ],
    ]
    for name, function in zip(rule.names, rule.functions, strict=True):
        aggregations.append(_aggregation(function, f"__v.{name}").alias(_AGG + name))
    return rows.rolling(_T, period=f"{period}i", closed="right", group_by=by).agg(aggregations)


def _accumulate(rule: AggregateRule, rows: pl.DataFrame) -> pl.DataFrame:
    """A running total's aggregates: each group's cumulative ones, in the rows' order (its
    windows all reach back to the group's first record; rolling them would cost more)."""
    legs = [_LEG_PREFIX + name for name in (rule.rule.legs[0] if rule.rule.legs else ())]
    aggregates = [
        _cumulative(function, f"__v.{name}").over(_GID).alias(_AGG + name)
        for name, function in zip(rule.names, rule.functions, strict=True)
    ]
    first = pl.lit(0, dtype=rows.schema[_POS]).alias(_FIRST)
    return rows.select(_GID, INDEX, _ROW, first, _POS, _LEG, *legs, *aggregates)


def _cumulative(function: str, column: str) -> pl.Expr:
    """An aggregate of each record's window of a running total, as :func:`_aggregation`."""
    value = pl.col(column)
    if function == "count":
        return pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    if function == "count_distinct":
        return (value.is_first_distinct() & value.is_not_null()).cum_sum().cast(pl.Int64)
    if function == "sum":
        return value.fill_null(0).cum_sum()
    if function == "min":
        return value.cum_min().forward_fill()
    if function == "max":
        return value.cum_max().forward_fill()
    count = value.is_not_null().cum_sum()
    mean = value.fill_null(0).cum_sum().cast(pl.Decimal(38, 16)) / count
    return pl.when(count > 0).then(mean).otherwise(None)


def _aggregation(function: str, column: str) -> pl.Expr:
    if function == "count":
        return pl.len().cast(pl.Int64)
    value = pl.col(column)
    if function == "count_distinct":
        return value.drop_nulls().n_unique().cast(pl.Int64)
    if function == "sum":
        return value.sum()
    if function == "min":
        return value.min()
    if function == "max":
        return value.max()
    mean = value.sum().cast(pl.Decimal(38, 16)) / value.count()
    return pl.when(value.count() > 0).then(mean).otherwise(None)


def _episodes(failing: pl.DataFrame, rows: pl.DataFrame) -> list[EpisodeRows]:
    """Failing windows merged per group where they share a record, with their members (the
    group's records from the first window's first to the last window's record)."""
    if failing.is_empty():
        return []
    failing = failing.sort([_GID, _POS])
    previous = pl.col(_POS).shift(1)
    starts = (
        previous.is_null() | (pl.col(_GID) != pl.col(_GID).shift(1)) | (pl.col(_FIRST) > previous)
    )
    episodes = (
        failing.with_columns(starts.cum_sum().alias(_EPISODE))
        .group_by(_EPISODE, maintain_order=True)
        .agg(
            pl.col(_GID).first(),
            pl.col(_ROW).first().alias("trigger"),
            pl.col(_FIRST).first().alias("start"),
            pl.col(_POS).first().alias("window"),
            pl.col(_POS).last().alias("end"),
        )
        .with_columns((pl.col("window") - pl.col("start") + 1).alias("window"))
    )
    members = (
        rows.filter(pl.col(_GID).is_in(episodes.get_column(_GID).implode()))
        .select(_GID, _POS, INDEX, _LEG)
        .join(episodes.select(_GID, _EPISODE, "start", "end"), on=_GID)
        .filter(pl.col(_POS).is_between(pl.col("start"), pl.col("end")))
        .sort([_EPISODE, _POS])
        .group_by(_EPISODE, maintain_order=True)
        .agg(pl.col(INDEX).alias("members"), pl.col(_LEG).alias("legs"))
    )
    joined = episodes.join(members, on=_EPISODE, how="left").sort("trigger")
    return [
        EpisodeRows(tuple(members_), int(window), tuple(legs))
        for members_, window, legs in joined.select("members", "window", "legs").iter_rows()
    ]


def _value_columns(columns: Callable[[str], str], legs: set[str]) -> Callable[[str], str]:
    """Dotted fields to their columns; a leg value's name to its column, an aggregate's to
    its rolled column."""

    def mapped(path: str) -> str:
        if "." in path:
            return columns(path)
        return _LEG_PREFIX + path if path in legs else _AGG + path

    return mapped


def _leg_columns(columns: Callable[[str], str], legs: set[str]) -> Callable[[str], str]:
    """Dotted fields to their columns; a leg value's name to its column."""

    def mapped(path: str) -> str:
        return _LEG_PREFIX + path if path in legs else columns(path)

    return mapped
