"""Validating regulator files: detection, the BizData envelope, problems with line and path."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from regkit.errors import RenderError, XsdValidationError
from regkit.reports import xml

LEI = "529900T8BM49AURSDO55"
HEAD_003 = "urn:iso:std:iso:20022:tech:xsd:head.003.001.01"
HEAD_001 = "urn:iso:std:iso:20022:tech:xsd:head.001.001.01"
AUTH_016 = "urn:iso:std:iso:20022:tech:xsd:auth.016.001.01"


def line_of(document: bytes, needle: bytes) -> int:
    """The 1-based line on which ``needle`` first appears."""
    return document[: document.index(needle)].count(b"\n") + 1


def corrupt(document: bytes, old: bytes, new: bytes) -> bytes:
    assert document.count(old) >= 1, old
    return document.replace(old, new, 1)


# --- the synthetic samples -----------------------------------------------------------------


def test_the_mifir_sample_is_valid_as_an_envelope(mifir_path: Path) -> None:
    result = xml.validate(mifir_path)
    assert result.ok
    assert (result.message, result.envelope) == ("auth.016", "head.003")
    assert result.problems == ()
    assert result.lines() == []
    assert [path.name for path in result.schemas] == [
        "head.003.001.01.xsd",
        "head.001.001.01_ESMAUG_1.0.0.xsd",
        "auth.016.001.01_ESMAUG_Reporting_1.1.0.xsd",
    ]
    result.raise_for_problems()  # nothing to raise


def test_the_emir_sample_is_valid_on_its_own(emir_path: Path) -> None:
    result = xml.validate(str(emir_path))
    assert result.ok
    assert (result.message, result.envelope, result.file) == ("auth.030", None, str(emir_path))


def test_detect_reads_the_namespace_and_looks_into_the_envelope(
    mifir_path: Path, emir_bytes: bytes
) -> None:
    assert xml.detect(mifir_path) == "auth.016"
    assert xml.detect(emir_bytes) == "auth.030"
    for name, info in xml.SCHEMAS.items():
        document = f'<{info.root} xmlns="{info.namespace}"/>'.encode()
        assert xml.detect(document) == name


def test_an_unknown_namespace_is_a_render_error() -> None:
    document = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>'
    with pytest.raises(RenderError, match=r"<bytes>: unknown message: root element Document"):
        xml.validate(document)
    with pytest.raises(RenderError, match=r"namespace \(none\)"):
        xml.detect(b"<Document/>")


def test_an_envelope_with_an_unknown_payload_is_a_render_error(mifir_bytes: bytes) -> None:
    document = mifir_bytes.replace(AUTH_016.encode(), b"urn:example:payload")
    with pytest.raises(RenderError, match=r"<bytes>:16: unknown payload: Document"):
        xml.detect(document)


def test_an_envelope_without_a_payload_is_checked_as_head_003(mifir_bytes: bytes) -> None:
    start = mifir_bytes.index(b"<Pyld>") + len(b"<Pyld>")
    end = mifir_bytes.index(b"</Pyld>")
    result = xml.validate(mifir_bytes[:start] + mifir_bytes[end:])
    assert (result.message, result.envelope) == ("head.003", None)
    assert [problem.path for problem in result.problems] == ["/BizData/Pyld"]


# --- a file built here ---------------------------------------------------------------------


def envelope(*transactions: str, sender: str = LEI) -> bytes:
    """A MiFIR file: BizData with an ESMA AppHdr around an auth.016 Document."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<BizData xmlns="{HEAD_003}">
  <Hdr>
    <AppHdr xmlns="{HEAD_001}">
      <Fr><OrgId><Id><OrgId><Othr><Id>{sender}</Id></Othr></OrgId></Id></OrgId></Fr>
      <To><OrgId><Id><OrgId><Othr><Id>DE</Id></Othr></OrgId></Id></OrgId></To>
      <BizMsgIdr>REGKIT-TEST-1</BizMsgIdr>
      <MsgDefIdr>auth.016.001.01</MsgDefIdr>
      <CreDt>2026-01-05T18:00:00Z</CreDt>
    </AppHdr>
  </Hdr>
  <Pyld>
    <Document xmlns="{AUTH_016}">
      <FinInstrmRptgTxRpt>
{"".join(transactions)}      </FinInstrmRptgTxRpt>
    </Document>
  </Pyld>
