"""auth.092 feedback: random statuses → a schema-valid file → read back exactly; reconcile
puts every trade in exactly one of accepted, rejected and pending."""

from __future__ import annotations

from xml.sax.saxutils import escape

from hypothesis import given
from hypothesis import strategies as st
from xml_mutations import interrupt

from regkit.reports import xml
from regkit.reports.emir.feedback import ReportStatus, read_rejections, reconcile
from regkit.schemas.trade import Trade

LEI = "529900T8BM49AURSDO55"
NS = "urn:iso:std:iso:20022:tech:xsd:auth.092.001.04"

rule_ids = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=35)
texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=60
).filter(lambda text: text.strip() == text and text != "")
rules = st.lists(st.tuples(rule_ids, st.none() | texts), max_size=3)
statuses = st.sampled_from(list(ReportStatus))
# Each derivative: a distinct number for its UTI, its status and its rules.
entries = st.lists(
    st.tuples(st.integers(0, 999), statuses, rules), max_size=8, unique_by=lambda e: e[0]
)


def uti(number: int) -> str:
    return f"{LEI}CFD{number:04d}"


def document(listed: list[tuple[int, ReportStatus, list[tuple[str, str | None]]]]) -> bytes:
    rejected = sum(1 for _, status, _ in listed if status is not ReportStatus.ACCEPTED)
    reasons = "".join(
        f"<TxsRjctnsRsn><TxId><UnqIdr><UnqTxIdr>{uti(number)}</UnqTxIdr></UnqIdr></TxId>"
        f"<Sts>{status.value}</Sts>"
        + "".join(
            f"<DtldVldtnRule><Id>{escape(rule)}</Id>"
            + ("" if text is None else f"<Desc>{escape(text)}</Desc>")
            + "</DtldVldtnRule>"
            for rule, text in rules_
        )
        + "</TxsRjctnsRsn>"
        for number, status, rules_ in listed
    )
    totals = (
        f"<TtlNbOfTxs>{len(listed)}</TtlNbOfTxs>"
        f"<TtlNbOfTxsAccptd>{len(listed) - rejected}</TtlNbOfTxsAccptd>"
        f"<TtlNbOfTxsRjctd>{rejected}</TtlNbOfTxsRjctd>"
    )
    reports = "<TtlNbOfRpts>1</TtlNbOfRpts><TtlNbOfRptsAccptd>1</TtlNbOfRptsAccptd>"
    reports += "<TtlNbOfRptsRjctd>0</TtlNbOfRptsRjctd>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS}">'
        "<DerivsTradRjctnSttstclRpt><RjctnSttstcs><Rpt><RefDt>2024-03-15</RefDt>"
        f"{reports}{totals}<RjctnSttstcs><CtrPtyId><RptgCtrPty><LEI>{LEI}</LEI></RptgCtrPty>"
        f"</CtrPtyId><RptSttstcs>{reports}</RptSttstcs>"
        f"<DerivSttstcs><DtldSttstcs>{totals}{reasons}</DtldSttstcs></DerivSttstcs>"
        "</RjctnSttstcs></Rpt></RjctnSttstcs></DerivsTradRjctnSttstclRpt></Document>"
    ).encode()


def trade(number: int) -> Trade:
    return Trade(
        trade_id=f"T{number}",
        account_id="A1",
        side="buy",
        quantity="1",
        price="1.08",
        executed_at="2024-03-15T10:00:00Z",
        uti=uti(number),
        instrument={
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        },
    )


@given(entries, st.data())
def test_generated_feedback_validates_and_reads_back_exactly(
    listed: list[tuple[int, ReportStatus, list[tuple[str, str | None]]]],
    draw: st.DataObject,
) -> None:
    data = document(listed)
    if draw.draw(st.booleans()):
        data = interrupt(data, draw)
    result = xml.validate(data)
    assert result.ok, result.lines()
    rejections = read_rejections(data)
    read = [
        (status.uti, status.status, [(rule.id, rule.description) for rule in status.rules])
        for status in rejections.records()
    ]
    assert read == [(uti(number), status, rules_) for number, status, rules_ in listed]
    assert rejections.files[0].counterparties[0].total_transactions == len(listed)


@given(entries, st.lists(st.integers(0, 999), max_size=10, unique=True))
def test_reconcile_partitions_the_trades(
    listed: list[tuple[int, ReportStatus, list[tuple[str, str | None]]]], numbers: list[int]
) -> None:
    trades = [trade(number) for number in numbers]
    result = reconcile(read_rejections(document(listed)), trades)
    sorted_out = [
        *(t.trade_id for t in result.accepted),
        *(r.trade.trade_id for r in result.rejected),
        *(t.trade_id for t in result.pending),
    ]
    assert sorted(sorted_out) == sorted(t.trade_id for t in trades)
    assert len(sorted_out) == len(set(sorted_out))
    given_statuses = {uti(number): status for number, status, _ in listed}
    for t in result.accepted:
        assert given_statuses[t.uti or ""] is ReportStatus.ACCEPTED
    for r in result.rejected:
        assert given_statuses[r.uti] is not ReportStatus.ACCEPTED
    for t in result.pending:
        assert t.uti not in given_statuses
    # Statuses of UTIs that no trade has are kept, never dropped.
    traded = {uti(number) for number in numbers}
    assert {s.uti for s in result.unmatched} == set(given_statuses) - traded
