"""Safe reading of ISO 20022 regulator files (auth.031, auth.092 and the like).

:func:`read_message` parses a file safely (:func:`~regkit.reports.xml.parse_safely`: no
DTD, no entities, no network, a size limit), finds the message inside a ``BizData``
envelope or on its own (:func:`locate`), validates it against the shipped schemas and reads
the business application header (:class:`Header`). The helpers below then read elements by
qualified name: their whole text, their line.

Examples:
    >>> message = read_message(
    ...     b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.031.001.01">'
    ...     b"<FinInstrmRptgStsAdvc><StsAdvc><MsgSts><Sts>ACPT</Sts></MsgSts></StsAdvc>"
    ...     b"</FinInstrmRptgStsAdvc></Document>",
    ...     namespace="urn:iso:std:iso:20022:tech:xsd:auth.031.001.01",
    ...     what="MiFIR feedback",
    ...     expected="an auth.031 status advice",
    ... )
    >>> message.label, message.header.message_id, etree.QName(message.document).localname
    ('<bytes>', None, 'Document')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from lxml import etree

from regkit.errors import RenderError, XsdValidationError
from regkit.reports.xml import DEFAULT_MAX_BYTES, SCHEMAS, parse_safely, validate
from regkit.reports.xml import _path as element_path

__all__ = [
    "Header",
    "Message",
    "Source",
    "child_text",
    "describe",
    "iso_datetime",
    "line_of",
    "locate",
    "qualified",
    "read_header",
    "read_message",
    "required_text",
    "text_of",
]

_ENV = SCHEMAS["head.003"].namespace
_HDR = SCHEMAS["head.001"].namespace

Source: TypeAlias = str | os.PathLike[str] | bytes
"""A file path, or a document's bytes."""


def qualified(namespace: str, name: str) -> str:
    """``{namespace}name``, as lxml names elements."""
    return f"{{{namespace}}}{name}"


def describe(element: etree._Element) -> str:
    """An element's name and namespace, with the message it belongs to when regkit knows it."""
    qname = etree.QName(element)
    namespace = qname.namespace or "(no namespace)"
    known = next((name for name, info in SCHEMAS.items() if info.namespace == namespace), None)
    return f"{qname.localname} in {namespace}" + (f" ({known})" if known else "")


def locate(
    root: etree._Element, label: str, *, namespace: str, what: str, expected: str
) -> tuple[etree._Element | None, etree._Element]:
    """The ``AppHdr`` (or None) and the message's ``Document`` of a file: the root itself, or
    the payload of a ``BizData`` envelope.

    Args:
        root: the parsed file's root element.
        label: the file, for the error.
        namespace: the message's namespace.
        what: what the file should be (``MiFIR feedback``).
        expected: what was expected, in words (``an auth.031 status advice``).

    Raises:
        RenderError: the file holds another message.
    """
    if root.tag == qualified(namespace, "Document"):
        return None, root
    if root.tag != qualified(_ENV, "BizData"):
        raise RenderError(f"{label}: not {what}: the root is {describe(root)}; expected {expected}")
    header = root.find(f"{qualified(_ENV, 'Hdr')}/{qualified(_HDR, 'AppHdr')}")
    payload = next(iter(root.iterfind(f"{qualified(_ENV, 'Pyld')}/*")), None)
    if payload is None or payload.tag != qualified(namespace, "Document"):
        found = "nothing" if payload is None else describe(payload)
        raise RenderError(f"{label}: not {what}: the envelope carries {found}; expected {expected}")
    return header, payload


def text_of(element: etree._Element, label: str) -> str | None:
    """The whole text of an element holding a simple value, or None when it has none.

    ``element.text`` stops at the first comment or processing instruction
    (``<TxId>T<!---->2</TxId>`` would read ``T``), so the element's own text nodes are
    joined: its text, CDATA included, and the tail of each comment and processing
    instruction in it. The schema checks the joined value, so this is the value it accepted.

    Args:
        element: the element.
        label: the file, for the error.

    Returns:
        The joined text, or None when the element holds no character data at all.

    Raises:
        XsdValidationError: the element holds an element (or an unexpanded entity) where a
            simple value is expected; the message names the file, the line and the element.
    """
    pieces = [element.text or ""]
    for child in element:
        if isinstance(child, etree._Comment | etree._ProcessingInstruction):
            pieces.append(child.tail or "")
            continue
        found = (
            f"the element {etree.QName(child).localname}"
            if isinstance(child.tag, str)
            else f"the entity reference {child!s}"
        )
        raise XsdValidationError(
            f"holds {found} where a value is expected",
            file=label,
            line=line_of(child) or line_of(element),
            path=element_path(element),
        )
    text = "".join(pieces)
    return text or None