</BizData>
""".encode()


def cancellation(tx_id: str, executing: str = LEI) -> str:
    return (
        f"        <Tx><Cxl><TxId>{tx_id}</TxId><ExctgPty>{executing}</ExctgPty>"
        f"<SubmitgPty>{LEI}</SubmitgPty></Cxl></Tx>\n"
    )


def test_a_file_built_here_is_valid() -> None:
    result = xml.validate(envelope(cancellation("TX1"), cancellation("TX2")))
    assert result.ok, result.lines()
    assert (result.message, result.envelope) == ("auth.016", "head.003")


def test_repeated_siblings_are_numbered_in_the_path() -> None:
    document = envelope(cancellation("TX1"), cancellation("TX2", executing="not-a-lei"))
    result = xml.validate(document)
    assert [(problem.line, problem.path) for problem in result.problems] == [
        (
            line_of(document, b"not-a-lei"),
            "/BizData/Pyld/Document/FinInstrmRptgTxRpt/Tx[2]/Cxl/ExctgPty",
        )
    ]


# --- corruptions ---------------------------------------------------------------------------


def test_a_missing_mandatory_element_names_its_parent_and_what_was_expected(
    mifir_bytes: bytes,
) -> None:
    document = corrupt(mifir_bytes, f"<ExctgPty>{LEI}</ExctgPty>".encode(), b"")
    result = xml.validate(document)
    assert not result.ok
    [problem] = result.problems
    assert problem.line == line_of(document, b"<InvstmtPtyInd>")
    assert problem.path == "/BizData/Pyld/Document/FinInstrmRptgTxRpt/Tx/New/InvstmtPtyInd"
    assert "Tag 'ExctgPty' expected" in problem.reason
    assert "{" not in problem.reason  # namespaces left out


def test_a_missing_last_element_is_reported_on_its_parent(emir_bytes: bytes) -> None:
    document = corrupt(emir_bytes, b"<NbRcrds>1</NbRcrds>", b"")
    [problem] = xml.validate(document).problems
    assert problem.path == "/Document/DerivsTradRpt/RptHdr"
    assert problem.line == line_of(document, b"<RptHdr>")
    assert problem.reason == (
        "The content of element 'RptHdr' is not complete. Tag 'NbRcrds' expected."
    )


def test_a_bad_lei_names_the_element_the_line_and_the_pattern(mifir_bytes: bytes) -> None:
    document = corrupt(
        mifir_bytes, f"<LEI>{LEI}</LEI>".encode(), b"<LEI>529900t8bm49aursdo55</LEI>"
    )
    [problem] = xml.validate(document).problems
    assert problem.line == line_of(document, b"529900t8bm49")
    assert problem.path == "/BizData/Pyld/Document/FinInstrmRptgTxRpt/Tx/New/Sellr/AcctOwnr/Id/LEI"
    assert problem.reason == "value doesn't match any pattern of ['[A-Z0-9]{18,18}[0-9]{2,2}']"


def test_an_unknown_element_is_reported_where_it_stands(mifir_bytes: bytes) -> None:
    document = corrupt(mifir_bytes, b"<CtryOfBrnch>", b"<Nickname>JD</Nickname><CtryOfBrnch>")
    [problem] = xml.validate(document).problems
    assert problem.line == line_of(document, b"<Nickname>")
    assert problem.path.endswith("/Buyr/AcctOwnr/Nickname")
    assert "Unexpected child with tag 'Nickname'" in problem.reason


def test_the_header_is_validated_against_head_001(mifir_bytes: bytes) -> None:
    document = corrupt(mifir_bytes, b"<MsgDefIdr>", b"<Priority>HIGH</Priority><MsgDefIdr>")
    [problem] = xml.validate(document).problems
    assert problem.path == "/BizData/Hdr/AppHdr/Priority"
    assert problem.line == line_of(document, b"<Priority>")


def test_a_bad_attribute_is_reported(emir_bytes: bytes) -> None:
    document = corrupt(emir_bytes, b'Ccy="EUR">100000', b'Ccy="euro">100000')
    [problem] = xml.validate(document).problems
    assert problem.line == line_of(document, b'Ccy="euro"')
    assert problem.path.endswith("/NtnlAmt/FrstLeg/Amt/Amt")
    assert "Ccy" in problem.reason


def test_several_problems_come_in_document_order_in_compiler_style(mifir_bytes: bytes) -> None:
    document = corrupt(mifir_bytes, f"<ExctgPty>{LEI}</ExctgPty>".encode(), b"")
    document = corrupt(document, f"<LEI>{LEI}</LEI>".encode(), b"<LEI>bad</LEI>")
    document = corrupt(document, b"<MsgDefIdr>", b"<Priority/><MsgDefIdr>")
    result = xml.validate(document)
    lines = [problem.line for problem in result.problems]
    assert lines == sorted(lines)
    assert len(lines) == 3
    for text in result.lines():
        assert re.fullmatch(r"<bytes>:\d+: /BizData/\S+: .+", text), text


def test_max_problems_truncates(mifir_bytes: bytes) -> None:
    document = corrupt(mifir_bytes, f"<LEI>{LEI}</LEI>".encode(), b"<LEI>bad</LEI>")
    document = corrupt(document, b"<MsgDefIdr>", b"<Priority/><MsgDefIdr>")
    result = xml.validate(document, max_problems=1)
    assert len(result.problems) == 1
    assert result.truncated
    assert not xml.validate(document).truncated


def test_many_problems_list_max_problems_and_count_the_rest() -> None:
    transactions = [cancellation(f"TX{n}", executing="not-a-lei") for n in range(300)]
    document = envelope(*transactions)
    result = xml.validate(document, max_problems=10)
    assert len(result.problems) == 10
    assert (result.truncated, result.unlisted) == (True, 290)
    first = line_of(document, b"not-a-lei")
    assert [problem.line for problem in result.problems] == list(range(first, first + 10))
    assert result.problems[9].path.endswith("/Tx[10]/Cxl/ExctgPty")
    complete = xml.validate(document, max_problems=300)
    assert (len(complete.problems), complete.truncated, complete.unlisted) == (300, False, 0)


def test_xmlschema_looks_only_near_what_libxml2_found(monkeypatch: pytest.MonkeyPatch) -> None:
    # xmlschema checks a whole file before it yields its first error: its walk is what is
    # bounded, to the faulty elements, their ancestors and their parents' content.
    walks: list[xml._Walk] = []

    class Recorded(xml._Walk):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            walks.append(self)

    monkeypatch.setattr(xml, "_Walk", Recorded)
    transactions = [cancellation(f"TX{n}") for n in range(400)]
    transactions[1] = cancellation("TX1", executing="not-a-lei")
    transactions[2] = cancellation("TX2", executing="not-a-lei")
    document = envelope(*transactions)
    result = xml.validate(document, max_problems=1)
    [problem] = result.problems
    assert problem.path.endswith("/Tx[2]/Cxl/ExctgPty")
    assert result.unlisted == 1
    [walk] = walks
    looked_at = {etree.QName(element).localname for element in walk.seen}
    assert len(walk.seen) < 20  # of some 1,600 elements
    assert "ExctgPty" in looked_at
    assert {"TxId", "SubmitgPty"} & looked_at  # the rest of the faulty element's parent


def test_an_element_with_too_many_attributes_is_worded_by_libxml2(emir_bytes: bytes) -> None:
    attributes = b"".join(b' a%d="v"' % number for number in range(100))
    document = corrupt(emir_bytes, b"<RptHdr>", b"<RptHdr" + attributes + b">")
    result = xml.validate(document)
    assert [problem.path for problem in result.problems] == ["/Document/DerivsTradRpt/RptHdr"] * 100
    assert "The attribute 'a0' is not allowed" in result.problems[0].reason
    assert (result.truncated, result.unlisted) == (False, 0)


def test_xmlschema_stops_after_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # A misplaced element directly in the report opens the whole report to xmlschema (libxml2
    # stops checking the report's content there): the budget still bounds the walk.
    walks: list[xml._Walk] = []

    class Recorded(xml._Walk):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            walks.append(self)

    monkeypatch.setattr(xml, "_Walk", Recorded)
    monkeypatch.setattr(xml, "_WALK_PER_PROBLEM", 5)
    transactions = [cancellation(f"TX{n}") for n in range(100)]
    transactions[50] = "<Nickname>JD</Nickname>"
    document = envelope(*transactions)
    [problem] = xml.validate(document, max_problems=2).problems
    [walk] = walks
    assert len(walk.seen) == 5 * 3
    # xmlschema stopped short of it: libxml2's own words, at the element's line and path
    assert problem.line == line_of(document, b"<Nickname>")
    assert problem.path == "/BizData/Pyld/Document/FinInstrmRptgTxRpt/Nickname"
    assert problem.reason.startswith("Element 'Nickname': This element is not expected.")


def faults_made(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record each libxml2 problem read from a validated tree (xml._Fault)."""
    made: list[object] = []

    class Recorded(xml._Fault):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            made.append(self)

    monkeypatch.setattr(xml, "_Fault", Recorded)
    return made


