"""Competent authorities: how each wants MiFIR transaction report files named and wrapped.

The table is package data (``data/authorities.json``): one :class:`Authority` per competent
authority regkit knows (CY, DE, FR, GB, IE, MT), each with its file name pattern, envelope,
recipient identifier, limits, and which of these values a published document confirms
(``confirmed``, with the documents in ``sources``) and which are assumed (``notes`` says
why). An authority that is not in the table gets ESMA's convention
(:func:`default_authority`), addressed to its country code. See "Authorities: file names
and envelopes" in ``docs/mifir.md`` for the table and its sources.

A file name pattern is text with the placeholders ``{sender}`` (the submitting entity's
LEI), ``{recipient}`` (:attr:`Authority.recipient_id`), ``{date}`` (creation date in UTC,
``YYYYMMDD``) and ``{sequence}`` (six digits). Every pattern holds ``{date}`` and
``{sequence}``, so that two files of one sender never share a name, and yields only ASCII
letters, digits, ``.``, ``_`` and ``-``.

Examples:
    >>> from datetime import UTC, datetime
    >>> cysec = authority_for("CY")
    >>> cysec.name
    'Cyprus Securities and Exchange Commission (CySEC)'
    >>> cysec.file_name("5493001KJTIIGC8Y1R12", datetime(2026, 11, 20, 18, 0, tzinfo=UTC), 1)
    '5493001KJTIIGC8Y1R12_DATTRA_CY_20261120_000001.xml'
    >>> sorted(code for code, item in authorities().items() if "max_records" in item.confirmed)
    ['DE']
    >>> authority_for("LU").recipient_id, authority_for("LU").code
    ('LU', 'ESMA')
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final, Literal, cast

from regkit.errors import RenderError
from regkit.reports.iso20022.files import MAX_SEQUENCE, dated_sequence

__all__ = [
    "ATTRIBUTES",
    "PLACEHOLDERS",
    "Authority",
    "Compression",
    "Envelope",
    "authorities",
    "authority_for",
    "default_authority",
]

Envelope = Literal["bizdata"]
"""``bizdata``: ESMA's ``BizData`` (head.003) with the ``AppHdr`` (head.001) and auth.016."""
Compression = Literal["gzip", "zip"]
"""How the authority takes the file on upload (regkit writes the XML; compress it after)."""

#: The placeholders a file name pattern may use.
PLACEHOLDERS: Final = frozenset({"sender", "recipient", "date", "sequence"})
#: The attributes that ``confirmed`` may name.
ATTRIBUTES: Final = frozenset(
    {
        "channel",
        "file_name",
        "envelope",
        "recipient_id",
        "max_records",
        "max_upload_megabytes",
        "compression",
    }
)
_REQUIRED: Final = frozenset({"date", "sequence"})
_ENVELOPES: Final = frozenset({"bizdata"})
_COMPRESSIONS: Final = frozenset({"gzip", "zip"})
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
_RECIPIENT = re.compile(r"[A-Z0-9]{2,35}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_SAMPLE_LEI: Final = "5493001KJTIIGC8Y1R12"


@dataclass(frozen=True)
class Authority:
    """One competent authority's rules for MiFIR transaction report files.

    Attributes:
        code: the key: the ISO 3166 country code a firm's ``report_recipient`` gives
            (``"ESMA"`` for the fallback convention).
        name: the authority's name.
        channel: how files reach it (portal, system).
        file_name_pattern: the file name, with the placeholders of :data:`PLACEHOLDERS`.
        envelope: the file's envelope (:data:`Envelope`).
        recipient_id: the identifier in the file name and the ``AppHdr``'s ``To``.
        max_records: most ``Tx`` in one file, or None when no limit is known.
        max_upload_megabytes: the largest upload the authority takes, or None.
        compression: how an upload is compressed, or None when it is not (or not known).
        confirmed: the attributes a published document states (see ``sources``); every
            other attribute is assumed.
        sources: the documents, with their sections, the values come from.
        notes: what is assumed, and why.

    Examples:
        >>> bafin = authority_for("DE")
        >>> bafin.compression, bafin.max_records, bafin.is_confirmed("file_name_pattern")
        ('gzip', 500000, False)
    """

    code: str
    name: str
    channel: str
    file_name_pattern: str
    envelope: Envelope
    recipient_id: str
    max_records: int | None
    max_upload_megabytes: int | None
    compression: Compression | None
    confirmed: frozenset[str]
    sources: tuple[str, ...]
    notes: str

    def is_confirmed(self, attribute: str) -> bool:
        """Whether a published document states this attribute (``file_name_pattern`` and
        ``file_name`` both mean the pattern)."""
        if attribute == "file_name_pattern":
            attribute = "file_name"
        return attribute in self.confirmed

    def file_name(self, sender: str, created_at: datetime, sequence: int) -> str:
        """The name of a report file from ``sender`` created at ``created_at`` (UTC date).

        Raises:
            RenderError: the sequence number is outside 1 to 999,999, or the name would
                not be a plain file name (a sender with a path separator, say).
        """
        date, number = dated_sequence(created_at, sequence).split("_")
        name = self.file_name_pattern.format(
            sender=sender, recipient=self.recipient_id, date=date, sequence=number
        )
        if not _FILE_NAME.fullmatch(name):
            raise RenderError(
                f"file name {name!r} for authority {self.code} is not ASCII letters, digits, "
                "'.', '_' and '-' (check the sender LEI)"
            )
        return name


def _bad(where: str, field: str, reason: str) -> RenderError:
    return RenderError(f"data/authorities.json, {where}: {field} {reason}")


def _pattern(where: str, pattern: object) -> str:
    """Check a file name pattern: known placeholders, date and sequence present, plain."""
    if not isinstance(pattern, str):
        raise _bad(where, "file_name", f"must be text, got {pattern!r}")
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(pattern) if field}
    except ValueError as exc:
        raise _bad(where, "file_name", f"{pattern!r} is not a pattern: {exc}") from exc
    if unknown := used - PLACEHOLDERS:
        raise _bad(where, "file_name", f"{pattern!r} uses unknown {sorted(unknown)}")
    if missing := _REQUIRED - used:
        raise _bad(where, "file_name", f"{pattern!r} lacks {sorted(missing)} (names repeat)")
    return pattern


