"""A deterministic synthetic EMIR REFIT trade state report (auth.107), for tests and the demo.

A trade repository sends each reporting counterparty the latest state of every derivative it
holds outstanding: ISO 20022 auth.107 ``DerivsTradStatRpt`` (ESMA's "DATTSR"), read by
:func:`regkit.reports.emir.state.read_trade_state`. :func:`trade_state_report` writes one
from :class:`~regkit.reports.emir.state.OpenDerivative` values, in the ``BizData`` envelope
with a business application header (head.001) from the trade repository to the reporting
counterparty, as the real ones come.

Each derivative is one ``Stat`` holding the minimum the schema asks for (the reporting
counterparty, ``OthrCtrPty``, ``TxData``) and the fields given: the UTI (``TxId/UnqTxIdr``
when it has a UTI's form, else ``TxId/Prtry/Id``), the other counterparty (an LEI as
``Lgl/Id/LEI``, any other id as a natural person's ``Ntrl/Id/Id/Id``), the first leg's notional
(``NtnlAmt/FrstLeg/Amt/Amt`` with its ``Ccy``; a negative one as its size with ``Sgn``
false), the execution timestamp (in UTC, ``Z``), the expiry date and the action type of the
latest report (``CtrctMod/ActnTp``). No clock and no randomness: the same arguments give the
same bytes, and reading them back gives the same derivatives. The document is checked
against the shipped schemas before it is returned.

Examples:
    >>> from datetime import UTC, date, datetime
    >>> from decimal import Decimal
    >>> from regkit.reports.emir.state import OpenDerivative, read_trade_state
    >>> derivative = OpenDerivative(
    ...     "529900T8BM49AURSDO55CFD0001", "529900T8BM49AURSDO55", "CLIENT42", "NEWT",
    ...     Decimal("100000.00"), "EUR", datetime(2024, 3, 15, 9, 30, tzinfo=UTC))
    >>> data = trade_state_report(
    ...     [derivative], created=datetime(2024, 3, 16, 6, 0, tzinfo=UTC),
    ...     reference_date=date(2024, 3, 15), reporting_counterparty="529900T8BM49AURSDO55",
    ...     feedback_id="DATTSR-20240315-0001")
    >>> state = read_trade_state(data)
    >>> state.message_id, state.derivatives == (derivative,)
    ('DATTSR-20240315-0001', True)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Final

from lxml import etree

from regkit.reports.emir.state import OpenDerivative
from regkit.reports.values import RefusedError, xml_decimal, xml_utc
from regkit.reports.xml import SCHEMAS
from regkit.samples import _iso20022
from regkit.samples._iso20022 import document, enveloped, header, sub, text

__all__ = ["ACTION_TYPES", "trade_state_report"]

_AUTH107: Final = SCHEMAS["auth.107"].namespace
_DEFINITION: Final = "auth.107.001.01"

#: The action types auth.107 takes (``TransactionOperationType10Code``).
ACTION_TYPES: Final = _iso20022.ACTION_TYPES
# The schema's patterns of a UTI, an LEI and a currency: other ids go in another form.
_UTI: Final = _iso20022.UTI
_LEI: Final = _iso20022.LEI
_CURRENCY: Final = re.compile(r"[A-Z]{3}")


def trade_state_report(
    derivatives: Sequence[OpenDerivative],
    *,
    created: datetime,
    reference_date: date,
    reporting_counterparty: str,
    feedback_id: str,
    repository: str = "REGKIT-TR",
) -> bytes:
    """A trade repository's trade state report (auth.107) for one reporting counterparty.

    ``RptHdr`` gives the reference date (``RptExctnDt``) and the number of derivatives
    (``NbRcrds``); ``TradData`` holds one ``Stat`` per derivative, in order, or
    ``DataSetActn`` ``NOTX`` when there is none. :attr:`OpenDerivative.line` is not written.

    Args:
        derivatives: the outstanding derivatives.
        created: the report's creation time (timezone-aware; written in UTC, ``Z``).
        reference_date: the day the state is of.
        reporting_counterparty: the header's recipient (its LEI).
        feedback_id: the report's own ``BizMsgIdr``.
        repository: the header's sender, the trade repository's id (a made-up one by
            default).

    Returns:
        The document's UTF-8 bytes, with an XML declaration.

    Raises:
        ValueError: a time is naive, an action type or currency is not one auth.107 takes, a
            notional has no currency (or a currency no notional) or more digits than the
            schema allows, or a text is empty, too long, has white space around it or the
            schema refuses it.

    Examples:
        >>> from datetime import UTC, date, datetime
        >>> data = trade_state_report(
        ...     [], created=datetime(2024, 3, 16, 6, 0, tzinfo=UTC),
        ...     reference_date=date(2024, 3, 15), reporting_counterparty="529900T8BM49AURSDO55",
        ...     feedback_id="DATTSR-2")
        >>> b"<DataSetActn>NOTX</DataSetActn>" in data
        True
    """
    payload = document(_AUTH107)
    report = sub(payload, "DerivsTradStatRpt")
    head = sub(report, "RptHdr")
    sub(head, "RptExctnDt", reference_date.isoformat())
    sub(head, "NbRcrds", str(len(derivatives)))
    data = sub(report, "TradData")
    if not derivatives:
        sub(data, "DataSetActn", "NOTX")
    for number, derivative in enumerate(derivatives, start=1):
        try:
            _stat(sub(data, "Stat"), derivative)
        except RefusedError as exc:
            raise ValueError(
                f"derivative {number} ({derivative.uti}): {exc.field}: {exc.reason}"
            ) from None
        except ValueError as exc:
            raise ValueError(f"derivative {number} ({derivative.uti}): {exc}") from None
    app = header(repository, reporting_counterparty, feedback_id, _DEFINITION, created)
    return enveloped(app, payload, "trade state report")


def _stat(stat: etree._Element, derivative: OpenDerivative) -> None:
    """One ``Stat``, its elements in the schema's order."""
    parties = sub(sub(stat, "CtrPtySpcfcData"), "CtrPty")
    _party(sub(sub(parties, "RptgCtrPty"), "Id"), derivative.reporting_counterparty)
    other = sub(parties, "OthrCtrPty")
    if derivative.other_counterparty is not None:
        _party(sub(other, "IdTp"), derivative.other_counterparty)
    common = sub(stat, "CmonTradData")
    transaction = sub(common, "TxData")
    if derivative.uti is not None:
        uti = text(derivative.uti, "uti", 72)
        identification = sub(transaction, "TxId")
        if _UTI.fullmatch(uti):
            sub(identification, "UnqTxIdr", uti)
        else:
            sub(sub(identification, "Prtry"), "Id", uti)
    _notional(transaction, derivative)
    if derivative.execution_timestamp is not None:
        moment = derivative.execution_timestamp
        if moment.utcoffset() is None:
            raise RefusedError("execution_timestamp", f"{moment.isoformat()} has no timezone")
        sub(transaction, "ExctnTmStmp", xml_utc(moment))
    if derivative.expiry_date is not None:
        sub(transaction, "XprtnDt", derivative.expiry_date.isoformat())
    if derivative.action_type is not None:
        if derivative.action_type not in ACTION_TYPES:
            raise RefusedError("action_type", f"{derivative.action_type!r} is not an auth.107 code")
        sub(sub(common, "CtrctMod"), "ActnTp", derivative.action_type)


