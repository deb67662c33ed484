"""auth.092 rejections joined to the VRs regkit knows (issue 15, item 5).

A trade repository names the validation rules a report broke by ESMA's ids (ESMA74-362-2683,
``EMIR-VR-<table><field>-<nn>``). The reconciliation says, for each rule, which REFIT field
it is about, whether regkit checks it before submission (a rule of ``emir-refit-vr`` or the
report record's types) or why not (the pack's coverage file), and flags the ids regkit does
not know and the rules regkit checks that were still refused.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from regkit.reports.emir.feedback import (
    UNKNOWN,
    VR_PACK,
    BrokenRule,
    ValidationRule,
    VrCatalogue,
    VrInfo,
    explain_rules,
    read_rejections,
    reconcile,
    vr_info,
)
from regkit.rules.packdocs import DISPOSITIONS, load_coverage
from regkit.rules.policy import load_policy
from regkit.schemas.trade import Trade

DATA = Path(__file__).parent / "data" / "emir_feedback"
REJECTED = DATA / "rejected.xml"
LEI = "529900T8BM49AURSDO55"
NS = "urn:iso:std:iso:20022:tech:xsd:auth.092.001.04"
PACKS = Path(__file__).resolve().parents[2] / "src" / "regkit" / "rules" / "packs"
COVERAGE = yaml.safe_load((PACKS / "coverage" / f"{VR_PACK}.yaml").read_text(encoding="utf-8"))
COVERED_IDS = [entry["id"] for entry in COVERAGE["vrs"]]

# Dispositions that stay put whatever later work on the pack does: Table 3 (margins) is
# never reported by regkit; field 1.10 (country of counterparty 2) is a rule of the pack.
NOT_APPLICABLE = "EMIR-VR-3001-02"  # 3.1 Reporting timestamp of a margin report
A_RULE = "EMIR-VR-1010-01"  # 1.10 Country of the counterparty 2
A_TYPE = "EMIR-VR-1001-01"  # 1.1 Reporting timestamp, a UTC datetime by the record's type


def uti(number: int) -> str:
    return f"{LEI}CFD{number:04d}"


def trade(number: int) -> Trade:
    return Trade(
        trade_id=f"T{number}",
        account_id="A1",
        side="buy",
        quantity="100000",
        price="1.0850",
        executed_at="2024-03-15T09:30:00Z",
        uti=uti(number),
        instrument={
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        },
    )


def feedback(listed: dict[int, list[tuple[str, str | None]]]) -> bytes:
    """A bare auth.092 rejecting each numbered UTI for its rules (id, text)."""
    reasons = "".join(
        f"<TxsRjctnsRsn><TxId><ActnTp>NEWT</ActnTp><UnqIdr><UnqTxIdr>{uti(number)}</UnqTxIdr>"
        "</UnqIdr></TxId><Sts>RJCT</Sts>"
        + "".join(
            f"<DtldVldtnRule><Id>{rule}</Id>{'' if text is None else f'<Desc>{text}</Desc>'}"
            "</DtldVldtnRule>"
            for rule, text in rules
        )
        + "</TxsRjctnsRsn>"
        for number, rules in listed.items()
    )
    n = len(listed)
    return (
        f'<Document xmlns="{NS}"><DerivsTradRjctnSttstclRpt><RjctnSttstcs><Rpt>'
        f"<RefDt>2024-03-15</RefDt><TtlNbOfRpts>1</TtlNbOfRpts>"
        f"<TtlNbOfRptsAccptd>1</TtlNbOfRptsAccptd><TtlNbOfRptsRjctd>0</TtlNbOfRptsRjctd>"
        f"<TtlNbOfTxs>{n}</TtlNbOfTxs><TtlNbOfTxsAccptd>0</TtlNbOfTxsAccptd>"
        f"<TtlNbOfTxsRjctd>{n}</TtlNbOfTxsRjctd><RjctnSttstcs>"
        f"<CtrPtyId><RptgCtrPty><LEI>{LEI}</LEI></RptgCtrPty></CtrPtyId>"
        "<RptSttstcs><TtlNbOfRpts>1</TtlNbOfRpts><TtlNbOfRptsAccptd>1</TtlNbOfRptsAccptd>"
        "<TtlNbOfRptsRjctd>0</TtlNbOfRptsRjctd></RptSttstcs>"
        f"<DerivSttstcs><DtldSttstcs><TtlNbOfTxs>{n}</TtlNbOfTxs>"
        f"<TtlNbOfTxsAccptd>0</TtlNbOfTxsAccptd><TtlNbOfTxsRjctd>{n}</TtlNbOfTxsRjctd>"
        f"{reasons}</DtldSttstcs></DerivSttstcs></RjctnSttstcs></Rpt></RjctnSttstcs>"
        "</DerivsTradRjctnSttstclRpt></Document>"
    ).encode()


# --- the catalogue ---------------------------------------------------------------------------


def test_the_catalogue_holds_every_one_of_esmas_480_ids() -> None:
    catalogue = VrCatalogue.builtin()
    assert len(catalogue) == 480 == COVERAGE["source"]["rules"]
    assert [info.id for info in catalogue] == COVERED_IDS
    assert catalogue.document.startswith("ESMA74-362-2683")
    assert VrCatalogue.builtin() is catalogue  # loaded once


def test_every_rule_of_the_pack_is_checked_and_carries_its_title() -> None:
    policy = load_policy(VR_PACK)
    catalogue = VrCatalogue.builtin()
    for rule in policy.rules:
        info = catalogue.lookup(rule.id)
        assert info.disposition == "rule", rule.id
        assert info.checked
        assert info.known
        assert info.rule_title == rule.title
        assert info.check == f"checked before submission by {VR_PACK}: {rule.title}"
    ruled = {info.id for info in catalogue if info.disposition == "rule"}
    assert ruled == {rule.id for rule in policy.rules}


def test_a_covered_vr_names_its_field_and_the_rule_that_checks_it() -> None:
    # ESMA74-362-2683, field 1.10: the country of counterparty 2 (a rule of the pack).
    info = vr_info(A_RULE)
    assert (info.field, info.field_name) == ("1.10", "Country of the counterparty 2")
    assert info.disposition == "rule"
    assert str(info).startswith(f"{A_RULE} (field 1.10 Country of the counterparty 2): checked")


def test_a_vr_the_record_types_enforce_counts_as_checked() -> None:
    info = vr_info(A_TYPE)
    assert (info.field, info.disposition, info.checked, info.rule_title) == (
        "1.1",
        "type",
        True,
        None,
    )
    assert info.check.startswith("checked before submission by the report record's types: ")


def test_a_not_applicable_vr_says_why_regkit_does_not_check_it() -> None:
    info = vr_info(NOT_APPLICABLE)
    assert (info.field, info.field_name) == ("3.1", "Reporting timestamp")
    assert (info.known, info.checked) == (True, False)
    assert "margin" in info.reason
    assert info.check == f"not checked by regkit (not-applicable: {info.reason})"


def test_the_price_vr_of_the_issue_is_field_2_48() -> None:
    # VR-2048-01: price (2.48) is mandatory for CFDs.
    info = vr_info("EMIR-VR-2048-01")
    assert (info.field, info.field_name, info.known) == ("2.48", "Price", True)


def test_a_non_field_id_of_esma_is_known_without_a_field() -> None:
    for rule_id in ("EMIR-VR-0000-00", "EMIR-XML-002", "EMIR-AUTH-001"):
        info = vr_info(rule_id)
        assert info.known, rule_id
        assert (info.field, info.field_name) == (None, None)
        assert "no field" in str(info)


@pytest.mark.parametrize("rule_id", ["TR-OWN-17", "EMIR-FIL-002", "EMIR-VR-2999-99", ""])
def test_an_id_regkit_does_not_know_is_unknown(rule_id: str) -> None:
    info = vr_info(rule_id)
    assert info.disposition == UNKNOWN
    assert not info.known
    assert not info.checked
    assert rule_id not in VrCatalogue.builtin()
    assert info.check.startswith("unknown to regkit: not one of ESMA's")


def test_an_unknown_vr_shaped_id_still_names_its_field() -> None:
    assert vr_info("EMIR-VR-2999-99").field == "2.999"
    assert vr_info("TR-OWN-17").field is None


def test_surrounding_spaces_do_not_hide_an_id() -> None:
    assert vr_info(f" {A_RULE}\n").disposition == "rule"
    assert f" {A_RULE} " in VrCatalogue.builtin()


# --- the property: every covered id resolves, and its field is the id's -----------------------


@given(st.sampled_from(COVERED_IDS))
def test_every_covered_id_resolves_with_the_field_its_id_names(rule_id: str) -> None:
    info = vr_info(rule_id)
    assert info.id == rule_id
    assert info.known
    assert info.disposition in DISPOSITIONS
    entry = next(entry for entry in COVERAGE["vrs"] if entry["id"] == rule_id)
    assert info.disposition == entry["disposition"]
    assert info.reason == (entry.get("reason") or "")
    match = re.fullmatch(r"EMIR-VR-(\d)(\d{3})-\d{2}", rule_id)
    if match is None or match[2] == "000":
        assert info.field is None
    else:
        assert info.field == f"{match[1]}.{int(match[2])}"
        # The coverage file's field starts with the same number, then the field's name.
        assert entry["field"] == f"{info.field} {info.field_name}"


@given(st.integers(1, 3), st.integers(1, 999), st.integers(0, 99))
def test_any_vr_shaped_id_names_table_and_field(table: int, number: int, rule: int) -> None:
    info = vr_info(f"EMIR-VR-{table}{number:03d}-{rule:02d}")
    assert info.field == f"{table}.{number}"


# --- the reconciliation ----------------------------------------------------------------------


def test_the_reconciliation_names_the_vr_each_rejected_report_broke() -> None:
    result = reconcile(read_rejections(REJECTED), [trade(1), trade(2)])
    (rejection,) = result.rejected
    assert rejection.trade.trade_id == "T2"
    assert [item.id for item in rejection.broken] == ["EMIR-VR-2009-02", A_RULE]
    cfi, country = rejection.broken
    assert (cfi.info.field, cfi.info.field_name) == ("2.9", "Product classification")
    assert cfi.rule.description == "The CFI code does not identify the product"
    assert country.flag == "checked"
    assert rejection.unknown_rules == ()
    # The rules checked before submission that the trade repository still refused.
    assert A_RULE in result.checked_rules
    # EMIR-FIL-002 (a whole-message rejection) is not one of ESMA's ids.
    assert result.unknown_rules == ("EMIR-FIL-002",)


def test_a_checked_vr_refused_says_regkit_or_the_data_is_wrong() -> None:
    (broken,) = explain_rules([ValidationRule(A_RULE, "country missing")])
    text = str(broken)
    assert text.startswith(f"{A_RULE} (field 1.10 Country of the counterparty 2): checked")
    assert "a regkit bug or a data difference" in text
    assert text.endswith("[country missing]")


def test_a_rejection_with_a_not_applicable_vr() -> None:
    rejections = read_rejections(feedback({1: [(NOT_APPLICABLE, None)]}))
    result = reconcile(rejections, [trade(1)])
    (rejection,) = result.rejected
    (broken,) = rejection.broken
    assert broken.flag is None
    assert broken.info.disposition == "not-applicable"
    assert "not checked by regkit (not-applicable: " in str(broken)
    assert (result.unknown_rules, result.checked_rules) == ((), ())


def test_a_rejection_with_an_unknown_id_is_flagged_on_it_and_on_the_reconciliation() -> None:
    rejections = read_rejections(
        feedback(
            {
                1: [("TR-OWN-17", "our own check"), (NOT_APPLICABLE, None)],
                2: [("EMIR-VR-2999-99", None)],
                3: [(A_RULE, None)],
            }
        )
    )
    result = reconcile(rejections, [trade(1), trade(2), trade(3)])
    first, second, third = result.rejected
    assert first.unknown_rules == ("TR-OWN-17",)
    assert [item.flag for item in first.broken] == ["unknown", None]
    assert second.unknown_rules == ("EMIR-VR-2999-99",)
    assert second.broken[0].info.field == "2.999"
    assert third.unknown_rules == ()
    assert result.unknown_rules == ("EMIR-VR-2999-99", "TR-OWN-17")
    assert result.checked_rules == (A_RULE,)


def test_unmatched_rejections_count_towards_the_flags() -> None:
    rejections = read_rejections(feedback({7: [("TR-OWN-17", None)]}))
    result = reconcile(rejections, [trade(1)])
    assert result.rejected == ()
    assert result.unknown_rules == ("TR-OWN-17",)


def test_a_catalogue_of_ones_own_replaces_the_built_in_one() -> None:
    own = VrCatalogue(
        "a trade repository's list",
        {"TR-OWN-17": VrInfo("TR-OWN-17", None, "Own check", "external", "the TR's own")},
    )
    rejections = read_rejections(feedback({1: [("TR-OWN-17", None), (A_RULE, None)]}))
    result = reconcile(rejections, [trade(1)], catalogue=own)
    assert [item.flag for item in result.rejected[0].broken] == [None, "unknown"]
    assert result.unknown_rules == (A_RULE,)


def test_a_catalogue_without_coverage_knows_the_rules_of_the_pack_only() -> None:
    policy = load_policy(VR_PACK)
    catalogue = VrCatalogue.of(policy, None)
    assert len(catalogue) == len(policy.rules)
    assert catalogue.lookup(A_RULE).checked
    assert not catalogue.lookup(NOT_APPLICABLE).known
    assert load_coverage(VR_PACK) is not None


def test_broken_rule_is_the_rule_with_its_info() -> None:
    broken = BrokenRule(ValidationRule("X-1"), vr_info("X-1"))
    assert (broken.id, broken.flag) == ("X-1", "unknown")
