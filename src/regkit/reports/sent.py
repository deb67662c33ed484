"""What a regulator file regkit wrote holds, record by record: what a submissions ledger
keeps of each (:mod:`regkit.store.ledger`).

Each record regkit writes is one line of its own bytes (:mod:`regkit.reports.writer`), so
what identifies it is read from those bytes, not by parsing the file again:

* MiFIR ``Tx/New`` or ``Tx/Cxl``: the transaction reference (``TxId``, RTS 22 field 2),
  the action (``NEWT`` or ``CANC``) and the trading time (``TradDt``, field 28).
* EMIR ``Rpt``: the UTI (``TxId/UnqTxIdr``, REFIT field 2.1), the action type (the element
  under ``Rpt``: ``New`` is ``NEWT`` ...), the execution timestamp (field 2.42) and the key
  fields a trade repository's trade state report is compared on: the other counterparty
  (1.9), the first leg's notional and its currency (2.55, 2.56), the expiration date (2.44).

:func:`content_hash` is the SHA-256 of what a record says about its trade: for EMIR without
the reporting timestamp (field 1.1, the time of sending) and the action element, so that the
same data hashes the same whenever and however it is sent. A rejected transaction whose
data was not fixed hashes as it did; a fixed one does not.

Examples:
    >>> line = (b"<Tx><New><TxId>T1</TxId><ExctgPty>5493001KJTIIGC8Y1R12</ExctgPty>"
    ...         b"<TradDt>2026-11-20T10:00:00Z</TradDt></New></Tx>\\n")
    >>> sent = describe("mifir", line)
    >>> sent.reference, sent.action, sent.traded_at.isoformat()
    ('T1', 'NEWT', '2026-11-20T10:00:00+00:00')
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from regkit.errors import RenderError
from regkit.reports.emir.write import ACTIONS as EMIR_ACTIONS
from regkit.reports.iso20022.reading import iso_datetime

__all__ = ["SentRecordInfo", "content_hash", "describe"]

_EMIR_ACTION_OF: Final = {element: action for action, element in EMIR_ACTIONS.items()}
_MIFIR: Final = re.compile(rb"<Tx><(New|Cxl)><TxId>([^<]+)</TxId>")
_TRADED: Final = re.compile(rb"<TradDt>([^<]+)</TradDt>")
_EMIR: Final = re.compile(rb"<Rpt><([A-Za-z]+)>")
_UTI: Final = re.compile(rb"<TxId><UnqTxIdr>([^<]+)</UnqTxIdr></TxId>")
_STAMP: Final = re.compile(rb"<RptgTmStmp>[^<]*</RptgTmStmp>")
_EMIR_FIELDS: Final[Mapping[str, re.Pattern[bytes]]] = {
    "other_counterparty": re.compile(
        rb"<OthrCtrPty><IdTp><(?:Lgl><Id><LEI|Ntrl><Id><Id><Id)>([^<]+)<"
    ),
    "notional_currency": re.compile(rb'<NtnlAmt><FrstLeg><Amt><Amt Ccy="([A-Z]{3})">'),
    "notional": re.compile(rb'<NtnlAmt><FrstLeg><Amt><Amt Ccy="[A-Z]{3}">([^<]+)</Amt>'),
    "expiry_date": re.compile(rb"<XprtnDt>([^<]+)</XprtnDt>"),
    "execution_timestamp": re.compile(rb"<ExctnTmStmp>([^<]+)</ExctnTmStmp>"),
}


@dataclass(frozen=True)
class SentRecordInfo:
    """What identifies one record written.

    Attributes:
        reference: the transaction reference (MiFIR) or UTI (EMIR).
        action: MiFIR ``NEWT``/``CANC``; the EMIR action type.
        content_hash: :func:`content_hash` of the record.
        traded_at: the trading or execution time, when the record holds one.
        fields: EMIR: the key fields it holds (see the module's docstring), as written.
    """

    reference: str
    action: str
    content_hash: str
    traded_at: datetime | None
    fields: Mapping[str, str] | None


def _text(data: bytes) -> str:
    return html.unescape(data.decode("utf-8"))


def content_hash(regime: str, data: bytes) -> str:
    """The SHA-256 of a record's content: for EMIR without its reporting timestamp and
    with its action element named ``Rpt`` (see the module's docstring).

    Examples:
        >>> newt = b"<Rpt><New><RptgTmStmp>2026-11-20T18:00:00Z</RptgTmStmp><X/></New></Rpt>"
        >>> corr = b"<Rpt><Crrctn><RptgTmStmp>2026-11-23T09:00:00Z</RptgTmStmp><X/></Crrctn></Rpt>"
        >>> content_hash("emir", newt) == content_hash("emir", corr)
        True
    """
    body = data.rstrip(b"\n")
    if regime == "emir":
        found = _EMIR.match(body)
        if found is not None:
            element = found.group(1)
            inner = body[found.end() : -len(b"</" + element + b"></Rpt>")]
            body = b"<Rpt>" + _STAMP.sub(b"", inner) + b"</Rpt>"
    return hashlib.sha256(body).hexdigest()


def describe(regime: str, data: bytes) -> SentRecordInfo:
    """What identifies one record regkit wrote (its line of bytes).

    Raises:
        RenderError: the bytes are not a record of the regime as regkit writes it.
    """
    if regime == "mifir":
        found = _MIFIR.match(data)
        if found is None:
            raise RenderError(f"not a MiFIR Tx as regkit writes it: {data[:80]!r}")
        traded = _TRADED.search(data)
        return SentRecordInfo(
            reference=_text(found.group(2)),
            action="NEWT" if found.group(1) == b"New" else "CANC",
            content_hash=content_hash(regime, data),
            traded_at=None if traded is None else iso_datetime(_text(traded.group(1))),
            fields=None,
        )
    if regime == "emir":
        return _describe_emir(data)
    raise RenderError(f"no ledger description of {regime!r} records")


def _describe_emir(data: bytes) -> SentRecordInfo:
    found = _EMIR.match(data)
    uti = _UTI.search(data)
    action = None if found is None else _EMIR_ACTION_OF.get(found.group(1).decode())
    if action is None or uti is None:
        raise RenderError(f"not an EMIR Rpt as regkit writes it: {data[:80]!r}")
    fields = {
        name: _text(match.group(1))
        for name, pattern in _EMIR_FIELDS.items()
        if (match := pattern.search(data)) is not None
    }
    executed = fields.get("execution_timestamp")
    return SentRecordInfo(
        reference=_text(uti.group(1)),
        action=action,
        content_hash=content_hash("emir", data),
        traded_at=None if executed is None else iso_datetime(executed),
        fields=fields,
    )
