"""Audit packs: deterministic BagIt zips that verify, and refuse tampering and zip-slip."""

from __future__ import annotations

import dataclasses
import html as html_module
import importlib.resources
import io
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import warnings
import zipfile
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import bagit  # type: ignore[import-untyped]
import polars as pl
import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import regkit as rk
from regkit.reports import audit_pack, html
from regkit.reports.audit_pack import SIGNATURE_FILE, build, verify
from regkit.samples import SampleConfig, SampleSet, generate

CREATED = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)
MIFIR = Path(__file__).parent / "data" / "mifir_auth016_new_equity_cfd_minimal.xml"

#: Every entry of the signed pack with inputs and an attachment, in the zip's order.
ENTRIES = (
    "bagit.txt",
    "data/findings.csv",
    "data/findings.json",
    "data/inputs/accounts.jsonl",
    "data/inputs/trades.jsonl",
    "data/inputs/inputs.json",
    "data/policy/esma-cfd-retail-2026.1.yaml",
    "data/policy/policies.json",
    f"data/regulator/{MIFIR.name}",
    "data/regulator/validation.json",
    "data/rerun.py",
    "data/scope.json",
    "data/report.html",
    "bag-info.txt",
    "manifest-sha256.txt",
    "tagmanifest-sha256.txt",
    SIGNATURE_FILE,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture(scope="module")
def sample() -> SampleSet:
    return generate(SampleConfig(trades=400, seed=11, leverage_breach_per_mille=200))


@pytest.fixture(scope="module")
def policy() -> rk.Policy:
    return rk.load_policy("esma-cfd-retail")


@pytest.fixture(scope="module")
def result(sample: SampleSet, policy: rk.Policy) -> rk.CheckResult:
    checked = rk.check(
        policy, trades=sample.trades, accounts=sample.accounts, as_of=CREATED, engine="python"
    )
    assert checked.findings, "the sample should plant leverage breaches"
    return checked


@pytest.fixture(scope="module")
def signed_pack(
    tmp_path_factory: pytest.TempPathFactory, sample: SampleSet, result: rk.CheckResult
) -> Path:
    out = tmp_path_factory.mktemp("signed") / "pack.zip"
    return build(
        result,
        out,
        attachments=[MIFIR],
        inputs={"trades": sample.trades, "account": sample.accounts},
        title="Q4 review",
        organization="Example Markets Ltd",
        signer=KEY,
    )


def rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of a zip with each entry's content passed through ``change`` (None drops it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info, data)
    return target


def flip_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


# --- building ---------------------------------------------------------------------------------


def test_the_pack_holds_every_entry_in_a_fixed_order(
    signed_pack: Path, result: rk.CheckResult
) -> None:
    with zipfile.ZipFile(signed_pack) as archive:
        infos = archive.infolist()
    assert tuple(info.filename for info in infos) == ENTRIES
    done = result.finished_at.replace(microsecond=0)
    for info in infos:  # a zip keeps even seconds
        assert timedelta(0) <= done - datetime(*info.date_time, tzinfo=UTC) < timedelta(seconds=2)
        assert info.external_attr >> 16 == stat.S_IFREG | 0o644
        assert info.create_system == 3


def test_same_inputs_give_the_same_bytes(
    tmp_path: Path, sample: SampleSet, result: rk.CheckResult, signed_pack: Path
) -> None:
    again = build(
        result,
        tmp_path / "elsewhere" / "other-name.zip",
        attachments=[MIFIR],
        inputs={"trades": iter(sample.trades), "accounts": sample.accounts},
        title="Q4 review",
        organization="Example Markets Ltd",
        signer=KEY,
    )
    assert again.read_bytes() == signed_pack.read_bytes()


def test_created_at_defaults_to_the_end_of_the_check(
    tmp_path: Path, result: rk.CheckResult
) -> None:
    first = build(result, tmp_path / "a.zip")
    second = build(result, tmp_path / "b.zip")
    assert first.read_bytes() == second.read_bytes()
    info = verify(first).info
    assert info["Bagging-Date"] == (result.finished_at.date().isoformat(),)


def test_two_checks_of_the_same_inputs_give_the_same_pack(
    tmp_path: Path, sample: SampleSet, policy: rk.Policy
) -> None:
    """Two runs of the same check differ only in their wall-clock times, which the pack
    leaves out: with the same created_at, their packs are byte for byte the same."""
    packs = []
    for name in ("first", "second"):
        checked = rk.check(policy, trades=sample.trades, accounts=sample.accounts, as_of=CREATED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", audit_pack.PackWarning)  # dated before the run
            pack = build(
                checked,
                tmp_path / f"{name}.zip",
                inputs={"trades": sample.trades, "accounts": sample.accounts},
                created_at=CREATED,
                signer=KEY,
            )
        packs.append(pack)
    first, second = packs
    assert first.read_bytes() == second.read_bytes()


def test_the_pack_holds_no_wall_clock_time_of_the_check(
    tmp_path: Path, result: rk.CheckResult
) -> None:
    ran = dataclasses.replace(
        result,
        started_at=datetime(2026, 12, 1, 9, 15, 1, 123456, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 9, 15, 3, 654321, tzinfo=UTC),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", audit_pack.PackWarning)
        pack = build(ran, tmp_path / "p.zip", created_at=CREATED)
    with zipfile.ZipFile(pack) as archive:
        for name in archive.namelist():
            text = archive.read(name).decode("utf-8", "replace")
            assert "09:15" not in text, name
            assert "2026-12-01" not in text, name


def test_findings_are_the_results_json_and_csv(signed_pack: Path, result: rk.CheckResult) -> None:
    with zipfile.ZipFile(signed_pack) as archive:
        packed = json.loads(archive.read("data/findings.json"))
        assert archive.read("data/findings.csv").decode() == result.to_csv()
    expected = result.to_dict()
    del expected["started_at"], expected["finished_at"]
    assert packed == expected
    assert list(packed) == list(expected)


def _findings_json(result: rk.CheckResult) -> str:
    """What ``findings.json`` holds: ``result.to_json()`` without the run's wall-clock times."""
    data = result.to_dict()
    del data["started_at"], data["finished_at"]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def test_findings_stream_in_slices_to_the_same_bytes(
    tmp_path: Path, result: rk.CheckResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    import regkit.rules.findings as findings_module

    monkeypatch.setattr(findings_module, "_CSV_BLOCK", 3)
    with zipfile.ZipFile(build(result, tmp_path / "p.zip")) as archive:
        assert archive.read("data/findings.json").decode() == _findings_json(result)
        assert archive.read("data/findings.csv").decode() == result.to_csv()


def test_no_findings_still_make_a_valid_pack(tmp_path: Path, result: rk.CheckResult) -> None:
    empty = dataclasses.replace(result, findings=[])
    pack = build(empty, tmp_path / "empty.zip")
    assert verify(pack).ok
    with zipfile.ZipFile(pack) as archive:
        assert archive.read("data/findings.json").decode() == _findings_json(empty)
        assert "No findings." in archive.read("data/report.html").decode()


def test_record_inputs_hash_to_the_results_fingerprints(
    signed_pack: Path, result: rk.CheckResult
) -> None:
    manifest = verify(signed_pack)
    assert manifest.ok
    with zipfile.ZipFile(signed_pack) as archive:
        lines = archive.read("manifest-sha256.txt").decode().splitlines()
        inputs = json.loads(archive.read("data/inputs/inputs.json"))
    hashes = {path: digest for digest, path in (line.split("  ", 1) for line in lines)}
    for name in ("trades", "accounts"):
        assert hashes[f"data/inputs/{name}.jsonl"] == result.input_fingerprints[name]
        assert inputs[name]["fingerprint"] == result.input_fingerprints[name]
        assert inputs[name]["file"] == f"inputs/{name}.jsonl"


def test_fingerprints_only_writes_no_records(tmp_path: Path, result: rk.CheckResult) -> None:
    for inputs in ("fingerprints", None):
        pack = build(result, tmp_path / f"{inputs}.zip", inputs=inputs)
        with zipfile.ZipFile(pack) as archive:
            names = archive.namelist()
            summary = json.loads(archive.read("data/inputs/inputs.json"))
        assert [n for n in names if n.startswith("data/inputs/")] == ["data/inputs/inputs.json"]
        assert summary == {
            "accounts": {
                "records": result.records_checked["account"],
                "fingerprint": result.input_fingerprints["accounts"],
                "file": None,
            },
            "trades": {
                "records": result.records_checked["trade"],
                "fingerprint": result.input_fingerprints["trades"],
                "file": None,
            },
        }


def test_frames_are_written_as_parquet(
    tmp_path: Path, sample: SampleSet, result: rk.CheckResult
) -> None:
    frame = rk.read_frame(sample_file(tmp_path, sample), rk.Trade)
    first = build(result, tmp_path / "a.zip", inputs={"trades": frame})
    with zipfile.ZipFile(first) as archive:
        data = archive.read("data/inputs/trades.parquet")
    written = pl.read_parquet(data)
    assert "notional" not in written.columns, "derived columns are no record's"
    assert written.equals(frame.frame.drop("notional"))
    second = build(result, tmp_path / "b.zip", inputs={"trades": written})
    assert first.read_bytes() == second.read_bytes()


def sample_file(folder: Path, sample: SampleSet) -> Path:
    path = folder / "trades.parquet"
    rk.write_records(sample.trades, path)
    return path


def test_records_other_than_the_checked_ones_are_refused(
    tmp_path: Path, sample: SampleSet, result: rk.CheckResult
) -> None:
    target = tmp_path / "pack.zip"
    with pytest.raises(rk.PackError, match=r"inputs\['trades'\]: these 399 records are not"):
        build(result, target, inputs={"trades": sample.trades[1:]})
    assert list(tmp_path.iterdir()) == [], "a failed build leaves nothing behind"


def test_unknown_input_kind(tmp_path: Path, result: rk.CheckResult) -> None:
    with pytest.raises(rk.PackError, match="unknown record kind 'orders'"):
        build(result, tmp_path / "p.zip", inputs={"orders": []})


def test_policy_files_are_kept_byte_for_byte(tmp_path: Path, sample: SampleSet) -> None:
    source = rk.rules.policy.builtin_policies()["esma-cfd-retail"]
    path = tmp_path / "house.yaml"
    path.write_bytes(("# our copy\r\n" + source).replace("\n", "\r\n").encode())
    policy = rk.load_policy(path)
    checked = rk.check(policy, trades=sample.trades[:50], accounts=sample.accounts, as_of=CREATED)
    pack = build(checked, tmp_path / "p.zip", policies=[policy])
    with zipfile.ZipFile(pack) as archive:
        assert archive.read("data/policy/esma-cfd-retail-2026.1.yaml") == path.read_bytes()
        entries = json.loads(archive.read("data/policy/policies.json"))
    assert entries[0]["source"] == "house.yaml", "no machine path in the pack"
    assert entries[0]["sha256"] == checked.policy_sha256


def test_a_policy_that_did_not_run_is_refused(
    tmp_path: Path, result: rk.CheckResult, sample: SampleSet
) -> None:
    other = rk.load_policy("kyc")
    with pytest.raises(rk.PackError, match="did not run in this check"):
        build(result, tmp_path / "p.zip", policies=other)


def test_without_its_text_a_policy_is_named_by_hash_and_the_pack_says_so(
    tmp_path: Path, result: rk.CheckResult
) -> None:
    # A result read back from JSON carries no policy objects, only the policy's hash.
    custom = dataclasses.replace(
        result, policy_id="house-rules", policy_sha256="ab" * 32, policies=()
    )
    pack = build(custom, tmp_path / "p.zip")
    with zipfile.ZipFile(pack) as archive:
        entries = json.loads(archive.read("data/policy/policies.json"))
        report = archive.read("data/report.html").decode()
        scope = json.loads(archive.read("data/scope.json"))
        rerun = archive.read("data/rerun.py").decode()
    assert entries == [
        {
            "id": "house-rules",
            "version": "2026.1",
            "sha256": "ab" * 32,
            "source": None,
            "file": None,
            "file_sha256": None,
            "parameters": None,
            "python_rules": [],
        }
    ]
    notice = f"The text of policy house-rules 2026.1 (sha256 {'ab' * 32}) is not included"
    assert "policy text not included" in report
    assert notice in report
    assert scope["warnings"][0].startswith(notice)
    assert any(line.startswith(notice) for line in verify(pack).info["Regkit-Warning"])
    assert "# not in this pack: the text of policy house-rules 2026.1" in rerun


def test_the_policy_that_ran_is_in_the_pack_by_default(tmp_path: Path, sample: SampleSet) -> None:
    """A user's policy file, never passed to build(), is in the pack byte for byte."""
    source = rk.rules.policy.builtin_policies()["esma-cfd-retail"]
    path = tmp_path / "house.yaml"
    path.write_bytes(
        ("# our house copy\n" + source.replace("esma-cfd-retail", "house-cfd"))
        .replace("\n", "\r\n")
        .encode()
    )
    policy = rk.load_policy(path)
    checked = rk.check(policy, trades=sample.trades[:50], accounts=sample.accounts, as_of=CREATED)
    pack = build(checked, tmp_path / "p.zip")
    with zipfile.ZipFile(pack) as archive:
        assert archive.read("data/policy/house-cfd-2026.1.yaml") == path.read_bytes()
        entries = json.loads(archive.read("data/policy/policies.json"))
    assert [(e["id"], e["sha256"], e["source"]) for e in entries] == [
        ("house-cfd", checked.policy_sha256, "house.yaml")
    ]
    path.unlink()  # gone from disk: the text the check read is still the pack's
    with zipfile.ZipFile(build(checked, tmp_path / "q.zip")) as archive:
        kept = archive.read("data/policy/house-cfd-2026.1.yaml").decode()
    assert kept == policy.text
    assert kept.startswith("# our house copy\r\n")  # line ends as written, too


def test_every_version_that_ran_is_in_the_pack(tmp_path: Path, sample: SampleSet) -> None:
    source = rk.rules.policy.builtin_policies()["esma-cfd-retail"]
    old = rk.rules.policy.parse_policy(
        source.replace('version: "2026.1"', 'version: "2025.1"').replace(
            "effective_from: 2018-08-01", "effective_from: 2018-08-01\neffective_to: 2026-11-10"
        ),
        "old.yaml",
    )
    new = rk.rules.policy.parse_policy(
        source.replace('version: "2026.1"', 'version: "2026.2"').replace(
            "effective_from: 2018-08-01", "effective_from: 2026-11-10"
        ),
        "new.yaml",
    )
    checked = rk.check([old, new], trades=sample.trades, accounts=sample.accounts, as_of=CREATED)
    with zipfile.ZipFile(build(checked, tmp_path / "p.zip")) as archive:
        names = [n for n in archive.namelist() if n.endswith(".yaml")]
    assert names == [
        "data/policy/esma-cfd-retail-2025.1.yaml",
        "data/policy/esma-cfd-retail-2026.2.yaml",
    ]


def test_a_result_whose_policies_do_not_match_it_is_refused(
    tmp_path: Path, result: rk.CheckResult
) -> None:
    forged = dataclasses.replace(result, policy_sha256="cd" * 32)
    with pytest.raises(rk.PackError, match=r"result\.policies holds policy esma-cfd-retail"):
        build(forged, tmp_path / "p.zip")


def test_attachments_carry_their_validation(tmp_path: Path, result: rk.CheckResult) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text(MIFIR.read_text().replace("BizMsgIdr>", "BizMsgIdx>"))
    junk = tmp_path / "junk.xml"
    junk.write_text("not xml")
    pack = build(result, tmp_path / "p.zip", attachments=[MIFIR, broken, junk])
    with zipfile.ZipFile(pack) as archive:
        validations = json.loads(archive.read("data/regulator/validation.json"))
        report = archive.read("data/report.html").decode()
    by_name = {item["file"]: item for item in validations}
    assert by_name[MIFIR.name]["ok"] is True
    assert by_name[MIFIR.name]["message"] == "auth.016"
    assert by_name["broken.xml"]["ok"] is False
    assert by_name["broken.xml"]["problems"]
    assert by_name["junk.xml"]["ok"] is False
    assert by_name["junk.xml"]["error"]
    assert report.count('class="bad">invalid') == 2
    assert report.count('class="ok">valid') == 1


def test_attachments_with_one_name_are_refused(tmp_path: Path, result: rk.CheckResult) -> None:
    copy = tmp_path / "copy" / MIFIR.name
    copy.parent.mkdir()
    shutil.copy(MIFIR, copy)
    with pytest.raises(rk.PackError, match="two attachments are named"):
        build(result, tmp_path / "p.zip", attachments=[MIFIR, copy])


def test_created_at_needs_a_time_zone(tmp_path: Path, result: rk.CheckResult) -> None:
    with pytest.raises(rk.PackError, match="time zone"):
        build(result, tmp_path / "p.zip", created_at=datetime(2026, 11, 30))


# --- the report -------------------------------------------------------------------------------


def test_the_report_names_every_rule_that_fired(
    signed_pack: Path, result: rk.CheckResult, policy: rk.Policy
) -> None:
    with zipfile.ZipFile(signed_pack) as archive:
        report = archive.read("data/report.html").decode()
    for rule_id in result.counts_by_rule:
        assert f'<td class="id"><code>{rule_id}</code></td>' in report
        assert policy.rule(rule_id).title in report
    assert f"version <strong>{policy.version}</strong>" in report
    assert policy.sha256 in report
    assert result.input_fingerprints["trades"] in report
    assert "Q4 review" in report
    assert "<script" not in report
    assert " src=" not in report
    assert "@media print" in report


def test_the_report_escapes_what_records_say(result: rk.CheckResult) -> None:
    finding = dataclasses.replace(
        result.findings[0], message="<script>alert(1)</script>", record_id='"><b>x'
    )
    page = html.render(dataclasses.replace(result, findings=[finding]))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;b&gt;x" in page


def test_the_report_lists_the_most_serious_findings_up_to_the_cap(
    result: rk.CheckResult,
) -> None:
    many = [
        dataclasses.replace(result.findings[0], record_id=f"T{n}", severity=severity)
        for n in range(30)
        for severity in ("low", "critical")
    ]
    page = html.render(dataclasses.replace(result, findings=many), max_rows=10)
    table = page.split('id="findings"', 1)[1]
    assert table.count('<span class="badge sev-critical">') == 10
    assert 'sev-low">low</span>' not in table
    assert "The 10 most serious of 60 findings are listed" in page


def test_templates_ship_with_the_package() -> None:
    folder = importlib.resources.files("regkit.reports") / "templates"
    assert (folder / "audit_report.html.j2").is_file()
    assert (folder / "audit_report.css").is_file()


# --- scope, re-run and dating ----------------------------------------------------------------


def test_the_pack_states_its_scope_everywhere(
    tmp_path: Path, sample: SampleSet, policy: rk.Policy
) -> None:
    """An account and a period that hold no trades: the pack says so, it does not look clean."""
    account = sample.accounts[0].account_id
    accounts = [a for a in sample.accounts if a.account_id == account]
    checked = rk.check(policy, trades=[], accounts=accounts, as_of=CREATED)
    scope = audit_pack.PackScope(
        accounts=(account,),
        start=date(2026, 1, 5),
        end=date(2026, 1, 6),
        kinds=("trades", "accounts"),
    )
    pack = build(checked, tmp_path / "p.zip", inputs={"accounts": accounts}, scope=scope)
    info = verify(pack).info
    assert info["Regkit-Scope-Accounts"] == (account,)
    assert info["Regkit-Scope-Period"] == ("2026-01-05 to 2026-01-06",)
    assert info["Regkit-As-Of"] == ("2026-11-30T18:00:00Z",)
    assert info["Regkit-Records-In-Scope"] == ("accounts 1", "trades 0")
    with zipfile.ZipFile(pack) as archive:
        stated = json.loads(archive.read("data/scope.json"))
        report = archive.read("data/report.html").decode()
    assert stated == {
        "accounts": [account],
        "from": "2026-01-05",
        "to": "2026-01-06",
        "period": "2026-01-05 to 2026-01-06",
        "as_of": "2026-11-30T18:00:00Z",
        "records": {"accounts": 1, "trades": 0},
        "findings": len(checked.findings),
        "warnings": [],
    }
    summary = report.split('id="summary"', 1)[1].split("</section>", 1)[0]
    assert f'<code class="id">{account}</code>' in summary
    assert "<td>2026-01-05 to 2026-01-06</td>" in summary
    assert "<td>2026-11-30T18:00:00Z</td>" in summary
    assert '<div class="value">0</div><div class="label">trades in scope</div>' in summary


def test_a_pack_without_a_scope_says_all_accounts_and_all_time(
    signed_pack: Path, result: rk.CheckResult
) -> None:
    info = verify(signed_pack).info
    assert info["Regkit-Scope-Accounts"] == ("all",)
    assert info["Regkit-Scope-Period"] == ("all time",)
    assert info["Regkit-Records-In-Scope"] == ("accounts 10", "trades 400")
    with zipfile.ZipFile(signed_pack) as archive:
        stated = json.loads(archive.read("data/scope.json"))
    assert (stated["accounts"], stated["period"]) == (None, "all time")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"accounts": "A1"}, "scope.accounts must be account ids"),
        ({"start": datetime(2026, 1, 1, tzinfo=UTC)}, "scope.start must be a date"),
        ({"start": date(2026, 1, 2), "end": date(2026, 1, 1)}, "is before the first"),
        ({"kinds": ("orders",)}, "unknown record kind 'orders'"),
    ],
)
def test_a_bad_scope_is_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(rk.PackError, match=message):
        audit_pack.PackScope(**arguments)


