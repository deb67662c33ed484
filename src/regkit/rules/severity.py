"""How serious a finding is: :class:`Severity`, the lowest module of the rules.

Policies (a rule's ``severity``), Python rules and findings all read it; it imports nothing
of regkit, so each of them can.

Examples:
    >>> Severity.parse("HIGH").rank > Severity.parse("low").rank
    True
"""

from __future__ import annotations

import enum

__all__ = ["Severity"]


class Severity(enum.StrEnum):
    """How serious a finding is; ``error`` means the rule itself failed on the record."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """The order of severities: info < low < medium < high < critical < error.

        A rule that crashed ranks highest: it proves nothing about the record, so no
        threshold may let it pass silently.
        """
        return _RANKS[self]

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        """A severity from its name, in any case; a ValueError naming the choices."""
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(member.value for member in cls)
            raise ValueError(f"unknown severity {value!r}; expected one of {choices}") from None


_RANKS = {severity: rank for rank, severity in enumerate(Severity)}
