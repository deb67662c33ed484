"""Reading regulator feedback files (auth.031, auth.092) once they are parsed safely and
validated: elements by qualified name, their whole text, their line, and the message inside a
``BizData`` envelope or on its own."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from regkit.errors import RenderError, XsdValidationError
from regkit.reports.xml import SCHEMAS
from regkit.reports.xml import _path as element_path

__all__ = [
    "child_text",
    "describe",
    "iso_datetime",
    "line_of",
    "locate",
    "qualified",
    "required_text",
    "text_of",
]

_ENV = SCHEMAS["head.003"].namespace
_HDR = SCHEMAS["head.001"].namespace


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
