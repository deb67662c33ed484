"""The pre-submission check of MiFIR transaction reports: ESMA's content rules before writing.

An NCA checks each transaction report it receives against ESMA's MiFIR validation rules
(ESMA65-8-2594 Annex 1; content errors ``CON-nnn``) and rejects those that break one. regkit
ships those rules as the built-in pack ``mifir-vr`` over
:class:`~regkit.schemas.mifir.MifirReport` records (rule ids ``MIFIR-VR-<field>-<nn>``, by
RTS 22 field), and :func:`~regkit.reports.mifir.render` runs it on every report it builds,
before the report is written: a report that breaks a rule refuses the batch (one
:class:`~regkit.errors.PreSubmissionError` names every trade, transaction reference, field
and rule), or with ``write_passing=True`` is left out and listed. The check itself is
:mod:`regkit.reports.precheck`, shared with EMIR; this module says how MiFIR reports are
checked and named (:data:`SPEC`), and which of the pack's rules an NCA's error code is
about (:func:`rules_of_code`).

Examples:
    >>> rts22_field("MIFIR-VR-057-01"), code_field("CON-412")
    ('57', '41')
    >>> field_names("58")
    ('investment_decision_branch_country',)
"""

from __future__ import annotations

import functools
import operator
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from regkit.reports.precheck import CheckSpec, ContentCheck, VrFailure, numbered_fields
from regkit.reports.precheck import PreSubmission as _PreSubmission
from regkit.rules.packdocs import CoverageEntry, load_coverage
from regkit.rules.policy import Policy, load_policy
from regkit.schemas.mifir import MifirReport

__all__ = [
    "PACK",
    "PER_PARTY",
    "PER_REPORT",
    "SPEC",
    "CodeInfo",
    "ContentCheck",
    "PreSubmission",
    "VrFailure",
    "code_field",
    "code_info",
    "field_names",
    "rts22_field",
    "rules_of_code",
]

#: The built-in pack the check runs.
PACK: Final = "mifir-vr"

#: ``MIFIR-VR-<field>-<nn>``: the RTS 22 field in three digits, then the rule's number.
_RULE_ID: Final = re.compile(r"MIFIR-VR-(\d{3})-\d{2}")
#: ESMA's content error codes, ``CON-<field><n>``: the RTS 22 field, then one digit.
_CODE: Final = re.compile(r"CON-(\d{2,3})")


def rts22_field(rule_id: str) -> str | None:
    """The RTS 22 field a rule id is about (``MIFIR-VR-057-01`` is field ``57``); None for
    an id of another form."""
    found = _RULE_ID.fullmatch(rule_id)
    if found is None or int(found[1]) == 0:
        return None
    return str(int(found[1]))


