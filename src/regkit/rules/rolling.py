"""Deprecated: moved to regkit.rules.backends.polars.rolling; this path re-exports for one release.

``polars_findings`` keeps its old signature here (a compiled policy instead of its rules).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from regkit.rules.backends.polars import rolling as _rolling
from regkit.rules.backends.polars.rolling import INDEX as INDEX
from regkit.rules.backends.polars.rolling import EpisodeRows, Pick, failing_episodes
from regkit.rules.findings import Finding
from regkit.rules.windows import AggregateSource
from regkit.schemas.account import Account
from regkit.schemas.base import Record

__all__ = ["EpisodeRows", "failing_episodes", "polars_findings"]


def polars_findings(
    checker: AggregateSource,
    kind: str,
    frames: Callable[[str], pl.DataFrame | None],
    picks: Callable[[str], Pick],
    related: Callable[[Record], Account | None],
) -> list[Finding]:
    """The findings of a kind's aggregate rules over frames of the records (see
    :func:`regkit.rules.backends.polars.rolling.polars_findings`)."""
    rules = checker.aggregate_rules(kind)
    return _rolling.polars_findings(rules, kind, frames, picks, related, checker.as_of)