def rerun_text(pack: Path) -> str:
    """The re-run snippet as the report shows it (unescaped), checked against rerun.py."""
    with zipfile.ZipFile(pack) as archive:
        report = archive.read("data/report.html").decode()
        script = archive.read("data/rerun.py").decode()
    shown = html_module.unescape(report.split('<pre id="rerun">', 1)[1].split("</pre>", 1)[0])
    assert shown == script
    return shown


def run_rerun(pack: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> rk.CheckResult:
    """Unzip the pack, run its report's re-run snippet in data/, return the snippet's result."""
    snippet = rerun_text(pack)
    with zipfile.ZipFile(pack) as archive:
        archive.extractall(folder)
    monkeypatch.chdir(folder / "data")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    exec(compile(snippet, "rerun.py", "exec"), namespace)
    assert all(namespace["same"].values()), namespace["same"]
    rerun: rk.CheckResult = namespace["result"]
    return rerun


def test_the_rerun_snippet_reproduces_the_packs_findings(
    tmp_path: Path, signed_pack: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rerun = run_rerun(signed_pack, tmp_path / "unzipped", monkeypatch)
    packed = json.loads((tmp_path / "unzipped" / "data" / "findings.json").read_text())
    assert [finding.to_dict() for finding in rerun.findings] == packed["findings"]
    assert rerun.findings, "the sample has findings to reproduce"
    assert rerun.as_of is not None
    assert rerun.as_of.isoformat().replace("+00:00", "Z") == packed["as_of"]


def test_the_rerun_snippet_reproduces_parameters_frames_and_every_kind(
    tmp_path: Path, sample: SampleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A firm's parameter overrides, a DataFrame input and snapshots all come back."""
    overrides = tmp_path / "limits.yaml"
    base = rk.load_policy("esma-cfd-retail")
    caps = dict(base.parameters["leverage_caps"]) | {"fx_major": 20, "fx_minor": 15}
    overrides.write_text(yaml.safe_dump({"leverage_caps": caps, "close_out_level": 0.45}))
    policy = rk.load_policy("esma-cfd-retail", parameters=overrides)
    assert policy.sha256 != base.sha256
    frame = rk.read_frame(sample_file(tmp_path, sample), rk.Trade)
    checked = rk.check(
        policy,
        trades=frame,
        accounts=sample.accounts,
        snapshots=sample.snapshots,
        as_of=CREATED,
    )
    pack = build(
        checked,
        tmp_path / "p.zip",
        inputs={"trades": frame, "accounts": sample.accounts, "snapshots": sample.snapshots},
    )
    rerun = run_rerun(pack, tmp_path / "unzipped", monkeypatch)
    assert rerun.policy_sha256 == policy.sha256
    assert [f.to_dict() for f in rerun.findings] == [f.to_dict() for f in checked.findings]
    assert len(checked.findings) > 0
    snippet = rerun_text(pack)
    assert 'parameters="policy/esma-cfd-retail-2026.1.parameters.yaml"' in snippet
    assert 'trades = pl.read_parquet("inputs/trades.parquet")' in snippet
    assert "snapshots=snapshots," in snippet
    with zipfile.ZipFile(pack) as archive:
        report = archive.read("data/report.html").decode()
    owner = {trade.trade_id: trade.account_id for trade in sample.trades}
    rows = re.findall(r'<td class="id">([^<]*)</td><td>trade ([^<]*)</td>', report)
    assert rows, "trades given as a frame still name their accounts"
    assert all(account == owner[trade] for account, trade in rows)


def test_a_pack_dated_before_its_check_finished_warns(
    tmp_path: Path, result: rk.CheckResult
) -> None:
    early = result.finished_at - timedelta(days=1)
    with pytest.warns(audit_pack.PackWarning, match="before the check it reports finished"):
        pack = build(result, tmp_path / "p.zip", created_at=early)
    with zipfile.ZipFile(pack) as archive:
        report = archive.read("data/report.html").decode()
    (warning,) = verify(pack).info["Regkit-Warning"]
    assert warning.startswith("This pack is dated ")
    assert f"<strong>Warning:</strong> {warning}" in report


def test_a_pack_dated_after_its_check_does_not_warn(tmp_path: Path, result: rk.CheckResult) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pack = build(result, tmp_path / "p.zip", created_at=result.finished_at)
    assert "Regkit-Warning" not in verify(pack).info


# --- the report's tables and print layout -----------------------------------------------------


def test_the_findings_table_names_each_findings_account(
    signed_pack: Path, sample: SampleSet
) -> None:
    owner = {trade.trade_id: trade.account_id for trade in sample.trades}
    with zipfile.ZipFile(signed_pack) as archive:
        report = archive.read("data/report.html").decode()
    table = report.split('<table class="findings">', 1)[1].split("</table>", 1)[0]
    assert "<th>Account</th>" in table
    rows = re.findall(r'<td class="id">([^<]*)</td><td>trade ([^<]*)</td>', table)
    assert rows, "trade findings are listed"
    assert all(account == owner[trade] for account, trade in rows)


def test_an_account_scoped_pack_names_the_holder_category_and_kyc(
    tmp_path: Path, sample: SampleSet, policy: rk.Policy
) -> None:
    account = sample.accounts[0]
    trades = [trade for trade in sample.trades if trade.account_id == account.account_id]
    checked = rk.check(policy, trades=trades, accounts=[account], as_of=CREATED)
    scope = audit_pack.PackScope(accounts=(account.account_id,))
    pack = build(
        checked, tmp_path / "p.zip", inputs={"trades": trades, "accounts": [account]}, scope=scope
    )
    accounts_file = tmp_path / "accounts.parquet"
    rk.write_records([account], accounts_file)
    framed = build(
        checked,
        tmp_path / "framed.zip",
        inputs={"trades": trades, "accounts": rk.read_frame(accounts_file, rk.Account)},
        scope=scope,
    )
    holder = html.AccountDetails.of(account)
    assert holder.holder != "—"
    row = (
        f'<td class="id"><code>{account.account_id}</code></td><td>{holder.holder}</td>'
        f"<td>{account.category.value}</td><td>{holder.kyc_status}</td>"
    )
    for each in (pack, framed):
        with zipfile.ZipFile(each) as archive:
            report = archive.read("data/report.html").decode()
        section = report.split('<section id="accounts">', 1)[1].split("</section>", 1)[0]
        assert row in section
        assert '<a href="#accounts">' in report


def test_the_report_has_contents_the_firm_in_its_title_and_a_print_header(
    signed_pack: Path,
) -> None:
    with zipfile.ZipFile(signed_pack) as archive:
        report = archive.read("data/report.html").decode()
    assert "<title>Q4 review — Example Markets Ltd</title>" in report
    for section in ("summary", "charts", "rules", "findings", "regulator", "reproducibility"):
        assert f'<a href="#{section}">' in report
        assert f'<section id="{section}"' in report
    assert 'counter(page) " of " counter(pages)' in report
    assert (
        f"@top-left {{ content: {html.css_string('Q4 review — Example Markets Ltd')}; }}" in report
    )
    assert "white-space: nowrap" in report


def test_the_print_header_cannot_break_out_of_the_style(result: rk.CheckResult) -> None:
    page = html.render(result, title='x"; } </style><script>alert(1)</script>', organization="A&B")
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "<script" not in page
    (header,) = re.findall(r'@top-left \{ content: "(.*?)"; \} \}', style)
    assert re.fullmatch(r"[A-Za-z0-9\\]*", header), "only letters, digits and escapes"
    assert "</" not in style
    assert html.css_string('a"b') == '"a\\000022b"'
    assert "<title>x&#34;; } &lt;/style&gt;&lt;script&gt;" in page


def test_one_day_of_findings_is_one_bar_on_a_labelled_axis(result: rk.CheckResult) -> None:
    moment = datetime(2026, 11, 20, 10, tzinfo=UTC)
    one_day = [dataclasses.replace(f, at=moment) for f in result.findings[:3]]
    page = html.render(dataclasses.replace(result, findings=one_day))
    chart = page.split('aria-label="Findings per day"', 1)[1].split("</svg>", 1)[0]
    (bar,) = re.findall(r'<rect class="bar" x="(\d+)" y="\d+" width="(\d+)"', chart)
    assert int(bar[1]) <= 36, "one day is a bar, not a block across the chart"
    assert '<text x="44" y="10" text-anchor="end">3</text>' in chart, "the y axis says 3"
    assert 'text-anchor="middle">2026-11-20</text>' in chart


CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
        if (found := shutil.which(name))
    ),
    None,
)


def chromium(*arguments: str) -> None:
    assert CHROMIUM is not None, "CI installs Debian's chromium: the report must print there"
    subprocess.run(
        [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", *arguments],
        check=True,
        capture_output=True,
        timeout=180,
    )


def pdf_title(pdf: bytes) -> str:
    """The document title Chromium writes (the page's <title>), as UTF-16 hex or text."""
    found = re.search(rb"/Title\s*(<FEFF[0-9A-Fa-f]*>|\((?:[^)\\]|\\.)*\))", pdf)
    assert found, "the PDF has a title"
    value = found.group(1)
    if value.startswith(b"<"):
        return bytes.fromhex(value[1:-1].decode()).decode("utf-16-be").lstrip("\ufeff")
    return value[1:-1].decode("latin-1")


def png_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the inflated pixel rows of a PNG (no image library needed)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    chunks, at = [], 8
    while at < len(png):
        size = int.from_bytes(png[at : at + 4], "big")
        if png[at + 4 : at + 8] == b"IDAT":
            chunks.append(png[at + 8 : at + 8 + size])
        at += size + 12
    return width, height, zlib.decompress(b"".join(chunks))


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="headless Chromium is not installed (chromium, google-chrome); required under CI",
)
def test_the_report_prints_and_shows_in_chromium(tmp_path: Path, signed_pack: Path) -> None:
    page = tmp_path / "report.html"
    with zipfile.ZipFile(signed_pack) as archive:
        page.write_bytes(archive.read("data/report.html"))
    pdf_path, png_path = tmp_path / "report.pdf", tmp_path / "report.png"
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", page.as_uri())
    chromium(f"--screenshot={png_path}", "--window-size=1280,2000", page.as_uri())
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages >= 3, "summary, findings and reproducibility each start a page"
    assert f"/Count {pages}".encode() in pdf
    assert pdf_title(pdf) == "Q4 review — Example Markets Ltd"
    width, height, pixels = png_pixels(png_path.read_bytes())
    assert (width, height) == (1280, 2000)
    assert len(set(pixels)) > 16, "the screenshot shows a rendered page, not a blank one"


# --- verifying --------------------------------------------------------------------------------


def test_the_pack_validates_with_bagit(
    tmp_path: Path, signed_pack: Path, result: rk.CheckResult
) -> None:
    folder = tmp_path / "bag"
    with zipfile.ZipFile(signed_pack) as archive:
        archive.extractall(folder)
    bag = bagit.Bag(str(folder))
    assert bag.validate()
    assert bag.info["Source-Organization"] == "Example Markets Ltd"
    assert bag.info["Bagging-Date"] == result.finished_at.date().isoformat()


def test_a_clean_pack_verifies(signed_pack: Path) -> None:
    checked = verify(signed_pack)
    assert checked.ok, checked.lines()
    assert checked.files == len(ENTRIES)
    assert checked.signed
    assert checked.signature_ok is None
    checked.raise_for_problems()


def test_signing_round_trip(signed_pack: Path) -> None:
    public = KEY.public_key()
    assert verify(signed_pack, public_key=public).signature_ok is True
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    assert verify(signed_pack, public_key=pem).ok


def test_another_key_does_not_verify(signed_pack: Path) -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    checked = verify(signed_pack, public_key=other)
    assert not checked.ok
    assert checked.signature_ok is False
    assert [problem.kind for problem in checked.problems] == ["signature"]
    assert checked.problems[0].path == SIGNATURE_FILE


def test_an_unsigned_pack_fails_a_signature_check(tmp_path: Path, result: rk.CheckResult) -> None:
    checked = verify(build(result, tmp_path / "p.zip"), public_key=KEY.public_key())
    assert [str(problem) for problem in checked.problems] == [
        f"{SIGNATURE_FILE}: missing: the pack is not signed"
    ]


def test_signing_with_another_kind_of_key_is_refused(
    tmp_path: Path, result: rk.CheckResult
) -> None:
    with pytest.raises(rk.PackError, match="signer must be an Ed25519 private key"):
        build(result, tmp_path / "p.zip", signer="secret")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ENTRIES)
