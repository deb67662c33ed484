"""The ISO 20022 envelope of a report file: ``BizData`` (head.003) → ``Hdr/AppHdr``
(head.001, the business application header) + ``Pyld/Document`` (the message).

:func:`app_header` builds the header of one file; :func:`business_data` is the
:data:`~regkit.reports.writer.Envelope` that frames a file's records with it, for
:func:`~regkit.reports.writer.write_files`. Reading an envelope back is
:func:`~regkit.reports.iso20022.reading.locate` and
:func:`~regkit.reports.iso20022.reading.read_header`.

Examples:
    >>> from datetime import UTC, datetime
    >>> header = app_header("SENDER", "CY", "MSG-1", "auth.016.001.01",
    ...                     datetime(2026, 11, 20, 18, 0, tzinfo=UTC))
    >>> [etree.QName(child).localname for child in header]
    ['Fr', 'To', 'BizMsgIdr', 'MsgDefIdr', 'CreDt']
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, Final

from lxml import etree

from regkit.reports.values import xml_utc
from regkit.reports.writer import Envelope, Part, XmlWriter

__all__ = ["HEAD001", "HEAD003", "app_header", "business_data"]

#: The namespace of the business application header.
HEAD001: Final = "urn:iso:std:iso:20022:tech:xsd:head.001.001.01"
#: The namespace of the ``BizData`` envelope.
HEAD003: Final = "urn:iso:std:iso:20022:tech:xsd:head.003.001.01"


def app_header(
    sender: str, recipient: str, message_id: str, definition: str, created_at: datetime
) -> etree._Element:
    """``AppHdr`` (head.001): from ``sender`` to ``recipient``, each an organisation's other
    id (``OrgId/Id/OrgId/Othr/Id``), with the message's id, definition and creation time.

    Args:
        sender: the sender's id (an LEI).
        recipient: the recipient's id (a competent authority's country code).
        message_id: ``BizMsgIdr`` (35 characters at most).
        definition: ``MsgDefIdr``, e.g. ``auth.016.001.01``.
        created_at: ``CreDt``.
    """
    namespaces: Any = {None: HEAD001}  # lxml-stubs does not allow the default namespace
    header = etree.Element(f"{{{HEAD001}}}AppHdr", nsmap=namespaces)
    for side, identifier in (("Fr", sender), ("To", recipient)):
        node = etree.SubElement(header, f"{{{HEAD001}}}{side}")
        for tag in ("OrgId", "Id", "OrgId", "Othr", "Id"):
            node = etree.SubElement(node, f"{{{HEAD001}}}{tag}")
        node.text = identifier
    values = (
        ("BizMsgIdr", message_id),
        ("MsgDefIdr", definition),
        ("CreDt", xml_utc(created_at)),
    )
    for tag, value in values:
        etree.SubElement(header, f"{{{HEAD001}}}{tag}").text = value
    return header


def business_data(header: Callable[[Part], etree._Element], namespace: str, root: str) -> Envelope:
    """The envelope of a file: ``BizData/Hdr`` holding ``header(part)``, then
    ``Pyld/Document/{root}`` (in the message's ``namespace``) around the records.

    Args:
        header: the ``AppHdr`` of a file (:func:`app_header`).
        namespace: the message's namespace.
        root: the message's root element inside ``Document``.
    """

    @contextlib.contextmanager
    def envelope(xf: XmlWriter, part: Part) -> Iterator[None]:
        with xf.element(f"{{{HEAD003}}}BizData", nsmap={None: HEAD003}):
            xf.write("\n")
            with xf.element(f"{{{HEAD003}}}Hdr"):
                xf.write("\n")
                xf.write(header(part), pretty_print=True)
            xf.write("\n")
            with xf.element(f"{{{HEAD003}}}Pyld"):
                xf.write("\n")
                with xf.element(f"{{{namespace}}}Document", nsmap={None: namespace}):
                    xf.write("\n")
                    with xf.element(f"{{{namespace}}}{root}"):
                        yield
                    xf.write("\n")
                xf.write("\n")
            xf.write("\n")

    return envelope
