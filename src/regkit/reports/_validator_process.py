"""A validating process: says whether documents sent to it are valid against one schema.

Started by :class:`regkit.reports.validators.Validators` as a script (``python -P`` on this
file), never imported: it needs lxml and the standard library only, so it starts in a few
hundredths of a second without importing regkit.

The protocol, on stdin and stdout, each frame an 8-byte big-endian length and that many bytes:

1. The parent sends the wrapper schema (an ``xs:schema`` importing the XSD files by their
   ``file:`` URIs, as :mod:`regkit.reports.xml` compiles it).
2. The process answers ``1`` when the schema compiled, ``E`` when it did not.
3. Then, for each document the parent sends, it answers ``1`` (valid) or ``0`` (not valid, or
   not even well-formed, or with a DOCTYPE). Why a document is not valid is for the parent to
   say: it validates that document again itself and words the problem.
4. When stdin closes, the process exits.

Documents are parsed as :func:`regkit.reports.xml.parse_safely` parses them: no entities,
no DTD, no network, no huge trees.
"""

from __future__ import annotations

import struct
import sys
from typing import BinaryIO

from lxml import etree

_LENGTH = struct.Struct(">Q")


def _frame(stream: BinaryIO) -> bytes | None:
    """The next frame, or None at the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    body = stream.read(size)
    return body if len(body) == size else None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
    )


def _valid(schema: etree.XMLSchema, document: bytes) -> bool:
    try:
        tree = etree.fromstring(document, _parser()).getroottree()
    except etree.XMLSyntaxError:
        return False
    docinfo = tree.docinfo
    if getattr(docinfo, "doctype", "") or docinfo.internalDTD is not None:
        return False
    return bool(schema.validate(tree))


def main() -> None:
    """Answer the parent until it closes stdin."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    wrapper = _frame(stdin)
    if wrapper is None:
        return
    try:
        schema = etree.XMLSchema(etree.fromstring(wrapper, _parser()))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError):
        stdout.write(b"E")
        stdout.flush()
        return
    stdout.write(b"1")
    stdout.flush()
    while (document := _frame(stdin)) is not None:
        stdout.write(b"1" if _valid(schema, document) else b"0")
        stdout.flush()


if __name__ == "__main__":
    main()