def test_changing_one_byte_of_any_file_is_reported_by_name(
    tmp_path: Path, signed_pack: Path, name: str
) -> None:
    tampered = rewrite(
        signed_pack,
        tmp_path / "tampered.zip",
        lambda entry, data: flip_middle(data) if entry == name else data,
    )
    checked = verify(tampered, public_key=KEY.public_key())
    assert not checked.ok
    if name == "tagmanifest-sha256.txt":  # what it lists no longer matches, or its signature
        assert any(name in (p.path, p.listed_in) or name in p.detail for p in checked.problems)
    else:
        assert name in {problem.path for problem in checked.problems}, checked.lines()
    with pytest.raises(rk.PackIntegrityError):
        checked.raise_for_problems()


def test_a_corrupt_zip_entry_is_reported_by_name(tmp_path: Path, signed_pack: Path) -> None:
    data = bytearray(signed_pack.read_bytes())
    with zipfile.ZipFile(signed_pack) as archive:
        info = archive.getinfo("data/report.html")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 20
    data[start] ^= 0xFF
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(data))
    checked = verify(corrupt)
    assert "data/report.html" in {problem.path for problem in checked.problems}
    assert not checked.ok


def test_a_missing_file_is_reported(tmp_path: Path, signed_pack: Path) -> None:
    pruned = rewrite(
        signed_pack,
        tmp_path / "pruned.zip",
        lambda entry, data: None if entry == "data/findings.csv" else data,
    )
    kinds = {(p.kind, p.path) for p in verify(pruned).problems}
    assert ("missing", "data/findings.csv") in kinds
    assert ("mismatch", "bag-info.txt") in kinds, "the Payload-Oxum no longer adds up"


