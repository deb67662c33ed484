"""auth.031 feedback, property-tested: any status advice built with lxml reads back exactly.

Random per-transaction statuses and validation rules become an auth.031 file (bare or in a
BizData envelope) that the shipped schema accepts; ``read_feedback`` returns exactly those
statuses, a later file supersedes an earlier one, and ``reconcile`` puts every trade in
exactly one of accepted, rejected and pending.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from xml_mutations import interrupt

from regkit.reports import xml
from regkit.reports.mifir.feedback import (
    MessageStatus,
    Outcome,
    RecordStatus,
    ValidationRule,
    read_feedback,
    read_feedback_files,
    reconcile,
)
from regkit.schemas.trade import Trade

DOC = xml.SCHEMAS["auth.031"].namespace
ENV = xml.SCHEMAS["head.003"].namespace
HDR = xml.SCHEMAS["head.001"].namespace


@dataclass(frozen=True)
class Record:
    reference: str
    status: RecordStatus
    rules: tuple[ValidationRule, ...]


references = st.from_regex(r"[A-Z0-9]{1,52}", fullmatch=True)
# Texts as a regulator writes them: no control characters, no surrounding blanks.
words = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).map(str.strip)
codes = st.builds("{}-{:03d}".format, st.sampled_from(["CON", "FIL", "TRN"]), st.integers(0, 999))
rules = st.builds(
    ValidationRule,
    id=codes,
    description=words.filter(bool),
    scheme=st.none() | st.sampled_from(["ESMA", "NCA"]),
    issuer=st.none() | st.sampled_from(["CY", "ESMA"]),
)
records = st.lists(
    st.builds(
        Record,
        reference=references,
        status=st.sampled_from(RecordStatus),
        rules=st.lists(rules, max_size=3).map(tuple),
    ),
    max_size=12,
    unique_by=lambda record: record.reference,
)


def q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def sub(
    parent: etree._Element, namespace: str, name: str, text: str | None = None
) -> etree._Element:
    child = etree.SubElement(parent, q(namespace, name))
    if text is not None:
        child.text = text
    return child


def add_rules(parent: etree._Element, added: tuple[ValidationRule, ...]) -> None:
    for rule in added:
        element = sub(parent, DOC, "VldtnRule")
        sub(element, DOC, "Id", rule.id)
        sub(element, DOC, "Desc", rule.description)
        if rule.scheme is not None:
            sub(sub(element, DOC, "SchmeNm"), DOC, "Prtry", rule.scheme)
        if rule.issuer is not None:
            sub(element, DOC, "Issr", rule.issuer)


def party(parent: etree._Element, name: str, identifier: str) -> None:
    element = sub(parent, HDR, name)
    for step in ("OrgId", "Id", "OrgId", "Othr"):
        element = sub(element, HDR, step)
    sub(element, HDR, "Id", identifier)


def advice_file(
    listed: list[Record],
    message_status: MessageStatus,
    file_rules: tuple[ValidationRule, ...],
    *,
    enveloped: bool,
    created: str = "2024-03-16T06:00:00Z",
) -> bytes:
    document = etree.Element(q(DOC, "Document"), nsmap={None: DOC})
    advice = sub(sub(document, DOC, "FinInstrmRptgStsAdvc"), DOC, "StsAdvc")
    sub(advice, DOC, "MsgRptIdr", "REGKIT-20240315-0001")
    status = sub(advice, DOC, "MsgSts")
    sub(status, DOC, "Sts", message_status.value)
    add_rules(status, file_rules)
    for record in listed:
        element = sub(advice, DOC, "RcrdSts")
        sub(element, DOC, "OrgnlRcrdId", record.reference)
        sub(element, DOC, "Sts", record.status.value)
        add_rules(element, record.rules)
    if not enveloped:
        return etree.tostring(document, xml_declaration=True, encoding="UTF-8")
    envelope = etree.Element(q(ENV, "BizData"), nsmap={None: ENV})
    header = etree.SubElement(sub(envelope, ENV, "Hdr"), q(HDR, "AppHdr"), nsmap={None: HDR})
    party(header, "Fr", "CY")
    party(header, "To", "529900T8BM49AURSDO55")
    sub(header, HDR, "BizMsgIdr", "FDB-1")
    sub(header, HDR, "MsgDefIdr", "auth.031.001.01")
    sub(header, HDR, "CreDt", created)
    sub(envelope, ENV, "Pyld").append(document)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def trade(trade_id: str) -> Trade:
    return Trade(
        trade_id=trade_id,
        account_id="A1",
        side="sell",
        quantity="1",
        price="1.1",
        executed_at="2024-03-15T09:30:00Z",
        instrument={
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        },
    )


@given(
    listed=records,
    message_status=st.sampled_from(MessageStatus),
    file_rules=st.lists(rules, max_size=2).map(tuple),
    enveloped=st.booleans(),
    data=st.data(),
)
def test_a_generated_advice_validates_and_reads_back_exactly(
    listed: list[Record],
    message_status: MessageStatus,
    file_rules: tuple[ValidationRule, ...],
    enveloped: bool,
    data: st.DataObject,
) -> None:
    document = advice_file(listed, message_status, file_rules, enveloped=enveloped)
    if data.draw(st.booleans()):
        document = interrupt(document, data)
    result = xml.validate(document)
    assert result.ok, result.lines()
    feedback = read_feedback(document)
    (advice,) = feedback.advices
    assert advice.status is message_status
    assert advice.rules == file_rules
    assert [(status.reference, status.status, status.rules) for status in advice.transactions] == [
        (record.reference, record.status, record.rules) for record in listed
    ]
    assert {reference: status.status for reference, status in feedback.transactions.items()} == {
        record.reference: record.status for record in listed
    }


@given(
    earlier=records,
    later=records,
    later_first=st.booleans(),
)
def test_the_later_file_supersedes_the_earlier(
    earlier: list[Record], later: list[Record], later_first: bool
) -> None:
    first = advice_file(earlier, MessageStatus.PARTIALLY_ACCEPTED, (), enveloped=True)
    second = advice_file(
        later, MessageStatus.ACCEPTED, (), enveloped=True, created="2024-03-17T06:00:00Z"
    )
    # Both carry a creation time, so the order the files are given in does not matter.
    order = [second, first] if later_first else [first, second]
    expected = {record.reference: record.status for record in earlier}
    expected.update({record.reference: record.status for record in later})
    feedback = read_feedback_files(order)
    assert {ref: status.status for ref, status in feedback.transactions.items()} == expected


@given(listed=records, extra=st.lists(references, max_size=5), data=st.data())
def test_reconcile_puts_every_trade_in_exactly_one_place(
    listed: list[Record], extra: list[str], data: st.DataObject
) -> None:
    feedback = read_feedback(
        advice_file(listed, MessageStatus.PARTIALLY_ACCEPTED, (), enveloped=False)
    )
    # Some listed references have a trade, some do not; some trades have no status at all.
    chosen = data.draw(st.lists(st.sampled_from(listed), unique=True) if listed else st.just([]))
    trades = [trade(record.reference) for record in chosen] + [
        trade(reference) for reference in extra
    ]
    trades = data.draw(st.permutations(trades))
    result = reconcile(feedback, trades)

    groups = [result.accepted, tuple(r.trade for r in result.rejected), result.pending]
    placed = [id(t) for group in groups for t in group]
    assert sorted(placed) == sorted(id(t) for t in trades)  # each trade exactly once
    for group in groups:  # in the order given
        positions = [next(i for i, t in enumerate(trades) if t is g) for g in group]
        assert positions == sorted(positions)

    current = feedback.transactions
    for t in result.accepted:
        assert current[t.trade_id].outcome is Outcome.ACCEPTED
    for rejection in result.rejected:
        assert current[rejection.trade.trade_id].outcome is Outcome.REJECTED
        assert rejection.reasons == current[rejection.trade.trade_id].rules
    for t in result.pending:
        assert t.trade_id not in current or current[t.trade_id].outcome is Outcome.PENDING

    with_trade = {t.trade_id for t in trades}
    assert {s.reference for s in result.unmatched} == set(current) - with_trade
    assert result.reported_references() == {
        t.trade_id for t in (*result.accepted, *result.pending)
    } | {s.reference for s in result.unmatched if s.outcome is not Outcome.REJECTED}