def test_a_file_with_many_problems_is_not_validated_as_a_tree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # lxml records the path of every problem it finds in a tree, a pass over the element's
    # earlier siblings each time: the problems are counted as the file is parsed, and with
    # many of them xmlschema words the first ones.
    made = faults_made(monkeypatch)
    transactions = [cancellation(f"TX{n}", executing="not-a-lei") for n in range(300)]
    document = envelope(*transactions)
    result = xml.validate(document, max_problems=10)
    assert made == []
    assert (len(result.problems), result.truncated, result.unlisted) == (10, True, 290)
    first = line_of(document, b"not-a-lei")
    assert [problem.line for problem in result.problems] == list(range(first, first + 10))
    assert result.problems[0].path.endswith("/Tx[1]/Cxl/ExctgPty")
    assert "doesn't match any pattern" in result.problems[0].reason


def test_a_file_with_few_problems_is_located_in_the_tree(
    monkeypatch: pytest.MonkeyPatch, mifir_bytes: bytes
) -> None:
    made = faults_made(monkeypatch)
    assert xml.validate(mifir_bytes).ok
    assert made == []  # a valid file is validated once, as it is parsed
    document = corrupt(mifir_bytes, f"<LEI>{LEI}</LEI>".encode(), b"<LEI>bad</LEI>")
    [problem] = xml.validate(document).problems
    assert problem.line == line_of(document, b"<LEI>bad")
    assert len(made) == 1


