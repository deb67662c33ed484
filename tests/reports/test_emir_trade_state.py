"""auth.107 trade state and auth.091 reconciliation status: the synthetic writer read back
exactly, the comparison with the firm's ledger, and bad files refused."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regkit.errors import RenderError, XsdValidationError
from regkit.reports import xml
from regkit.reports.emir.state import (
    Difference,
    ExpectedDerivative,
    OpenDerivative,
    TradeState,
    compare,
    join_pages,
    read_reconciliation_status,
    read_trade_state,
)
from regkit.samples.trade_state import ACTION_TYPES, trade_state_report

LEI = "529900T8BM49AURSDO55"
OTHER_LEI = "529900HNOAA1KXQJUQ27"
CREATED = datetime(2024, 3, 16, 6, 0, tzinfo=UTC)
DAY = date(2024, 3, 15)
AUTH091 = xml.SCHEMAS["auth.091"].namespace


def uti(number: int) -> str:
    return f"{LEI}CFD{number:04d}"


def report(derivatives: list[OpenDerivative] | tuple[OpenDerivative, ...]) -> bytes:
    return trade_state_report(
        derivatives,
        created=CREATED,
        reference_date=DAY,
        reporting_counterparty=LEI,
        feedback_id="DATTSR-20240315-0001",
    )


def derivative(number: int, **changes: object) -> OpenDerivative:
    fields: dict[str, object] = {
        "uti": uti(number),
        "reporting_counterparty": LEI,
        "other_counterparty": f"CLIENT{number}",
        "action_type": "NEWT",
        "notional": Decimal("100000.00"),
        "notional_currency": "EUR",
        "execution_timestamp": datetime(2024, 3, 15, 9, 30, tzinfo=UTC),
        "expiry_date": date(2024, 6, 21),
    }
    fields.update(changes)
    return OpenDerivative(**fields)  # type: ignore[arg-type]


def state_of(*derivatives: OpenDerivative) -> TradeState:
    return read_trade_state(report(list(derivatives)))


# --- the writer, read back -------------------------------------------------------------------

utis = st.from_regex(r"[A-Z0-9]{18}[0-9]{2}[A-Z0-9]{0,32}", fullmatch=True) | st.from_regex(
    r"[a-z][a-z0-9 .:-]{0,70}[a-z0-9]", fullmatch=True
)
leis = st.from_regex(r"[A-Z0-9]{18}[0-9]{2}", fullmatch=True)
client_codes = st.from_regex(r"[A-Za-z0-9]{1,20}", fullmatch=True)
notionals = st.builds(
    lambda digits, exponent: Decimal(digits).scaleb(-exponent),
    st.integers(-(10**15), 10**15),
    st.integers(0, 9),
)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
moments = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=offsets
)


@st.composite
def open_derivatives(draw: st.DrawFn) -> OpenDerivative:
    notional = draw(st.none() | notionals)
    return OpenDerivative(
        uti=draw(utis),
        reporting_counterparty=draw(leis | client_codes),
        other_counterparty=draw(st.none() | leis | client_codes),
        action_type=draw(st.none() | st.sampled_from(ACTION_TYPES)),
        notional=notional,
        notional_currency=None if notional is None else draw(st.sampled_from(["EUR", "USD"])),
        execution_timestamp=draw(st.none() | moments),
        expiry_date=draw(st.none() | st.dates(date(2000, 1, 1), date(2099, 12, 31))),
    )


@given(st.lists(open_derivatives(), max_size=6, unique_by=lambda item: item.uti))
def test_the_writer_reads_back_exactly(derivatives: list[OpenDerivative]) -> None:
    data = report(derivatives)
    result = xml.validate(data)
    assert result.ok, result.lines()
    assert (result.message, result.envelope) == ("auth.107", "head.003")
    state = read_trade_state(data)
    assert state.derivatives == tuple(derivatives)
    assert state.nothing_to_report == (not derivatives)
    assert state.records == len(derivatives)
    assert (state.message_id, state.created, state.reference_date) == (
        "DATTSR-20240315-0001",
        CREATED,
        DAY,
    )
    for read, given_ in zip(state.derivatives, derivatives, strict=True):
        if read.execution_timestamp is not None:
            assert read.execution_timestamp.utcoffset() == timedelta(0)
            assert read.execution_timestamp == given_.execution_timestamp
        if read.notional is not None:
            assert isinstance(read.notional, Decimal)
            assert read.notional.as_tuple() == given_.notional.as_tuple()  # type: ignore[union-attr]
    lines = [item.line or 0 for item in state.derivatives]
    assert all(lines)
    assert lines == sorted(lines)
    assert len(set(lines)) == len(lines)


def test_the_writer_is_deterministic() -> None:
    items = [derivative(1), derivative(2, notional=Decimal("-3.5"), action_type="MODI")]
    first = report(items)
    assert report(items) == first
    assert report(list(reversed(items))) != first  # the order given is kept
    assert b"<CreDt>2024-03-16T06:00:00Z</CreDt>" in first
    assert b"<RptExctnDt>2024-03-15</RptExctnDt>" in first
    assert b"<Sgn>false</Sgn>" in first
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(report(tuple(items))).hexdigest()


def test_an_empty_state_is_nothing_to_report() -> None:
    data = report([])
    assert b"<DataSetActn>NOTX</DataSetActn>" in data
    state = read_trade_state(data)
    assert (state.nothing_to_report, state.derivatives, state.records) == (True, (), 0)
    result = compare(state, [ExpectedDerivative(uti(1), "NEWT")])
    assert [(item.uti, item.kind) for item in result.differences] == [(uti(1), "missing_at_tr")]


def test_the_writer_refuses_what_it_cannot_write() -> None:
    with pytest.raises(ValueError, match=r"derivative 1 .*notional: give both"):
        report([derivative(1, notional_currency=None)])
    with pytest.raises(ValueError, match=r"derivative 2 .*action_type: 'NEW'"):
        report([derivative(1), derivative(2, action_type="NEW")])
    with pytest.raises(ValueError, match=r"execution_timestamp: .* has no timezone"):
        report([derivative(1, execution_timestamp=datetime(2024, 3, 15, 9, 30))])
    with pytest.raises(ValueError, match=r"uti: ' X': give a non-empty text"):
        report([derivative(1, uti=" X")])
    with pytest.raises(ValueError, match="has no timezone"):
        trade_state_report(
            [],
            created=datetime(2024, 3, 16),
            reference_date=DAY,
            reporting_counterparty=LEI,
            feedback_id="F",
        )


# --- reading what the writer does not write ----------------------------------------------------


def bare_state(stats: str, header: str = "<NbRcrds>1</NbRcrds>") -> bytes:
    namespace = xml.SCHEMAS["auth.107"].namespace
    return (
        f'<Document xmlns="{namespace}"><DerivsTradStatRpt><RptHdr>{header}</RptHdr>'
        f"<TradData>{stats}</TradData></DerivsTradStatRpt></Document>"
    ).encode()


def test_a_bare_document_with_other_forms_is_read() -> None:
    stat = (
        "<Stat><CtrPtySpcfcData><CtrPty><RptgCtrPty><Id><Lgl><Id><Othr><Id><Id>FIRM-1</Id></Id>"
        "</Othr></Id></Lgl></Id></RptgCtrPty><OthrCtrPty><IdTp><Lgl><Id><AnyBIC>DEUTDEFFXXX"
        "</AnyBIC></Id></Lgl></IdTp></OthrCtrPty></CtrPty></CtrPtySpcfcData>"
        "<CtrPtySpcfcData><CtrPty><RptgCtrPty><Id><Lgl><Id><LEI>" + OTHER_LEI + "</LEI></Id>"
        "</Lgl></Id></RptgCtrPty><OthrCtrPty/></CtrPty></CtrPtySpcfcData>"
        "<CmonTradData><TxData><NtnlAmt><FrstLeg><Amt><Amt Ccy='USD'>7</Amt><Sgn>true</Sgn>"
        "</Amt></FrstLeg></NtnlAmt><ExctnTmStmp>2024-03-15T11:30:00.5+02:00</ExctnTmStmp>"
        "<XprtnDt>2024-06-21Z</XprtnDt></TxData></CmonTradData></Stat>"
    )
    header = "<MsgPgntn><PgNb>2</PgNb><LastPgInd>true</LastPgInd></MsgPgntn><NbRcrds>1</NbRcrds>"
    state = read_trade_state(bare_state(stat, header))
    assert (state.message_id, state.created, state.reference_date) == (None, None, None)
    assert (state.page, state.last_page, state.records) == (2, True, 1)
    assert state.derivatives == (
        OpenDerivative(
            uti=None,
            reporting_counterparty="FIRM-1",
            other_counterparty="DEUTDEFFXXX",
            notional=Decimal(7),
            notional_currency="USD",
            execution_timestamp=datetime(2024, 3, 15, 9, 30, 0, 500000, tzinfo=UTC),
            expiry_date=date(2024, 6, 21),
        ),
    )
    assert state.derivatives[0].line == 1


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ("<ExctnTmStmp>2024-03-15T24:00:00Z</ExctnTmStmp>", "is not a time regkit can read"),
        ("<XprtnDt>12024-03-15</XprtnDt>", "is not a date regkit can read"),
    ],
)
def test_a_valid_value_regkit_cannot_hold_names_file_and_line(
    tmp_path: Path, element: str, message: str
) -> None:
    stat = (
        "<Stat><CtrPtySpcfcData><CtrPty><RptgCtrPty><Id><Lgl><Id><LEI>" + LEI + "</LEI></Id>"
        "</Lgl></Id></RptgCtrPty><OthrCtrPty/></CtrPty></CtrPtySpcfcData>\n"
        f"<CmonTradData><TxData>{element}</TxData></CmonTradData></Stat>"
    )
    path = tmp_path / "odd.xml"
    path.write_bytes(bare_state(stat))
    with pytest.raises(RenderError, match=rf"odd\.xml:2: '.*' {message}"):
        read_trade_state(path)


# --- comparing with the ledger ---------------------------------------------------------------


def test_each_kind_of_difference() -> None:
    state = state_of(
        derivative(1),  # open on both sides, fields agree
        derivative(2),  # terminated here
        derivative(3),  # cancelled here (EROR)
        derivative(4),  # not in the ledger
        derivative(5, notional=Decimal("90000"), expiry_date=None),  # two fields differ
    )
    ledger = [
        ExpectedDerivative(
            uti(1), "MODI", fields={"notional": "100000", "other_counterparty": "CLIENT1"}
        ),
        ExpectedDerivative(uti(2), "MODI", terminated=True),
        ExpectedDerivative(uti(3), "EROR"),
        ExpectedDerivative(
            uti(5),
            "NEWT",
            fields={
                "notional": "100000.00",
                "expiry_date": "2024-06-21",
                "notional_currency": "EUR",
            },
        ),
        ExpectedDerivative(uti(6), "NEWT"),  # open here, not at the trade repository
        ExpectedDerivative(uti(7), "TERM"),  # closed on both sides: nothing to say
    ]
    result = compare(state, ledger)
    lines = {item.uti: item.line for item in state.derivatives}
    assert result.differences == (
        Difference(uti(2), "open_at_tr", None, "terminated", "NEWT"),
        Difference(uti(3), "open_at_tr", None, "EROR", "NEWT"),
        Difference(uti(4), "unknown_at_tr", None, None, "NEWT"),
        Difference(uti(5), "field_mismatch", "expiry_date", "2024-06-21", None),
        Difference(uti(5), "field_mismatch", "notional", "100000.00", "90000"),
        Difference(uti(6), "missing_at_tr", None, "NEWT", None),
    )
    assert [item.line for item in result.differences] == [
        lines[uti(2)],
        lines[uti(3)],
        lines[uti(4)],
        lines[uti(5)],
        lines[uti(5)],
        None,
    ]
    assert result.matched == 1
    assert not result.ok
    assert [item.uti for item in result.missing_at_tr] == [uti(6)]
    assert [item.uti for item in result.open_at_tr] == [uti(2), uti(3)]
    assert [item.uti for item in result.unknown_at_tr] == [uti(4)]
    assert [item.field for item in result.field_mismatches] == ["expiry_date", "notional"]
    assert result.duplicate_at_tr == ()
    assert str(result.differences[4]) == (
        f"{uti(5)}: field_mismatch notional: ours 100000.00, theirs 90000 (line {lines[uti(5)]})"
    )


def test_differences_are_sorted_whatever_the_order_given() -> None:
    items = [derivative(number) for number in (9, 3, 7)]
    ledger = [ExpectedDerivative(uti(number), "NEWT") for number in (8, 2, 5)]
    forward = compare(state_of(*items), ledger)
    backward = compare(state_of(*reversed(items)), list(reversed(ledger)))
    assert forward.differences == backward.differences
    assert [item.uti for item in forward.differences] == [uti(n) for n in (2, 3, 5, 7, 8, 9)]


def test_numbers_compare_as_numbers_and_times_as_instants() -> None:
    state = state_of(derivative(1, notional=Decimal("1.5")))
    same = {
        "notional": "1.50",
        "execution_timestamp": "2024-03-15T10:30:00+01:00",
        "expiry_date": "2024-06-21",
        "notional_currency": "EUR",
        "other_counterparty": "CLIENT1",
        "reporting_counterparty": LEI,
        "action_type": "NEWT",
    }
    result = compare(state, [ExpectedDerivative(uti(1), "NEWT", fields=same)])
    assert (result.differences, result.matched) == ((), 1)
    assert result.ok
    other = {
        "notional": "1.49",
        "execution_timestamp": "2024-03-15T09:30:00+01:00",
        "notional_currency": "eur",
    }
    result = compare(state, [ExpectedDerivative(uti(1), "NEWT", fields=other)])
    assert [(d.field, d.ours, d.theirs) for d in result.differences] == [
        ("execution_timestamp", "2024-03-15T09:30:00+01:00", "2024-03-15T09:30:00Z"),
        ("notional", "1.49", "1.5"),
        ("notional_currency", "eur", "EUR"),
    ]
    assert result.matched == 0


def test_an_empty_ledger_value_means_none() -> None:
    state = state_of(derivative(1, other_counterparty=None))
    fields = {"other_counterparty": "", "expiry_date": ""}
    result = compare(state, [ExpectedDerivative(uti(1), "NEWT", fields=fields)])
    assert [(d.field, d.ours, d.theirs) for d in result.differences] == [
        ("expiry_date", None, "2024-06-21")
    ]


def test_duplicates_and_derivatives_without_a_uti() -> None:
    state = state_of(
        derivative(1),
        derivative(1, notional=Decimal(5)),
        derivative(2, uti=None, action_type="MODI"),
    )
    result = compare(state, [ExpectedDerivative(uti(1), "NEWT", fields={"notional": "100000"})])
    assert [(d.uti, d.kind, d.theirs) for d in result.differences] == [
        (None, "unknown_at_tr", "MODI"),
        (uti(1), "duplicate_at_tr", "NEWT"),
    ]
    assert result.duplicate_at_tr[0].line == state.derivatives[1].line
    assert result.matched == 1  # the first one is compared


def test_only_one_reporting_counterparty_is_compared_when_asked() -> None:
    state = state_of(derivative(1), derivative(2, reporting_counterparty=OTHER_LEI))
    ledger = [ExpectedDerivative(uti(1), "NEWT")]
    assert [d.uti for d in compare(state, ledger).unknown_at_tr] == [uti(2)]
    result = compare(state, ledger, reporting_counterparty=LEI)
    assert (result.differences, result.matched) == ((), 1)


def test_the_ledger_is_checked() -> None:
    with pytest.raises(ValueError, match=r"unknown field\(s\) notional_amount; known: action_type"):
        ExpectedDerivative(uti(1), "NEWT", fields={"notional_amount": "1"})
    state = state_of(derivative(1))
    with pytest.raises(ValueError, match=r"lists UTI .*CFD0001 twice"):
        compare(state, [ExpectedDerivative(uti(1), "NEWT")] * 2)
    bad_values = [
        ({"notional": "1,5"}, "notional '1,5' is not a number"),
        ({"notional": "NaN"}, "notional 'NaN' is not a number"),
        ({"execution_timestamp": "2024-03-15T09:30:00"}, "has no timezone"),
        ({"execution_timestamp": "yesterday"}, "is not an ISO 8601 date and time"),
        ({"expiry_date": "21/06/2024"}, "is not an ISO 8601 date"),
    ]
    for fields, message in bad_values:
        with pytest.raises(ValueError, match=message):
            compare(state, [ExpectedDerivative(uti(1), "NEWT", fields=fields)])


def test_the_ledger_fields_cannot_change_afterwards() -> None:
    fields = {"notional": "1"}
    expected = ExpectedDerivative(uti(1), "NEWT", fields=fields)
    fields["notional"] = "2"
    assert expected.fields["notional"] == "1"
    with pytest.raises(TypeError):
        expected.fields["notional"] = "3"  # type: ignore[index]


def test_open_follows_the_last_action_and_the_flag() -> None:
    assert ExpectedDerivative(uti(1), "NEWT").open
    assert ExpectedDerivative(uti(1), "VALU").open
    assert not ExpectedDerivative(uti(1), "TERM").open
    assert not ExpectedDerivative(uti(1), "EROR").open
    assert not ExpectedDerivative(uti(1), "MODI", terminated=True).open


# --- pages -----------------------------------------------------------------------------------


def page(number: int | None, last: bool | None, *items: OpenDerivative) -> TradeState:
    return TradeState(
        f"p{number}.xml", f"S-{number}", CREATED, DAY, items, page=number, last_page=last
    )


def test_pages_are_joined_in_order() -> None:
    joined = join_pages([page(2, True, derivative(2)), page(1, False, derivative(1))])
    assert joined.file == "p1.xml, p2.xml"
    assert [d.uti for d in joined.derivatives] == [uti(1), uti(2)]
    assert (joined.message_id, joined.page, joined.last_page) == ("S-1", None, None)


@pytest.mark.parametrize(
    ("pages", "message"),
    [
        ([page(1, False), page(3, True)], r"pages \[1, 3\] do not run from 1"),
        ([page(1, False), page(2, False)], "to a page marked last"),
        ([page(1, False), page(None, True)], "without a page number"),
        ([], "no files: pages"),
    ],
)
def test_pages_that_do_not_make_a_report_are_refused(pages: list[TradeState], message: str) -> None:
    with pytest.raises(RenderError, match=message):
        join_pages(pages)


def test_pages_of_different_days_are_refused() -> None:
    other = TradeState("p2.xml", "S-2", CREATED, date(2024, 3, 14), (), page=2, last_page=True)
    with pytest.raises(RenderError, match="different reference dates"):
        join_pages([page(1, False), other])


# --- refusing bad files ----------------------------------------------------------------------


def test_a_doctype_is_refused() -> None:
    data = report([derivative(1)])
    declaration, rest = data.split(b"?>", 1)
    entity = declaration + b'?><!DOCTYPE BizData [<!ENTITY e "x">]>' + rest
    with pytest.raises(RenderError, match="DOCTYPE"):
        read_trade_state(entity.replace(b"CLIENT1", b"&e;"))
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<d>&c;</d>"
    )
    with pytest.raises(RenderError, match="DOCTYPE"):
        read_reconciliation_status(laughs)


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = report([derivative(1)])
    declaration, rest = data.split(b"?>", 1)
    evil = (
        declaration
        + f'?><!DOCTYPE BizData [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'.encode()
        + rest.replace(b"CLIENT1", b"&x;")
    )
    with pytest.raises(RenderError) as caught:
        read_trade_state(evil)
    assert "DOCTYPE" in str(caught.value)
    assert "TOP-SECRET" not in str(caught.value)


def test_another_message_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "DATRCN.xml"
    path.write_bytes(reconciliation_document(""))
    with pytest.raises(
        RenderError,
        match=r"DATRCN\.xml: not an EMIR trade state report: the root is Document in .*"
        r"auth\.091\.001\.02 \(auth\.091\); expected an auth\.107 trade state report",
    ):
        read_trade_state(path)
    state = tmp_path / "DATTSR.xml"
    state.write_bytes(report([derivative(1)]))
    with pytest.raises(
        RenderError,
        match=r"DATTSR\.xml: not an EMIR reconciliation status report: the envelope carries "
        r"Document in .*auth\.107",
    ):
        read_reconciliation_status(state)


def test_a_file_that_breaks_the_schema_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    data = report([derivative(1)]).replace(b"<ActnTp>NEWT</ActnTp>", b"<ActnTp>NEW</ActnTp>")
    path.write_bytes(data)
    with pytest.raises(XsdValidationError) as caught:
        read_trade_state(path)
    expected_line = data[: data.index(b"<ActnTp>NEW<")].count(b"\n") + 1
    assert (caught.value.file, caught.value.line) == (str(path), expected_line)


def test_a_file_above_the_limit_is_refused() -> None:
    with pytest.raises(RenderError, match="more than the 100 allowed"):
        read_trade_state(report([derivative(1)]), max_bytes=100)


# --- auth.091 --------------------------------------------------------------------------------


def reconciliation_document(body: str) -> bytes:
    statistics = body or "<DataSetActn>NOTX</DataSetActn>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{AUTH091}">'
        f"<DerivsTradRcncltnSttstclRpt><RcncltnSttstcs>{statistics}</RcncltnSttstcs>"
        "</DerivsTradRcncltnSttstclRpt></Document>\n"
    ).encode()


RECONCILIATION = """<Rpt><RefDt>2024-03-15</RefDt><RcncltnCtgrs><RptgRqrmnt><RptgTp>TWOS</RptgTp>
<Pairg>PARD</Pairg><Rcncltn>NREC</Rcncltn><ValtnRcncltn>RECO</ValtnRcncltn><Rvvd>false</Rvvd>
<FrthrMod>true</FrthrMod></RptgRqrmnt></RcncltnCtgrs><TtlNbOfTxs>2</TtlNbOfTxs>
<TxDtls><CtrPtyId><RptgCtrPty><LEI>529900T8BM49AURSDO55</LEI></RptgCtrPty>
<OthrCtrPty><Lgl><LEI>529900HNOAA1KXQJUQ27</LEI></Lgl></OthrCtrPty>
<RptSubmitgNtty><Othr><Id><Id>ARM-7</Id></Id></Othr></RptSubmitgNtty></CtrPtyId>
<TtlNbOfTxs>2</TtlNbOfTxs>
<RcncltnRpt><TxId><TechRcrdId>R-1</TechRcrdId><ActnTp>MODI</ActnTp>
<RptgTmStmp>2024-03-15T18:00:00Z</RptgTmStmp><UnqIdr><UnqTxIdr>529900T8BM49AURSDO55CFD0001</UnqTxIdr>
</UnqIdr></TxId><MtchgCrit><ValtnMtchgCrit><CtrctVal><Val1><Amt Ccy="EUR">100</Amt>
<Sgn>false</Sgn></Val1><Val2><Amt Ccy="EUR">100</Amt></Val2></CtrctVal></ValtnMtchgCrit>
<TxMtchgCrit><XprtnDt><Val1>2024-06-21</Val1></XprtnDt>
<OthrPmt><OthrPmtDt><Val1>2024-04-01</Val1><Val2>2024-04-02</Val2></OthrPmtDt></OthrPmt>
</TxMtchgCrit></MtchgCrit></RcncltnRpt>
<RcncltnRpt><TxId><OthrCtrPty><Ntrl><Id><Id><Id>CLIENT9</Id></Id></Id></Ntrl></OthrCtrPty>
<UnqIdr><Prtry><Id>OLD-TRADE-9</Id></Prtry></UnqIdr></TxId><MtchgCrit/></RcncltnRpt>
</TxDtls></Rpt>
<Rpt><RefDt>2024-03-15</RefDt><RcncltnCtgrs><NoRptgRqrmnt><Rvvd>true</Rvvd>
<FrthrMod>false</FrthrMod></NoRptgRqrmnt></RcncltnCtgrs></Rpt>"""


def line_in(data: bytes, marker: bytes, *, after: bytes = b"") -> int:
    """The line of the first ``marker`` after the first ``after`` in a document."""
    start = data.index(after) if after else 0
    return data[: data.index(marker, start)].count(b"\n") + 1


def test_a_reconciliation_status_is_read() -> None:
    data = reconciliation_document(RECONCILIATION)
    assert xml.validate(data).ok
    status = read_reconciliation_status(data)
    assert (status.file, status.message_id, status.nothing_to_report) == ("<bytes>", None, False)
    first, second = status.statistics
    assert (first.reference_date, first.total_transactions) == (DAY, 2)
    assert first.line == line_in(data, b"<Rpt>")
    category = first.category
    assert (category.reporting_required, category.reporting_type, category.pairing) == (
        True,
        "TWOS",
        "PARD",
    )
    assert (category.reconciliation, category.valuation_reconciliation) == ("NREC", "RECO")
    assert (category.revived, category.further_modification) == (False, True)
    assert (second.category.reporting_required, second.category.pairing) == (False, None)
    assert (second.category.revived, second.pairs, second.total_transactions) == (True, (), None)
    (pair,) = first.pairs
    assert (pair.reporting_counterparty, pair.other_counterparty) == (LEI, OTHER_LEI)
    assert (pair.submitting_entity, pair.entity_responsible) == ("ARM-7", None)
    assert pair.total_transactions == 2
    one, two = status.derivatives
    assert (one.uti, one.action_type, one.technical_record_id) == (uti(1), "MODI", "R-1")
    assert one.reporting_timestamp == datetime(2024, 3, 15, 18, 0, tzinfo=UTC)
    assert (one.reporting_counterparty, one.other_counterparty) == (LEI, OTHER_LEI)
    assert one.category is category
    assert [(m.name, m.reporting_value, m.other_value) for m in one.mismatches] == [
        ("ValtnMtchgCrit/CtrctVal", "Amt=100 EUR; Sgn=false", "100 EUR"),
        ("TxMtchgCrit/XprtnDt", "2024-06-21", None),
        ("TxMtchgCrit/OthrPmt/OthrPmtDt", "2024-04-01", "2024-04-02"),
    ]
    assert [m.line for m in one.mismatches] == [
        line_in(data, b"<CtrctVal>"),
        line_in(data, b"<XprtnDt>"),
        line_in(data, b"<OthrPmtDt>"),
    ]
    assert one.line == line_in(data, b"<RcncltnRpt>")
    assert (two.uti, two.other_counterparty, two.mismatches) == ("OLD-TRADE-9", "CLIENT9", ())
    assert two.line == line_in(data, b"<RcncltnRpt>", after=b"</RcncltnRpt>")
    assert status.status(uti(1)) == (one,)
    assert status.status(uti(2)) == ()
    assert status.unreconciled == (one, two)  # the category is NREC


def test_a_reconciliation_status_with_nothing_to_report() -> None:
    status = read_reconciliation_status(reconciliation_document(""))
    assert (status.nothing_to_report, status.statistics, status.derivatives) == (True, (), ())


def test_a_reconciled_category_lists_only_derivatives_with_mismatches_as_unreconciled() -> None:
    body = RECONCILIATION.replace("<Rcncltn>NREC</Rcncltn>", "<Rcncltn>RECO</Rcncltn>")
    status = read_reconciliation_status(reconciliation_document(body))
    assert [item.uti for item in status.unreconciled] == [uti(1)]
