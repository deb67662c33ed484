"""Check runs kept over time: what a compliance team needs to know each morning, which
findings are new, which were seen before, which are gone, and what exactly ran."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from store_book import POLICY, account_of, check, trade

import regkit as rk
from regkit.errors import StoreError
from regkit.rules.policy import parse_policy
from regkit.store import finding_key, open_store, upgrade_store
from regkit.store.schema import METADATA


def test_a_new_store_has_the_tables_the_schema_describes(store_url: str) -> None:
    open_store(store_url).close()
    url = store_url if "://" in store_url else f"sqlite:///{store_url}"
    engine = create_engine(url)
    try:
        found = inspect(engine)
        assert set(found.get_table_names()) == set(METADATA.tables) | {"alembic_version"}
        for name, table in METADATA.tables.items():
            columns = {column["name"]: column for column in found.get_columns(name)}
            assert list(columns) == [column.name for column in table.columns], name
            for column in table.columns:
                assert columns[column.name]["nullable"] == column.nullable, (name, column.name)
            indexes = {index["name"]: index["column_names"] for index in found.get_indexes(name)}
            wanted = {index.name: [c.name for c in index.columns] for index in table.indexes}
            assert indexes == wanted, name
    finally:
        engine.dispose()


def test_the_same_breach_found_again_is_seen_and_a_fixed_one_is_gone(store_url: str) -> None:
    book = [trade(1, "50"), trade(2), trade(3), trade(4, "40")]
    with open_store(store_url) as store:
        first = store.record(check(book), account_of=account_of)
        assert (first.findings, first.new, first.seen, first.gone) == (3, 3, 0, 0)
        again = store.record(check(book), account_of=account_of)
        assert again.run_id != first.run_id  # a run of its own, at its own time
        assert (again.findings, again.new, again.seen, again.gone) == (3, 0, 3, 0)
        fixed = [trade(1, "50"), trade(2), trade(3), trade(4, "20")]
        third = store.record(check(fixed), account_of=account_of)
        assert (third.findings, third.new, third.seen, third.gone) == (2, 0, 2, 1)
        states = {f.record_id: state for state, f in store.run_findings(third.run_id)}
        assert states == {"T1": "seen", "T3": "seen"}  # T3: the busy day's episode
        back = store.record(check(book), account_of=account_of)
        assert (back.new, back.seen, back.gone) == (0, 3, 0)  # T4's breach is the same one


def test_a_run_over_another_day_or_account_does_not_close_findings_it_did_not_cover(
    store_url: str,
) -> None:
    monday = [trade(1, "50", day=16), trade(9, "50", day=16, account="A2")]
    with open_store(store_url) as store:
        store.record(check(monday), period=(date(2026, 11, 16), date(2026, 11, 16)),
                     account_of=account_of)  # fmt: skip
        tuesday = store.record(check([trade(2, day=17)]),
                               period=(date(2026, 11, 17), date(2026, 11, 17)))  # fmt: skip
        assert tuesday.gone == 0
        only_a1 = store.record(check([trade(9, "50", day=16, account="A2")]),
                               accounts=["A1"], account_of=account_of)  # fmt: skip
        assert only_a1.gone == 1  # T1 of account A1; T9 is A2's, and found again anyway
        whole = store.record(check([]), account_of=account_of)
        assert whole.gone == 1  # the rest: T9


def test_recording_the_same_result_twice_is_one_run(store_url: str) -> None:
    result = check([trade(1, "50")])
    with open_store(store_url) as store:
        first = store.record(result)
        second = store.record(result)
        assert second.run_id == first.run_id
        assert not second.created
        assert (second.findings, second.new) == (1, 1)
        assert len(store.runs()) == 1


def test_a_run_keeps_what_ran_and_on_what(store_url: str, tmp_path: Path) -> None:
    policy = parse_policy(POLICY, "leverage.yaml")
    result = rk.check(policy, trades=[trade(1, "50")], as_of="2026-11-30")
    source = tmp_path / "trades.csv"
    source.write_text("not read, only kept\n", encoding="utf-8")
    with open_store(store_url, inputs_dir=tmp_path / "kept") as store:
        recorded = store.record(result, inputs={"trades": source},
                                period=(date(2026, 11, 20), date(2026, 11, 20)))  # fmt: skip
        run = store.run(recorded.run_id[:12])
    assert run.policies == (("leverage", "1", policy.sha256),)
    ((name, fingerprint, records, kept),) = run.inputs
    assert (name, fingerprint, records) == ("trades", result.input_fingerprints["trades"], 1)
    assert kept is not None
    assert (tmp_path / "kept" / kept).read_bytes() == source.read_bytes()
    assert (run.as_of, run.started_at) == (result.as_of, result.started_at)
    assert run.period == (date(2026, 11, 20), date(2026, 11, 20))
    assert (run.findings, run.new, run.regkit_version) == (1, 1, rk.__version__)


def test_a_run_that_fails_midway_leaves_nothing(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regkit.store import runs

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("killed")

    with open_store(store_url) as store:
        monkeypatch.setattr(runs, "_mark_gone", broken)
        with pytest.raises(RuntimeError, match="killed"):
            store.record(check([trade(1, "50")]))
        monkeypatch.undo()
        assert store.runs() == []
        assert store.record(check([trade(1, "50")])).new == 1  # no half-written finding


def test_a_store_newer_than_this_regkit_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    url = store_url if "://" in store_url else f"sqlite:///{store_url}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="at revision 9999, newer than this regkit"):
        open_store(store_url)
    with pytest.raises(StoreError, match="newer than this regkit"):
        upgrade_store(store_url)


def test_a_database_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE trades (id INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match="holds tables but is not a regkit store"):
        open_store(path)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("nosuchdb://host/db", "not a database URL regkit can open"),
        ("postgresql+psycopg://regkit:secret@127.0.0.1:9/none", "cannot be opened"),
    ],
)
def test_a_store_that_does_not_connect_is_named_in_one_line(url: str, reason: str) -> None:
    with pytest.raises(StoreError, match=reason) as caught:
        open_store(url)
    assert "\n" not in str(caught.value)
    assert "secret" not in str(caught.value)


def test_wrong_arguments_are_refused_by_name(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.db") as store:
        with pytest.raises(TypeError, match="result must be a CheckResult"):
            store.record([])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="period must be two dates"):
            store.record(check([]), period=("2026-11-01", "2026-11-02"))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="accounts must be a sequence"):
            store.record(check([]), accounts="A1")
        with pytest.raises(StoreError, match="no run with an id starting 'abc'"):
            store.run("abc")
        with pytest.raises(TypeError, match="status must be a status or a list of them"):
            store.cases(status=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="url must be"):
        open_store(42)  # type: ignore[arg-type]


def test_a_finding_s_identity_is_its_rule_and_record_or_group_and_first_member() -> None:
    result = check([trade(1, "50"), trade(2), trade(3)])
    lev, busy = result.findings
    assert (lev.rule_id, busy.rule_id) == ("LEV-CAP", "BUSY-DAY")
    later = check([trade(1, "50"), trade(2), trade(3), trade(4)])
    assert [finding_key(f) for f in later.findings] == [finding_key(lev), finding_key(busy)]
    assert finding_key(lev) != finding_key(busy)


def test_the_store_defaults_to_the_environment_then_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regkit.store import store_url

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REGKIT_STORE", raising=False)
    assert store_url() == f"sqlite:///{tmp_path / 'regkit.db'}"
    monkeypatch.setenv("REGKIT_STORE", "postgresql+psycopg://u@h/db")
    assert store_url() == "postgresql+psycopg://u@h/db"
    assert store_url("x.db") == f"sqlite:///{tmp_path / 'x.db'}"


def _history(store: Any) -> tuple[Any, ...]:
    """Everything a store says about its runs, findings and cases."""
    period = store.period()
    found = [(f.key, f.state, f.runs, f.first_run, f.gone_run, f.account_id, f.cases,
              f.finding.to_dict()) for f in period.findings]  # fmt: skip
    listed = [(run.run_id, store.run_findings(run.run_id)) for run in store.runs()]
    cases = [store.case(case.case_id) for case in store.cases(status=None)]
    return found, listed, cases, store.verify().ok


def test_a_store_of_an_older_regkit_is_upgraded_and_keeps_its_history(store_url: str) -> None:
    """Revision 0004 changed how findings are kept: down to 0003 and up again, every run,
    finding (new, seen, gone, come back) and case reads back the same."""
    from alembic import command

    from regkit.store import _engine

    book = [trade(1, "50"), trade(2), trade(3), trade(4, "40")]
    fixed = [trade(1, "50"), trade(2), trade(3), trade(4, "20")]
    with open_store(store_url) as store:
        for books in (book, book, fixed, book, fixed):
            store.record(check(books), account_of=account_of, cases_from="low")
        store.close_case(store.cases()[0].case_id, "false_positive", note="test", by="a")
        before = _history(store)
    found, listed, cases, verified = before
    assert verified
    assert len(listed) == 5
    assert sorted(item[1] for item in found) == ["gone", "open", "open"]  # T4's: gone twice
    assert cases
    engine = _engine._engine(_engine.store_url(store_url))
    with engine.begin() as connection:  # back to the store as revision 0003 left it
        command.downgrade(_engine._config(connection), "0003")
        rows = connection.execute(text("SELECT COUNT(*) FROM run_findings")).scalar()
        assert rows == 13  # 3 + 3 + 2 + 3 + 2 findings, a row each
    engine.dispose()
    with pytest.raises(StoreError, match="at revision 0003, older than this regkit's 0005"):
        open_store(store_url)
    assert upgrade_store(store_url) == ("0003", "0005")
    with open_store(store_url) as store:
        assert _history(store) == before
        assert store.period().policies[0].parameters is None
        again = store.record(check(book), account_of=account_of)
        assert (again.new, again.seen, again.gone) == (0, 3, 0)  # T4's breach is back


def test_findings_whose_keys_share_their_first_64_bits_stay_apart(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``findings`` is looked up by the key's first 64 bits; the full key decides. With
    every key given the same 64 bits, the runs still tell each finding apart."""
    from regkit.store import period, runs

    monkeypatch.setattr(runs, "key_hash", lambda key: 7)
    monkeypatch.setattr(period, "key_hash", lambda key: 7)
    book = [trade(1, "50"), trade(2), trade(3), trade(4, "40")]
    fixed = [trade(1, "50"), trade(2), trade(3), trade(4, "20")]
    with open_store(store_url) as store:
        first = store.record(check(book), account_of=account_of)
        assert (first.new, first.seen, first.gone) == (3, 0, 0)
        again = store.record(check(fixed), account_of=account_of)
        assert (again.new, again.seen, again.gone) == (0, 2, 1)
        found = {item.finding.record_id: item.state for item in store.period().findings}
        assert found == {"T1": "open", "T3": "open", "T4": "gone"}
