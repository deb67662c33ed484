"""The emir-refit-vr pack and its coverage file account for every VR id ESMA publishes.

ESMA74-362-2683 (the update of 6 September 2023) publishes 480 validation rules. The
coverage file ``packs/coverage/emir-refit-vr.yaml`` lists every one with a disposition: a
rule of the pack, or why not (``type``, ``not-applicable``, ``external``, ``permissive``,
``todo``). The pack's rules and the other entries must be disjoint and, together, the whole
list.
"""

from __future__ import annotations

import re

import pytest

import regkit as rk
from regkit.errors import PolicyError
from regkit.rules.packdocs import DISPOSITIONS, load_coverage
from regkit.rules.policy import builtin_policies

PACK = "emir-refit-vr"
DOCUMENT = "ESMA74-362-2683 EMIR REFIT validation rules (2023-09-06)"
VR_ID = re.compile(r"EMIR-VR-[123][0-9]{3}-[0-9]{2}")
PUBLISHED_ID = re.compile(r"EMIR-VR-[0-9]{4}-[0-9]{2}|EMIR-XML-[0-9]{3}|EMIR-AUTH-[0-9]{3}")


@pytest.fixture(scope="module")
def policy() -> rk.Policy:
    return rk.load_policy(PACK)


def test_the_coverage_lists_every_published_id_once() -> None:
    coverage = load_coverage(PACK)
    assert coverage is not None
    ids = [entry.id for entry in coverage.entries]
    assert len(ids) == 480 == len(set(ids))
    assert coverage.document == DOCUMENT
    assert [i for i in ids if not PUBLISHED_ID.fullmatch(i)] == []
    # The tables ESMA publishes: 61 rules of Table 1, 335 of Table 2, 79 of Table 3, and 5
    # that concern no field (file and authorisation checks).
    tables = [i[8] if i.startswith("EMIR-VR-") and i != "EMIR-VR-0000-00" else "-" for i in ids]
    assert (tables.count("1"), tables.count("2"), tables.count("3"), tables.count("-")) == (
        61,
        335,
        79,
        5,
    )


def test_the_rules_and_the_other_entries_are_disjoint_and_complete(policy: rk.Policy) -> None:
    coverage = load_coverage(PACK)
    assert coverage is not None
    rules = {rule.id for rule in policy.rules}
    covered = {entry.id for entry in coverage.by_disposition("rule")}
    others = {entry.id for entry in coverage.entries if entry.disposition != "rule"}
    assert rules == covered, f"rules without an entry: {sorted(rules - covered)}; entries "
    assert rules.isdisjoint(others), sorted(rules & others)
    assert rules | others == {entry.id for entry in coverage.entries}


def test_every_rule_id_is_a_vr_id_of_table_1_or_2(policy: rk.Policy) -> None:
    assert [rule.id for rule in policy.rules if not VR_ID.fullmatch(rule.id)] == []
    assert {rule.id[8] for rule in policy.rules} <= {"1", "2"}


def test_every_rule_is_an_error_over_report_records_citing_its_vr_and_field(
    policy: rk.Policy,
) -> None:
    coverage = load_coverage(PACK)
    assert coverage is not None
    fields = {entry.id: entry.field for entry in coverage.entries}
    for rule in policy.rules:
        assert rule.severity == "high", rule.id  # ESMA's VRs are all ERROR
        assert rule.kinds == ("emir_report",), rule.id
        assert rule.evidence, rule.id
        assert rule.title, rule.id
        assert rule.message, rule.id
        assert rule.reference == {
            "regulator": "ESMA",
            "document": DOCUMENT,
            "article": f"{rule.id}, field {fields[rule.id]}",
        }
        # The field the VR id names (EMIR-VR-2048-01: 2.48) is the field cited.
        table, number = int(rule.id[8]), int(rule.id[9:12])
        assert fields[rule.id].startswith(f"{table}.{number} "), rule.id


def test_every_entry_that_is_no_rule_says_why() -> None:
    coverage = load_coverage(PACK)
    assert coverage is not None
    for entry in coverage.entries:
        assert entry.disposition in DISPOSITIONS
        assert (entry.reason != "") == (entry.disposition != "rule"), entry.id
    # Table 3 (margins) is never reported by regkit.
    table_3 = [e for e in coverage.entries if e.id.startswith("EMIR-VR-3")]
    assert {e.disposition for e in table_3} == {"not-applicable"}


def test_only_the_regulators_rule_packs_have_coverage_files() -> None:
    # The packs that transcribe a regulator's published validation rules account for each
    # of them; the others (a firm's policies) have nothing to account for.
    with_coverage = {name for name in builtin_policies() if load_coverage(name) is not None}
    assert with_coverage == {PACK, "mifir-vr"}


def test_a_coverage_entry_without_a_reason_is_refused() -> None:
    from regkit.rules import packdocs

    with pytest.raises(PolicyError, match="EMIR-VR-1001-01 \\(todo\\) needs a reason"):
        packdocs._coverage_entry(
            {"id": "EMIR-VR-1001-01", "field": "1.1", "disposition": "todo"}, "here"
        )
    with pytest.raises(PolicyError, match="disposition 'maybe' is not one of rule, type"):
        packdocs._coverage_entry(
            {"id": "EMIR-VR-1001-01", "field": "1.1", "disposition": "maybe", "reason": "x"},
            "here",
        )