def child_text(element: etree._Element | None, path: str, label: str) -> str | None:
    """The stripped text (:func:`text_of`) of the first element at ``path``, or None."""
    if element is None:
        return None
    found = element.find(path)
    if found is None:
        return None
    text = text_of(found, label)
    return None if text is None else text.strip()


def required_text(element: etree._Element, path: str, label: str) -> str:
    """The text of an element the schema requires (validation has checked it is there)."""
    text = child_text(element, path, label)
    if text is None:  # pragma: no cover (the schema requires it)
        raise RenderError(f"{label}:{line_of(element)}: {path} missing")
    return text


def line_of(element: etree._Element) -> int | None:
    """The element's line in its file, when known."""
    line = element.sourceline
    return line if isinstance(line, int) and line > 0 else None


def iso_datetime(text: str | None) -> datetime | None:
    """An ``xs:dateTime`` the schema has checked (``Z`` read as UTC), or None."""
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class Header:
    """What regkit reads of a business application header (head.001 ``AppHdr``).

    Every field is None for a bare ``Document``, which has no header.

    Attributes:
        message_id: ``BizMsgIdr``: the file's own id.
        created: ``CreDt``, in UTC.
        sender: the sender's id (``Fr/OrgId/Id/OrgId/Othr/Id``), e.g. the authority.
        related: the ``BizMsgIdr`` of ``Rltd``: the message this one answers.
    """

    message_id: str | None = None
    created: datetime | None = None
    sender: str | None = None
    related: str | None = None


def read_header(header: etree._Element | None, label: str) -> Header:
    """The fields of an ``AppHdr`` (an empty :class:`Header` for None)."""
    if header is None:
        return Header()
    sender = "/".join(
        qualified(_HDR, part) for part in ("Fr", "OrgId", "Id", "OrgId", "Othr", "Id")
    )
    return Header(
        message_id=child_text(header, qualified(_HDR, "BizMsgIdr"), label),
        created=iso_datetime(child_text(header, qualified(_HDR, "CreDt"), label)),
        sender=child_text(header, sender, label),
        related=child_text(
            header, f"{qualified(_HDR, 'Rltd')}/{qualified(_HDR, 'BizMsgIdr')}", label
        ),
    )


@dataclass(frozen=True)
class Message:
    """A regulator file read safely and validated.

    Attributes:
        label: the file's path (``<bytes>`` when read from bytes), for messages.
        header: its business application header (empty for a bare ``Document``).
        document: the message's ``Document`` element.
    """

    label: str
    header: Header
    document: etree._Element


def read_message(
    source: Source,
    *,
    namespace: str,
    what: str,
    expected: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Message:
    """Read one ISO 20022 file safely: parse, find the message, validate, read the header.

    The file is parsed with :func:`~regkit.reports.xml.parse_safely` (a ``DOCTYPE`` is
    refused, so no entity is ever expanded or fetched; nothing is read from the network;
    files above ``max_bytes`` are refused), the message is found (:func:`locate`), and the
    file is validated against the shipped schemas (with head.003 and head.001 for an
    envelope) before anything is read from it.

    Args:
        source: a file path, or the document's bytes.
        namespace: the message's namespace.
        what: what the file should be, in words (``MiFIR feedback``).
        expected: what was expected, in words (``an auth.031 status advice``).
        max_bytes: refuse larger files.

    Returns:
        The :class:`Message`.

    Raises:
        RenderError: the file cannot be read, is too large, is not well-formed, has a
            ``DOCTYPE``, or holds another message; the message names the file.
        XsdValidationError: the file breaks the schema (a :class:`RenderError` too).
    """
    label = "<bytes>" if isinstance(source, bytes) else os.fspath(source)
    tree = parse_safely(source, max_bytes=max_bytes)
    header, document = locate(
        tree.getroot(), label, namespace=namespace, what=what, expected=expected
    )
    validate(source, max_bytes=max_bytes).raise_for_problems()
    return Message(label, read_header(header, label), document)
