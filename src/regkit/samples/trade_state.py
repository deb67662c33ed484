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
from typing import Any, Final

from lxml import etree

from regkit.reports.emir.state import OpenDerivative
from regkit.reports.iso20022.envelope import HEAD003, app_header
from regkit.reports.values import RefusedError, xml_decimal, xml_utc
from regkit.reports.xml import SCHEMAS, validate
from regkit.samples import _iso20022

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
    namespaces: Any = {None: _AUTH107}  # lxml-stubs does not allow the default namespace
    document = etree.Element(f"{{{_AUTH107}}}Document", nsmap=namespaces)
    report = _sub(document, "DerivsTradStatRpt")
    header = _sub(report, "RptHdr")
    _sub(header, "RptExctnDt", reference_date.isoformat())
    _sub(header, "NbRcrds", str(len(derivatives)))
    data = _sub(report, "TradData")
    if not derivatives:
        _sub(data, "DataSetActn", "NOTX")
    for number, derivative in enumerate(derivatives, start=1):
        try:
            _stat(_sub(data, "Stat"), derivative)
        except RefusedError as exc:
            raise ValueError(
                f"derivative {number} ({derivative.uti}): {exc.field}: {exc.reason}"
            ) from None
    if created.utcoffset() is None:
        raise ValueError(f"{created.isoformat()} has no timezone: give an aware datetime (UTC)")
    try:
        app = app_header(
            _text(repository, "repository", 35),
            _text(reporting_counterparty, "reporting_counterparty", 35),
            _text(feedback_id, "feedback_id", 35),
            _DEFINITION,
            created,
        )
    except RefusedError as exc:
        raise ValueError(f"{exc.field}: {exc.reason}") from None
    return _enveloped(app, document)


def _enveloped(header: etree._Element, document: etree._Element) -> bytes:
    """``BizData``: ``Hdr/AppHdr`` and ``Pyld/Document``, serialised and checked."""
    namespaces: Any = {None: HEAD003}
    envelope = etree.Element(f"{{{HEAD003}}}BizData", nsmap=namespaces)
    etree.SubElement(envelope, f"{{{HEAD003}}}Hdr").append(header)
    etree.SubElement(envelope, f"{{{HEAD003}}}Pyld").append(document)
    written = etree.tostring(envelope, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    result = validate(written)
    if not result.ok:
        raise ValueError("the trade state report breaks its schema: " + "; ".join(result.lines()))
    return written


def _stat(stat: etree._Element, derivative: OpenDerivative) -> None:
    """One ``Stat``, its elements in the schema's order."""
    parties = _sub(_sub(stat, "CtrPtySpcfcData"), "CtrPty")
    _party(_sub(_sub(parties, "RptgCtrPty"), "Id"), derivative.reporting_counterparty)
    other = _sub(parties, "OthrCtrPty")
    if derivative.other_counterparty is not None:
        _party(_sub(other, "IdTp"), derivative.other_counterparty)
    common = _sub(stat, "CmonTradData")
    transaction = _sub(common, "TxData")
    if derivative.uti is not None:
        uti = _text(derivative.uti, "uti", 72)
        identification = _sub(transaction, "TxId")
        if _UTI.fullmatch(uti):
            _sub(identification, "UnqTxIdr", uti)
        else:
            _sub(_sub(identification, "Prtry"), "Id", uti)
    _notional(transaction, derivative)
    if derivative.execution_timestamp is not None:
        moment = derivative.execution_timestamp
        if moment.utcoffset() is None:
            raise RefusedError("execution_timestamp", f"{moment.isoformat()} has no timezone")
        _sub(transaction, "ExctnTmStmp", xml_utc(moment))
    if derivative.expiry_date is not None:
        _sub(transaction, "XprtnDt", derivative.expiry_date.isoformat())
    if derivative.action_type is not None:
        if derivative.action_type not in ACTION_TYPES:
            raise RefusedError("action_type", f"{derivative.action_type!r} is not an auth.107 code")
        _sub(_sub(common, "CtrctMod"), "ActnTp", derivative.action_type)


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
    outer = _sub(_sub(_sub(transaction, "NtnlAmt"), "FrstLeg"), "Amt")
    value = _sub(outer, "Amt", xml_decimal(abs(amount), "notional", 19, 25))
    value.set("Ccy", currency)
    if amount.is_signed() and amount:
        _sub(outer, "Sgn", "false")


def _party(parent: etree._Element, identifier: str) -> None:
    """A PartyIdentification248Choice: ``Lgl/Id/LEI`` for an LEI, else ``Ntrl/Id/Id/Id``."""
    if _LEI.fullmatch(identifier):
        _sub(_sub(_sub(parent, "Lgl"), "Id"), "LEI", identifier)
    else:
        code = _text(identifier, "a counterparty", 72)
        _sub(_sub(_sub(_sub(parent, "Ntrl"), "Id"), "Id"), "Id", code)


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    """A child in the parent's namespace, with its text."""
    child = etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{name}")
    if text is not None:
        child.text = text
    return child


def _text(value: str, what: str, most: int) -> str:
    """A text the schema takes and the reader reads back as it is (it strips white space)."""
    if not value or value != value.strip():
        raise RefusedError(what, f"{value!r}: give a non-empty text without white space around it")
    if len(value) > most:
        raise RefusedError(what, f"{value!r}: longer than {most} characters")
    return value
