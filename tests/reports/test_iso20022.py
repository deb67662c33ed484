"""The shared ISO 20022 layer: one meaning per status, latest status wins, one reconcile, the
code lists, the file sequence and the envelope that MiFIR and EMIR both use."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from lxml import etree

from regkit.errors import RenderError
from regkit.reports import emir_feedback, iso20022, mifir, mifir_feedback, reading
from regkit.reports.emir import feedback as emir_feedback_module
from regkit.reports.iso20022 import (
    OUTCOMES,
    Outcome,
    ValidationRule,
    dated_sequence,
    latest,
    outcome_of,
    reconcile,
)
from regkit.reports.mifir import feedback as mifir_feedback_module
from regkit.reports.writer import Part


@dataclass(frozen=True)
class Status:
    key: str | None
    code: str
    created: datetime | None = None

    @property
    def outcome(self) -> Outcome:
        return outcome_of(self.code)


def at(hour: int) -> datetime:
    return datetime(2024, 3, 15, hour, tzinfo=UTC)


# --- one meaning per status ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("ACPT", Outcome.ACCEPTED),
        ("RJCT", Outcome.REJECTED),
        ("INCF", Outcome.REJECTED),
        ("CRPT", Outcome.REJECTED),
        ("NAUT", Outcome.REJECTED),
        ("PDNG", Outcome.PENDING),
        ("RCVD", Outcome.PENDING),
    ],
)
def test_each_status_code_has_one_meaning(code: str, outcome: Outcome) -> None:
    assert OUTCOMES[code] is outcome
    assert outcome_of(code) is outcome


def test_a_code_regkit_does_not_know_is_not_final() -> None:
    assert outcome_of("WARN") is Outcome.PENDING


def test_both_regimes_read_the_one_table() -> None:
    for status in mifir.RecordStatus:
        assert status.outcome is OUTCOMES[status.value]
    for code in emir_feedback.ReportStatus:
        assert code.outcome is OUTCOMES[code.value]
    rejecting = {status for status in mifir.MessageStatus if status.rejects_file}
    assert {status.value for status in rejecting} == {"RJCT", "INCF", "CRPT"}


def test_the_regimes_share_the_model_objects() -> None:
    for module in (mifir, mifir_feedback, mifir_feedback_module, emir_feedback):
        assert module.Outcome is Outcome
        assert module.ValidationRule is ValidationRule
    assert emir_feedback_module.Outcome is Outcome


def test_a_rule_reads_with_or_without_its_text() -> None:
    assert str(ValidationRule("CON-023", "The LEI is not valid")) == "CON-023: The LEI is not valid"
    assert str(ValidationRule("EMIR-VR-2044-01")) == "EMIR-VR-2044-01"


# --- latest status wins ----------------------------------------------------------------------


def test_a_later_status_supersedes_an_earlier_one() -> None:
    current = latest([Status("A", "RJCT"), Status("A", "ACPT")])
    assert current["A"].code == "ACPT"


def test_an_older_creation_time_does_not_supersede() -> None:
    current = latest([Status("A", "RJCT", at(19)), Status("A", "ACPT", at(18))])
    assert current["A"].code == "RJCT"


def test_an_unknown_creation_time_supersedes() -> None:
    current = latest([Status("A", "RJCT", at(19)), Status("A", "ACPT")])
    assert current["A"].code == "ACPT"


def test_statuses_without_a_key_are_left_out() -> None:
    assert dict(latest([Status(None, "RJCT")])) == {}


# --- one reconcile ---------------------------------------------------------------------------


def test_reconcile_sorts_items_by_the_status_of_their_key() -> None:
    statuses = latest(
        [Status("A", "ACPT"), Status("B", "RJCT"), Status("C", "PDNG"), Status("Z", "ACPT")]
    )
    result = reconcile(["a", "b", "c", "d"], str.upper, statuses)
    assert result.accepted == ("a",)
    assert [(refused.item, refused.key) for refused in result.rejected] == [("b", "B")]
    assert result.pending == ("c", "d")
    assert [status.key for status in result.unmatched] == ["Z"]
    assert result.held() == {"A", "C", "D", "Z"}


def test_reconcile_matches_any_statement_by_the_key_it_is_given() -> None:
    lines = [("LINE-1", 100), ("LINE-2", 250)]
    statuses = latest([Status("LINE-2", "NAUT"), Status("LINE-9", "RJCT")])
    result = reconcile(lines, lambda line: line[0], statuses)
    assert result.pending == (("LINE-1", 100),)
    assert [refused.item for refused in result.rejected] == [("LINE-2", 250)]
    assert result.held() == {"LINE-1"}


# --- code lists, files, envelope -------------------------------------------------------------


def test_file_sequences_are_checked_once_for_both_regimes() -> None:
    assert dated_sequence(at(18), 42) == "20240315_000042"
    for bad in (0, iso20022.MAX_SEQUENCE + 1):
        with pytest.raises(RenderError, match="outside 1 to 999,999"):
            dated_sequence(at(18), bad)


def test_the_envelope_frames_the_records_in_business_data() -> None:
    header = iso20022.app_header("SENDER", "CY", "MSG-1", "auth.016.001.01", at(18))
    namespace = "urn:iso:std:iso:20022:tech:xsd:auth.016.001.01"
    envelope = iso20022.business_data(lambda part: header, namespace, "FinInstrmRptgTxRpt")
    buffer = io.BytesIO()
    with etree.xmlfile(buffer, encoding="UTF-8") as xf, envelope(xf, Part(1, "f.xml")):
        xf.write(etree.Element(f"{{{namespace}}}Tx"))
    root = etree.fromstring(buffer.getvalue())
    path = [etree.QName(element).localname for element in root.iter()]
    assert path[:3] == ["BizData", "Hdr", "AppHdr"]
    assert path[-4:] == ["Pyld", "Document", "FinInstrmRptgTxRpt", "Tx"]


def test_the_old_reading_path_re_exports_the_same_helpers() -> None:
    from regkit.reports.iso20022 import reading as shared

    for name in reading.__all__:
        assert getattr(reading, name) is getattr(shared, name)
