"""What the synthetic regulator files share: auth.092's and auth.107's action types
(``TransactionOperationType10Code``), the schemas' patterns of a UTI and an LEI (an id that
does not match goes in the message's proprietary or other form), and how a document is
built, headed, enveloped and checked."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from lxml import etree

from regkit.reports.iso20022.envelope import HEAD003, app_header
from regkit.reports.xml import validate

ACTION_TYPES: Final = (
    "NEWT",
    "MODI",
    "CORR",
    "TERM",
    "EROR",
    "POSC",
    "VALU",
    "REVI",
    "COMP",
    "OTHR",
    "MARU",
    "PRTO",
)
UTI: Final = re.compile(r"[A-Z0-9]{18}[0-9]{2}[A-Z0-9]{0,32}")
LEI: Final = re.compile(r"[A-Z0-9]{18}[0-9]{2}")


def document(namespace: str) -> etree._Element:
    """An empty ``Document`` of a message's namespace."""
    namespaces: Any = {None: namespace}  # lxml-stubs does not allow the default namespace
    return etree.Element(f"{{{namespace}}}Document", nsmap=namespaces)


def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    """A child in the parent's namespace, with its text."""
    child = etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{name}")
    if text is not None:
        child.text = text
    return child


def text(value: str, what: str, most: int) -> str:
    """A text the schema takes and the readers read back as it is (they strip white space).

    Raises:
        ValueError: empty, with white space around it, or longer than ``most``.
    """
    if not value or value != value.strip():
        raise ValueError(f"{what}: {value!r}: give a non-empty text without white space around it")
    if len(value) > most:
        raise ValueError(f"{what}: {value!r}: longer than {most} characters")
    return value


def header(
    sender: str, recipient: str, message_id: str, definition: str, created: datetime
) -> etree._Element:
    """An ``AppHdr`` (head.001), its texts and its time checked.

    Raises:
        ValueError: a naive ``created``, or a text :func:`text` refuses.
    """
    if created.utcoffset() is None:
        raise ValueError(f"{created.isoformat()} has no timezone: give an aware datetime (UTC)")
    return app_header(
        text(sender, "the sender", 35),
        text(recipient, "the recipient", 35),
        text(message_id, "the message id", 35),
        definition,
        created,
    )


def enveloped(app: etree._Element, payload: etree._Element, what: str) -> bytes:
    """``BizData``: ``Hdr/AppHdr`` and ``Pyld/Document``, serialised and checked against the
    shipped schemas.

    Raises:
        ValueError: the document breaks its schema (``what`` names it).
    """
    namespaces: Any = {None: HEAD003}
    envelope = etree.Element(f"{{{HEAD003}}}BizData", nsmap=namespaces)
    etree.SubElement(envelope, f"{{{HEAD003}}}Hdr").append(app)
    etree.SubElement(envelope, f"{{{HEAD003}}}Pyld").append(payload)
    data = etree.tostring(envelope, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    result = validate(data)
    if not result.ok:
        raise ValueError(f"the {what} breaks its schema: " + "; ".join(result.lines()))
    return data
