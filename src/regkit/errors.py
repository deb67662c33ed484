"""The exceptions regkit raises.

Findings are data, not exceptions. An exception means bad input, misuse or a broken
environment, and its one-line ``str()`` says what, where, and what was expected::

    RegkitError
    ├── RecordError (ValueError)      file, line/row, key, field path, reason, value
    ├── IdentifierError (ValueError)  an identifier that cannot be derived or is malformed
    ├── PolicyError                   policy file, rule id, what is wrong
    ├── ComplianceError               findings at or above a severity (opt-in, .result)
    ├── JobError (ValueError)         a job's input: missing file, bad rows (.record_errors)
    ├── RenderError
    │   ├── XsdValidationError        file, line, path, reason
    │   └── PreSubmissionError        reports that break the regulator's rules (.failures)
    ├── PackError
    │   └── PackIntegrityError        each mismatch, missing or unexpected file
    └── StoreError                    a history store that cannot be opened or used as asked
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "ComplianceError",
    "IdentifierError",
    "JobError",
    "PackError",
    "PackIntegrityError",
    "PolicyError",
    "PreSubmissionError",
    "RecordError",
    "RegkitError",
    "RenderError",
    "StoreError",
    "XsdValidationError",
]


class RegkitError(Exception):
    """Base class of every exception regkit raises on purpose."""


class RecordError(RegkitError, ValueError):
    """One input record (or one row of a file) that could not become a typed record.

    Every attribute is optional because records come from files, iterables and data frames
    alike; ``str()`` names whatever is known, in the order a person looks for it.

    Attributes:
        reason: what is wrong, in words.
        file: the file the record came from, when it came from one.
        line: the 1-based physical line of a text file (CSV, JSON Lines).
        row: the 1-based data row (records counted from the first, header excluded).
        key: the record key (``trade_id``, ``account_id`` ...) when it could be read.
        field: the dotted field path (``instrument.base_currency``), or ``None`` for the record.
        value: the offending value, as read.
        model: the record class name the row was meant to become.
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        row: int | None = None,
        key: str | None = None,
        field: str | None = None,
        value: Any = None,
        model: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.row = row
        self.key = key
        self.field = field
        self.value = value
        self.model = model
        self.errors: list[dict[str, Any]] = []
        """Every problem pydantic found in the row: ``{loc, msg, type, input}``."""
        super().__init__(self._format())

    def _format(self) -> str:
        where: list[str] = []
        if self.file is not None:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.key is not None:
            where.append(f"key {self.key!r}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        head = ", ".join(where)
        tail = "" if self.value is None else f" (got {_short(self.value)})"
        subject = f"{self.model}: " if self.model else ""
        return f"{subject}{head}: {self.reason}{tail}" if head else f"{subject}{self.reason}{tail}"

    def as_dict(self) -> dict[str, Any]:
        """The error as plain data, for JSON output and logs."""
        return {
            "model": self.model,
            "file": self.file,
            "line": self.line,
            "row": self.row,
            "key": self.key,
            "field": self.field,
            "reason": self.reason,
            "value": self.value if _is_plain(self.value) else repr(self.value),
        }

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructor: teach pickle (multiprocessing) how to rebuild us; the
        # state carries what the constructor does not take (``errors``).
        state = self.as_dict() | {"value": self.value}
        return (_rebuild_record_error, (state,), dict(self.__dict__))


def _rebuild_record_error(state: dict[str, Any]) -> RecordError:
    reason = state.pop("reason")
    return RecordError(reason, **state)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class IdentifierError(RegkitError, ValueError):
    """An identifier is malformed, or one that a report needs cannot be derived."""


class PolicyError(RegkitError):
    """A policy file is invalid: names the file, the rule and what is wrong."""


class ComplianceError(RegkitError):
    """Raised on request (``CheckResult.raise_for_findings``) when findings reach a severity.

    Findings are data; this exception exists for callers that want a check to stop them.

    Attributes:
        result: the :class:`~regkit.rules.findings.CheckResult` with every finding.
        findings: the findings at or above the severity asked for.
    """

    def __init__(self, message: str, *, result: Any, findings: list[Any]) -> None:
        self.result = result
        self.findings = findings
        super().__init__(message)


class JobError(RegkitError, ValueError):
    """Input a job of :mod:`regkit.jobs` cannot work with: a missing file, rows that are
    not records, arguments that do not fit together.

    Attributes:
        record_errors: the bad rows behind the error, in file order (empty when it is not
            about rows).
    """

    def __init__(self, message: str, record_errors: Iterable[RecordError] = ()) -> None:
        super().__init__(message)
        self.record_errors: tuple[RecordError, ...] = tuple(record_errors)


class RenderError(RegkitError):
    """A regulator file could not be produced."""


class PreSubmissionError(RenderError):
    """Reports that break the regulator's validation rules, found before any was written:
    nothing was written.

    Attributes:
        failures: every rule every report broke, in the trades' order
            (:class:`regkit.reports.precheck.VrFailure`).
    """

    def __init__(self, message: str, failures: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.failures: tuple[Any, ...] = tuple(failures)


class XsdValidationError(RenderError, ValueError):
    """A document does not validate against the regulator's schema.

    Attributes:
        reason: what is wrong, in words.
        file: the document's file, when it has one.
        line: the 1-based line of the element at fault.
        path: the element's path (``/BizData/Pyld/Document/FinInstrmRptgTxRpt/Tx[2]/New``).
        xsd: the schema (message short name, ``auth.016``, or an XSD file name).
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: str | None = None,
        xsd: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.path = path
        self.xsd = xsd
        where = ":".join(str(part) for part in (file, line) if part is not None)
        head = ": ".join(part for part in (where, path) if part)
        schema = f" (against {xsd})" if xsd else ""
        super().__init__(f"{head}: {reason}{schema}" if head else f"{reason}{schema}")

    def __reduce__(self) -> tuple[Any, ...]:
        keywords = {"file": self.file, "line": self.line, "path": self.path, "xsd": self.xsd}
        return (_rebuild_xsd_error, (self.reason, keywords), dict(self.__dict__))


def _rebuild_xsd_error(reason: str, keywords: dict[str, Any]) -> XsdValidationError:
    return XsdValidationError(reason, **keywords)


class PackError(RegkitError):
    """An audit pack could not be built or read."""


class PackIntegrityError(PackError):
    """An audit pack does not match its manifests.

    Attributes:
        problems: every problem, one line each (``data/findings.csv: checksum mismatch``):
            each mismatch, missing file and unexpected file by name.
    """

    def __init__(self, message: str, *, problems: Sequence[str] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__(message)


class StoreError(RegkitError):
    """A history store that cannot be opened or used as asked: a URL that does not connect,
    a store made by a newer regkit or not yet upgraded, an unknown run or case, a change
    the case workflow forbids. Nothing was written."""