def _optional_int(where: str, field: str, value: object) -> int | None:
    if value is None:
        return None
    if type(value) is not int or value < 1:
        raise _bad(where, field, f"must be a positive whole number or null, got {value!r}")
    return value


def _choice(where: str, field: str, value: object, allowed: frozenset[str]) -> str:
    if value not in allowed:
        raise _bad(where, field, f"must be one of {sorted(allowed)}, got {value!r}")
    return str(value)


def _text(where: str, field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(where, field, f"must be non-empty text, got {value!r}")
    return value


def _authority(entry: Mapping[str, Any], recipient: str | None = None) -> Authority:
    """One entry of the table, checked; ``recipient`` for the default's null recipient."""
    where = str(entry.get("code", "?"))
    confirmed = entry.get("confirmed")
    if not isinstance(confirmed, list) or not set(confirmed) <= ATTRIBUTES:
        raise _bad(where, "confirmed", f"must list attributes of {sorted(ATTRIBUTES)}")
    sources = entry.get("sources")
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise _bad(where, "sources", "must be a list of texts")
    recipient_id = entry.get("recipient_id") or recipient or where
    if not _RECIPIENT.fullmatch(recipient_id):
        raise _bad(where, "recipient_id", f"must be 2-35 capitals or digits: {recipient_id!r}")
    compression = entry.get("compression")
    authority = Authority(
        code=where,
        name=_text(where, "name", entry.get("name")),
        channel=_text(where, "channel", entry.get("channel")),
        file_name_pattern=_pattern(where, entry.get("file_name")),
        envelope=cast(Envelope, _choice(where, "envelope", entry.get("envelope"), _ENVELOPES)),
        recipient_id=recipient_id,
        max_records=_optional_int(where, "max_records", entry.get("max_records")),
        max_upload_megabytes=_optional_int(
            where, "max_upload_megabytes", entry.get("max_upload_megabytes")
        ),
        compression=None
        if compression is None
        else cast(Compression, _choice(where, "compression", compression, _COMPRESSIONS)),
        confirmed=frozenset(confirmed),
        sources=tuple(sources),
        notes=_text(where, "notes", entry.get("notes")),
    )
    # The pattern must yield a plain file name for a real LEI at the widest sequence.
    authority.file_name(_SAMPLE_LEI, datetime(2000, 1, 1, tzinfo=UTC), MAX_SEQUENCE)
    return authority


@cache
def _table() -> tuple[Mapping[str, Authority], Authority]:
    path = resources.files("regkit.reports.mifir") / "data" / "authorities.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    default = _authority(data["default"], recipient="XX")
    table: dict[str, Authority] = {}
    for entry in data["authorities"]:
        item = _authority(entry)
        if not _COUNTRY.fullmatch(item.code) or item.code in table:
            raise _bad(item.code, "code", "must be a country code listed once")
        table[item.code] = item
    return MappingProxyType(dict(sorted(table.items()))), default


def authorities() -> Mapping[str, Authority]:
    """Every authority of the table, by country code (read once, read-only).

    Raises:
        RenderError: the package data is broken (a regkit bug), naming the entry and field.

    Examples:
        >>> list(authorities())
        ['CY', 'DE', 'FR', 'GB', 'IE', 'MT']
    """
    return _table()[0]


def default_authority(recipient: str) -> Authority:
    """ESMA's convention, addressed to ``recipient``: for an authority not in the table.

    Raises:
        RenderError: ``recipient`` is not 2-35 capitals or digits.

    Examples:
        >>> default_authority("LU").file_name_pattern
        '{sender}_DATTRA_{recipient}_{date}_{sequence}.xml'
    """
    if not isinstance(recipient, str) or not _RECIPIENT.fullmatch(recipient):
        raise RenderError(f"report recipient must be 2-35 capitals or digits, got {recipient!r}")
    return replace(_table()[1], recipient_id=recipient)


def authority_for(code: str) -> Authority:
    """The authority a firm reports to (``firm.report_recipient``): its entry in the table,
    else ESMA's convention addressed to ``code``.

    Raises:
        RenderError: ``code`` is not 2-35 capitals or digits.

    Examples:
        >>> authority_for("GB").channel
        'Market Data Processor (MDP)'
    """
    found = authorities().get(code)
    return found if found is not None else default_authority(code)
