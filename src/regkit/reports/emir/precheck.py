"""The pre-submission check: ESMA's validation rules on every EMIR report before it is written.

A trade repository checks each report it receives against ESMA's EMIR REFIT validation rules
(ESMA74-362-2683, rule ids ``EMIR-VR-<table><field>-<nn>``) and rejects those that break
one. regkit ships those rules as the built-in policy pack ``emir-refit-vr`` over
:class:`~regkit.schemas.emir.EmirReport` records, and :func:`~regkit.reports.emir.render`
runs it on every report it builds, before the report is written:

* by default, a report that breaks a rule refuses the batch: nothing is written, and one
  :class:`~regkit.errors.PreSubmissionError` names every trade, UTI, REFIT field and VR id;
* with ``write_passing=True``, the reports that pass are written and the rest are listed
  (:attr:`ContentCheck.failures`, :attr:`ContentCheck.withheld`).

Every rule of the pack is an ESMA rejection (severity ``high``; ESMA's workbook marks all 480
as errors). The check itself (what refuses, :class:`ContentCheck`, :class:`VrFailure`) is
:mod:`regkit.reports.precheck`, shared with MiFIR; this module says how EMIR reports are
checked and named (:data:`SPEC`). The result is on the render's result and goes into the
audit pack (``data/regulator/content-checks.json``).

Examples:
    >>> refit_field("EMIR-VR-2114-01"), refit_field("EMIR-VR-1010-02")
    ('2.114', '1.10')
    >>> field_names("2.114")
    ('forward_exchange_rate',)
"""

from __future__ import annotations

import functools
import operator
import re
from datetime import datetime
from typing import Final

from regkit.reports.precheck import CheckSpec, ContentCheck, VrFailure, numbered_fields
from regkit.reports.precheck import PreSubmission as _PreSubmission
from regkit.rules.policy import Policy
from regkit.schemas.emir import EmirReport

__all__ = [
    "PACK",
    "PER_REPORT",
    "SPEC",
    "ContentCheck",
    "PreSubmission",
    "VrFailure",
    "field_names",
    "refit_field",
]

#: The built-in pack the check runs.
PACK: Final = "emir-refit-vr"

#: ``EMIR-VR-<table><field>-<nn>``: table 1 (counterparty data), 2 (common data) or 3
#: (margins), then the field number in three digits (ESMA74-362-2683).
_VR_ID: Final = re.compile(r"EMIR-VR-([1-3])(\d{3})-\d{2}")


def refit_field(rule_id: str) -> str | None:
    """The REFIT field a VR id is about (``EMIR-VR-2114-01`` is field ``2.114``); None for
    an id of another form or one that names no field (``EMIR-VR-0000-00``)."""
    found = _VR_ID.fullmatch(rule_id)
    if found is None or int(found[2]) == 0:
        return None
    return f"{found[1]}.{int(found[2])}"


@functools.cache
def _fields_by_number() -> dict[str, tuple[str, ...]]:
    return numbered_fields(EmirReport, r"[12]\.\d{1,3}")


def field_names(number: str | None) -> tuple[str, ...]:
    """The :class:`~regkit.schemas.emir.EmirReport` fields of a REFIT field number."""
    if number is None:
        return ()
    return _fields_by_number().get(number, ())


#: The report fields a trade's own data sets, which differ from report to report (its
#: UTI, times, amounts, valuation, client). The other fields come from the action, the
#: firm, the instrument and the kind of client, and take few values in a batch.
PER_REPORT: Final = frozenset(
    {
        "uti", "subsequent_position_uti", "trade_id", "account_id", "counterparty_2",
        "counterparty_2_country", "collateral_portfolio_code",
        "execution_timestamp", "confirmation_timestamp", "effective_date", "event_date",
        "early_termination_date", "price", "notional_amount_leg_1", "notional_amount_leg_2",
        "total_notional_quantity_leg_1", "forward_exchange_rate", "valuation_amount",
        "valuation_timestamp", "delta", "option_premium_amount", "option_premium_payment_date",
    }
)  # fmt: skip


#: How EMIR reports are checked and named.
SPEC: Final = CheckSpec(
    report="emir",
    regulator="ESMA's EMIR",
    kind="emir_report",
    pack=PACK,
    per_report=PER_REPORT,
    repeating=frozenset(),
    per_party=frozenset(),
    field_of=refit_field,
    fields_of=field_names,
    reference=operator.attrgetter("uti"),
    action=operator.attrgetter("action_type"),
    reference_name="UTI",
)


class PreSubmission(_PreSubmission):
    """The check of one render of EMIR reports: each report in turn, its failures kept.

    Args:
        created_at: the reporting timestamp of the batch (what ``as_of`` means in rules).
        policy: the pack to run (default: the built-in ``emir-refit-vr``).

    Examples:
        >>> from datetime import UTC
        >>> check = PreSubmission(datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
        >>> check.result().policy_id
        'emir-refit-vr'
    """

    def __init__(self, created_at: datetime, policy: Policy | None = None) -> None:
        super().__init__(SPEC, created_at, policy)
