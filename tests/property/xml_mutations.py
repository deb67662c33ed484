"""Changes to a regulator file that must not change what a reader reads from it."""

from __future__ import annotations

from hypothesis import strategies as st
from lxml import etree


def interrupt(document: bytes, data: st.DataObject) -> bytes:
    """The same file with comments or processing instructions inside some values: a reader
    must read each value whole (``element.text`` stops at the first of them)."""
    root = etree.fromstring(document)
    for element in root.iter(etree.Element):
        text = element.text
        if len(element) or not text or len(text) < 2 or not data.draw(st.booleans()):
            continue
        cut = data.draw(st.integers(1, len(text) - 1))
        if data.draw(st.booleans()):
            marker: etree._Element = etree.Comment(data.draw(st.sampled_from(["", " c ", "x"])))
        else:
            marker = etree.ProcessingInstruction("regkit", data.draw(st.sampled_from(["", "a"])))
        element.text, marker.tail = text[:cut], text[cut:]
        element.append(marker)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