def code_field(code: str) -> str | None:
    """The RTS 22 field an NCA's content error code is about: its digits but the last
    (``CON-412``: field 41; ``CON-023``: field 2), as in every code ESMA publishes; None for
    a code of another form (file errors, ``FIL-``).

    Raises:
        TypeError: ``code`` is not text.
    """
    if not isinstance(code, str):
        raise TypeError(f"code must be an error code as text (CON-412), got {code!r}")
    found = _CODE.fullmatch(code.strip().upper())
    if found is None or int(found[1]) < 10:
        return None
    return str(int(found[1]) // 10)


@functools.cache
def _fields_by_number() -> dict[str, tuple[str, ...]]:
    return numbered_fields(MifirReport, r"\d+")


def field_names(number: str | None) -> tuple[str, ...]:
    """The :class:`~regkit.schemas.mifir.MifirReport` fields of an RTS 22 field number."""
    if number is None:
        return ()
    return _fields_by_number().get(number, ())


@functools.cache
def _rules_by_field() -> dict[str, tuple[str, ...]]:
    rules: dict[str, list[str]] = {}
    for rule in load_policy(PACK).rules:
        number = rts22_field(rule.id)
        if number is not None:
            rules.setdefault(number, []).append(rule.id)
    return {number: tuple(ids) for number, ids in rules.items()}


def rules_of_code(code: str) -> tuple[str, ...]:
    """The rules of the ``mifir-vr`` pack about the field of an NCA's error code: what to
    look at when auth.031 feedback rejects a report with it (none for a code about a field
    regkit never writes, such as CON-150, field 15).

    Examples:
        >>> rules_of_code("CON-110")
        ('MIFIR-VR-011-01', 'MIFIR-VR-011-02')
        >>> rules_of_code("CON-150")
        ()
    """
    return _rules_by_field().get(code_field(code) or "", ())


@dataclass(frozen=True)
class CodeInfo:
    """What regkit knows of an NCA's error code in auth.031 feedback (``CON-070``), from the
    ``mifir-vr`` pack and its coverage file.

    Attributes:
        code: the code.
        field: the RTS 22 field it is about (:func:`code_field`), or None.
        field_name: that field's name (``Buyer identification code``), or None.
        disposition: what the coverage file says of this very code (``external``,
            ``not-applicable``), or None when it does not list it.
        reason: the coverage file's reason for that disposition (or for the field's, when
            the code is not listed and no rule checks the field).
        rules: the pack's rules about the field (:func:`rules_of_code`).

    Examples:
        >>> info = code_info("CON-070")
        >>> info.field, info.field_name, info.disposition
        ('7', 'Buyer identification code', 'external')
        >>> print(code_info("CON-360").check)  # doctest: +NORMALIZE_WHITESPACE
        field 36 is checked before submission by mifir-vr: MIFIR-VR-036-01,
        MIFIR-VR-036-02, MIFIR-VR-036-03 (the NCA's rule behind the code may check more)
    """

    code: str
    field: str | None
    field_name: str | None
    disposition: str | None
    reason: str
    rules: tuple[str, ...]

    @property
    def check(self) -> str:
        """What regkit does about the code before submission, in words."""
        if self.disposition is not None:
            return f"not checked before submission ({self.disposition}): {self.reason}"
        if self.rules:
            return (
                f"field {self.field} is checked before submission by {PACK}: "
                f"{', '.join(self.rules)} (the NCA's rule behind the code may check more)"
            )
        if self.field is None:
            return "not about one RTS 22 field (a file-level or unknown code)"
        why = f": {self.reason}" if self.reason else ""
        return f"no {PACK} rule checks field {self.field}{why}"


def code_info(code: str) -> CodeInfo:
    """What regkit knows of an NCA's error code (:class:`CodeInfo`).

    Raises:
        TypeError: ``code`` is not text.
    """
    number = code_field(code)
    listed = _coverage().get(code.strip().upper())
    field_entry = _coverage().get(f"RTS22-F{int(number):02d}") if number else None
    name = _field_name(number)
    if listed is not None:
        return CodeInfo(code, number, name, listed.disposition, listed.reason, ())
    reason = field_entry.reason if field_entry is not None else ""
    return CodeInfo(code, number, name, None, reason, rules_of_code(code))


@functools.cache
def _coverage() -> dict[str, CoverageEntry]:
    """The coverage file's entries by id, a code listed as ``ESMA-027 (CON-070)`` by both."""
    coverage = load_coverage(PACK)
    entries: dict[str, CoverageEntry] = {}
    for entry in coverage.entries if coverage is not None else ():
        entries[entry.id] = entry
        found = re.search(r"\((CON-\d+)\)", entry.id)
        if found:
            entries[found[1]] = entry
    return entries


def _field_name(number: str | None) -> str | None:
    """An RTS 22 field's name, as the coverage file writes it (``7 Buyer identification
    code``)."""
    if number is None:
        return None
    for entry in _coverage().values():
        head, _, name = entry.field.partition(" ")
        if head == number and name:
            return name
    return None


#: The report fields a trade's own data sets, which differ from report to report (its
#: reference, time and amounts).
PER_REPORT: Final = frozenset(
    {"transaction_reference", "trade_id", "account_id", "trading_date_time", "quantity", "price"}
)
#: The client's fields (buyer or seller), the same on every report of a client's trades on
#: one side. The other fields come from the firm, the instrument and the deciders, and take
#: few values in a batch.
PER_PARTY: Final = frozenset(
    f"{side}_{name}"
    for side in ("buyer", "seller")
    for name in ("lei", "national_id", "id_scheme", "branch_country", "first_names", "surname",
                 "birth_date")
)  # fmt: skip

#: How MiFIR reports are checked and named.
SPEC: Final = CheckSpec(
    report="mifir",
    regulator="ESMA's MiFIR",
    kind="mifir_report",
    pack=PACK,
    per_report=PER_REPORT,
    repeating=frozenset({"quantity"}),
    per_party=PER_PARTY,
    field_of=rts22_field,
    fields_of=field_names,
    reference=operator.attrgetter("transaction_reference"),
    action=operator.attrgetter("report_status"),
    reference_name="TRN",
)


class PreSubmission(_PreSubmission):
    """The check of one render of MiFIR reports: each report in turn, its failures kept.

    Args:
        created_at: the time of the batch (what ``as_of`` means in rules).
        policy: the pack to run (default: the built-in ``mifir-vr``).

    Examples:
        >>> from datetime import UTC
        >>> check = PreSubmission(datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
        >>> check.result().policy_id
        'mifir-vr'
    """

    def __init__(self, created_at: datetime, policy: Policy | None = None) -> None:
        super().__init__(SPEC, created_at, policy)
