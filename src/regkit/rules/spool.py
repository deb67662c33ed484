"""Findings kept on disk when there are too many to hold: a check of ten million trades can
find ten million things.

A :class:`FindingsSpool` collects a run's findings in order. It holds them in a list until
there are more than ``keep_in_memory`` (default :data:`KEEP_IN_MEMORY`); from then on they
go, a block at a time, to a private temporary file, and :meth:`FindingsSpool.findings`
gives a :class:`SpooledFindings`: a read-only sequence that reads the file back a block at a
time. Either way the result's ``findings`` is a sequence of the same :class:`Finding`
objects, in the same order, so the code that reads a small run reads a large one too; a
large result also keeps the counts per rule and severity, so the summary of a run does not
read its findings again.

The file holds Python pickles of the findings (so their evidence keeps its decimals and
times exactly) and is written and read only by the process that made it: it is created
with ``tempfile`` (mode 0600, in ``TMPDIR``), never read from a name given from outside,
and deleted when the sequence is garbage-collected or the process exits.

Examples:
    >>> from regkit.rules.findings import Finding
    >>> spool = FindingsSpool(keep_in_memory=2)
    >>> spool.extend(Finding("R", "low", "trade", f"T{n}", "m") for n in range(5))
    >>> findings = spool.findings()
    >>> len(findings), findings[3].record_id, isinstance(findings, SpooledFindings)
    (5, 'T3', True)
    >>> findings.tally[("R", "low", "trade")]
    5
"""

from __future__ import annotations

import bisect
import contextlib
import os
import pickle
import tempfile
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, overload

from regkit.rules.findings import Finding

__all__ = ["BLOCK", "KEEP_IN_MEMORY", "FindingsSpool", "SpooledFindings", "Tally"]

#: Findings a run holds in memory before it spools them to disk: about 200 MB of findings.
KEEP_IN_MEMORY: Final = 100_000

#: Findings pickled (and read back) together.
BLOCK: Final = 10_000

#: Findings counted by ``(rule id, severity, record kind)``.
Tally = Counter[tuple[str, str, str]]


def tally_of(findings: Iterable[Finding]) -> Tally:
    """The findings counted by rule id, severity and record kind."""
    return Counter((f.rule_id, str(f.severity), f.record_kind) for f in findings)


class SpooledFindings(Sequence[Finding]):
    """A run's findings in a temporary file, read back a block at a time (see the module).

    Attributes:
        tally: the findings counted by ``(rule id, severity, record kind)``.
    """

    def __init__(self, path: str, blocks: list[tuple[int, int]], tally: Tally) -> None:
        self._path = path
        self._offsets = [offset for offset, _ in blocks]
        self._starts: list[int] = []
        total = 0
        for _, count in blocks:
            self._starts.append(total)
            total += count
        self._length = total
        self.tally = tally
        self._cached: tuple[int, list[Finding]] = (-1, [])
        self._remove = weakref.finalize(self, _remove, path)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Finding]:
        with open(self._path, "rb") as handle:
            for offset in self._offsets:
                handle.seek(offset)
                yield from pickle.load(handle)  # our own file (see the module)

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> list[Finding]: ...

    def __getitem__(self, index: int | slice) -> Finding | list[Finding]:
        if isinstance(index, slice):
            return [self[at] for at in range(*index.indices(self._length))]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"findings are indexed by a whole number, got {index!r}")
        at = index + self._length if index < 0 else index
        if not 0 <= at < self._length:
            raise IndexError(f"finding {index} of {self._length}")
        block = bisect.bisect_right(self._starts, at) - 1
        return self._block(block)[at - self._starts[block]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]  # a sequence that compares by content

    def __reduce__(self) -> tuple[type[list[Finding]], tuple[list[Finding]]]:
        """Pickled (or copied) as the list of its findings: the file is this process's."""
        return list, (list(self),)

    def __repr__(self) -> str:
        return f"<SpooledFindings: {self._length:,} findings in {self._path}>"

    def _block(self, block: int) -> list[Finding]:
        if self._cached[0] != block:
            with open(self._path, "rb") as handle:
                handle.seek(self._offsets[block])
                self._cached = (block, pickle.load(handle))  # our own file
        return self._cached[1]


class FindingsSpool:
    """Collects a run's findings in order: in memory while there are few, in a temporary
    file beyond ``keep_in_memory`` (see the module).

    Args:
        keep_in_memory: the most findings held in a list; more go to disk.
        folder: where the temporary file goes (default: the system's, ``TMPDIR``).
        block: findings written (and read back) together.
    """

    def __init__(
        self, keep_in_memory: int = KEEP_IN_MEMORY, folder: str | None = None, block: int = BLOCK
    ) -> None:
        for name, value, least in (("keep_in_memory", keep_in_memory, 0), ("block", block, 1)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be a whole number, got {value!r}")
            if value < least:
                raise ValueError(f"{name} must be {least} or more, got {value}")
        self.keep_in_memory = keep_in_memory
        self.folder = folder
        self.block = block
        self._held: list[Finding] = []
        self._path: str | None = None
        self._blocks: list[tuple[int, int]] = []
        self._tally: Tally = Counter()
        self._cleanup: weakref.finalize[Any, Any] | None = None

    def extend(self, findings: Iterable[Finding]) -> None:
        """Add the next findings of the run."""
        self._held.extend(findings)
        if self._path is not None or len(self._held) > self.keep_in_memory:
            self._spill(everything=False)

    def findings(self) -> list[Finding] | SpooledFindings:
        """Every finding added, in order: a list when they were few, else read from disk.
        The spool is spent: add nothing after."""
        if self._path is None:
            held, self._held = self._held, []
            return held
        self._spill(everything=True)
        spooled = SpooledFindings(self._path, self._blocks, self._tally)
        if self._cleanup is not None:
            self._cleanup.detach()  # the sequence deletes the file now
        self._path = None
        return spooled

    def _spill(self, *, everything: bool) -> None:
        """Write the held findings, a block at a time, to the file (all of them, or the
        whole blocks)."""
        if self._path is None:
            handle, self._path = tempfile.mkstemp(prefix="regkit-findings-", dir=self.folder)
            os.close(handle)
            self._cleanup = weakref.finalize(self, _remove, self._path)  # a run that fails
        size = self.block
        whole = len(self._held) if everything else len(self._held) // size * size
        if not whole:
            return
        with open(self._path, "ab") as out:
            for start in range(0, whole, size):
                block = self._held[start : start + size]
                self._blocks.append((out.tell(), len(block)))
                pickle.dump(block, out, protocol=pickle.HIGHEST_PROTOCOL)
                self._tally.update(tally_of(block))
        del self._held[:whole]


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
