"""Cases: opened from new findings, worked through a workflow that refuses what it must, and
every change kept in a log whose chain of digests shows any change to it."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from store_book import check, trade

from regkit.errors import StoreError
from regkit.store import Store, open_store


def account_of(finding: Any) -> str | None:
    return {"T1": "A1", "T2": "A1", "T3": "A2", "T4": "A1"}.get(finding.record_id, "A1")


def sql(store_url: str, statement: str) -> None:
    engine = create_engine(store_url if "://" in store_url else f"sqlite:///{store_url}")
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def test_new_breaches_open_a_case_per_rule_and_account_and_later_ones_join_it(
    store_url: str,
) -> None:
    with open_store(store_url) as store:
        first = store.record(check([trade(1, "50"), trade(3, "50", account="A2")]),
                             account_of=account_of, by="nightly")  # fmt: skip
        assert (first.cases_opened, first.cases_joined) == (2, 0)
        again = store.record(check([trade(1, "50"), trade(3, "50", account="A2"),
                                    trade(4, "45")]), account_of=account_of)  # fmt: skip
        assert (again.new, again.cases_opened, again.cases_joined) == (1, 0, 1)
        (a1,) = store.cases(account="A1")
        assert (a1.rule_id, a1.group, a1.status, a1.severity) == (
            "LEV-CAP",
            ("account", "A1"),
            "open",
            "high",
        )
        case = store.case(a1.case_id)
        assert len(case.findings) == 2
        assert [(e.action, e.actor) for e in case.events] == [
            ("opened", "nightly"),
            ("joined", case.events[1].actor),
        ]
        assert case.events[1].after is not None
        assert case.events[1].after["run"] == again.run_id


def test_low_findings_open_no_case_unless_asked(store_url: str, tmp_path: Any) -> None:
    busy = check([trade(1), trade(2), trade(3)])  # BUSY-DAY, a low finding
    with open_store(store_url) as store:
        assert (store.record(busy).new, store.cases()) == (1, [])
    with open_store(tmp_path / "asked.db") as store:
        assert store.record(busy, cases_from="low").cases_opened == 1
        (case,) = store.cases(severity="low")
        assert (case.rule_id, case.group) == ("BUSY-DAY", ("A1",))


def test_the_workflow_keeps_every_change_with_who_and_what_before(store_url: str) -> None:
    with open_store(store_url) as store:
        store.record(check([trade(1, "50")]), account_of=account_of, by="nightly")
        (case,) = store.cases()
        number = case.case_id
        store.assign(number, "ana", by="lead")
        store.set_status(number, "investigating", by="ana", note="looking at the LP fills")
        store.note(number, "client confirmed the order", by="ana")
        store.due(number, date(2026, 12, 10), by="lead")
        store.close_case(number, "false_positive", by="ana", note="a test account")
        closed = store.case(number)
        assert (closed.status, closed.resolution, closed.assignee) == (
            "closed",
            "false_positive",
            "ana",
        )
        assert closed.closed_at is not None
        reopened = store.reopen(number, by="lead", note="not a test account after all")
        assert (reopened.status, reopened.resolution, reopened.closed_at) == ("open", None, None)
        events = store.case(number).events
        assert [(e.action, e.actor) for e in events] == [
            ("opened", "nightly"), ("assigned", "lead"), ("status", "ana"), ("noted", "ana"),
            ("due", "lead"), ("closed", "ana"), ("reopened", "lead"),
        ]  # fmt: skip
        assert events[1].before == {"assignee": None}
        assert events[1].after == {"assignee": "ana"}
        assert events[2].before == {"status": "open"}
        assert events[2].after == {"status": "investigating", "note": "looking at the LP fills"}
        assert events[4].after == {"due_on": "2026-12-10"}
        assert store.verify().ok


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s, n: s.set_status(n, "closed", by="x"), "close it with a resolution"),
        (lambda s, n: s.set_status(n, "archived", by="x"), "no status 'archived'"),
        (lambda s, n: s.close_case(n, "fixed", by="x"), "closes as one of breach_confirmed"),
        (lambda s, n: s.reopen(n, by="x"), "only a closed case is reopened"),
        (lambda s, n: s.snooze(n, datetime(2020, 1, 1, tzinfo=UTC), by="x"), "ends later"),
        (lambda s, n: s.assign(n + 100, "x", by="x"), "no case"),
    ],
)
def test_a_change_the_workflow_forbids_is_refused_and_nothing_is_written(
    tmp_path: Any, change: Any, reason: str
) -> None:
    with open_store(tmp_path / "s.db") as store:
        store.record(check([trade(1, "50")]), account_of=account_of, by="nightly")
        (case,) = store.cases()
        with pytest.raises(StoreError, match=reason):
            change(store, case.case_id)
        assert [e.action for e in store.case(case.case_id).events] == ["opened"]


def test_escalated_cases_go_back_to_investigating_not_straight_to_open(tmp_path: Any) -> None:
    with open_store(tmp_path / "s.db") as store:
        store.record(check([trade(1, "50")]), account_of=account_of)
        (case,) = store.cases()
        store.set_status(case.case_id, "escalated", by="ana")
        with pytest.raises(StoreError, match=r"case 1 \(escalated\): cannot move to open"):
            store.set_status(case.case_id, "open", by="ana")
        assert store.set_status(case.case_id, "investigating", by="ana").status == "investigating"


def test_lists_filter_by_status_rule_account_severity_age_and_snooze(tmp_path: Any) -> None:
    with open_store(tmp_path / "s.db") as store:
        store.record(check([trade(1, "50"), trade(3, "50", account="A2")]),
                     account_of=account_of)  # fmt: skip
        one, two = store.cases()
        store.close_case(two.case_id, "remediated", by="ana")
        assert store.cases() == [one]
        assert [c.case_id for c in store.cases(status="closed")] == [two.case_id]
        assert len(store.cases(status=["open", "closed"])) == 2
        assert store.cases(rule="BUSY-DAY") == []
        assert store.cases(severity="critical") == []
        assert store.cases(severity="high") == [one]
        assert store.cases(older_than=timedelta(days=1)) == []
        store.snooze(one.case_id, datetime.now(UTC) + timedelta(days=3), by="ana")
        assert store.cases(snoozed=False) == []
        assert [c.case_id for c in store.cases()] == [one.case_id]


def test_the_database_refuses_to_change_an_event_and_a_changed_one_is_found(
    store_url: str,
) -> None:
    with open_store(store_url) as store:
        store.record(check([trade(1, "50"), trade(3, "50", account="A2")]),
                     account_of=account_of, by="nightly")  # fmt: skip
        first, _ = store.cases()
        store.note(first.case_id, "called the client", by="ana")
        store.close_case(first.case_id, "remediated", by="ana")
        assert store.verify().ok
        assert store.verify().events == 4
    with pytest.raises(Exception, match="case_events is append-only"):
        sql(store_url, "UPDATE case_events SET actor = 'someone else' WHERE action = 'noted'")
    with pytest.raises(Exception, match="case_events is append-only"):
        sql(store_url, "DELETE FROM case_events WHERE action = 'noted'")
    # Someone with the database's owner rights drops the guard: the chain still tells.
    if store_url.startswith("postgresql"):
        sql(store_url, "DROP TRIGGER case_events_append_only ON case_events")
    else:
        sql(store_url, "DROP TRIGGER case_events_no_update")
        sql(store_url, "DROP TRIGGER case_events_no_delete")
    sql(store_url, "UPDATE case_events SET actor = 'someone else' WHERE action = 'noted'")
    with open_store(store_url) as store:
        check_ = store.verify()
        assert not check_.ok
        assert any("does not match its digest: it was changed" in p for p in check_.problems)
    sql(store_url, "DELETE FROM case_events WHERE action = 'noted'")
    with open_store(store_url) as store:
        problems = store.verify().problems
        assert any("was taken out or put in" in p for p in problems)


def test_a_finding_that_names_a_run_or_case_not_in_the_store_is_found(store_url: str) -> None:
    """A finding's runs and case are not foreign keys (PostgreSQL would check them row by
    row while a run is written): verify checks them instead."""
    with open_store(store_url) as store:
        store.record(check([trade(1, "50"), trade(3, "50", account="A2")]),
                     account_of=account_of)  # fmt: skip
        store.record(check([trade(1, "50")]), account_of=account_of)
        assert store.verify().ok
    sql(store_url, "UPDATE findings SET case_id = 999, first_run = 'x' WHERE record_id = 'T1'")
    sql(store_url, "DELETE FROM findings WHERE state = 'gone'")  # T3's, gone in the second run
    with open_store(store_url) as store:
        assert set(store.verify().problems) == {
            "1 findings name a first run the store does not hold",
            "1 findings name a case the store does not hold",
            "1 gone findings name a finding the store does not hold",
        }
        with pytest.raises(StoreError, match="which the store does not hold"):
            store.period()  # T3's, in the first run's block


STEPS = ["assign", "note", "investigate", "escalate", "back", "close", "reopen", "snooze", "due"]
ACTIONS = st.lists(st.sampled_from(STEPS), max_size=12)


def _apply(store: Store, number: int, action: str) -> None:
    soon = datetime.now(UTC) + timedelta(days=1)
    calls = {
        "assign": lambda: store.assign(number, "ana", by="lead"),
        "note": lambda: store.note(number, "seen", by="ana"),
        "investigate": lambda: store.set_status(number, "investigating", by="ana"),
        "escalate": lambda: store.set_status(number, "escalated", by="ana"),
        "back": lambda: store.set_status(number, "open", by="ana"),
        "close": lambda: store.close_case(number, "breach_confirmed", by="ana"),
        "reopen": lambda: store.reopen(number, by="lead"),
        "snooze": lambda: store.snooze(number, soon, by="ana"),
        "due": lambda: store.due(number, date(2026, 12, 24), by="lead"),
    }
    with contextlib.suppress(StoreError):  # forbidden here: refused, nothing written
        calls[action]()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(actions=ACTIONS)
def test_a_case_is_what_its_events_say_and_its_log_verifies(
    tmp_path_factory: pytest.TempPathFactory, actions: list[str]
) -> None:
    path = tmp_path_factory.mktemp("cases") / "s.db"
    with open_store(path) as store:
        store.record(check([trade(1, "50")]), account_of=account_of, by="nightly")
        (case,) = store.cases()
        for action in actions:
            _apply(store, case.case_id, action)
        final = store.case(case.case_id)
        replayed: dict[str, Any] = {"status": "open", "resolution": None, "assignee": None,
                                    "due_on": None}  # fmt: skip
        for event in final.events[1:]:
            assert event.after is not None
            for name in replayed:
                if name in event.after:
                    replayed[name] = event.after[name]
        due = None if final.due_on is None else final.due_on.isoformat()
        assert replayed == {"status": final.status, "resolution": final.resolution,
                            "assignee": final.assignee, "due_on": due}  # fmt: skip
        assert store.verify().ok


def test_cases_read_together_are_the_cases_read_one_by_one(store_url: str) -> None:
    from regkit.store.cases import load_case, load_cases

    with open_store(store_url) as store:
        store.record(check([trade(1, "50"), trade(3, "50", account="A2")]), account_of=account_of)
        store.record(check([trade(1, "50"), trade(3, "50", account="A2"), trade(4, "45")]),
                     account_of=account_of)  # fmt: skip
        store.assign(1, "ana", by="lead")
        with store._engine.connect() as connection:
            ids = [2, 1]
            one_by_one = [load_case(connection, n, history=True) for n in ids]
            assert load_cases(connection, ids) == one_by_one
            with pytest.raises(StoreError, match="no case 99"):
                load_cases(connection, [1, 99])


def test_a_case_opened_by_a_run_takes_findings_of_its_later_blocks(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's findings are written a block at a time, each with its case: a case opened by
    the first block is joined by the later ones, in one ``opened`` event, at the gravest
    severity of them all."""
    from regkit.rules.findings import CheckResult, Finding
    from regkit.store import finding_key, runs

    monkeypatch.setattr(runs, "BLOCK", 2)
    moment = datetime(2026, 11, 20, 9, tzinfo=UTC)
    found = [
        Finding("R-CAP", severity, "trade", f"T{n}", "over the cap", at=moment)
        for n, severity in enumerate(["low", "low", "medium", "low", "high"])
    ]
    result = CheckResult(findings=found, policy_id="p", policy_version="1",
                         policy_sha256="0" * 64, started_at=moment, finished_at=moment,
                         rules_evaluated=("R-CAP",))  # fmt: skip
    with open_store(store_url) as store:
        recorded = store.record(result, account_of=lambda f: "A1", cases_from="low")
        assert (recorded.cases_opened, recorded.cases_joined) == (1, 0)
        (case,) = store.cases()
        case = store.case(case.case_id)
        assert case.severity == "high"
        assert case.findings == tuple(finding_key(f) for f in found)
        assert [event.action for event in case.events] == ["opened"]
        assert case.events[0].after is not None
        assert case.events[0].after["severity"] == "high"
        assert store.verify().ok