@pytest.mark.parametrize("name", ["data/extra.txt", "extra-tag.txt", "data/inputs/more.jsonl"])
def test_an_unexpected_file_is_reported(tmp_path: Path, signed_pack: Path, name: str) -> None:
    grown = tmp_path / "grown.zip"
    shutil.copy(signed_pack, grown)
    with zipfile.ZipFile(grown, "a") as archive:
        archive.writestr(name, b"smuggled\n")
    problems = verify(grown).problems
    assert ("unexpected", name) in {(p.kind, p.path) for p in problems}


def _with_entry(source: Path, target: Path, info: zipfile.ZipInfo) -> Path:
    shutil.copy(source, target)
    with warnings.catch_warnings(), zipfile.ZipFile(target, "a") as archive:
        warnings.simplefilter("ignore")  # a duplicate name is the point of one case
        archive.writestr(info, b"evil\n")
    return target


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        (zipfile.ZipInfo("../evil.txt"), "a path with '..'"),
        (zipfile.ZipInfo("data/../../evil.txt"), "a path with '..'"),
        (zipfile.ZipInfo("/etc/evil.txt"), "an absolute path"),
        (zipfile.ZipInfo("C:/evil.txt"), "an absolute path"),
        (zipfile.ZipInfo("data\\..\\evil.txt"), "a name with a backslash or NUL"),
        (_symlink("data/link"), "a symbolic link entry"),
        (zipfile.ZipInfo("data/report.html"), "a name that appears twice in the zip"),
    ],
    ids=["dotdot", "nested-dotdot", "absolute", "drive", "backslash", "symlink", "duplicate"],
)
def test_zip_slip_entries_are_refused(
    tmp_path: Path, signed_pack: Path, info: zipfile.ZipInfo, reason: str
) -> None:
    evil = _with_entry(signed_pack, tmp_path / "evil.zip", info)
    checked = verify(evil)
    assert not checked.ok
    refused = [p for p in checked.problems if p.kind == "unsafe"]
    assert [(p.path, p.detail) for p in refused] == [(info.filename, f"refused: {reason}")]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["evil.zip"], "nothing extracted"


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "pack.zip"
    path.write_text("hello")
    with pytest.raises(rk.PackError, match="not a readable zip"):
        verify(path)