def test_an_element_with_too_many_attributes_among_many_problems_is_named(
    emir_bytes: bytes,
) -> None:
    attributes = b"".join(b' a%d="v"' % number for number in range(300))
    document = corrupt(emir_bytes, b"<RptHdr>", b"<RptHdr" + attributes + b">")
    result = xml.validate(document, max_problems=3)
    [problem] = result.problems
    assert problem.path == "/Document/DerivsTradRpt/RptHdr"
    assert problem.reason == "300 attributes, too many to check one by one"
    assert (result.truncated, result.unlisted) == (True, 299)


def test_raise_for_problems_raises_an_xsd_validation_error(
    tmp_path: Path, mifir_bytes: bytes
) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(corrupt(mifir_bytes, f"<LEI>{LEI}</LEI>".encode(), b"<LEI>bad</LEI>"))
    result = xml.validate(path)
    with pytest.raises(XsdValidationError) as caught:
        result.raise_for_problems()
    error = caught.value
    assert (error.file, error.line, error.xsd) == (str(path), 32, "auth.016")
    assert error.path is not None
    assert error.path.endswith("/Sellr/AcctOwnr/Id/LEI")
    assert str(error) == f"{path}:32: {error.path}: {error.reason} (against auth.016)"
    assert isinstance(error, ValueError)


