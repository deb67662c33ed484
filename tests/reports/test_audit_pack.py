"""Audit packs: deterministic BagIt zips that verify, and refuse tampering and zip-slip."""

from __future__ import annotations

import dataclasses
import importlib.resources
import json
import shutil
import stat
import subprocess
import warnings
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bagit  # type: ignore[import-untyped]
import polars as pl
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import regkit as rk
from regkit.reports import audit_pack, html
from regkit.reports.audit_pack import SIGNATURE_FILE, build, verify
from regkit.schemas.samples import SampleConfig, SampleSet, generate

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
        created_at=CREATED,
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


def test_the_pack_holds_every_entry_in_a_fixed_order(signed_pack: Path) -> None:
    with zipfile.ZipFile(signed_pack) as archive:
        infos = archive.infolist()
    assert tuple(info.filename for info in infos) == ENTRIES
    for info in infos:
        assert info.date_time == (2026, 11, 30, 18, 0, 0)
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
        created_at=CREATED,
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


def test_findings_are_the_results_json_and_csv(signed_pack: Path, result: rk.CheckResult) -> None:
    with zipfile.ZipFile(signed_pack) as archive:
        assert archive.read("data/findings.json").decode() == result.to_json()
        assert archive.read("data/findings.csv").decode() == result.to_csv()


def test_findings_stream_in_slices_to_the_same_bytes(
    tmp_path: Path, result: rk.CheckResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_pack, "_FINDINGS_PER_CHUNK", 3)
    with zipfile.ZipFile(build(result, tmp_path / "p.zip")) as archive:
        assert archive.read("data/findings.json").decode() == result.to_json()
        assert archive.read("data/findings.csv").decode() == result.to_csv()


def test_no_findings_still_make_a_valid_pack(tmp_path: Path, result: rk.CheckResult) -> None:
    empty = dataclasses.replace(result, findings=[])
    pack = build(empty, tmp_path / "empty.zip")
    assert verify(pack).ok
    with zipfile.ZipFile(pack) as archive:
        assert archive.read("data/findings.json").decode() == empty.to_json()
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
    second = build(result, tmp_path / "b.zip", inputs={"trades": frame.frame})
    with zipfile.ZipFile(first) as archive:
        data = archive.read("data/inputs/trades.parquet")
    assert pl.read_parquet(data).equals(frame.frame)
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


def test_without_its_text_a_policy_is_named_by_hash(tmp_path: Path, result: rk.CheckResult) -> None:
    custom = dataclasses.replace(result, policy_id="house-rules", policy_sha256="ab" * 32)
    with zipfile.ZipFile(build(custom, tmp_path / "p.zip")) as archive:
        entries = json.loads(archive.read("data/policy/policies.json"))
        report = archive.read("data/report.html").decode()
    assert entries == [
        {
            "id": "house-rules",
            "version": "2026.1",
            "sha256": "ab" * 32,
            "source": None,
            "file": None,
            "file_sha256": None,
            "python_rules": [],
        }
    ]
    assert "not included" in report


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
        assert f"<code>{rule_id}</code>" in report
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
    assert 'sev-low">low</span></td><td><code>' not in table
    assert "The 10 most serious of 60 findings are listed" in page


def test_templates_ship_with_the_package() -> None:
    folder = importlib.resources.files("regkit.reports") / "templates"
    assert (folder / "audit_report.html.j2").is_file()
    assert (folder / "audit_report.css").is_file()


CHROMIUM = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
        if (found := shutil.which(name))
    ),
    None,
)


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (chromium, google-chrome)"
)
def test_the_report_prints_to_pdf_in_chromium(tmp_path: Path, signed_pack: Path) -> None:
    assert CHROMIUM is not None
    page = tmp_path / "report.html"
    with zipfile.ZipFile(signed_pack) as archive:
        page.write_bytes(archive.read("data/report.html"))
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert pdf.read_bytes().startswith(b"%PDF")


# --- verifying --------------------------------------------------------------------------------


def test_the_pack_validates_with_bagit(tmp_path: Path, signed_pack: Path) -> None:
    folder = tmp_path / "bag"
    with zipfile.ZipFile(signed_pack) as archive:
        archive.extractall(folder)
    bag = bagit.Bag(str(folder))
    assert bag.validate()
    assert bag.info["Source-Organization"] == "Example Markets Ltd"
    assert bag.info["Bagging-Date"] == "2026-11-30"


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
    problems: list[Any] = [(p.kind, p.path) for p in verify(path).problems]
    assert problems == [
        ("unexpected", "data/a.txt"),
        ("missing", "bagit.txt"),
        ("missing", "manifest-sha256.txt"),
        ("missing", "tagmanifest-sha256.txt"),
    ]
