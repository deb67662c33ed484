"""auth.031 feedback: reading (bare and enveloped), merging, reconciling, and refusing bad files."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from regkit.errors import RenderError, XsdValidationError
from regkit.reports import xml
from regkit.reports.iso20022.reading import child_text, text_of
from regkit.reports.mifir import transaction_reference
from regkit.reports.mifir.feedback import (
    Feedback,
    MessageStatus,
    Outcome,
    RecordStatus,
    ValidationRule,
    read_feedback,
    read_feedback_files,
    reconcile,
)
from regkit.schemas.trade import Trade

DATA = Path(__file__).parent / "data"
MIFIR_SAMPLE = DATA / "mifir_auth016_new_equity_cfd_minimal.xml"
FEEDBACK = DATA / "feedback"
ACCEPTED = FEEDBACK / "accepted.xml"
PARTIAL = FEEDBACK / "partial.xml"
PARTIAL_BARE = FEEDBACK / "partial_bare.xml"
REJECTED_FILE = FEEDBACK / "rejected_file.xml"
CORRUPTED_BARE = FEEDBACK / "corrupted_bare.xml"
FOLLOWUP = FEEDBACK / "followup.xml"
FIXTURES = sorted(FEEDBACK.glob("*.xml"))


def trade(trade_id: str) -> Trade:
    return Trade(
        trade_id=trade_id,
        account_id="A1",
        side="buy",
        quantity="100000",
        price="1.0850",
        executed_at="2024-03-15T09:30:00Z",
        instrument={
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        },
    )


def ids(trades: tuple[Trade, ...]) -> list[str]:
    return [t.trade_id for t in trades]


# --- the fixtures ----------------------------------------------------------------------------


def test_there_are_fixtures_of_each_kind() -> None:
    assert {path.name for path in FIXTURES} >= {
        "accepted.xml",
        "partial.xml",
        "partial_bare.xml",
        "rejected_file.xml",
        "corrupted_bare.xml",
        "followup.xml",
    }


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_each_fixture_is_schema_valid_and_marked_synthetic(path: Path) -> None:
    result = xml.validate(path)
    assert result.ok, result.lines()
    assert result.message == "auth.031"
    assert result.envelope == (None if path.name.endswith("_bare.xml") else "head.003")
    assert "SYNTHETIC" in path.read_text(encoding="utf-8")[:300]


# --- reading ---------------------------------------------------------------------------------


def test_an_accepted_file_in_an_envelope() -> None:
    feedback = read_feedback(ACCEPTED)
    (file,) = feedback.files
    assert file.file == str(ACCEPTED)
    assert file.message_id == "FDB-20240315-0001"
    assert file.created == datetime(2024, 3, 15, 6, 0, tzinfo=UTC)
    assert file.sender == "CY"
    assert file.related_message == "REGKIT-20240314-0001"
    (advice,) = file.advices
    # No MsgRptIdr: a single advice relates to the file the header's Rltd names.
    assert advice.original_message == "REGKIT-20240314-0001"
    assert advice.status is MessageStatus.ACCEPTED
    assert not advice.rejects_file
    assert advice.rules == ()
    assert advice.total_records == 3
    assert advice.records_per_status == ((RecordStatus.ACCEPTED, 3),)
    assert [t.reference for t in advice.transactions] == [
        "T20240314000001",
        "T20240314000002",
        "T20240314000003",
    ]
    assert {t.status for t in advice.transactions} == {RecordStatus.ACCEPTED}
    assert feedback.file_rejections == ()


def test_a_partially_accepted_file_with_reasons() -> None:
    feedback = read_feedback(PARTIAL)
    (advice,) = feedback.advices
    assert advice.original_message == "REGKIT-20240315-0001"
    assert advice.status is MessageStatus.PARTIALLY_ACCEPTED
    assert advice.total_records == 5
    assert dict(advice.records_per_status) == {
        RecordStatus.ACCEPTED: 2,
        RecordStatus.REJECTED: 2,
        RecordStatus.PENDING: 1,
    }
    statuses = {ref: s.status.value for ref, s in feedback.transactions.items()}
    assert statuses == {
        "T20240315000001": "ACPT",
        "T20240315000002": "RJCT",
        "T20240315000003": "PDNG",
        "T20240315000004": "RJCT",
        "T20240315000005": "ACPT",
    }
    rejected = feedback.status("T20240315000002")
    assert rejected is not None
    assert rejected.rules == (
        ValidationRule("CON-070", "The buyer identification code is not a valid LEI"),
        ValidationRule("CON-080", "Country of the branch for the buyer is missing"),
    )
    assert str(rejected.rules[0]) == "CON-070: The buyer identification code is not a valid LEI"
    assert rejected.outcome is Outcome.REJECTED
    assert rejected.message_status is MessageStatus.PARTIALLY_ACCEPTED
    assert rejected.original_message == "REGKIT-20240315-0001"
    assert rejected.feedback_file == str(PARTIAL)
    assert rejected.feedback_id == "FDB-20240316-0002"
    assert rejected.line is not None
    assert PARTIAL.read_text().splitlines()[rejected.line - 1].strip() == "<RcrdSts>"
    pending = feedback.status("T20240315000003")
    assert pending is not None
    assert pending.outcome is Outcome.PENDING
    assert [rule.id for rule in pending.rules] == ["CON-412"]
    assert feedback.status("NOSUCHREFERENCE") is None


def test_bare_and_enveloped_files_read_the_same() -> None:
    enveloped = read_feedback(PARTIAL).advices[0]
    bare_feedback = read_feedback(PARTIAL_BARE)
    bare = bare_feedback.advices[0]
    assert bare_feedback.files[0].message_id is None
    assert bare_feedback.files[0].created is None
    assert bare.original_message == enveloped.original_message
    assert bare.status == enveloped.status
    assert bare.records_per_status == enveloped.records_per_status
    assert [(t.reference, t.status, t.rules) for t in bare.transactions] == [
        (t.reference, t.status, t.rules) for t in enveloped.transactions
    ]


def test_bytes_are_read_like_a_file() -> None:
    from_bytes = read_feedback(PARTIAL.read_bytes())
    assert from_bytes.files[0].file == "<bytes>"
    assert from_bytes.advices[0].transactions[1].rules == (
        read_feedback(PARTIAL).advices[0].transactions[1].rules
    )


def test_a_whole_file_rejection_with_its_rules() -> None:
    feedback = read_feedback(REJECTED_FILE)
    (advice,) = feedback.advices
    assert advice.status is MessageStatus.REJECTED
    assert advice.rejects_file
    assert advice.original_message == "REGKIT-20240315-0002"
    assert advice.transactions == ()
    assert [rule.id for rule in advice.rules] == ["FIL-105", "FIL-107"]
    assert advice.rules[1].scheme == "ESMA"
    assert advice.rules[1].issuer == "CY"
    assert feedback.file_rejections == (advice,)


def test_a_corrupted_bare_file() -> None:
    (advice,) = read_feedback(CORRUPTED_BARE).advices
    assert advice.status is MessageStatus.CORRUPTED_FILE
    assert advice.rejects_file
    assert advice.original_message == "REGKIT-20240315-0003"
    assert advice.rules == ()


def test_the_message_statuses_are_the_schemas_enumeration() -> None:
    xsd = xml.schema("auth.031").path.read_text(encoding="utf-8")
    start = xsd.index('name="ReportingMessageStatus1Code__1"')
    end = xsd.index("</xs:simpleType>", start)
    assert {m.value for m in MessageStatus} == set(
        re.findall(r'enumeration value="(\w+)"', xsd[start:end])
    )
    start = xsd.index('name="ReportingRecordStatus1Code__1"')
    end = xsd.index("</xs:simpleType>", start)
    assert {m.value for m in RecordStatus} == set(
        re.findall(r'enumeration value="(\w+)"', xsd[start:end])
    )
    assert {s for s in MessageStatus if s.rejects_file} == {
        MessageStatus.REJECTED,
        MessageStatus.INCORRECT_FILENAME,
        MessageStatus.CORRUPTED_FILE,
    }


# --- several files ---------------------------------------------------------------------------


def test_later_feedback_supersedes_earlier() -> None:
    feedback = read_feedback_files([PARTIAL, FOLLOWUP])
    assert len(feedback.files) == 2
    current = {ref: s.status.value for ref, s in feedback.transactions.items()}
    assert current["T20240315000002"] == "ACPT"  # corrected and resubmitted
    assert current["T20240315000003"] == "ACPT"  # no longer pending
    assert current["T20240315000004"] == "RJCT"  # still to correct
    assert feedback.transactions["T20240315000002"].feedback_id == "FDB-20240317-0001"
    # Every status read is still there, superseded ones included.
    assert len(list(feedback.records())) == 7


def test_creation_time_wins_over_file_order() -> None:
    feedback = read_feedback_files([FOLLOWUP, PARTIAL])
    assert feedback.transactions["T20240315000002"].status is RecordStatus.ACCEPTED


def test_file_order_decides_without_a_creation_time() -> None:
    # The bare file has no AppHdr, so the file read later wins whichever it is.
    assert (
        read_feedback_files([FOLLOWUP, PARTIAL_BARE]).transactions["T20240315000002"].status
        == "RJCT"
    )
    assert (
        read_feedback_files([PARTIAL_BARE, FOLLOWUP]).transactions["T20240315000002"].status
        == "ACPT"
    )


def test_merge_is_read_feedback_files() -> None:
    merged = read_feedback(PARTIAL).merge(read_feedback(FOLLOWUP), read_feedback(ACCEPTED))
    assert merged == read_feedback_files([PARTIAL, FOLLOWUP, ACCEPTED])
    assert Feedback().merge() == Feedback()
    assert read_feedback_files([]).transactions == {}


# --- reconciling -----------------------------------------------------------------------------


def test_reconcile_accepted_rejected_pending_and_unknown() -> None:
    feedback = read_feedback(PARTIAL)
    trades = [trade(f"T2024031500000{n}") for n in (5, 4, 3, 2, 1)] + [trade("T20240315000099")]
    result = reconcile(feedback, trades)
    assert ids(result.accepted) == ["T20240315000005", "T20240315000001"]
    assert ids(result.pending) == ["T20240315000003", "T20240315000099"]  # pending; no status
    assert [(r.trade.trade_id, [str(rule) for rule in r.reasons]) for r in result.rejected] == [
        ("T20240315000004", ["CON-360: Venue MIC is not valid for the trade date"]),
        (
            "T20240315000002",
            [
                "CON-070: The buyer identification code is not a valid LEI",
                "CON-080: Country of the branch for the buyer is missing",
            ],
        ),
    ]
    assert ids(result.resubmit) == ["T20240315000004", "T20240315000002"]
    # An NCA's CON-nnn names its RTS 22 field (CON-360: field 36): the mifir-vr rules of it.
    assert result.rejected[0].pack_rules == (
        "MIFIR-VR-036-01",
        "MIFIR-VR-036-02",
        "MIFIR-VR-036-03",
    )
    # CON-070 (field 7, buyer) and CON-080 (field 8, the buyer's branch country).
    assert result.rejected[1].pack_rules == (
        "MIFIR-VR-007-01",
        "MIFIR-VR-007-02",
        "MIFIR-VR-007-03",
        "MIFIR-VR-007-04",
        "MIFIR-VR-008-01",
        "MIFIR-VR-008-02",
    )
    assert result.rejected[0].status.feedback_file == str(PARTIAL)
    assert result.unmatched == ()
    assert result.reported_references() == {
        "T20240315000001",
        "T20240315000003",
        "T20240315000005",
        "T20240315000099",
    }
    assert result.status_of(trades[0]) is feedback.status("T20240315000005")
    assert result.status_of(trades[-1]) is None


def test_statuses_matching_no_trade_are_kept() -> None:
    result = reconcile(read_feedback(PARTIAL), [trade("T20240315000001")])
    assert [(s.reference, s.status.value) for s in result.unmatched] == [
        ("T20240315000002", "RJCT"),
        ("T20240315000003", "PDNG"),
        ("T20240315000004", "RJCT"),
        ("T20240315000005", "ACPT"),
    ]
    # Unmatched accepted and pending references still count as reported; rejected ones not.
    assert result.reported_references() == {
        "T20240315000001",
        "T20240315000003",
        "T20240315000005",
    }


def test_trades_are_matched_by_transaction_reference() -> None:
    odd = trade("t-1")
    reference = transaction_reference(odd)
    document = PARTIAL_BARE.read_bytes().replace(b"T20240315000002", reference.encode())
    result = reconcile(read_feedback(document), [odd])
    assert ids(result.resubmit) == ["t-1"]
    assert reference != "t-1"
    assert reconcile(
        read_feedback(document.replace(b"RJCT", b"ACPT")), [odd]
    ).reported_trade_ids() == {"t-1"}


def test_a_whole_file_rejection_rejects_every_trade_it_held() -> None:
    held = [trade("T20240315000011"), trade("T20240315000012")]
    feedback = read_feedback(REJECTED_FILE)
    result = reconcile(feedback, held, submitted={"REGKIT-20240315-0002": held})
    assert ids(result.resubmit) == ["T20240315000011", "T20240315000012"]
    first = result.rejected[0]
    assert [rule.id for rule in first.reasons] == ["FIL-105", "FIL-107"]
    assert first.status.inferred
    assert first.status.message_status is MessageStatus.REJECTED
    assert first.status.created == datetime(2024, 3, 16, 6, 10, tzinfo=UTC)
    assert result.unresolved_file_rejections == ()
    assert result.reported_references() == set()
    # References work as well as trades.
    by_reference = reconcile(
        feedback, held, submitted={"REGKIT-20240315-0002": ["T20240315000011", "T20240315000012"]}
    )
    assert by_reference.rejected == result.rejected


def test_a_whole_file_rejection_without_its_contents_is_not_dropped() -> None:
    held = [trade("T20240315000011")]
    result = reconcile(read_feedback_files([REJECTED_FILE, CORRUPTED_BARE]), held)
    assert ids(result.pending) == ["T20240315000011"]
    assert [a.status.value for a in result.unresolved_file_rejections] == ["RJCT", "CRPT"]
    other = reconcile(read_feedback(REJECTED_FILE), held, submitted={"ANOTHER-FILE": held})
    assert len(other.unresolved_file_rejections) == 1


def test_a_later_status_supersedes_a_whole_file_rejection() -> None:
    held = [trade("T20240315000002"), trade("T20240315000011")]
    feedback = read_feedback_files([REJECTED_FILE, FOLLOWUP])  # FOLLOWUP is a day later
    result = reconcile(feedback, held, submitted={"REGKIT-20240315-0002": held})
    assert ids(result.accepted) == ["T20240315000002"]
    assert ids(result.resubmit) == ["T20240315000011"]


def test_unlisted_transactions_of_an_accepted_file() -> None:
    feedback = read_feedback(PARTIAL)
    held = [trade("T20240315000001"), trade("T20240315000006")]  # 6 is not listed
    submitted = {"REGKIT-20240315-0001": held}
    assert ids(reconcile(feedback, held, submitted=submitted).pending) == ["T20240315000006"]
    result = reconcile(feedback, held, submitted=submitted, unlisted="accepted")
    assert ids(result.accepted) == ["T20240315000001", "T20240315000006"]
    assert result.statuses["T20240315000006"].inferred


# --- refusing bad files ----------------------------------------------------------------------


def test_a_doctype_is_refused(tmp_path: Path) -> None:
    document = b'<!DOCTYPE Document [<!ENTITY a "x">]>\n' + PARTIAL_BARE.read_bytes().split(
        b"?>", 1
    )[1].replace(b"T20240315000001", b"&a;")
    path = tmp_path / "doctype.xml"
    path.write_bytes(document)
    with pytest.raises(RenderError, match=rf"^{path}: has a DOCTYPE"):
        read_feedback(path)


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    document = (
        b'<?xml version="1.0"?>\n<!DOCTYPE Document [<!ENTITY leak SYSTEM "'
        + secret.as_uri().encode()
        + b'">]>\n'
        + PARTIAL_BARE.read_bytes().split(b"-->", 1)[1].replace(b"T20240315000001", b"&leak;")
    )
    with pytest.raises(RenderError, match="DOCTYPE") as caught:
        read_feedback(document)
    assert "TOP-SECRET-VALUE" not in str(caught.value)


def test_an_oversize_file_is_refused_by_name() -> None:
    size = PARTIAL.stat().st_size
    with pytest.raises(RenderError, match=rf"^{PARTIAL}: {size:,} bytes, more than the 1,000"):
        read_feedback(PARTIAL, max_bytes=1_000)
    with pytest.raises(RenderError, match="more than the 1,000 allowed"):
        read_feedback_files([ACCEPTED], max_bytes=1_000)
    assert read_feedback(PARTIAL, max_bytes=size).advices


def test_a_transaction_report_is_not_feedback() -> None:
    with pytest.raises(
        RenderError,
        match=rf"^{MIFIR_SAMPLE}: not MiFIR feedback: the envelope carries Document in "
        r"urn:iso:std:iso:20022:tech:xsd:auth\.016\.001\.01 \(auth\.016\); expected an auth\.031",
    ):
        read_feedback(MIFIR_SAMPLE)


def test_another_root_is_not_feedback() -> None:
    with pytest.raises(
        RenderError, match=r"^<bytes>: not MiFIR feedback: the root is Other in urn:x"
    ):
        read_feedback(b'<Other xmlns="urn:x"/>')
    with pytest.raises(RenderError, match=r"the root is Document in \(no namespace\)"):
        read_feedback(b"<Document/>")


def test_malformed_xml_is_refused() -> None:
    with pytest.raises(RenderError, match=r"^<bytes>:1: not well-formed XML"):
        read_feedback(b"<Document")


def test_a_schema_error_names_the_file_line_and_element(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(PARTIAL.read_bytes().replace(b"<Sts>PDNG</Sts>", b"<Sts>LOST</Sts>"))
    with pytest.raises(XsdValidationError) as caught:
        read_feedback(path)
    error = caught.value
    assert isinstance(error, RenderError)
    assert error.file == str(path)
    assert error.path is not None
    assert error.path.endswith("/RcrdSts[3]/Sts")
    assert "must be one of" in error.reason
    assert str(error).startswith(f"{path}:{error.line}: /BizData/Pyld/Document/")


def test_a_missing_element_is_a_schema_error() -> None:
    document = PARTIAL_BARE.read_bytes().replace(b"<Sts>PART</Sts>", b"")
    with pytest.raises(XsdValidationError, match=r"^<bytes>:\d+: .*MsgSts"):
        read_feedback(document)


# --- values read whole -----------------------------------------------------------------------


def commented(document: bytes) -> bytes:
    """The same file with a comment, a processing instruction and CDATA inside values."""
    for old, new in (
        (b"T20240315000002<", b"T2024<!-- split -->0315<?regkit x?>000002<"),
        (b"<Sts>RJCT</Sts>", b"<Sts>R<!---->JCT</Sts>"),
        (b"<Id>CON-070</Id>", b"<Id><![CDATA[CON]]>-<?pi?>070</Id>"),
        (b"2024-03-16T06:05:00Z", b"2024-03-16<!-- T -->T06:05:00Z"),
    ):
        assert old in document, old
        document = document.replace(old, new, 1)
    return document


def test_a_comment_or_instruction_inside_a_value_does_not_cut_it() -> None:
    plain = read_feedback(PARTIAL)
    feedback = read_feedback(commented(PARTIAL.read_bytes()))
    status = feedback.status("T20240315000002")
    assert status is not None
    assert feedback.status("T2024") is None
    assert status.status is RecordStatus.REJECTED
    assert [rule.id for rule in status.rules] == ["CON-070", "CON-080"]
    assert feedback.files[0].created == datetime(2024, 3, 16, 6, 5, tzinfo=UTC)
    assert dict(feedback.transactions).keys() == dict(plain.transactions).keys()
    for reference, expected in plain.transactions.items():
        read = feedback.transactions[reference]
        assert (read.status, read.rules, read.created) == (
            expected.status,
            expected.rules,
            expected.created,
        )


def test_an_element_inside_a_value_is_refused_naming_file_line_and_element() -> None:
    document = b'<Document xmlns="urn:x"><Rule><Id>CON<Part/>-023</Id></Rule></Document>'
    tree = xml.parse_safely(document)
    rule = tree.getroot()[0]
    with pytest.raises(XsdValidationError) as caught:
        child_text(rule, "{urn:x}Id", "feedback.xml")
    error = caught.value
    assert (error.file, error.line, error.path) == ("feedback.xml", 1, "/Document/Rule/Id")
    assert "holds the element Part where a value is expected" in str(error)
    assert isinstance(error, ValueError)
    assert text_of(tree.getroot()[0][0][0], "feedback.xml") is None  # <Part/>: no text