def test_a_valid_file_with_the_wrong_root_is_invalid_not_unknown() -> None:
    document = f'<FinInstrmRptgTxRpt xmlns="{AUTH_016}"/>'.encode()
    result = xml.validate(document)
    assert not result.ok
    assert result.problems[0].line == 1
    assert result.problems[0].path == "/FinInstrmRptgTxRpt"


# --- REGKIT_XSD_DIR ------------------------------------------------------------------------


def stricter_auth_030(folder: Path, name: str) -> Path:
    """A copy of auth.030 whose LEIs must be all digits: the EMIR sample fails it."""
    shipped = xml.schema("auth.030").path.read_bytes()
    pattern = b'<xs:pattern value="[A-Z0-9]{18,18}[0-9]{2,2}"/>'
    assert pattern in shipped
    path = folder / name
    path.write_bytes(shipped.replace(pattern, b'<xs:pattern value="[0-9]{20}"/>'))
    return path


def test_regkit_xsd_dir_finds_a_renamed_file_by_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emir_path: Path
) -> None:
    (tmp_path / "esma").mkdir()
    newer = stricter_auth_030(tmp_path / "esma", "auth.030.001.03_ESMAUG_DATTAR_9.9.9.xsd")
    assert xml.validate(emir_path).ok
    monkeypatch.setenv("REGKIT_XSD_DIR", str(tmp_path))
    compiled = xml.schema("auth.030")
    assert (compiled.path, compiled.overridden) == (newer, True)
    result = xml.validate(emir_path)
    assert not result.ok
    assert result.schemas == (newer,)
    assert {problem.path.rsplit("/", 1)[-1] for problem in result.problems} == {"LEI"}
    assert not xml.schema("auth.016").overridden  # no candidate: the shipped copy stays
    monkeypatch.delenv("REGKIT_XSD_DIR")
    assert xml.validate(emir_path).ok


def test_regkit_xsd_dir_prefers_the_shipped_file_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mifir_bytes: bytes
) -> None:
    shipped = xml.schema("head.001").path.read_bytes()
    # The newer header allows only 'auth.016.001.02' as the message definition.
    newer = shipped.replace(
        b'<xs:element name="MsgDefIdr" type="Max35Text">',
        b'<xs:element name="MsgDefIdr" type="Max35Text" fixed="auth.016.001.02">',
    )
    assert newer != shipped
    (tmp_path / "head.001.001.01_ESMAUG_1.0.0.xsd").write_bytes(newer)
    # Another file with the same namespace is not looked at: the file name wins first.
    (tmp_path / "head.001.001.01_ESMA_restricted.xsd").write_bytes(shipped)
    monkeypatch.setenv("REGKIT_XSD_DIR", str(tmp_path))
    result = xml.validate(mifir_bytes)
    assert [problem.path for problem in result.problems] == ["/BizData/Hdr/AppHdr/MsgDefIdr"]
    assert tmp_path / "head.001.001.01_ESMAUG_1.0.0.xsd" in result.schemas


def test_regkit_xsd_dir_refuses_two_files_with_one_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stricter_auth_030(tmp_path, "a.xsd")
    stricter_auth_030(tmp_path, "b.xsd")
    monkeypatch.setenv("REGKIT_XSD_DIR", str(tmp_path))
    with pytest.raises(RenderError, match=r"2 files declare urn:iso:std:iso:20022:tech:xsd:auth"):
        xml.schema("auth.030")


def test_regkit_xsd_dir_must_be_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGKIT_XSD_DIR", str(tmp_path / "missing"))
    with pytest.raises(RenderError, match=r"REGKIT_XSD_DIR=.*missing: not a folder"):
        xml.schema("auth.016")


def test_a_broken_override_is_a_render_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "auth.092.001.04.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element/></xs:schema>'
    )
    monkeypatch.setenv("REGKIT_XSD_DIR", str(tmp_path))
    with pytest.raises(RenderError, match=r"auth\.092\.001\.04\.xsd: the XSD does not compile"):
        xml.schema("auth.092")


