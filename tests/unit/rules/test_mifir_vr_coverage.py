"""The mifir-vr pack and its coverage file account for every field of an RTS 22 report.

Every field 1-65 of RTS 22 Annex I Table 2 is checked by a rule of the pack, enforced by the
MifirReport model's types, or not applicable to what regkit reports (with the reason); and
every ESMA rule id or error code the coverage file names is listed once with what regkit
does with it.
"""

from __future__ import annotations

import re

import pytest

import regkit as rk
from regkit.reports.mifir.precheck import code_field, rts22_field, rules_of_code
from regkit.rules.packdocs import load_coverage

PACK = "mifir-vr"
RULE_ID = re.compile(r"MIFIR-VR-(\d{3})-\d{2}")
DOCUMENTS = {
    "ESMA65-8-2594 Annex 1 MiFIR transaction reporting validation rules (v1.7, applied from "
    "2022-05-31)",
    "Commission Delegated Regulation (EU) 2017/590 (RTS 22), Annex I Table 2",
    "ESMA/2016/1452 Guidelines on transaction reporting, order record keeping and clock "
    "synchronisation under MiFID II (2017-10-10)",
    "Regulation (EU) No 600/2014 (MiFIR)",
    "ESMA70-1861941480-56 Questions and Answers on MiFIR data reporting (update of 2019-10-07)",
}


@pytest.fixture(scope="module")
def policy() -> rk.Policy:
    return rk.load_policy(PACK)


def _numbers(field: str) -> set[int]:
    """The RTS 22 field numbers an entry names: ``12-15 ...``, ``44-45, 31, 34, 52 ...``."""
    head = field.split(" ")[0] if not re.match(r"\d+(-\d+)?(, \d+)+", field) else field
    numbers: set[int] = set()
    for start, end in re.findall(r"(\d+)(?:-(\d+))?", head.split(" [")[0]):
        numbers |= set(range(int(start), int(end or start) + 1))
    return numbers


def _cited_fields(article: str) -> set[int]:
    cited: set[int] = set()
    for start, end in re.findall(r"\bfields? (\d+)(?:-(\d+))?", article):
        cited |= set(range(int(start), int(end or start) + 1))
    for run in re.findall(r"\bfields ((?:\d+, )*\d+ and \d+)", article):
        cited |= {int(number) for number in re.findall(r"\d+", run)}
    return cited


def test_every_field_of_rts22_is_accounted_for() -> None:
    coverage = load_coverage(PACK)
    assert coverage is not None
    fields: set[int] = set()
    for entry in coverage.entries:
        if entry.id.startswith(("MIFIR-VR-", "RTS22-")):
            fields |= _numbers(entry.field)
    assert set(range(1, 66)) - fields == set()


def test_the_rules_and_the_coverage_agree(policy: rk.Policy) -> None:
    coverage = load_coverage(PACK)
    assert coverage is not None
    ids = [entry.id for entry in coverage.entries]
    assert len(ids) == len(set(ids))
    rules = {rule.id for rule in policy.rules}
    assert rules == {entry.id for entry in coverage.by_disposition("rule")}
    assert "todo" not in {entry.disposition for entry in coverage.entries}


def test_every_rule_is_a_rejection_over_report_records_citing_its_source_and_field(
    policy: rk.Policy,
) -> None:
    coverage = load_coverage(PACK)
    assert coverage is not None
    fields = {entry.id: entry.field for entry in coverage.entries}
    for rule in policy.rules:
        found = RULE_ID.fullmatch(rule.id)
        assert found is not None, rule.id
        assert rule.severity == "high", rule.id
        assert rule.kinds == ("mifir_report",), rule.id
        assert rule.evidence, rule.id
        assert rule.reference["document"] in DOCUMENTS, rule.id
        number = str(int(found[1]))
        assert fields[rule.id].split(" ")[0] == number, rule.id
        assert rts22_field(rule.id) == number
        # The citation names the field, alone or in a run of fields.
        assert int(number) in _cited_fields(rule.reference["article"]), rule.id


def test_the_esma_rule_ids_cited_are_those_published() -> None:
    """ESMA's change log of v1.6/v1.7 names rule 041 (CON-110, field 11), 070 (CON-200,
    field 20) and 270 (field 36); the pack cites each at its field."""
    policy = rk.load_policy(PACK)
    cited = {
        rule.id: rule.reference["article"]
        for rule in policy.rules
        if rule.reference["document"].startswith("ESMA65-8-2594")
    }
    assert cited == {
        "MIFIR-VR-011-02": "rule 041 (CON-110), field 11 Buyer - date of birth",
        "MIFIR-VR-020-02": "rule 070 (CON-200), field 20 Seller - date of birth",
        "MIFIR-VR-036-02": cited["MIFIR-VR-036-02"],
    }
    assert cited["MIFIR-VR-036-02"].startswith("rule 270 (field 36 Venue)")


@pytest.mark.parametrize(
    ("code", "field"),
    [("CON-023", "2"), ("CON-070", "7"), ("CON-110", "11"), ("CON-412", "41"), ("CON-472", "47"),
     ("con-240", "24"), ("FIL-105", None), ("CON-5", None)],
)  # fmt: skip
def test_an_error_code_names_its_field(code: str, field: str | None) -> None:
    assert code_field(code) == field


def test_an_error_code_leads_to_the_rules_of_its_field() -> None:
    assert rules_of_code("CON-200") == ("MIFIR-VR-020-01", "MIFIR-VR-020-02")
    assert rules_of_code("CON-570") == ("MIFIR-VR-057-01", "MIFIR-VR-057-02", "MIFIR-VR-057-03")
    assert rules_of_code("CON-412") == ("MIFIR-VR-041-01",)  # FIRDS itself: the NCA's
    assert rules_of_code("CON-150") == ()  # field 15: never written


def test_an_error_code_that_is_not_text_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="code must be an error code as text"):
        rules_of_code(412)  # type: ignore[arg-type]