def _notional(transaction: etree._Element, derivative: OpenDerivative) -> None:
    """``NtnlAmt/FrstLeg/Amt``: the amount's size with its currency, and ``Sgn`` false for
    a negative one."""
    amount, currency = derivative.notional, derivative.notional_currency
    if amount is None and currency is None:
        return
    if amount is None or currency is None:
        raise RefusedError("notional", "give both the notional and its currency, or neither")
    if not _CURRENCY.fullmatch(currency):
        raise RefusedError("notional_currency", f"{currency!r} is not three capital letters")
    outer = sub(sub(sub(transaction, "NtnlAmt"), "FrstLeg"), "Amt")
    value = sub(outer, "Amt", xml_decimal(abs(amount), "notional", 19, 25))
    value.set("Ccy", currency)
    if amount.is_signed() and amount:
        sub(outer, "Sgn", "false")


def _party(parent: etree._Element, identifier: str) -> None:
    """A PartyIdentification248Choice: ``Lgl/Id/LEI`` for an LEI, else ``Ntrl/Id/Id/Id``."""
    if _LEI.fullmatch(identifier):
        sub(sub(sub(parent, "Lgl"), "Id"), "LEI", identifier)
    else:
        code = text(identifier, "a counterparty", 72)
        sub(sub(sub(sub(parent, "Ntrl"), "Id"), "Id"), "Id", code)
