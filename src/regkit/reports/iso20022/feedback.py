"""One model of regulator feedback: statuses with one meaning, latest status wins, one reconcile.

Regulators and trade repositories answer ISO 20022 reports with statuses: a competent
authority's auth.031 per transaction reference, a trade repository's auth.092 per UTI. Each
regime reads its own file (:mod:`regkit.reports.mifir.feedback`,
:mod:`regkit.reports.emir.feedback`) into status records of its own, and they all share
what is here:

* :data:`OUTCOMES`: what a status code means for the firm. ``ACPT`` is accepted; ``RJCT``,
  ``INCF``, ``CRPT`` and ``NAUT`` are rejected (correct and send again); ``PDNG`` and
  ``RCVD`` are pending (not final yet). :func:`outcome_of` looks a code up.
* :class:`ValidationRule`: a rule a file or a record failed.
* :func:`latest`: the current status of each key, where a status read later supersedes an
  earlier one unless both carry a creation time and the later-read one is older.
* :func:`reconcile`: items (trades, statement lines ...) sorted by the current status of
  their key into accepted, rejected and pending, with every status that matches no item.
  The caller supplies the key function, so the same algorithm matches any statement to any
  records keyed by a string.

Examples:
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Status:
    ...     key: str | None
    ...     code: str
    ...     created: datetime | None = None
    ...     @property
    ...     def outcome(self) -> Outcome:
    ...         return outcome_of(self.code)
    >>> statuses = latest([Status("A", "RJCT"), Status("B", "ACPT"), Status("A", "ACPT")])
    >>> result = reconcile(["a", "b", "c"], str.upper, statuses)
    >>> result.accepted, result.pending, sorted(result.held())
    (('a', 'b'), ('c',), ['A', 'B', 'C'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Generic, Protocol, TypeVar

__all__ = [
    "OUTCOMES",
    "Matched",
    "Outcome",
    "Refused",
    "Status",
    "ValidationRule",
    "held_unmatched",
    "latest",
    "outcome_of",
    "reconcile",
    "supersedes",
]


class Outcome(StrEnum):
    """What a status means for the firm: done, to correct, or to wait for."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PENDING = "pending"


#: The meaning of each ISO 20022 status code regkit reads (auth.031
#: ``ReportingRecordStatus1Code`` and the rejecting codes of ``ReportingMessageStatus1Code``;
#: auth.092 ``ReportingMessageStatus2Code``).
OUTCOMES: Final[Mapping[str, Outcome]] = MappingProxyType(
    {
        "ACPT": Outcome.ACCEPTED,
        "RJCT": Outcome.REJECTED,
        "INCF": Outcome.REJECTED,
        "CRPT": Outcome.REJECTED,
        "NAUT": Outcome.REJECTED,
        "PDNG": Outcome.PENDING,
        "RCVD": Outcome.PENDING,
    }
)


def outcome_of(code: str) -> Outcome:
    """What a status code means: :data:`OUTCOMES`, and pending for a code it does not hold
    (a status regkit does not know is no sign that the record is final).

    Examples:
        >>> outcome_of("NAUT"), outcome_of("PDNG")
        (<Outcome.REJECTED: 'rejected'>, <Outcome.PENDING: 'pending'>)
    """
    return OUTCOMES.get(code, Outcome.PENDING)


@dataclass(frozen=True)
class ValidationRule:
    """A validation rule that a file or a record failed (``VldtnRule``, ``DtldVldtnRule``).

    Attributes:
        id: the rule's code, e.g. ``CON-070`` or ``EMIR-VR-2009-02`` (``Id``).
        description: the regulator's text (``Desc``), if given.
        scheme: the rule's identification scheme (``SchmeNm/Cd`` or ``SchmeNm/Prtry``), if given.
        issuer: who issued the rule (``Issr``), if given.

    Examples:
        >>> str(ValidationRule("CON-070", "The LEI of the buyer is not valid"))
        'CON-070: The LEI of the buyer is not valid'
        >>> str(ValidationRule("EMIR-VR-2044-01"))
        'EMIR-VR-2044-01'
    """

    id: str
    description: str | None = None
    scheme: str | None = None
    issuer: str | None = None

    def __str__(self) -> str:
        return self.id if self.description is None else f"{self.id}: {self.description}"


