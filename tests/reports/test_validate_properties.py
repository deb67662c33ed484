"""Random well-formed corruptions never crash the validator, and every problem has a line."""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from regkit.reports import xml

DATA = Path(__file__).parent / "data"
SAMPLES = {
    path.name: etree.parse(str(path), etree.XMLParser(resolve_entities=False))
    for path in sorted(DATA.glob("*.xml"))
}


@st.composite
def corruptions(draw: st.DrawFn) -> bytes:
    """A valid sample with one element (not the root) dropped or duplicated, some times over."""
    tree = copy.deepcopy(SAMPLES[draw(st.sampled_from(sorted(SAMPLES)))])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        elements = list(tree.getroot().iterdescendants(etree.Element))
        if not elements:
            break
        element = draw(st.sampled_from(elements))
        parent = element.getparent()
        assert parent is not None
        if draw(st.booleans()):
            parent.remove(element)
        else:
            element.addnext(copy.deepcopy(element))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@given(corruptions())
def test_corruptions_give_ok_or_problems_with_lines(document: bytes) -> None:
    result = xml.validate(document)
    if not result.ok:
        last_line = document.count(b"\n") + 1
        for problem in result.problems:
            assert 1 <= problem.line <= last_line
            assert problem.path.startswith("/")
            assert problem.reason
    assert result.message in xml.SCHEMAS


@given(corruptions() | st.sampled_from(sorted(SAMPLES)).map(
    lambda name: etree.tostring(SAMPLES[name], xml_declaration=True, encoding="UTF-8")
))  # fmt: skip
def test_the_fast_verdict_agrees_with_validate(document: bytes) -> None:
    """``is_valid`` (what the writer asks of each chunk first) and ``validate`` agree."""
    result = xml.validate(document)
    for message in xml.SCHEMAS:
        assert xml.is_valid(document, message) == (result.ok and result.message == message)
