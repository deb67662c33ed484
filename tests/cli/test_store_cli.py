"""The history store from the command line, as a compliance officer's morning goes: check
with --store, see what is new, work the cases, verify the log."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest

from regkit.cli import main
from regkit.errors import StoreError
from regkit.rules.findings import CheckResult
from regkit.samples import SampleConfig, write_samples
from regkit.store import open_store
from regkit.store.cases import STATUSES


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("brokerage")
    write_samples(folder, SampleConfig(trades=400), "parquet")
    return folder


def check(folder: Path, store: Path, *extra: str) -> int:
    files = [f"--{name}" for name in ("trades", "accounts")]
    paths = [str(folder / f"{name}.parquet") for name in ("trades", "accounts")]
    out = str(store.parent / "findings.json")
    args = ["check", "--policy", "esma-cfd-retail", files[0], paths[0], files[1], paths[1],
            "--as-of", "2026-11-20T00:00:00Z", "--fail-on", "critical", "--out", out,
            "--store", str(store), "--by", "nightly"]  # fmt: skip
    return main([*args, *extra])


def test_a_second_check_sees_the_same_breaches_again(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "regkit.db"
    assert check(brokerage, store) == 0
    first = capsys.readouterr().err
    found = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert f": {len(found)} new, 0 seen again, 0 gone;" in first
    assert check(brokerage, store) == 0
    assert f": 0 new, {len(found)} seen again, 0 gone; 0 cases opened" in capsys.readouterr().err
    assert main(["runs", "list", "--store", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run", "finished", "policies", "findings", "new", "seen", "gone"]
    n = str(len(found))
    assert [line.split()[-4:] for line in lines[1:]] == [[n, n, "0", "0"], [n, "0", n, "0"]]
    run_id = lines[1].split()[0]
    assert main(["runs", "show", run_id, "--store", str(store)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["policies"][0]["id"] == "esma-cfd-retail"
    assert {item["name"] for item in shown["inputs"]} == {"trades", "accounts"}
    assert (shown["findings"], shown["new"]) == (len(found), len(found))


def test_cases_are_listed_by_account_worked_and_their_log_verifies(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "regkit.db"
    check(brokerage, store)
    capsys.readouterr()
    assert main(["cases", "list", "--store", str(store), "--format", "json"]) == 0
    cases = json.loads(capsys.readouterr().out)
    assert cases, "the sample book plants high findings: cases are opened"
    trades = pl.read_parquet(brokerage / "trades.parquet", columns=["trade_id", "account_id"])
    accounts = set(trades.get_column("account_id").to_list())
    assert all(case["account"] in accounts for case in cases)
    first = cases[0]
    assert main(["cases", "list", "--store", str(store), "--account", first["account"],
                 "--format", "csv"]) == 0  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["account"] for row in rows} == {first["account"]}
    number = first["case"]
    base = ["--store", str(store), "--by", "ana"]
    assert main(["cases", "assign", number, "ana", *base]) == 0
    assert main(["cases", "status", number, "investigating", *base]) == 0
    assert main(["cases", "note", number, "asked the dealing desk", *base]) == 0
    assert main(["cases", "close", number, "--resolution", "remediated", *base]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"case {number}: closed (remediated)"
    assert main(["cases", "show", number, "--store", str(store)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in shown["events"]] == ["opened", "assigned", "status", "noted",
                                                      "closed"]  # fmt: skip
    assert {e["by"] for e in shown["events"][1:]} == {"ana"}
    assert main(["store", "verify", "--store", str(store)]) == 0
    assert "case log intact" in capsys.readouterr().out


def test_a_change_the_workflow_forbids_exits_2_with_one_line(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "regkit.db"
    check(brokerage, store)
    capsys.readouterr()
    base = ["--store", str(store), "--by", "ana"]
    assert main(["cases", "close", "1", "--resolution", "fixed", *base]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("regkit cases: error: case 1 (open): a case closes as one of")
    assert main(["cases", "reopen", "1", *base]) == 2
    assert "only a closed case is reopened" in capsys.readouterr().err
    assert main(["cases", "show", "999999", "--store", str(store)]) == 2
    assert "no case 999999" in capsys.readouterr().err
    assert main(["runs", "show", "zzz", "--store", str(store)]) == 2
    assert "no run with an id starting 'zzz'" in capsys.readouterr().err


def test_upgrade_makes_or_keeps_a_store_at_this_regkit_s_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "new.db")
    assert main(["store", "upgrade", "--store", store]) == 0
    assert capsys.readouterr().out.startswith("store at revision ")
    assert main(["store", "upgrade", "--store", store]) == 0
    assert "(was" not in capsys.readouterr().out


def test_keep_inputs_copies_each_record_file_beside_the_store(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "regkit.db"
    assert check(brokerage, store, "--keep-inputs") == 0
    capsys.readouterr()
    assert main(["runs", "list", "--store", str(store)]) == 0
    run_id = capsys.readouterr().out.splitlines()[1].split()[0]
    assert main(["runs", "show", run_id, "--store", str(store)]) == 0
    inputs = {item["name"]: item for item in json.loads(capsys.readouterr().out)["inputs"]}
    for name in ("trades", "accounts"):
        kept = tmp_path / "regkit.db.inputs" / inputs[name]["kept"]
        original = (brokerage / f"{name}.parquet").read_bytes()
        assert kept.read_bytes() == original
        assert kept.name == hashlib.sha256(original).hexdigest() + ".parquet"  # named by it


def test_a_server_store_without_a_folder_for_inputs_refuses_to_keep_them(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from regkit import jobs

    result = jobs.check_files("esma-cfd-retail", trades=brokerage / "trades.parquet",
                              as_of="2026-11-20")  # fmt: skip
    with pytest.raises(StoreError, match="has no folder for inputs"):
        jobs.record_check(result, {"trades": brokerage / "trades.parquet"},
                          store="sqlite://", keep_inputs=True)  # fmt: skip


def test_keep_inputs_copies_each_record_file_to_an_object_store(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fsspec's in-memory filesystem stands for S3 (the same calls, no network)."""
    import fsspec

    bucket = f"memory://bucket-{tmp_path.name}/inputs"
    store = tmp_path / "regkit.db"
    assert check(brokerage, store, "--keep-inputs", "--inputs-dir", bucket) == 0
    assert check(brokerage, store, "--keep-inputs", "--inputs-dir", bucket,
                 "--as-of", "2026-11-21T00:00:00Z") == 0  # fmt: skip
    filesystem, root = fsspec.core.url_to_fs(bucket)
    kept = sorted(filesystem.ls(root, detail=False))
    assert len(kept) == 2, "the same files kept by two runs are one copy each"
    original = (brokerage / "trades.parquet").read_bytes()
    name = hashlib.sha256(original).hexdigest() + ".parquet"
    with filesystem.open(f"{root}/{name}", "rb") as handle:
        assert handle.read() == original
    assert not (tmp_path / "regkit.db.inputs").exists()


