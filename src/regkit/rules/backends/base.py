"""What a backend of the rule engine is: :class:`Backend`, and what it is given.

A backend turns checked rules (:class:`~regkit.rules.backends.checked.CheckedRules`), the
inputs of a check (:class:`CheckInputs`) and ``as_of`` into findings: the findings of the
record rules of each kind, and the findings of its aggregate (windowed) rules. It is given
those, never the engine's ``Checker``, and every backend must give the findings the Python
backend gives (``tests/conformance`` holds each registered backend to it).

Examples:
    >>> from regkit.rules.backends.registry import get_backend
    >>> isinstance(get_backend("python"), Backend)
    True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Protocol, runtime_checkable

from regkit.rules.backends.checked import CheckedRules
from regkit.rules.findings import Finding
from regkit.rules.inputs import KindInput
from regkit.schemas.account import Account
from regkit.schemas.base import Record

__all__ = ["Backend", "BackendRun", "CheckInputs", "Progress"]

#: Told how far a check has come: (what, done, out of), e.g. ``("trades", 20_000, 200_000)``.
Progress = Callable[[str, int, int], None]


class CheckInputs(Mapping[str, KindInput]):
    """The inputs of one check, by kind (every kind of the table, empty when not given),
    and each record's account (found by its ``account_id`` among the accounts given).

    Args:
        inputs: each kind's input, by kind name.
    """

    def __init__(self, inputs: Mapping[str, KindInput]) -> None:
        self._inputs = dict(inputs)
        self._by_id: dict[str, Account] | None = None

    def __getitem__(self, kind: str) -> KindInput:
        return self._inputs[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._inputs)

    def __len__(self) -> int:
        return len(self._inputs)

    @property
    def accounts(self) -> dict[str, Account]:
        """The accounts given, by ``account_id`` (built once)."""
        if self._by_id is None:
            given = self._inputs.get("account")
            self._by_id = {}
            if given is not None and len(given):
                self._by_id = {a.key: a for a in given.records() if isinstance(a, Account)}
        return self._by_id

    def related(self, record: Record) -> Account | None:
        """The account of a record (``None``: it has no ``account_id``, or no such account
        was given)."""
        account_id = getattr(record, "account_id", None)
        return None if account_id is None else self.accounts.get(account_id)


@runtime_checkable
class BackendRun(Protocol):
    """One check on a backend: the findings of each kind, asked for kind by kind in the
    order of the table (a backend may keep what it built for one kind for the next)."""

    def record_findings(self, kind: str, progress: Progress | None) -> list[Finding]:
        """The findings of the kind's record rules (and Python rules) over its records,
        in input order, each record's in policy order.

        Args:
            kind: the record kind (it has records).
            progress: when given, told how far the kind's check has come.
        """
        ...

    def window_findings(self, kind: str) -> list[Finding]:
        """The findings of the aggregate rules that apply to the kind (``applies_to``, the
        first kind of a rule over several), rule by rule in policy order."""
        ...


@runtime_checkable
class Backend(Protocol):
    """A way to run checked rules over inputs (see the module)."""

    def start(self, rules: CheckedRules, inputs: CheckInputs, as_of: datetime) -> BackendRun:
        """Begin one check of ``inputs`` against ``rules``, reading ``as_of`` as the time
        rules read as ``as_of``."""
        ...