class Status(Protocol):
    """What :func:`latest` and :func:`reconcile` read of a status record."""

    @property
    def key(self) -> str | None:
        """What the status is about (a transaction reference, a UTI); None when unknown."""

    @property
    def created(self) -> datetime | None:
        """When the feedback that carries it was created, when known."""

    @property
    def outcome(self) -> Outcome:
        """What the status means."""


S = TypeVar("S", bound=Status)
T = TypeVar("T")


def supersedes(new: datetime | None, old: datetime | None) -> bool:
    """Whether a status read later, created at ``new``, replaces one created at ``old``: yes,
    unless both times are known and the later-read one is older."""
    return new is None or old is None or new >= old


def latest(records: Iterable[S]) -> Mapping[str, S]:
    """The current status of each key, from statuses in the order read (see
    :func:`supersedes`); statuses without a key are left out."""
    current: dict[str, S] = {}
    for record in records:
        key = record.key
        if key is None:
            continue
        known = current.get(key)
        if known is None or supersedes(record.created, known.created):
            current[key] = record
    return MappingProxyType(current)


@dataclass(frozen=True)
class Refused(Generic[T, S]):
    """An item whose key was rejected, with the status that rejected it."""

    item: T
    key: str
    status: S


@dataclass(frozen=True)
class Matched(Generic[T, S]):
    """Items sorted by the current status of their key: each item is in exactly one of
    :attr:`accepted`, :attr:`rejected` and :attr:`pending`, in the order given.

    Attributes:
        accepted: items whose key was accepted.
        rejected: items whose key was rejected, each with its key and status.
        pending: items whose key has no status, or a pending one.
        unmatched: statuses whose key matches no item, sorted by key.
        kept: the keys of the accepted and pending items.
    """

    accepted: tuple[T, ...]
    rejected: tuple[Refused[T, S], ...]
    pending: tuple[T, ...]
    unmatched: tuple[S, ...]
    kept: frozenset[str] = field(repr=False)

    def held(self) -> frozenset[str]:
        """The keys the other side holds or may still accept: those of the accepted and
        pending items, and the unmatched keys not rejected."""
        return self.kept | held_unmatched(self.unmatched)


def held_unmatched(unmatched: Iterable[Status]) -> frozenset[str]:
    """The keys of statuses that are not rejections (their holder keeps them)."""
    return frozenset(
        status.key
        for status in unmatched
        if status.key is not None and status.outcome is not Outcome.REJECTED
    )


def reconcile(
    items: Iterable[T], key: Callable[[T], str], statuses: Mapping[str, S]
) -> Matched[T, S]:
    """Sort items by the current status of their key (e.g. from :func:`latest`).

    An item whose key has no status is pending: it was sent and awaits an answer.

    Args:
        items: the items, in order.
        key: the key of an item (a transaction reference, a UTI, a statement line's id).
        statuses: the current status of each key.

    Returns:
        The :class:`Matched` items and the statuses that match none.
    """
    accepted: list[T] = []
    rejected: list[Refused[T, S]] = []
    pending: list[T] = []
    matched: set[str] = set()
    kept: set[str] = set()
    for item in items:
        name = key(item)
        status = statuses.get(name)
        outcome = Outcome.PENDING if status is None else status.outcome
        if status is not None:
            matched.add(name)
        if outcome is Outcome.ACCEPTED:
            accepted.append(item)
        elif outcome is Outcome.REJECTED and status is not None:
            rejected.append(Refused(item, name, status))
            continue
        else:
            pending.append(item)
        kept.add(name)
    unmatched = tuple(statuses[name] for name in sorted(statuses) if name not in matched)
    return Matched(tuple(accepted), tuple(rejected), tuple(pending), unmatched, frozenset(kept))
