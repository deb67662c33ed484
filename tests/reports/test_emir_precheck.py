"""The pre-submission check: every EMIR report meets ESMA's validation rules (the
``emir-refit-vr`` pack, ESMA74-362-2683) before it is written, or the batch is refused by
trade, UTI, REFIT field and VR id; with ``write_passing``, only the passing reports are
written and the rest listed. A trade repository would reject a report that fails one.

The report that fails here is a real gap in the data: a client entity whose reporting
obligation (REFIT table 1 field 14) nobody stated, mandatory on a NEWT (EMIR-VR-1014-01).
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from regkit import Account, Firm, Instrument, LegalEntity, NaturalPerson, Trade, jobs
from regkit.cli import main
from regkit.errors import PreSubmissionError
from regkit.reports import audit_pack
from regkit.reports.emir import build_reports, render
from regkit.reports.emir.precheck import (
    PACK,
    ContentCheck,
    PreSubmission,
    field_names,
    refit_field,
)
from regkit.rules.engine import check
from regkit.rules.policy import load_policy
from regkit.schemas.emir import EmirReport

CREATED = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
FIRM = Firm(
    lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY",
    above_clearing_threshold=False,
)  # fmt: skip
EURUSD = Instrument(
    symbol="EURUSD", product="cfd", underlying_class="fx_major", base_currency="EUR",
    quote_currency="USD", cfi="JFTXCC", upi="QZ4DF6TN8RC2",
)  # fmt: skip
PERSON = Account(
    account_id="P1",
    holder=NaturalPerson(
        first_name="Anna", surname="Berg", nationalities=["SE"], residence_country="SE"
    ),
    category="retail",
)
# Nature, sector and threshold stated, the reporting obligation (1.14) not: VR-1014-01.
SILENT = Account(
    account_id="E1",
    holder=LegalEntity(
        name="Beta Foods GmbH", lei="529900HNOAA1KXQJUQ27", country="DE", nature="N",
        sector="C", above_clearing_threshold=False,
    ),
    category="professional",
)  # fmt: skip
ACCOUNTS = [PERSON, SILENT]


def trade(trade_id: str, account_id: str = "P1") -> Trade:
    return Trade(
        trade_id=trade_id, account_id=account_id, instrument=EURUSD, side="buy",
        quantity=Decimal("1000"), price=Decimal("1.085"), price_currency="USD",
        executed_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC), position_effect="open",
    )  # fmt: skip


TRADES = [trade("T1"), trade("X1", "E1"), trade("T2"), trade("X2", "E1")]
UTI = "5493001KJTIIGC8Y1R12"


def written(folder: Path, **options: Any) -> list[Path]:
    return render(TRADES[:1] + TRADES[2:3], ACCOUNTS, FIRM, folder, created_at=CREATED,
                  workers=1, **options)  # fmt: skip


def test_a_report_that_breaks_a_rule_refuses_the_batch_by_trade_field_and_vr(
    tmp_path: Path,
) -> None:
    with pytest.raises(PreSubmissionError) as caught:
        render(TRADES, ACCOUNTS, FIRM, tmp_path, created_at=CREATED, workers=1)
    assert list(tmp_path.iterdir()) == []
    head, *lines = str(caught.value).splitlines()
    assert head.startswith("2 report(s) break ESMA's EMIR validation rules (2 failure(s), pack ")
    assert "no file was written" in head
    assert lines == [
        f"  X1 (UTI {UTI}X1, NEWT): EMIR-VR-1014-01 field 1.14 "
        "(counterparty_2_reporting_obligation): field 1.14 (reporting obligation of "
        "counterparty 2) must be true or false on a NEWT report",
        f"  X2 (UTI {UTI}X2, NEWT): EMIR-VR-1014-01 field 1.14 "
        "(counterparty_2_reporting_obligation): field 1.14 (reporting obligation of "
        "counterparty 2) must be true or false on a NEWT report",
    ]
    assert [(item.trade_id, item.rule_id, item.field) for item in caught.value.failures] == [
        ("X1", "EMIR-VR-1014-01", "1.14"),
        ("X2", "EMIR-VR-1014-01", "1.14"),
    ]


def test_write_passing_writes_the_reports_that_pass_and_lists_the_rest(tmp_path: Path) -> None:
    files = render(TRADES, ACCOUNTS, FIRM, tmp_path / "some", created_at=CREATED, workers=1,
                   write_passing=True)  # fmt: skip
    content = files.content_check
    assert content is not None
    assert (content.checked, content.passed, content.withheld) == (4, 2, ("X1", "X2"))
    assert [item.rule_id for item in content.failures] == ["EMIR-VR-1014-01"] * 2
    assert files.reported == 2
    (path,) = files
    text = path.read_text(encoding="utf-8")
    assert "<NbRcrds>2</NbRcrds>" in text
    assert f"{UTI}T1<" in text
    assert f"{UTI}T2<" in text
    assert f"{UTI}X1<" not in text
    # The same two reports, rendered alone, are the same bytes.
    (alone,) = written(tmp_path / "alone")
    assert alone.read_bytes() == path.read_bytes()


def test_reports_that_all_pass_are_the_same_bytes_with_and_without_the_check(
    tmp_path: Path,
) -> None:
    checked = written(tmp_path / "checked")
    unchecked = written(tmp_path / "unchecked", check=False)
    assert [path.read_bytes() for path in checked] == [path.read_bytes() for path in unchecked]
    content = checked.content_check  # type: ignore[attr-defined]
    assert content is not None
    assert (content.ok, content.checked) == (True, 2)
    assert content.policy_id == PACK
    assert unchecked.content_check is None  # type: ignore[attr-defined]


def test_without_the_check_a_failing_report_is_written(tmp_path: Path) -> None:
    files = render(TRADES, ACCOUNTS, FIRM, tmp_path, created_at=CREATED, workers=1, check=False)
    assert files.reported == 4


def test_the_check_is_the_pack_run_as_the_rule_engine_runs_it(tmp_path: Path) -> None:
    """The pre-submission check and ``rk.check`` of the same reports agree."""
    built = build_reports(TRADES, ACCOUNTS, FIRM, created_at=CREATED)
    result = check(load_policy(PACK), emir_reports=built.reports, as_of=CREATED)
    files = render(TRADES, ACCOUNTS, FIRM, tmp_path, created_at=CREATED, workers=1,
                   write_passing=True)  # fmt: skip
    content = files.content_check
    assert content is not None
    assert sorted((f.rule_id, f.record_id) for f in result.findings) == sorted(
        (item.rule_id, f"{item.uti}|{item.action_type}") for item in content.failures
    )


@pytest.mark.parametrize("name", ["check", "write_passing"])
def test_the_flags_are_booleans(name: str, tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=f"{name} must be True or False, got 'yes'"):
        render(TRADES, ACCOUNTS, FIRM, tmp_path, created_at=CREATED, **{name: "yes"})


def test_vr_ids_name_their_refit_field() -> None:
    assert refit_field("EMIR-VR-2114-01") == "2.114"
    assert refit_field("EMIR-VR-1014-01") == "1.14"
    assert refit_field("ESMA-CFD-LEV") is None
    assert field_names("1.14") == ("counterparty_2_reporting_obligation",)
    assert field_names(None) == ()


# --- the command line, the job and the audit pack --------------------------------------------


def files_of(folder: Path) -> dict[str, Path]:
    from regkit.schemas.io import write_records

    folder.mkdir(parents=True, exist_ok=True)
    write_records(TRADES, folder / "trades.jsonl")
    write_records(ACCOUNTS, folder / "accounts.jsonl")
    (folder / "firm.json").write_text(FIRM.model_dump_json(), encoding="utf-8")
    return {
        "trades": folder / "trades.jsonl",
        "accounts": folder / "accounts.jsonl",
        "firm": folder / "firm.json",
    }


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_regkit_report_emir_exits_2_naming_each_vr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    given = files_of(tmp_path / "in")
    argv = ["report", "emir", "--trades", str(given["trades"]), "--accounts",
            str(given["accounts"]), "--firm", str(given["firm"]), "--created-at",
            "2026-11-20T18:00:00Z"]  # fmt: skip
    code, out, err = run([*argv, "--out", str(tmp_path / "refused")], capsys)
    assert code == 2
    assert "X1 (UTI 5493001KJTIIGC8Y1R12X1, NEWT): EMIR-VR-1014-01 field 1.14" in err
    assert not (tmp_path / "refused").exists() or not list((tmp_path / "refused").iterdir())
    code, out, err = run([*argv, "--out", str(tmp_path / "some"), "--write-passing"], capsys)
    assert code == 0, err
    assert "2 reported" in out
    assert "checked against emir-refit-vr" in out
    assert "2 of 4 report(s) pass, 2 not written" in out
    assert "  X2 (UTI 5493001KJTIIGC8Y1R12X2, NEWT): EMIR-VR-1014-01" in out
    code, out, err = run([*argv, "--out", str(tmp_path / "all"), "--no-check"], capsys)
    assert code == 0, err
    assert "4 reported" in out
    assert "checked against" not in out


def test_the_audit_pack_holds_what_the_check_found(tmp_path: Path) -> None:
    given = files_of(tmp_path / "in")
    passing = tmp_path / "passing.jsonl"
    from regkit.schemas.io import write_records

    write_records([TRADES[0], TRADES[2]], passing)
    done = jobs.pack("esma-cfd-retail", out=tmp_path / "pack.zip", as_of="2026-12-01",
                     created_at=CREATED, with_reports=["emir"], firm=given["firm"],
                     trades=passing, accounts=given["accounts"])  # fmt: skip
    assert audit_pack.verify(done.path).ok
    with zipfile.ZipFile(done.path) as archive:
        (content,) = json.loads(archive.read("data/regulator/content-checks.json"))
        page = archive.read("data/report.html").decode("utf-8")
    assert (content["report"], content["policy"]["id"]) == ("emir", PACK)
    assert (content["checked"], content["passed"], content["failures"]) == (2, 2, [])
    assert "2 report(s) were checked against the regulator" in page
    assert "every report passed" in page


def test_a_pack_lists_the_failures_of_a_check(tmp_path: Path) -> None:
    files = render(TRADES, ACCOUNTS, FIRM, tmp_path / "out", created_at=CREATED, workers=1,
                   write_passing=True)  # fmt: skip
    assert isinstance(files.content_check, ContentCheck)
    result = check(load_policy("esma-cfd-retail"), trades=TRADES, accounts=ACCOUNTS,
                   as_of=CREATED)  # fmt: skip
    path = audit_pack.build(result, tmp_path / "pack.zip", attachments=files,
                            content_checks=[files.content_check])  # fmt: skip
    with zipfile.ZipFile(path) as archive:
        (content,) = json.loads(archive.read("data/regulator/content-checks.json"))
        page = archive.read("data/report.html").decode("utf-8")
    assert content["withheld"] == ["X1", "X2"]
    assert [item["rule_id"] for item in content["failures"]] == ["EMIR-VR-1014-01"] * 2
    assert "2 failed" in page
    assert "EMIR-VR-1014-01" in page
    with pytest.raises(TypeError, match="content_checks must hold"):
        audit_pack.build(result, tmp_path / "bad.zip", content_checks=["nope"])  # type: ignore[list-item]


# --- the check and the pack agree ------------------------------------------------------------


def _pool() -> list[EmirReport]:
    from regkit.samples import SampleConfig, generate

    book = generate(SampleConfig(trades=400))
    reports: list[EmirReport] = []
    for action in ("NEWT", "TERM", "EROR"):
        reports += build_reports(book.trades, book.accounts, book.firm, action=action,
                                 created_at=CREATED).reports  # fmt: skip
    return reports


POOL = _pool()
FIELDS = sorted(EmirReport.model_fields)
CHECKER = load_policy(PACK).compile(as_of=CREATED)


@st.composite
def altered_reports(draw: st.DrawFn) -> list[EmirReport]:
    """Sample reports, some with fields emptied or taken from another report."""
    reports = []
    for _ in range(draw(st.integers(1, 6))):
        report = draw(st.sampled_from(POOL))
        values = dict(report.__dict__)
        for name in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
            values[name] = draw(st.none() | st.sampled_from([r.__dict__[name] for r in POOL]))
        reports.append(EmirReport.model_construct(**values))
    return reports


@settings(max_examples=80, deadline=None)
@given(altered_reports())
def test_the_check_and_the_pack_agree_report_by_report(reports: list[EmirReport]) -> None:
    """The check remembers what the rules that read only shared fields found for each set
    of their values; it must find exactly what the whole pack finds, report by report."""
    checker = CHECKER
    run = PreSubmission(CREATED)
    for report in reports:
        run.failures_of(report)
    expected = [(f.rule_id, f.message) for r in reports for f in checker.check("emir_report", r)]
    assert [(item.rule_id, item.message) for item in run.failures] == expected
    event("failures" if expected else "all pass")
