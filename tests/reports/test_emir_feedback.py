"""auth.092 feedback: reading (bare and enveloped), merging, reconciling, refusing bad files."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from regkit.errors import IdentifierError, RenderError, XsdValidationError
from regkit.reports import xml
from regkit.reports.emir.feedback import (
    Outcome,
    Rejections,
    ReportStatus,
    ValidationRule,
    read_rejection_files,
    read_rejections,
    reconcile,
    trade_uti,
)
from regkit.schemas.trade import Trade

DATA = Path(__file__).parent / "data" / "emir_feedback"
REJECTED = DATA / "rejected.xml"
FOLLOWUP = DATA / "followup_bare.xml"
NOTHING = DATA / "nothing_bare.xml"
FIXTURES = sorted(DATA.glob("*.xml"))
LEI = "529900T8BM49AURSDO55"


def uti(number: int) -> str:
    return f"{LEI}CFD{number:04d}"


def trade(number: int, *, with_uti: bool = True) -> Trade:
    return Trade(
        trade_id=f"T{number}",
        account_id="A1",
        side="buy",
        quantity="100000",
        price="1.0850",
        executed_at="2024-03-15T09:30:00Z",
        uti=uti(number) if with_uti else None,
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


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_each_fixture_is_schema_valid_and_marked_synthetic(path: Path) -> None:
    result = xml.validate(path)
    assert result.ok, result.lines()
    assert result.message == "auth.092"
    assert result.envelope == (None if path.name.endswith("_bare.xml") else "head.003")
    assert "SYNTHETIC" in path.read_text(encoding="utf-8")[:300]


# --- reading ---------------------------------------------------------------------------------


def test_reads_an_enveloped_file() -> None:
    (file,) = read_rejections(REJECTED).files
    assert file.file == str(REJECTED)
    assert file.message_id == "DATREJ-20240315-0001"
    assert file.created == datetime(2024, 3, 15, 19, tzinfo=UTC)
    assert file.reference_date == date(2024, 3, 15)
    assert not file.nothing_to_report
    assert file.status is Outcome.REJECTED
    (counterparty,) = file.counterparties
    assert counterparty.reporting_counterparty == LEI
    assert counterparty.submitting_entity == LEI
    assert counterparty.entity_responsible is None
    assert (counterparty.total_reports, counterparty.rejected_reports) == (2, 1)
    assert (counterparty.total_transactions, counterparty.rejected_transactions) == (5, 2)


def test_reads_the_rejected_derivatives_with_every_reason() -> None:
    rejections = read_rejections(REJECTED)
    assert sorted(rejections.transactions) == [uti(2), uti(9)]
    first = rejections.status(uti(2))
    assert first is not None
    assert first.status is ReportStatus.REJECTED
    assert first.outcome is Outcome.REJECTED
    assert first.rules == (
        ValidationRule("EMIR-VR-2009-02", "The CFI code does not identify the product"),
        ValidationRule("EMIR-VR-1010-01", "Country of the counterparty 2 is missing"),
    )
    assert (first.action_type, first.technical_record_id) == ("NEWT", "REC-000002")
    assert first.reporting_timestamp == datetime(2024, 3, 15, 18, tzinfo=UTC)
    assert first.other_counterparty == f"{LEI}A1"
    assert first.reporting_counterparty == LEI
    assert first.feedback_id == "DATREJ-20240315-0001"
    assert first.line is not None
    assert first.line > 40
    second = rejections.status(uti(9))
    assert second is not None
    assert second.other_counterparty == "529900KESTRELPAY0117"
    assert [str(rule) for rule in second.rules] == ["EMIR-VR-2044-01"]


def test_reads_the_rejected_messages() -> None:
    rejections = read_rejections(REJECTED)
    (message,) = rejections.messages.values()
    assert message.message_id == "REGKIT-EMIR-20240315-0002"
    assert message.status is ReportStatus.REJECTED
    assert message.rejects_message
    assert [rule.id for rule in message.rules] == ["EMIR-FIL-002"]


def test_reads_a_file_with_nothing_to_report() -> None:
    (file,) = read_rejections(NOTHING).files
    assert file.nothing_to_report
    assert file.reference_date is None
    assert (file.counterparties, file.messages, file.transactions) == ((), (), ())
    assert file.status is Outcome.ACCEPTED


def test_reads_bytes_the_same_as_a_path() -> None:
    from_bytes = read_rejections(REJECTED.read_bytes())
    assert from_bytes.files[0].file == "<bytes>"
    assert from_bytes.transactions.keys() == read_rejections(REJECTED).transactions.keys()


def test_a_later_file_supersedes_an_earlier_one() -> None:
    rejections = read_rejection_files([REJECTED, FOLLOWUP])
    status = rejections.status(uti(2))
    assert status is not None
    assert status.status is ReportStatus.ACCEPTED
    assert [record.uti for record in rejections.records()] == [uti(2), uti(9), uti(2), None]
    assert [r.technical_record_id for r in rejections.without_uti] == ["REC-000077"]
    assert rejections == read_rejections(REJECTED).merge(read_rejections(FOLLOWUP))


def test_an_older_file_read_later_does_not_supersede() -> None:
    newer = REJECTED.read_bytes().replace(
        b"RJCT</Sts>\n                    <DtldVldtnRule><Id>EMIR-VR-2009",
        b"ACPT</Sts>\n                    <DtldVldtnRule><Id>EMIR-VR-2009",
    )
    newer = newer.replace(b"2024-03-15T19:00:00Z", b"2024-03-16T19:00:00Z")
    rejections = read_rejection_files([newer, REJECTED])
    status = rejections.status(uti(2))
    assert status is not None
    assert status.status is ReportStatus.ACCEPTED


# --- refusing --------------------------------------------------------------------------------


def test_refuses_a_doctype() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]>'
        + NOTHING.read_bytes().split(b"-->", 1)[1]
    )
    with pytest.raises(RenderError, match="DOCTYPE"):
        read_rejections(evil)


def test_refuses_another_message_naming_the_file() -> None:
    other = Path(__file__).parent / "data" / "emir_auth030_new_fx_forward_minimal.xml"
    with pytest.raises(
        RenderError, match=r"not EMIR feedback: the root is Document in .*auth\.030"
    ):
        read_rejections(other)
    with pytest.raises(RenderError, match=r"emir_auth030_new_fx_forward_minimal\.xml"):
        read_rejections(other)


def test_refuses_an_envelope_with_another_payload() -> None:
    mifir = Path(__file__).parent / "data" / "mifir_auth016_new_equity_cfd_minimal.xml"
    with pytest.raises(RenderError, match=r"the envelope carries Document in .*auth\.016"):
        read_rejections(mifir)


def test_refuses_a_file_that_breaks_the_schema() -> None:
    broken = NOTHING.read_bytes().replace(b"NOTX", b"NONE")
    with pytest.raises(XsdValidationError) as caught:
        read_rejections(broken)
    assert caught.value.file == "<bytes>"
    assert caught.value.line is not None


def test_refuses_a_file_above_the_limit() -> None:
    with pytest.raises(RenderError, match="more than the 100 allowed"):
        read_rejections(REJECTED, max_bytes=100)


def test_refuses_a_missing_file() -> None:
    with pytest.raises(RenderError, match=r"missing\.xml: cannot read"):
        read_rejections(DATA / "missing.xml")


# --- reconciling -----------------------------------------------------------------------------


def test_reconcile_sorts_trades_and_keeps_unmatched_statuses() -> None:
    trades = [trade(1), trade(2), trade(3)]
    result = reconcile(read_rejections(REJECTED), trades)
    assert ids(result.accepted) == []
    assert [(r.trade.trade_id, r.uti) for r in result.rejected] == [("T2", uti(2))]
    assert [rule.id for rule in result.rejected[0].reasons] == [
        "EMIR-VR-2009-02",
        "EMIR-VR-1010-01",
    ]
    assert ids(result.pending) == ["T1", "T3"]
    assert [status.uti for status in result.unmatched] == [uti(9)]
    assert [m.message_id for m in result.unresolved_message_rejections] == [
        "REGKIT-EMIR-20240315-0002"
    ]
    assert ids(result.resubmit) == ["T2"]
    assert result.status_of(trades[1]) is result.rejected[0].status
    assert result.status_of(trades[0]) is None
    assert result.reported() == {uti(1), uti(3)}


def test_reconcile_after_the_followup() -> None:
    rejections = read_rejection_files([REJECTED, FOLLOWUP])
    result = reconcile(rejections, [trade(1), trade(2)])
    assert ids(result.accepted) == ["T2"]
    assert ids(result.pending) == ["T1"]
    assert [s.uti for s in result.unmatched] == [uti(9), None]
    assert result.reported() == {uti(1), uti(2)}


def test_a_rejected_message_rejects_its_submitted_derivatives() -> None:
    rejections = read_rejections(REJECTED)
    submitted = {"REGKIT-EMIR-20240315-0002": [trade(4), uti(5)]}
    result = reconcile(rejections, [trade(4), trade(5), trade(6)], submitted=submitted)
    assert [r.trade.trade_id for r in result.rejected] == ["T4", "T5"]
    assert all(r.status.inferred and r.reasons[0].id == "EMIR-FIL-002" for r in result.rejected)
    assert result.rejected[0].status.message_id == "REGKIT-EMIR-20240315-0002"
    assert result.unresolved_message_rejections == ()
    assert ids(result.pending) == ["T6"]


def test_unlisted_accepted_accepts_submitted_derivatives_not_rejected() -> None:
    rejections = read_rejections(REJECTED)
    submitted = {"REGKIT-EMIR-20240315-0001": [uti(1), uti(2)]}
    trades = [trade(1), trade(2), trade(3)]
    result = reconcile(rejections, trades, submitted=submitted, unlisted="accepted")
    assert ids(result.accepted) == ["T1"]
    assert ids(result.resubmit) == ["T2"]
    assert ids(result.pending) == ["T3"]
    by_default = reconcile(rejections, trades, submitted=submitted)
    assert ids(by_default.pending) == ["T1", "T3"]


def test_a_trade_without_uti_needs_uti_of() -> None:
    with pytest.raises(IdentifierError, match="trade T2 has no uti; pass uti_of="):
        reconcile(read_rejections(REJECTED), [trade(1), trade(2, with_uti=False)])
    with pytest.raises(IdentifierError):
        trade_uti(trade(2, with_uti=False))


def test_uti_of_matches_trades_without_uti() -> None:
    def generated(t: Trade) -> str:
        return t.uti or f"{LEI}CFD{int(t.trade_id[1:]):04d}"

    result = reconcile(read_rejections(REJECTED), [trade(2, with_uti=False)], uti_of=generated)
    assert ids(result.resubmit) == ["T2"]


def test_uti_of_must_give_a_uti() -> None:
    with pytest.raises(IdentifierError, match="uti_of gave no UTI for trade T1"):
        reconcile(Rejections(), [trade(1)], uti_of=lambda t: "")


def test_nothing_to_report_leaves_every_trade_pending() -> None:
    result = reconcile(read_rejections(NOTHING), [trade(1)])
    assert ids(result.pending) == ["T1"]
    assert result.unmatched == ()


# --- values read whole -----------------------------------------------------------------------


def test_a_comment_or_instruction_inside_a_value_does_not_cut_it() -> None:
    document = REJECTED.read_bytes()
    for old, new in (
        (
            b"<UnqTxIdr>529900T8BM49AURSDO55CFD0002<",
            b"<UnqTxIdr>529900T8<!---->BM49AURSDO55CFD0002<",
        ),
        (b"<Sts>RJCT</Sts>", b"<Sts>RJ<?regkit x?>CT</Sts>"),
        (b"<RefDt>2024-03-15<", b"<RefDt>2024-<!-- m -->03-15<"),
        (b"<TtlNbOfTxs>5<", b"<TtlNbOfTxs><![CDATA[5]]><!----><"),
    ):
        assert old in document, old
        document = document.replace(old, new)
    plain = read_rejections(REJECTED.read_bytes())
    read = read_rejections(document)
    assert read.files[0].reference_date == date(2024, 3, 15)
    assert read.files[0].counterparties == plain.files[0].counterparties
    assert list(read.messages.values()) == list(plain.messages.values())
    assert [(s.uti, s.status, s.rules) for s in read.records()] == [
        (s.uti, s.status, s.rules) for s in plain.records()
    ]
    status = read.status(uti(2))
    assert status is not None
    assert status.status is ReportStatus.REJECTED
