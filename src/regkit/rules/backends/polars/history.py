"""The aggregates of some windows on the polars backend, from their records: each window's
records run, in their group's order, through the Python backend's running aggregates
(:class:`~regkit.rules.windows.Running`), so that both backends agree digit for digit.

This is how the windows whose finding names its record alone get their values: running
totals (``window: all``, every window reaching back to its group's first record) and the
windows of a rule with ``episodes: false``. Their records are built
:data:`HISTORY_BATCH` at a time; a window's records are held only while it is fed.

The history is a frame of :data:`SCHEMA`: a row per record (and leg) of a segment, a run
of consecutive positions of a group that covers one or more windows, in segment and
position order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import polars as pl

from regkit.rules.windows import AggregateRule, Entry, Running, event_time, kind_of
from regkit.schemas.account import Account
from regkit.schemas.base import Record

__all__ = ["HISTORY_BATCH", "NO_HISTORY", "SCHEMA", "names_at", "window_values"]

#: Records of the histories built together: a firm-wide total runs over every record,
#: which are read a batch at a time rather than all at once.
HISTORY_BATCH = 200_000

#: The columns of a history: its segment, the group and the position in it, the record's
#: row (``__index``) and leg.
SCHEMA: dict[str, pl.DataType] = {
    "segment": pl.Int64(),
    "group": pl.Int64(),
    "position": pl.Int64(),
    "row": pl.Int64(),
    "leg": pl.Int64(),
}

#: The history of a rule with no window to feed.
NO_HISTORY = pl.DataFrame(schema=SCHEMA)

Records = Callable[[Sequence[int]], Sequence[Record]]
Values = dict[tuple[int, int], dict[str, Any]]


def names_at(
    rule: AggregateRule,
    record: Record,
    leg: int,
    related: Callable[[Record], Account | None],
    as_of: datetime,
) -> dict[str, Any]:
    """The names a rule's expressions read at one leg of a record."""
    kind = kind_of(record)
    names: dict[str, Any] = {**rule.blank, kind: record, "as_of": as_of}
    if kind != "account" and rule.takes_account:
        names["account"] = related(record)
    return rule.leg_names(names)[leg]


def window_values(
    rule: AggregateRule,
    history: pl.DataFrame,
    triggers: set[tuple[int, int]],
    records: Records,
    related: Callable[[Record], Account | None],
    as_of: datetime,
) -> Values:
    """The aggregates of the triggers' windows, by (group, position).

    Args:
        rule: the rule.
        history: the records of the windows (:data:`SCHEMA`), in segment and position order.
        triggers: the (group, position) of each window wanted.
        records: the records of some rows.
        related: a record's account.
        as_of: the time rules read as ``as_of``.
    """
    found: Values = {}
    feed = _Feed(rule, -1)
    for part in history.iter_slices(HISTORY_BATCH):
        # A batch's records are freed before the next batch is built (the batch is fed in a
        # call of its own: a loop variable would hold two batches at once).
        feed = _feed_batch(rule, part, feed, triggers, records, related, as_of, found)
    return found


def _feed_batch(
    rule: AggregateRule,
    part: pl.DataFrame,
    feed: _Feed,
    triggers: set[tuple[int, int]],
    records: Records,
    related: Callable[[Record], Account | None],
    as_of: datetime,
    found: Values,
) -> _Feed:
    """Feed one batch of the history; the feed of its last segment."""
    batch = list(zip(*(part.get_column(name).to_list() for name in SCHEMA), strict=True))
    rows = sorted({row for *_, row, _ in batch})  # a record of two legs comes twice
    built = dict(zip(rows, records(rows), strict=True))
    for segment, group, position, row, leg in batch:
        if segment != feed.segment:
            feed = _Feed(rule, segment)
        record = built[row]
        values = rule.values(names_at(rule, record, leg, related, as_of))
        feed.add(Entry(0, position, event_time(record, as_of), record, {}, values, leg))
        if (group, position) in triggers:
            found[group, position] = feed.running.values()
    return feed


class _Feed:
    """The running aggregates of a segment's latest window."""

    def __init__(self, rule: AggregateRule, segment: int) -> None:
        self.rule = rule
        self.segment = segment
        self.running = Running(rule)
        self.window: deque[Entry] = deque()

    def add(self, entry: Entry) -> None:
        """Count an entry in, and the window's oldest entries out once they are outside."""
        self.running.add(entry)
        if self.rule.unbounded:
            return  # every entry stays: none need be kept
        window = self.window
        window.append(entry)
        while not self.rule.starts_window(window[0], entry):
            self.running.remove(window.popleft())
