"""The synthetic feedback writer: what it writes is schema-valid, reads back exactly through
regkit's readers, is the same bytes for the same arguments, and escapes any text."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from strategies import aware_datetimes, identifiers, texts

from regkit.reports import xml
from regkit.reports.emir.feedback import read_rejections
from regkit.reports.mifir.feedback import read_feedback, reconcile
from regkit.samples.feedback import Verdict, emir_rejections, mifir_status_advice, write_feedback

LEI = "529900T8BM49AURSDO55"
CREATED = datetime(2024, 3, 16, 6, 0, tzinfo=UTC)
DOC031 = xml.SCHEMAS["auth.031"].namespace
DOC092 = xml.SCHEMAS["auth.092"].namespace
HOSTILE = '</Desc><Id>x</Id> &amp; & <![CDATA[ ]]> "q" \'s é 漢字 😀\r\n\t<!DOCTYPE x> end'

# Text as a regulator may write it: any character XML 1.0 carries (tab, line ends, markup
# characters and non-ASCII included), with no white space around it (the readers strip).
hostile_texts = (
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn"))
        | st.sampled_from("<>&'\"\t\n\r]"),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)
rule_texts = texts(max_size=60) | hostile_texts
mifir_rules = st.lists(st.tuples(texts(max_size=35), rule_texts), max_size=3).map(tuple)
mifir_verdicts = st.lists(
    st.builds(
        Verdict,
        key=identifiers("T") | texts(max_size=52),
        status=st.sampled_from(["ACPT", "RJCT", "PDNG", "RCVD"]),
        rules=mifir_rules,
    ),
    max_size=10,
)
file_statuses = st.sampled_from(["ACPT", "PART", "RCVD", "RJCT", "RMDR", "WARN", "INCF", "CRPT"])
rejections = st.sampled_from(["RJCT", "INCF", "CRPT", "NAUT"])
# auth.092 descriptions are optional: an empty one writes none.
emir_rules = st.lists(st.tuples(texts(max_size=35), st.just("") | rule_texts), max_size=3).map(
    tuple
)
utis = st.from_regex(r"[A-Z0-9]{18}[0-9]{2}[A-Z0-9]{0,32}", fullmatch=True)
emir_verdicts = st.lists(
    st.builds(
        Verdict,
        key=utis | texts(max_size=72),
        status=rejections,
        rules=emir_rules,
        action=st.none() | st.sampled_from(["NEWT", "MODI", "CORR", "TERM", "EROR", "POSC"]),
    ),
    max_size=10,
)
emir_messages = st.lists(
    st.tuples(texts(max_size=35), rejections, emir_rules),
    max_size=4,
    unique_by=lambda message: message[0],
)
counts = st.none() | st.integers(0, 10**6)


# The statistics of a day and of a counterparty, in schema order.
TOTALS = (
    "TtlNbOfRpts",
    "TtlNbOfRptsAccptd",
    "TtlNbOfRptsRjctd",
    "TtlNbOfTxs",
    "TtlNbOfTxsAccptd",
    "TtlNbOfTxsRjctd",
)


def described(rules: tuple[tuple[str, str], ...]) -> list[tuple[str, str | None]]:
    """Rules as auth.092 reads them back: an empty description is none."""
    return [(rule_id, text or None) for rule_id, text in rules]


def derived(verdicts: list[Verdict]) -> str:
    statuses = {verdict.status for verdict in verdicts}
    if statuses <= {"ACPT"}:
        return "ACPT"
    return "RJCT" if statuses == {"RJCT"} else "PART"


def advice(verdicts: list[Verdict], **changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "submitted_message": "DATTRA_20240315T180000_000001",
        "verdicts": verdicts,
        "created": CREATED,
        "authority": "CY",
        "firm": LEI,
        "feedback_id": "FDB-20240316-0001",
    }
    return mifir_status_advice(**(arguments | changes))


def report(messages: list[Any], verdicts: list[Verdict], **changes: Any) -> bytes:
    arguments: dict[str, Any] = {
        "reference_date": date(2024, 3, 15),
        "reporting_counterparty": LEI,
        "messages": messages,
        "verdicts": verdicts,
        "created": CREATED,
        "feedback_id": "DATREJ-20240316-0001",
    }
    return emir_rejections(**(arguments | changes))


def assert_valid(data: bytes) -> None:
    result = xml.validate(data)
    assert result.ok, result.lines()
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<BizData ")


# --- MiFIR ----------------------------------------------------------------------------------


@given(
    verdicts=mifir_verdicts,
    file_status=st.none() | file_statuses,
    file_rules=mifir_rules,
    created=aware_datetimes(),
    submitted=identifiers("DATTRA_"),
    submitted_created=st.none() | aware_datetimes(),
)
def test_any_mifir_verdicts_read_back_exactly(
    verdicts: list[Verdict],
    file_status: str | None,
    file_rules: tuple[tuple[str, str], ...],
    created: datetime,
    submitted: str,
    submitted_created: datetime | None,
) -> None:
    data = advice(
        verdicts,
        file_status=file_status,
        file_rules=file_rules,
        created=created,
        submitted_message=submitted,
        submitted_created=submitted_created,
    )
    assert_valid(data)
    (file,) = read_feedback(data).files
    assert (file.message_id, file.sender) == ("FDB-20240316-0001", "CY")
    assert file.created == created.astimezone(UTC)
    assert file.related_message == (None if submitted_created is None else submitted)
    (read,) = file.advices
    assert read.original_message == submitted
    assert read.status.value == (file_status or derived(verdicts))
    assert [(rule.id, rule.description) for rule in read.rules] == list(file_rules)
    assert [
        (status.reference, status.status.value, [(r.id, r.description) for r in status.rules])
        for status in read.transactions
    ] == [(verdict.key, verdict.status, list(verdict.rules)) for verdict in verdicts]
    assert all(status.created == file.created for status in read.transactions)
    # The statistics agree with the verdicts (and there are none without verdicts).
    expected = Counter(verdict.status for verdict in verdicts)
    assert read.total_records == (len(verdicts) if verdicts else None)
    assert {status.value: count for status, count in read.records_per_status} == expected
    assert sum(count for _, count in read.records_per_status) == len(verdicts)


@given(verdicts=mifir_verdicts, created=aware_datetimes())
def test_the_same_mifir_arguments_give_the_same_bytes(
    verdicts: list[Verdict], created: datetime
) -> None:
    first = advice(verdicts, created=created)
    copies = [Verdict(v.key, v.status, tuple(v.rules), v.action) for v in verdicts]
    assert advice(copies, created=created) == first
    # The same instant in another zone is the same creation time.
    assert advice(verdicts, created=created.astimezone(timezone(timedelta(hours=-5)))) == first


@pytest.mark.parametrize("file_status", ["RJCT", "INCF", "CRPT"])
def test_a_file_refused_as_a_whole_lists_no_records(file_status: str) -> None:
    rules = [("FIL-104", "The file name is not valid"), ("FIL-107", "Duplicate file")]
    data = advice([], file_status=file_status, file_rules=rules)
    assert_valid(data)
    root = etree.fromstring(data)
    assert root.find(f".//{{{DOC031}}}RcrdSts") is None
    assert root.find(f".//{{{DOC031}}}Sttstcs") is None
    feedback = read_feedback(data)
    (read,) = feedback.advices
    assert read.status.value == file_status
    assert read.rejects_file
    assert read.transactions == ()
    assert [(rule.id, rule.description) for rule in read.rules] == rules
    # The readers' reconcile then rejects each transaction of the submitted file, with the
    # file's rules.
    result = reconcile(feedback, [], submitted={"DATTRA_20240315T180000_000001": ["T1", "T2"]})
    assert [(s.reference, s.status.value, s.inferred) for s in result.unmatched] == [
        ("T1", "RJCT", True),
        ("T2", "RJCT", True),
    ]
    assert result.unmatched[0].rules == read.rules


def test_the_derived_file_status() -> None:
    accepted, rejected, pending = Verdict("T1"), Verdict("T2", "RJCT"), Verdict("T3", "PDNG")
    statuses = [
        read_feedback(advice(verdicts)).advices[0].status.value
        for verdicts in ([], [accepted], [rejected], [accepted, rejected], [pending])
    ]
    assert statuses == ["ACPT", "ACPT", "RJCT", "PART", "PART"]


def test_hostile_mifir_text_is_escaped_and_reads_back() -> None:
    key = "T<1>&\"'"
    data = advice([Verdict(key, "RJCT", (("CON-070", HOSTILE),))])
    assert_valid(data)
    assert b"</Desc><Id>x" not in data
    assert b"<!DOCTYPE" not in data
    assert len(etree.fromstring(data).findall(f".//{{{DOC031}}}VldtnRule")) == 1
    (status,) = read_feedback(data).advices[0].transactions
    assert status.reference == key
    assert [(rule.id, rule.description) for rule in status.rules] == [("CON-070", HOSTILE)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"verdicts": [Verdict("T1", "PART")]}, "the status of 'T1'"),
        ({"verdicts": [Verdict("T1", "RJCT", action="NEWT")]}, "EMIR only"),
        ({"file_status": "NOTX"}, "the file status"),
        ({"created": datetime(2024, 3, 16, 6, 0)}, "no timezone"),
        ({"submitted_created": datetime(2024, 3, 15, 18, 0)}, "no timezone"),
        ({"verdicts": [Verdict(" T1")]}, "white space"),
        ({"verdicts": [Verdict("")]}, "non-empty"),
        ({"verdicts": [Verdict("T" * 141)]}, "longer than 140"),
        ({"file_rules": [("CON-070", "")]}, "non-empty"),
        ({"file_rules": [("C" * 36, "text")]}, "longer than 35"),
        ({"feedback_id": "F" * 36}, "longer than 35"),
        ({"verdicts": [Verdict("T1", "RJCT", (("CON-070", "bell \x07"),))]}, "XML compatible"),
    ],
)
def test_mifir_arguments_the_schema_or_the_reader_would_not_take_are_refused(
    changes: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"verdicts": []} | changes
    with pytest.raises(ValueError, match=message):
        advice(**arguments)


# --- EMIR -----------------------------------------------------------------------------------


@given(
    messages=emir_messages,
    verdicts=emir_verdicts,
    accepted_reports=counts,
    accepted_transactions=counts,
    created=aware_datetimes(),
    day=st.dates(date(2020, 1, 1), date(2099, 12, 31)),
)
def test_any_emir_rejections_read_back_exactly(
    messages: list[tuple[str, str, tuple[tuple[str, str], ...]]],
    verdicts: list[Verdict],
    accepted_reports: int | None,
    accepted_transactions: int | None,
    created: datetime,
    day: date,
) -> None:
    data = report(
        messages,
        verdicts,
        accepted_reports=accepted_reports,
        accepted_transactions=accepted_transactions,
        created=created,
        reference_date=day,
    )
    assert_valid(data)
    (file,) = read_rejections(data).files
    assert file.message_id == "DATREJ-20240316-0001"
    assert file.created == created.astimezone(UTC)
    nothing = not (messages or verdicts or accepted_reports or accepted_transactions)
    assert file.nothing_to_report is nothing
    assert file.reference_date == (None if nothing else day)

    assert [
        (m.message_id, m.status.value, [(r.id, r.description) for r in m.rules])
        for m in file.messages
    ] == [(message_id, status, described(rules)) for message_id, status, rules in messages]
    assert [
        (s.uti, s.status.value, s.action_type, [(r.id, r.description) for r in s.rules])
        for s in file.transactions
    ] == [(v.key, v.status, v.action, described(v.rules)) for v in verdicts]
    assert all(s.reporting_counterparty == LEI for s in file.transactions)
    if nothing:
        assert file.counterparties == ()
        return
    (statistics,) = file.counterparties
    reports, transactions = accepted_reports or 0, accepted_transactions or 0
    expected = (LEI, reports + len(messages), reports, len(messages))
    assert (
        statistics.reporting_counterparty,
        statistics.total_reports,
        statistics.accepted_reports,
        statistics.rejected_reports,
    ) == expected
    assert (
        statistics.total_transactions,
        statistics.accepted_transactions,
        statistics.rejected_transactions,
    ) == (transactions + len(verdicts), transactions, len(verdicts))
    # The day's totals (which the reader does not keep) are the counterparty's.
    day_totals = etree.fromstring(data).find(f".//{{{DOC092}}}Rpt")
    assert day_totals is not None
    assert [int(day_totals.findtext(f"{{{DOC092}}}{name}") or -1) for name in TOTALS] == [
        reports + len(messages),
        reports,
        len(messages),
        transactions + len(verdicts),
        transactions,
        len(verdicts),
    ]


@given(messages=emir_messages, verdicts=emir_verdicts, accepted=counts)
def test_the_same_emir_arguments_give_the_same_bytes(
    messages: list[tuple[str, str, tuple[tuple[str, str], ...]]],
    verdicts: list[Verdict],
    accepted: int | None,
) -> None:
    first = report(messages, verdicts, accepted_transactions=accepted)
    again = report(
        [(m, s, list(r)) for m, s, r in messages], list(verdicts), accepted_transactions=accepted
    )
    assert again == first


def test_nothing_to_report_is_notx() -> None:
    data = report([], [])
    assert_valid(data)
    root = etree.fromstring(data)
    assert root.findtext(f".//{{{DOC092}}}DataSetActn") == "NOTX"
    assert root.find(f".//{{{DOC092}}}Rpt") is None
    (file,) = read_rejections(data).files
    assert file.nothing_to_report
    assert (file.messages, file.transactions, file.counterparties) == ((), (), ())
    # Accepted explicitly as zero is still nothing; anything accepted is a report.
    assert report([], [], accepted_reports=0, accepted_transactions=0) == data
    (accepted,) = read_rejections(report([], [], accepted_reports=2)).files
    assert not accepted.nothing_to_report
    assert accepted.counterparties[0].accepted_reports == 2


@pytest.mark.parametrize("where", ["verdict", "message"])
def test_acpt_is_refused_in_a_rejection_report(where: str) -> None:
    verdicts = [Verdict(f"{LEI}CFD0001", "ACPT")] if where == "verdict" else []
    messages = [("M1", "ACPT", ())] if where == "message" else []
    with pytest.raises(ValueError, match=r"auth\.092 lists rejections"):
        report(messages, verdicts)


@pytest.mark.parametrize(
    ("messages", "verdicts", "changes", "message"),
    [
        ([], [Verdict("U1", "PDNG")], {}, "the status of 'U1'"),
        ([], [Verdict("U1", "RJCT", action="SKIP")], {}, "the action type of 'U1'"),
        ([("M1", "INCF", ()), ("M1", "RJCT", ())], [], {}, "listed twice"),
        ([], [], {"accepted_reports": -1}, "cannot be negative"),
        ([], [], {"accepted_transactions": -2}, "cannot be negative"),
        ([], [Verdict("U" * 73, "RJCT")], {}, "longer than 72"),
        ([("M1", "INCF", [("R1", " padded")])], [], {}, "white space"),
        ([], [], {"created": datetime(2024, 3, 16)}, "no timezone"),
        ([], [], {"repository": ""}, "non-empty"),
    ],
)
def test_emir_arguments_the_schema_or_the_reader_would_not_take_are_refused(
    messages: list[Any], verdicts: list[Verdict], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        report(messages, verdicts, **changes)


def test_hostile_emir_text_is_escaped_and_reads_back() -> None:
    data = report(
        [("<M1 & co>", "INCF", [("EMIR-FIL-001", HOSTILE)])],
        [Verdict("<uti & 'co'>", "RJCT", (("EMIR-VR-2009-02", HOSTILE),), "NEWT")],
    )
    assert_valid(data)
    assert b"</Desc><Id>x" not in data
    (file,) = read_rejections(data).files
    assert [(m.message_id, m.rules[0].description) for m in file.messages] == [
        ("<M1 & co>", HOSTILE)
    ]
    assert [(s.uti, s.rules[0].description) for s in file.transactions] == [
        ("<uti & 'co'>", HOSTILE)
    ]


def test_a_uti_goes_in_its_own_element_and_another_id_in_the_proprietary_one() -> None:
    uti = f"{LEI}CFD0002"
    root = etree.fromstring(
        report([], [Verdict(uti, "RJCT"), Verdict("TR-REF-7", "NAUT")], reporting_counterparty=LEI)
    )
    assert root.findtext(f".//{{{DOC092}}}UnqTxIdr") == uti
    assert root.findtext(f".//{{{DOC092}}}Prtry/{{{DOC092}}}Id") == "TR-REF-7"


def test_a_counterparty_without_an_lei_is_written_as_another_id() -> None:
    data = report([], [Verdict("TR-REF-7", "RJCT")], reporting_counterparty="FIRM-42")
    assert_valid(data)
    assert etree.fromstring(data).find(f".//{{{DOC092}}}LEI") is None
    assert read_rejections(data).files[0].counterparties[0].reporting_counterparty == "FIRM-42"


# --- writing --------------------------------------------------------------------------------


@dataclass
class Replaced:
    source: Path
    target: Path


def test_write_feedback_writes_beside_the_target_then_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out" / "feedback.xml"
    data = advice([Verdict("T1")])
    renames: list[Replaced] = []
    replace = os.replace

    def recording(source: Any, destination: Any) -> None:
        renames.append(Replaced(Path(source), Path(destination)))
        replace(source, destination)

    monkeypatch.setattr(os, "replace", recording)
    assert write_feedback(str(target), data) == target
    assert target.read_bytes() == data
    assert [(r.source.parent, r.target) for r in renames] == [(target.parent, target)]
    assert renames[0].source != target
    assert sorted(path.name for path in target.parent.iterdir()) == ["feedback.xml"]
    # Written again over the old file, with what was read back.
    assert write_feedback(target, report([], [])) == target
    assert read_rejections(target).files[0].nothing_to_report


def test_write_feedback_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "feedback.xml"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_feedback(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["feedback.xml"]
