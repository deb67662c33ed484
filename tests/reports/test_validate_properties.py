"""Random well-formed corruptions never crash the validator, and every problem has a line."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from regkit.errors import RenderError
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


# --- large files: the stream, chunk by chunk, says what the whole tree says ----------------


def _repeated(name: str, count: int) -> etree._ElementTree:
    """A sample with its repeating element (``Tx``, ``Rpt``) copied to ``count`` of them."""
    tree = copy.deepcopy(SAMPLES[name])
    records = [
        element
        for element in tree.getroot().iter(etree.Element)
        if etree.QName(element).localname in ("Tx", "Rpt")
        and etree.QName(element.getparent()).localname in ("FinInstrmRptgTxRpt", "TradData")
    ]
    assert records, name
    for _ in range(count - 1):
        records[0].addnext(copy.deepcopy(records[0]))
    return tree


@st.composite
def large_documents(draw: st.DrawFn) -> bytes:
    """A sample with several records, valid or broken: elements dropped or duplicated, values
    made wrong, attributes added, anywhere (in the records and outside them); stray elements
    among the records and in them (a stray element in the envelope is worded differently
    by the two paths when xmlschema's budget runs out: see docs/reports.md)."""
    tree = _repeated(draw(st.sampled_from(sorted(SAMPLES))), draw(st.integers(1, 7)))
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        elements = list(tree.getroot().iterdescendants(etree.Element))
        if not elements:
            break
        element = draw(st.sampled_from(elements))
        parent = element.getparent()
        assert parent is not None
        action = draw(st.sampled_from(["drop", "copy", "value", "attribute", "stray"]))
        if action == "drop":
            parent.remove(element)
        elif action == "copy":
            element.addnext(copy.deepcopy(element))
        elif action == "value" and len(element) == 0:
            element.text = draw(st.sampled_from(["bad", "", "-1", "x" * 60]))
        elif action == "attribute":
            element.set("odd", "1")
        elif _in_records(element):  # a stray element among the records or inside one
            element.addnext(etree.Element(f"{{{etree.QName(element).namespace}}}Nickname"))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _in_records(element: etree._Element) -> bool:
    return any(etree.QName(above).localname in ("TradData", "FinInstrmRptgTxRpt")
               for above in element.iterancestors())  # fmt: skip


def _outcome(run: Callable[[], xml.ValidationResult]) -> xml.ValidationResult | str:
    try:
        return run()
    except RenderError as exc:
        return str(exc)


@settings(max_examples=150, deadline=None)
@given(large_documents(), st.integers(1, 3), st.just(200))
def test_a_stream_in_chunks_gives_what_the_whole_file_gives(
    document: bytes, chunk_records: int, max_problems: int
) -> None:
    whole = _outcome(lambda: xml._validate_whole(document, "<bytes>", max_problems))
    streamed = _outcome(
        lambda: xml._validate_streamed(
            document, "<bytes>", max_problems, None, chunk_records=chunk_records
        )
    )
    assert streamed == whole, (document.decode(), streamed, whole)
