"""The polars backend: record rules and the windows of aggregate rules decided column-wise;
records are built only for the rows with findings, to write those findings.

Examples:
    >>> from regkit.rules.backends.registry import get_backend
    >>> type(get_backend("polars")).__name__
    'PolarsBackend'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import polars as pl

from regkit.rules.backends.base import CheckInputs, Progress
from regkit.rules.backends.checked import CheckedRules
from regkit.rules.backends.polars.records import kind_frame, record_findings
from regkit.rules.backends.polars.rolling import polars_findings
from regkit.rules.findings import Finding
from regkit.schemas.base import Record
from regkit.schemas.kinds import KINDS

__all__ = ["PolarsBackend", "PolarsRun"]


class PolarsBackend:
    """Runs checked rules column-wise with polars (see the module)."""

    def start(self, rules: CheckedRules, inputs: CheckInputs, as_of: datetime) -> PolarsRun:
        """One check of ``inputs`` against ``rules`` at ``as_of``."""
        return PolarsRun(rules, inputs, as_of)


class PolarsRun:
    """One check on the polars backend; each kind's frame is built once, for its record
    rules and for every aggregate rule that reads it.

    Args:
        rules: the checked rules.
        inputs: the inputs, by kind.
        as_of: the time rules read as ``as_of``.
    """

    def __init__(self, rules: CheckedRules, inputs: CheckInputs, as_of: datetime) -> None:
        self.rules = rules
        self.inputs = inputs
        self.as_of = as_of
        self._frames: dict[str, pl.DataFrame] = {}

    def frame(self, kind: str) -> pl.DataFrame | None:
        """The kind's records as columns with their account's (``None``: no records)."""
        given = self.inputs[kind]
        if not len(given):
            return None
        if kind not in self._frames:
            accounts = self.inputs.get("account")
            self._frames[kind] = kind_frame(self.rules, kind, given, accounts)
        return self._frames[kind]

    def record_findings(self, kind: str, progress: Progress | None) -> list[Finding]:
        """The kind's failing records, found column-wise, with their findings."""
        given = self.inputs[kind]
        findings: list[Finding] = []
        if self.rules.rules(kind) or self.rules.python_rules(kind):
            frame = self.frame(kind)
            assert frame is not None  # the engine asks only for kinds with records
            findings = record_findings(
                self.rules, kind, frame, given.pick, self.inputs.related, self.as_of
            )
        if progress is not None:
            progress(KINDS[kind].plural, len(given), len(given))
        return findings

    def window_findings(self, kind: str) -> list[Finding]:
        """The kind's aggregate rules, rolled over the frames of their kinds."""
        rules = self.rules.aggregate_rules(kind)
        return polars_findings(rules, kind, self.frame, self._pick, self.inputs.related, self.as_of)

    def _pick(self, kind: str) -> Callable[[Sequence[int]], list[Record]]:
        return self.inputs[kind].pick