def test_a_zip_that_is_not_a_bag(tmp_path: Path) -> None:
    path = tmp_path / "pack.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data/a.txt", "a")
    checked = verify(path).problems
    problems: list[Any] = [(p.kind, p.path) for p in checked if p.kind != "structure"]
    assert {p.path for p in checked if p.kind == "structure"} == {"data/a.txt"}  # mode 0600
    assert problems == [
        ("unexpected", "data/a.txt"),
        ("missing", "bagit.txt"),
        ("missing", "manifest-sha256.txt"),
        ("missing", "tagmanifest-sha256.txt"),
    ]


# --- every byte of the zip accounted for ------------------------------------------------------
#
# zipfile reads each of these packs without complaint (the files hash as listed); verify must
# refuse the bytes that belong to no file. The helpers edit the zip's bytes, keeping the
# offsets right, so that only the case at hand is wrong.

_END_RECORD = b"PK\x05\x06"


def _central(data: bytes | bytearray) -> tuple[int, int, int]:
    """(end record offset, central directory size, central directory offset)."""
    end = bytes(data).rindex(_END_RECORD)
    size, offset = struct.unpack_from("<II", data, end + 12)
    return end, size, offset


def _central_entries(data: bytes | bytearray, at: int | None = None) -> list[tuple[int, str]]:
    """(offset of its central directory entry, name) of each entry."""
    _, size, offset = _central(data)
    position = offset if at is None else at
    entries = []
    while position < (offset if at is None else at) + size:
        names, extra, comment = struct.unpack_from("<HHH", data, position + 28)
        entries.append((position, bytes(data[position + 46 : position + 46 + names]).decode()))
        position += 46 + names + extra + comment
    return entries