def test_an_object_store_that_cannot_take_the_copy_is_named(tmp_path: Path) -> None:
    from regkit.store import open_store

    result = check_result(tmp_path)
    with open_store(tmp_path / "s.db", inputs_dir="nosuchfs://bucket/x") as store:
        with pytest.raises(StoreError, match="inputs at nosuchfs://bucket/x: cannot keep"):
            store.record(result, inputs={"trades": tmp_path / "t.csv"})
        assert store.runs() == []


def check_result(folder: Path) -> CheckResult:
    import regkit as rk

    (folder / "t.csv").write_text("x\n")
    return rk.check(rk.load_policy("esma-cfd-retail"), trades=[], as_of="2026-11-20")


def test_pack_store_builds_the_period_s_pack_with_each_case_s_timeline(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "regkit.db"
    check(brokerage, store)
    base = ["--store", str(store), "--by", "ana"]
    assert main(["cases", "close", "1", "--resolution", "false_positive", *base]) == 0
    capsys.readouterr()
    packs = [tmp_path / "a.zip", tmp_path / "b.zip"]
    for out in packs:
        assert main(["pack", "--store", str(store), "--out", str(out), "--quiet"]) == 0
    said = capsys.readouterr().out
    assert f"{packs[0]}: " in said
    assert "findings of the store's runs" in said
    assert packs[0].read_bytes() == packs[1].read_bytes()
    assert main(["verify", str(packs[0])]) == 0
    with zipfile.ZipFile(packs[0]) as archive:
        cases = json.loads(archive.read("data/store/cases.json"))["cases"]
    assert [e["action"] for e in cases[0]["events"]][-1] == "closed"


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--policy", "aml"], "drop --policy"),
        (["--trades", "t.parquet"], "drop --trades"),
    ],
)
def test_pack_store_refuses_what_only_a_fresh_check_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], said: str
) -> None:
    args = ["pack", "--store", str(tmp_path / "s.db"), "--out", str(tmp_path / "p.zip")]
    assert main([*args, *extra]) == 2
    assert said in capsys.readouterr().err


def test_pack_needs_a_policy_or_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "--out", str(tmp_path / "p.zip")]) == 2
    assert "give --policy (or --store" in capsys.readouterr().err


def test_a_day_s_file_closes_as_gone_only_that_day_s_findings(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A daily job checks each day's file: Tuesday's run covers Tuesday, so Monday's
    breaches, not in Tuesday's file, stay open (the run's days are its records')."""
    trades = pl.read_parquet(brokerage / "trades.parquet")
    days = trades.get_column("executed_at").dt.date().unique().sort().to_list()
    store = tmp_path / "regkit.db"
    for day in days[:2]:
        path = tmp_path / f"trades-{day}.parquet"
        trades.filter(pl.col("executed_at").dt.date() == day).write_parquet(path)
        args = ["check", "--policy", "esma-cfd-retail", "--trades", str(path), "--accounts",
                str(brokerage / "accounts.parquet"), "--as-of", "2026-11-30T00:00:00Z",
                "--fail-on", "critical", "--out", str(tmp_path / "f.json")]  # fmt: skip
        assert main([*args, "--store", str(store)]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if "regkit check: run" in line]
    assert len(said) == 2
    assert all(" 0 gone;" in line for line in said), said
    with open_store(store) as opened:
        assert [run.period for run in opened.runs()] == [(day, day) for day in days[:2]]
        assert {case.status for case in opened.cases(status=list(STATUSES))} == {"open"}