def test_an_xsd_validation_error_survives_pickling() -> None:
    error = XsdValidationError("bad", file="f.xml", line=3, path="/Document", xsd="auth.030")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.reason, copy.file, copy.line, copy.path, copy.xsd) == (
        "bad",
        "f.xml",
        3,
        "/Document",
        "auth.030",
    )
    assert str(copy) == str(error) == "f.xml:3: /Document: bad (against auth.030)"
    assert str(XsdValidationError("bad")) == "bad"


# --- large files: validated as a stream ------------------------------------------------------


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file is validated as a stream, by chunks of two records."""
    monkeypatch.setattr(xml, "STREAM_ABOVE_BYTES", 0)
    real = xml._validate_streamed

    def small_chunks(*args: Any, **kwargs: Any) -> xml.ValidationResult:
        return real(*args, **{**kwargs, "chunk_records": 2})

    monkeypatch.setattr(xml, "_validate_streamed", small_chunks)


def test_the_repeating_element_comes_from_the_xsd() -> None:
    from regkit.reports import _chunked

    paths = {
        name: _chunked.record_path(xml.schema(name).path, "Document")
        for name in ("auth.016", "auth.030", "auth.031", "auth.092")
    }
    assert paths["auth.016"] == ("Document", "FinInstrmRptgTxRpt", "Tx")
    assert paths["auth.030"] == ("Document", "DerivsTradRpt", "TradData", "Rpt")
    assert paths["auth.031"] == ("Document", "FinInstrmRptgStsAdvc", "StsAdvc")


@pytest.mark.usefixtures("streamed")
def test_a_stream_numbers_records_over_the_whole_file(tmp_path: Path) -> None:
    transactions = [cancellation(f"TX{n}") for n in range(7)]
    transactions[4] = cancellation("TX4", executing="not-a-lei")
    document = envelope(*transactions)
    path = tmp_path / "big.xml"
    path.write_bytes(document)
    calls: list[tuple[str, int, int]] = []
    result = xml.validate(path, progress=lambda *call: calls.append(call))
    assert [(problem.line, problem.path) for problem in result.problems] == [
        (
            line_of(document, b"not-a-lei"),
            "/BizData/Pyld/Document/FinInstrmRptgTxRpt/Tx[5]/Cxl/ExctgPty",
        )
    ]
    assert calls[-1] == ("wording problems", len(document), len(document))
    assert ("validating", len(document), len(document)) in calls
    assert xml.validate(envelope(*[cancellation(f"TX{n}") for n in range(5)])).ok


@pytest.mark.usefixtures("streamed")
@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b'<!DOCTYPE d [<!ENTITY e "e">]><d>&e;</d>', "has a DOCTYPE"),
        (b"<Document><unclosed></Document>", r"<bytes>:1: not well-formed XML"),
        (b'<Document xmlns="urn:example"/>', "unknown message"),
    ],
)
def test_a_stream_refuses_what_a_whole_parse_refuses(content: bytes, error: str) -> None:
    with pytest.raises(RenderError, match=error):
        xml.validate(content)


@pytest.mark.usefixtures("streamed")
def test_a_stream_refuses_a_doctype_on_a_valid_file(mifir_bytes: bytes) -> None:
    document = mifir_bytes.replace(b"<BizData", b"<!DOCTYPE BizData>\n<BizData", 1)
    with pytest.raises(RenderError, match="has a DOCTYPE"):
        xml.validate(document)


@pytest.mark.usefixtures("streamed")
def test_a_stream_refuses_too_much_outside_the_records(monkeypatch: pytest.MonkeyPatch) -> None:
    from regkit.reports import _chunked

    monkeypatch.setattr(_chunked, "MAX_HELD_ELEMENTS", 50)
    monkeypatch.setattr(_chunked, "_REPORT_EVERY", 100)
    strays = "".join(f"<Nickname>{n}</Nickname>" for n in range(200))
    document = envelope(cancellation("TX1")).replace(b"</Hdr>", f"{strays}</Hdr>".encode())
    with pytest.raises(RenderError, match="more than 50 elements outside its Tx elements"):
        xml.validate(document)