def _insert(data: bytes, at: int, blob: bytes) -> bytes:
    """``blob`` inserted at ``at`` (before the central directory), with the offsets of what
    follows moved on: zipfile then reads every entry as before."""
    _, _, offset = _central(data)
    assert at <= offset
    grown = bytearray(data[:at] + blob + data[at:])
    for position, _ in _central_entries(grown, offset + len(blob)):
        (local,) = struct.unpack_from("<I", grown, position + 42)
        if local >= at:
            struct.pack_into("<I", grown, position + 42, local + len(blob))
    end, _, _ = _central(grown)
    struct.pack_into("<I", grown, end + 16, offset + len(blob))
    return bytes(grown)


def _local_offset(data: bytes, name: str) -> tuple[int, int]:
    """Where an entry's local header and its data start."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    names, extra = struct.unpack_from("<HH", data, info.header_offset + 26)
    return info.header_offset, info.header_offset + 30 + names + extra


def _grow_entry(data: bytes, name: str, blob: bytes) -> bytes:
    """``blob`` appended to an entry's compressed data, its compressed size grown to match
    (zipfile inflates the stream and ignores what follows its end)."""
    local, start = _local_offset(data, name)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        compressed = archive.getinfo(name).compress_size
    grown = bytearray(_insert(data, start + compressed, blob))
    names = struct.unpack_from("<H", grown, local + 26)[0]
    struct.pack_into("<Q", grown, local + 30 + names + 12, compressed + len(blob))  # zip64
    for position, entry in _central_entries(grown):
        if entry == name:
            struct.pack_into("<I", grown, position + 20, compressed + len(blob))
    return bytes(grown)


def _write(tmp_path: Path, data: bytes, name: str = "tampered.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _zipfile_reads_it(path: Path) -> None:
    """The tampered pack still reads with zipfile: the case is one a lax reader lets pass."""
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


def _problems(path: Path) -> set[tuple[str, str, str]]:
    return {(p.kind, p.path, p.detail) for p in verify(path, public_key=KEY.public_key()).problems}


def test_bytes_before_the_zip_are_refused(tmp_path: Path, signed_pack: Path) -> None:
    stub = b"MZ\x90\x00 a self-extracting stub "
    path = _write(tmp_path, stub + signed_pack.read_bytes())
    _zipfile_reads_it(path)
    problems = _problems(path)
    assert ("unaccounted", "", f"unaccounted bytes at offset 0: {len(stub)} bytes before the "
            "first entry") in problems  # fmt: skip
    assert {kind for kind, _, _ in problems} == {"unaccounted", "structure"}


def test_bytes_between_entries_are_refused(tmp_path: Path, signed_pack: Path) -> None:
    data = signed_pack.read_bytes()
    at, _ = _local_offset(data, "data/report.html")
    path = _write(tmp_path, _insert(data, at, b"hidden"))
    _zipfile_reads_it(path)
    assert [str(p) for p in verify(path, public_key=KEY.public_key()).problems] == [
        f"unaccounted bytes at offset {at}: 6 bytes after the entry 'data/scope.json'"
    ]


def test_bytes_after_the_end_record_and_a_zip_comment_are_refused(
    tmp_path: Path, signed_pack: Path
) -> None:
    data = signed_pack.read_bytes()
    trailing = _write(tmp_path, data + b"trailing", "trailing.zip")
    _zipfile_reads_it(trailing)
    assert [str(p) for p in verify(trailing).problems] == [
        f"unaccounted bytes at offset {len(data)}: 8 bytes after the end record"
    ]
    commented = _write(tmp_path, data, "commented.zip")
    with zipfile.ZipFile(commented, "a") as archive:
        archive.comment = b"a note"
    assert [str(p) for p in verify(commented).problems] == [
        f"unaccounted bytes at offset {len(data)}: a zip comment of 6 bytes"
    ]


def test_a_directory_entry_that_carries_data_is_refused(tmp_path: Path, signed_pack: Path) -> None:
    path = _write(tmp_path, signed_pack.read_bytes())
    folder = zipfile.ZipInfo("data/folder/", date_time=(2026, 11, 30, 18, 0, 0))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(folder, b"smuggled in a directory")
    _zipfile_reads_it(path)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("data/folder/").is_dir()
    refused = [p for p in verify(path).problems if p.kind == "unaccounted"]
    assert [(p.path, p.detail.split(": ")[1]) for p in refused] == [
        ("data/folder/", "a directory entry that carries 23 bytes")
    ]


def test_bytes_after_an_entrys_deflate_stream_are_refused(
    tmp_path: Path, signed_pack: Path
) -> None:
    path = _write(tmp_path, _grow_entry(signed_pack.read_bytes(), "data/rerun.py", b"hidden"))
    _zipfile_reads_it(path)
    (problem,) = verify(path, public_key=KEY.public_key()).problems
    assert (problem.kind, problem.path) == ("unaccounted", "data/rerun.py")
    assert problem.detail.endswith("6 bytes after the end of its compressed data")


def _ends_in(stream: bytes) -> bool:
    """Whether a raw Deflate stream decodes and ends exactly at its last byte."""
    reader = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        reader.decompress(stream)
    except zlib.error:
        return False
    return reader.eof and not reader.unused_data


def test_set_bits_after_the_end_of_a_deflate_stream_are_refused(
    tmp_path: Path, signed_pack: Path
) -> None:
    """Deflate readers ignore the bits after a stream's last code; zlib writes them as 0."""
    data = signed_pack.read_bytes()
    with zipfile.ZipFile(signed_pack) as archive:
        infos = [i for i in archive.infolist() if i.compress_type == zipfile.ZIP_DEFLATED]
    for info in infos:
        _, start = _local_offset(data, info.filename)
        last = start + info.compress_size - 1
        changed = bytearray(data)
        changed[last] |= 0x80
        try:
            with zipfile.ZipFile(io.BytesIO(bytes(changed))) as archive:
                same = archive.read(info.filename) == zipfile.ZipFile(signed_pack).read(info)
        except (zipfile.BadZipFile, zlib.error):
            same = False
        # zipfile checks only the CRC, so a flipped bit of the stream's last code can read
        # the same: the bit must be padding, the stream still ending where it did.
        if changed[last] != data[last] and same and _ends_in(bytes(changed[start : last + 1])):
            break
    else:
        pytest.skip("no entry ends with a padding bit in its top bit")
    problems = verify(_write(tmp_path, bytes(changed)), public_key=KEY.public_key()).problems
    assert [(p.kind, p.path, p.detail) for p in problems] == [
        (
            "unaccounted",
            info.filename,
            f"unaccounted bits at offset {last}: set bits after the end of its Deflate stream",
        )
    ]


