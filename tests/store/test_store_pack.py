"""Audit packs of a past period built from the store (``regkit pack --store``): what an
auditor asks for months later (Delegated Regulation 2017/565 Art. 72: each stage of the
processing reconstructable): every finding of the period, the exact policy that found it,
the runs, and what was done about each finding, as a timeline per case whose events carry
their chain of SHA-256 digests."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_book import POLICY, account_of, check, trade

import regkit as rk
from regkit import jobs
from regkit.jobs import JobError, pack_from_store
from regkit.reports import audit_pack
from regkit.rules.policy import parse_policy
from regkit.samples.feedback import Verdict, emir_rejections, mifir_status_advice, write_feedback
from regkit.store import Store, finding_key, open_store
from regkit.store.cases import GENESIS, digest_of

DAY_20, DAY_21, DAY_22 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)


def record_days(store: Store) -> list[str]:
    """Three daily runs, each over its own day: T1 (A1) breaches on the 20th, T9 (A2) on the
    21st, T5 (A1) on the 22nd; the case of A1 is worked and closed."""
    runs = []
    for day, number in ((20, 1), (21, 9), (22, 5)):
        result = check([trade(number, "50", day=day, account="A2" if number == 9 else "A1")])
        every = date(2026, 11, day)
        runs.append(store.record(result, period=(every, every), account_of=account_of,
                                 by="nightly").run_id)  # fmt: skip
    (case,) = [case for case in store.cases() if case.account_id == "A1"]
    store.assign(case.case_id, "ana", by="lead")
    store.note(case.case_id, "client's leverage election on file", by="ana")
    store.close_case(case.case_id, "false_positive", by="ana", note="professional client")
    return runs


def read(pack: Path, name: str) -> bytes:
    with zipfile.ZipFile(pack) as archive:
        return archive.read(name)


def test_a_past_period_s_pack_holds_its_findings_runs_and_each_case_s_timeline(
    store_url: str, tmp_path: Path
) -> None:
    with open_store(store_url) as store:
        runs = record_days(store)
        stored = {case.case_id: case for case in map(store.case, [1, 2])}
    done = pack_from_store(out=tmp_path / "pack.zip", store=store_url, start=DAY_20, end=DAY_21)
    assert audit_pack.verify(done.path).ok
    findings = json.loads(read(done.path, "data/findings.json"))["findings"]
    assert [item["record_id"] for item in findings] == ["T1", "T9"]  # not the 22nd's T5
    shown_runs = json.loads(read(done.path, "data/store/runs.json"))
    assert [run["run_id"] for run in shown_runs] == runs[:2]
    assert shown_runs[0]["policies"][0]["id"] == "leverage"
    cases = json.loads(read(done.path, "data/store/cases.json"))
    assert cases["log"] == {"events": 6, "ok": True, "problems": []}
    by_id = {case["case_id"]: case for case in cases["cases"]}
    assert set(by_id) == {1, 2}
    closed = by_id[1]
    assert (closed["status"], closed["resolution"], closed["assignee"]) == (
        "closed", "false_positive", "ana",
    )  # fmt: skip
    assert [(e["action"], e["actor"]) for e in closed["events"]] == [
        ("opened", "nightly"), ("joined", "nightly"), ("assigned", "lead"), ("noted", "ana"),
        ("closed", "ana"),
    ]  # fmt: skip  # the 22nd's T5 joined the case: its whole history is shown
    for case_id, case in by_id.items():  # the digests are the store's, and recompute
        assert [e["digest"] for e in case["events"]] == [e.digest for e in stored[case_id].events]
        for event in case["events"]:
            at = datetime.fromisoformat(event["at"])
            before, after = (None if v is None else json.dumps(v, sort_keys=True,
                             separators=(",", ":"), ensure_ascii=False)
                             for v in (event["before"], event["after"]))  # fmt: skip
            again = digest_of(event["previous"], case_id, at, event["actor"], event["action"],
                              before, after)  # fmt: skip
            assert again == event["digest"]
    assert by_id[1]["events"][0]["previous"] == GENESIS
    report = read(done.path, "data/report.html").decode()
    assert '<section id="cases"' in report
    assert 'id="case-1"' in report
    assert "professional client" in report
    assert "client&#39;s leverage election" in report
    with zipfile.ZipFile(done.path) as archive:
        assert "data/rerun.py" not in archive.namelist()  # each run re-runs on its own
    info = read(done.path, "bag-info.txt").decode()
    assert "Regkit-Store-Runs: 2\n" in info
    assert "Regkit-Store-Cases: 2\n" in info


def test_building_it_twice_gives_the_same_bytes_until_its_cases_change(
    store_url: str, tmp_path: Path
) -> None:
    with open_store(store_url) as store:
        record_days(store)
    first = pack_from_store(out=tmp_path / "a.zip", store=store_url, start=DAY_20, end=DAY_20)
    with open_store(store_url) as store:
        (other,) = [case for case in store.cases() if case.account_id == "A2"]
        store.assign(other.case_id, "bo", by="lead")  # a case of another day
    again = pack_from_store(out=tmp_path / "b.zip", store=store_url, start=DAY_20, end=DAY_20)
    assert first.path.read_bytes() == again.path.read_bytes()
    with open_store(store_url) as store:
        store.reopen(1, by="auditor", note="asked to look again")
    changed = pack_from_store(out=tmp_path / "c.zip", store=store_url, start=DAY_20, end=DAY_20)
    assert changed.path.read_bytes() != first.path.read_bytes()
    assert b"asked to look again" in read(changed.path, "data/store/cases.json")


def test_an_account_s_pack_holds_only_its_findings_and_cases(
    store_url: str, tmp_path: Path
) -> None:
    with open_store(store_url) as store:
        record_days(store)
    done = pack_from_store(out=tmp_path / "p.zip", store=store_url, account="A2")
    assert [f.record_id for f in done.result.findings] == ["T9"]
    cases = json.loads(read(done.path, "data/store/cases.json"))["cases"]
    assert [case["account_id"] for case in cases] == ["A2"]
    scope = json.loads(read(done.path, "data/scope.json"))
    assert (scope["accounts"], scope["period"]) == (["A2"], "all time")
    rows = list(csv.DictReader(io.StringIO(read(done.path, "data/store/findings.csv").decode())))
    assert [(row["record_id"], row["cases"]) for row in rows] == [("T9", str(cases[0]["case_id"]))]


def test_a_period_without_a_run_is_refused_by_name(store_url: str, tmp_path: Path) -> None:
    with open_store(store_url) as store:
        record_days(store)
    with pytest.raises(JobError, match="no run covers 2026-10-01 to 2026-10-31"):
        pack_from_store(out=tmp_path / "p.zip", store=store_url, start=date(2026, 10, 1),
                        end=date(2026, 10, 31))  # fmt: skip
    assert not (tmp_path / "p.zip").exists()
    with pytest.raises(TypeError, match="start must be a date"):
        pack_from_store(out=tmp_path / "p.zip", store=store_url, start="2026-11-20")  # type: ignore[arg-type]


def test_the_policy_packed_is_the_one_that_ran_with_its_parameter_overrides(
    tmp_path: Path,
) -> None:
    text = POLICY.replace('version: "1"', 'version: "1"\nparameters:\n  cap: 30').replace(
        "trade.leverage <= 30", "trade.leverage <= params.cap"
    )
    policy = parse_policy(text, "leverage.yaml", parameters={"cap": 40})
    result = rk.check(policy, trades=[trade(1, "45")], as_of="2026-11-30")
    with open_store(tmp_path / "s.db") as store:
        store.record(result)
        (stored,) = store.period().policies
    assert yaml.safe_load(stored.parameters or "") == {"cap": 40}
    loaded = stored.load()
    assert loaded is not None
    assert loaded.sha256 == policy.sha256
    done = pack_from_store(out=tmp_path / "p.zip", store=tmp_path / "s.db")
    (entry,) = json.loads(read(done.path, "data/policy/policies.json"))
    assert entry["sha256"] == policy.sha256
    assert entry["parameters"]
    assert yaml.safe_load(read(done.path, "data/" + entry["parameters"])) == {"cap": 40}


def test_one_run_s_pack_from_the_store_has_the_check_s_findings(tmp_path: Path) -> None:
    result = check([trade(1, "50"), trade(2, "60"), trade(3), trade(4)])
    with open_store(tmp_path / "s.db") as store:
        store.record(result, account_of=account_of)
    done = pack_from_store(out=tmp_path / "p.zip", store=tmp_path / "s.db")
    assert done.result.to_dict()["findings"] == result.to_dict()["findings"]
    assert done.result.input_fingerprints == result.input_fingerprints
    assert done.result.as_of == result.as_of


days = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(["10", "50"]), st.integers(20, 23)),
    min_size=1, max_size=12,
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trades=days, window=st.tuples(st.integers(19, 24), st.integers(0, 3)))
def test_a_period_holds_each_finding_of_its_runs_once(
    trades: list[tuple[int, str, int]], window: tuple[int, int]
) -> None:
    """The period read back agrees with the runs recorded: every finding of a run whose day
    is in the period, whose time is too, once (the last run's content)."""
    start = date(2026, 11, window[0])
    end = date(2026, 11, min(window[0] + window[1], 30))
    expected: dict[str, Any] = {}
    with open_store("sqlite://") as store:
        for day in range(20, 24):
            of_day = {n: (lev, d) for n, lev, d in trades if d <= day}  # a day re-checks its past
            result = check([trade(n, lev, day=d) for n, (lev, d) in sorted(of_day.items())])
            every = date(2026, 11, day)
            store.record(result, period=(every, every))
            if start <= every <= end:
                for finding in result.findings:
                    at = finding.at
                    if at is None or start <= at.astimezone(UTC).date() <= end:
                        expected[finding_key(finding)] = finding.to_dict()
        found = store.period(start, end)
    assert {item.key: item.finding.to_dict() for item in found.findings} == expected
    assert len(found.findings) == len(expected)


def test_a_store_that_is_not_there_is_named_not_made(tmp_path: Path) -> None:
    with pytest.raises(JobError, match=r"no store at .*nothing\.db"):
        pack_from_store(out=tmp_path / "p.zip", store=tmp_path / "nothing.db")
    assert not (tmp_path / "nothing.db").exists()


def test_a_pack_dated_before_its_runs_says_so(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        store.record(check([trade(1, "50")]))
    done = pack_from_store(out=tmp_path / "p.zip", store=tmp_path / "s.db",
                           created_at=datetime(2020, 1, 1, tzinfo=UTC))  # fmt: skip
    assert any("before the check it reports finished" in said for said in done.warnings)


def test_a_period_whose_runs_ran_two_policy_versions_packs_both(tmp_path: Path) -> None:
    """A policy changed mid-period: each version's exact text is in the pack, and the result
    lists both versions (as a check over several versions does)."""
    first = parse_policy(POLICY, "leverage.yaml")
    second = parse_policy(POLICY.replace('version: "1"', 'version: "2"'), "leverage.yaml")
    with open_store(tmp_path / "s.db") as store:
        for policy, day in ((first, 20), (second, 21)):
            result = rk.check(policy, trades=[trade(day, "50", day=day)], as_of=f"2026-11-{day}")
            every = date(2026, 11, day)
            store.record(result, period=(every, every))
    done = pack_from_store(out=tmp_path / "p.zip", store=tmp_path / "s.db")
    assert [v["version"] for v in done.result.policy_versions] == ["1", "2"]
    entries = json.loads(read(done.path, "data/policy/policies.json"))
    assert sorted((e["version"], e["sha256"]) for e in entries) == sorted(
        [("1", first.sha256), ("2", second.sha256)]
    )
    assert all(e["file"] for e in entries)
    assert audit_pack.verify(done.path).ok


def test_findings_a_run_did_not_keep_count_at_their_rule_s_severity(tmp_path: Path) -> None:
    """With --max-findings-per-rule, the rest are counted; a pack of days without a kept
    finding of the rule still counts them at the severity the stored policy gives."""
    policy = parse_policy(POLICY.replace("severity: high", "severity: medium"), "l.yaml")
    trades = [trade(n, "50", day=20 + n) for n in range(3)]
    result = rk.check(policy, trades=trades, as_of="2026-11-30", max_findings_per_rule=1)
    assert result.unlisted == {"LEV-CAP": 2}
    with open_store(tmp_path / "s.db") as store:
        store.record(result, period=(DAY_20, DAY_22))
        later = store.period(DAY_21, DAY_22).result()
    assert later.findings == []  # the kept finding is of the 20th
    assert later.unlisted_severity == {"LEV-CAP": "medium"}
    assert later.counts_by_severity == {"medium": 2}


# --- the submissions ledger of the period ------------------------------------------------------

SENT, AGAIN = datetime(2026, 11, 6, 22, 0, tzinfo=UTC), datetime(2026, 11, 7, 12, 0, tzinfo=UTC)
DAY_6, DAY_7 = date(2026, 11, 6), date(2026, 11, 7)
CON_472 = ("CON-472", "The underlying instrument is not in FIRDS reference data")
VR_2014 = ("EMIR-VR-2014-01", "The underlying identification is not valid")


@dataclass
class Ledger:
    """What :func:`build_ledger` sent and received: the trade rejected then corrected (X),
    the one pending then accepted (Y), the EMIR report left rejected (Z), and every file
    written."""

    x: str
    y: str
    z: str
    sent: list[Path]
    feedback: list[Path]


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


def render(
    url: str, name: str, trades: Path, created: datetime, *, resubmit: bool = False
) -> list[Path]:
    """A report of the sample's trades (``regkit report NAME --store``), beside them."""
    folder = trades.parent.parent
    return list(
        jobs.report(name, trades=trades, accounts=folder / "in/accounts.csv",
                    firm=folder / "in/firm.json", out=folder / name, created_at=created,
                    store=url, resubmit=resubmit)
    )  # fmt: skip


def build_ledger(url: str, folder: Path) -> Ledger:
    """The 6th's MiFIR and EMIR reports of 60 sample trades; the NCA rejects X (CON-472),
    leaves Y pending and names a reference it was never sent; the trade repository rejects
    Z; the NCA accepts Y; X, fixed, is sent again on the 7th and accepted. A check run
    covers both days (it finished before the answers, so the pack's date is the last one)."""
    jobs.samples(folder / "in", trades=60, format="csv")
    lei = json.loads((folder / "in/firm.json").read_text())["lei"]
    trades = folder / "in/trades.csv"
    sent = [*render(url, "mifir", trades, SENT), *render(url, "emir", trades, SENT)]
    with open_store(url) as store:
        (mifir,), (emir,) = store.submissions(regime="mifir"), store.submissions(regime="emir")
        x, y = store.transmissions(regime="mifir")[:2]
        z = store.transmissions(regime="emir")[0]
        result = dataclasses.replace(check([trade(1, day=6)]), finished_at=at(6, 21))
        store.record(result, period=(DAY_6, DAY_7))
    advice = {"authority": "CY", "firm": lei}
    answers = [
        ("a.xml", mifir_status_advice(submitted_message=mifir.message_id, verdicts=[
            Verdict(x.reference, "RJCT", (CON_472,)), Verdict(y.reference, "PDNG"),
            Verdict("T999999999", "RJCT", (CON_472,))], file_status="PART", created=at(7, 6),
            feedback_id="NCA-A", **advice)),
        ("e.xml", emir_rejections(reference_date=DAY_6, reporting_counterparty=lei, messages=[],
            verdicts=[Verdict(z.reference, "RJCT", (VR_2014,), "NEWT")], created=at(7, 7),
            feedback_id="TR-E", accepted_reports=1, accepted_transactions=emir.records - 1)),
        ("b.xml", mifir_status_advice(submitted_message=mifir.message_id,
            verdicts=[Verdict(y.reference, "ACPT")], file_status="RCVD", created=at(7, 9),
            feedback_id="NCA-B", **advice)),
    ]  # fmt: skip
    feedback = [write_feedback(folder / "feedback" / name, data) for name, data in answers]
    jobs.ingest_feedback(feedback, store=url)
    with trades.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:  # the desk's fix of X
        if row["trade_id"] == x.trade_id:
            row["price"] = str(float(row["price"]) + 0.0001)
    fixed = folder / "in/fixed.csv"
    with fixed.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    again = render(url, "mifir", fixed, AGAIN, resubmit=True)
    with open_store(url) as store:
        (resent,) = [s for s in store.submissions() if s.purpose == "resubmission"]
    accepted = mifir_status_advice(submitted_message=resent.message_id, verdicts=[],
                                   file_status="ACPT", created=at(7, 20), feedback_id="NCA-C",
                                   **advice)  # fmt: skip
    feedback.append(write_feedback(folder / "feedback" / "c.xml", accepted))
    jobs.ingest_feedback(feedback[-1:], store=url)
    return Ledger(x.reference, y.reference, z.reference, [*sent, *again], feedback)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_past_period_s_pack_holds_its_submissions_and_every_status_given(
    store_url: str, tmp_path: Path
) -> None:
    ledger = build_ledger(store_url, tmp_path)
    done = pack_from_store(out=tmp_path / "pack.zip", store=store_url, start=DAY_6, end=DAY_7)
    assert audit_pack.verify(done.path).ok
    text = read(done.path, "data/store/submissions.json").decode()
    held = json.loads(text)
    assert text == json.dumps(held, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert "ingested_at" not in text  # the store's own clock, not its content
    assert "recorded_at" not in text
    files = {item["file_name"]: item for item in held["submissions"]}
    assert {name: item["sha256"] for name, item in files.items()} == {
        path.name: sha256(path) for path in ledger.sent
    }
    assert {(item["regime"], item["purpose"], item["day"]) for item in files.values()} == {
        ("mifir", "report", "2026-11-06"), ("emir", "report", "2026-11-06"),
        ("mifir", "resubmission", "2026-11-07"),
    }  # fmt: skip
    assert all(len(item["transmissions"]) == item["records"] for item in files.values())
    assert [(f["file_name"], f["sha256"]) for f in held["feedback"]] == [
        (path.name, sha256(path)) for path in ledger.feedback
    ]
    assert [(u["code"], u["reference"], u["feedback_file"]) for u in held["unmatched"]] == [
        ("RJCT", "T999999999", "a.xml")
    ]
    with open_store(store_url) as store:
        ingested = store.statuses()
        current = {t.transmission_id: t.status for t in store.transmissions()}
    sent = [(file, record) for file in files.values() for record in file["transmissions"]]
    assert len(sent) == len(current)
    for _, record in sent:  # each record's statuses: every one ingested for it, in order
        mine = [s for s in ingested if s.transmission_id == record["transmission_id"]]
        now = current[record["transmission_id"]]
        assert [(s["feedback_file"], s["code"], s["outcome"], s["rules"], s["inferred"],
                 datetime.fromisoformat(s["created_at"]), s["current"])
                for s in record["statuses"]] == [
            (s.feedback_file, s.code, s.outcome, [list(rule) for rule in s.rules], s.inferred,
             s.created_at, now is not None and s.status_id == now.status_id) for s in mine
        ]  # fmt: skip
        assert record["outcome"] == ("pending" if now is None else now.outcome)
        assert record["statuses"][0]["created_at"].endswith("Z")
    by_reference: dict[str, list[tuple[str, list[tuple[str, bool]]]]] = {}
    for file, record in sent:
        codes = [(s["code"], s["current"]) for s in record["statuses"]]
        by_reference.setdefault(record["reference"], []).append((file["purpose"], codes))
    assert by_reference[ledger.x] == [
        ("report", [("RJCT", True)]),
        ("resubmission", [("ACPT", True)]),
    ]  # rejected, then corrected: both statuses, in order
    assert by_reference[ledger.y] == [("report", [("PDNG", False), ("ACPT", True)])]
    states = {(t["regime"], t["reference"]): t for t in held["transactions"]}
    assert states["mifir", ledger.x]["state"] == "corrected"
    assert len(states["mifir", ledger.x]["transmissions"]) == 2
    assert states["emir", ledger.z]["state"] == "rejected"
    (resent,) = [r for f, r in sent if f["purpose"] == "resubmission"]
    assert resent["corrects"]["file_name"] == next(
        f["file_name"]
        for f, r in sent
        if r["transmission_id"] == resent["corrects"]["transmission_id"]
    )
    info = read(done.path, "bag-info.txt").decode()
    assert "Regkit-Store-Submissions: 3\n" in info
    assert "Regkit-Created-At: 2026-11-07T20:00:00Z\n" in info  # the last answer's time
    report = read(done.path, "data/report.html").decode()
    section = report[report.index('<section id="submissions"') :]
    section = section[: section.index("</section>")]
    assert f"<code>{ledger.x}</code>" in section
    assert f"<code>{ledger.z}</code>" in section
    assert "CON-472: The underlying instrument is not in FIRDS reference data" in section
    assert "EMIR-VR-2014-01: The underlying identification is not valid" in section
    assert f"{len(states) - 2:,} accepted" in section  # the others, only in the JSON
    assert f"<code>{ledger.y}</code>" not in section  # sent once, accepted
    again = pack_from_store(out=tmp_path / "again.zip", store=store_url, start=DAY_6, end=DAY_7)
    assert again.path.read_bytes() == done.path.read_bytes()


def test_a_period_without_submissions_or_an_account_s_pack_has_no_ledger(
    store_url: str, tmp_path: Path
) -> None:
    """No submissions.json (and no section, no bag-info line) when the period holds no file
    and no feedback, or when the pack is of one account: the pack is then what it was
    before the ledger existed."""
    build_ledger(store_url, tmp_path)
    with open_store(store_url) as store:
        store.record(check([trade(2, day=20)]), period=(DAY_20, DAY_20))
    for name, kept in (("later", {"start": DAY_20, "end": DAY_20}), ("account", {"account": "A1"})):
        done = pack_from_store(out=tmp_path / f"{name}.zip", store=store_url, **kept)
        assert audit_pack.verify(done.path).ok
        with zipfile.ZipFile(done.path) as archive:
            assert "data/store/submissions.json" not in archive.namelist()
        assert "Regkit-Store-Submissions" not in read(done.path, "bag-info.txt").decode()
        assert 'id="submissions"' not in read(done.path, "data/report.html").decode()