def _rewritten(
    source: Path, target: Path, change: Callable[[zipfile.ZipInfo], zipfile.ZipInfo]
) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            new.writestr(change(info), data)
    return target


def test_an_extra_field_is_refused(tmp_path: Path, signed_pack: Path) -> None:
    def extra(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
        if info.filename == "data/scope.json":
            info.extra = struct.pack("<HH", 0xCAFE, 6) + b"hidden"
        return info

    path = _rewritten(signed_pack, tmp_path / "extra.zip", extra)
    _zipfile_reads_it(path)
    problems = list(verify(path).problems)
    assert {(p.kind, p.path) for p in problems} == {("structure", "data/scope.json")}
    assert any("extra field of 10 bytes" in p.detail for p in problems)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_another_compression_method_is_refused(
    tmp_path: Path, signed_pack: Path, method: int
) -> None:
    def compress(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
        if info.filename == "data/findings.csv":
            info.compress_type = method
        return info

    path = _rewritten(signed_pack, tmp_path / "method.zip", compress)
    _zipfile_reads_it(path)
    problems = verify(path).problems
    assert {(p.kind, p.path) for p in problems} >= {
        ("structure", "data/findings.csv"),
        ("corrupt", "data/findings.csv"),
    }
    assert f"compressed with method {method}; a pack uses Deflate (8)" in {
        p.detail for p in problems
    }


def test_an_entry_dated_otherwise_or_a_changed_mode_is_refused(
    tmp_path: Path, signed_pack: Path
) -> None:
    def redate(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
        if info.filename == "data/findings.json":
            info.date_time = (2020, 1, 1, 0, 0, 0)
        if info.filename == "data/rerun.py":
            info.external_attr = (stat.S_IFREG | 0o755) << 16
        return info

    path = _rewritten(signed_pack, tmp_path / "dated.zip", redate)
    problems = {(p.kind, p.path, p.detail.split(",")[0]) for p in verify(path).problems}
    assert ("structure", "data/findings.json", "dated 2020-01-01 00:00:00 in the zip") in {
        (kind, name, detail.split(", not")[0]) for kind, name, detail in problems
    }
    assert (
        "structure",
        "data/rerun.py",
        "the central directory gives mode 0o100755",
    ) in problems


def test_a_local_header_that_disagrees_with_the_central_directory_is_refused(
    tmp_path: Path, signed_pack: Path
) -> None:
    data = bytearray(signed_pack.read_bytes())
    local, _ = _local_offset(bytes(data), "bagit.txt")
    data[local + 10] ^= 0x01  # the local header's time
    (problem,) = verify(_write(tmp_path, bytes(data)), public_key=KEY.public_key()).problems
    assert str(problem) == (
        "bagit.txt: the local header at offset 0 disagrees with the central directory: "
        "date and time"
    )


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (lambda text: text.upper(), "upper-case hex"),
        (lambda text: text.replace("  ", "\t", 1), "a tab"),
        (lambda text: text + "\n", "a blank line"),
    ],
    ids=["upper", "tab", "blank"],
)
def test_the_tag_manifest_must_be_as_a_pack_writes_it(
    tmp_path: Path, signed_pack: Path, change: Callable[[str], str], line: str
) -> None:
    """The tag manifest is hashed nowhere: read loosely, a changed byte in it would pass."""
    path = rewrite(
        signed_pack,
        tmp_path / "loose.zip",
        lambda name, data: (
            change(data.decode()).encode() if name == "tagmanifest-sha256.txt" else data
        ),
    )
    problems = {(p.kind, p.path) for p in verify(path).problems}
    assert ("malformed", "tagmanifest-sha256.txt") in problems, line


# --- what verify says of the signature --------------------------------------------------------


def test_verify_says_whether_the_pack_is_signed_and_the_signature_checked(
    tmp_path: Path, signed_pack: Path, result: rk.CheckResult
) -> None:
    unsigned = verify(build(result, tmp_path / "unsigned.zip"))
    assert (unsigned.ok, unsigned.signature) == (True, "unsigned")
    assert unsigned.summary() == "intact; unsigned"
    unchecked = verify(signed_pack)
    assert (unchecked.ok, unchecked.signature) == (True, "not checked")
    assert unchecked.summary() == "intact; signed, signature not checked (give public_key)"
    good = verify(signed_pack, public_key=KEY.public_key())
    assert good.summary("--public-key") == "intact; signature good"


def test_a_dropped_signature_is_caught_without_a_key(tmp_path: Path, signed_pack: Path) -> None:
    dropped = rewrite(
        signed_pack, tmp_path / "dropped.zip", lambda n, d: None if n == SIGNATURE_FILE else d
    )
    checked = verify(dropped)
    assert [(p.kind, p.path) for p in checked.problems] == [("signature", SIGNATURE_FILE)]
    assert checked.problems[0].detail.startswith("missing: bag-info.txt says the pack is signed")
    assert checked.summary() == "NOT intact: 1 problem"


def test_a_pack_resigned_with_another_key_is_not_reported_as_checked(
    tmp_path: Path, result: rk.CheckResult
) -> None:
    stranger = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
    forged = build(result, tmp_path / "forged.zip", signer=stranger)
    unchecked = verify(forged)
    assert unchecked.signature == "not checked"
    assert "signature not checked" in unchecked.summary()
    checked = verify(forged, public_key=KEY.public_key())
    assert (checked.ok, checked.signature) == (False, "bad")
    assert "bag-info.txt names: ed25519" in checked.problems[0].detail
