"""``regkit report emir``, ``regkit pack`` and ``regkit verify``: sample files in, valid EMIR
files and an intact audit pack out; a changed pack is caught and named."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from regkit import PositionEffect, Product, Side, Trade, read_records, write_records
from regkit.cli import main
from regkit.reports import audit_pack
from regkit.reports.xml import validate
from regkit.samples import SampleConfig, write_samples

CREATED = "2026-11-20T18:00:00Z"


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("brokerage")
    write_samples(folder, SampleConfig(trades=300), "parquet")
    return folder


def files(folder: Path, *names: str) -> list[str]:
    found = []
    for name in names:
        found += [f"--{name}", str(folder / f"{name}.parquet")]
    return found


def test_report_emir_writes_valid_files_the_same_every_time(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for out in ("a", "b"):
        code = main(
            ["report", "emir", *files(brokerage, "trades", "accounts"),
             "--firm", str(brokerage / "firm.json"), "--out", str(tmp_path / out),
             "--created-at", CREATED]
        )  # fmt: skip
        assert code == 0
    printed = capsys.readouterr().out
    assert "closes a position" in printed  # closing trades are named, not dropped
    (first,) = sorted((tmp_path / "a").iterdir())
    (second,) = sorted((tmp_path / "b").iterdir())
    assert first.name == "529900RKSAMPLEFIRM88_DATTAR_20261120_000001.xml"
    assert validate(first).ok
    assert first.read_bytes() == second.read_bytes()


def report_term(brokerage: Path, trades: Path, out: Path) -> int:
    return main(
        ["report", "emir", "--action", "TERM", "--trades", str(trades),
         "--accounts", str(brokerage / "accounts.parquet"),
         "--firm", str(brokerage / "firm.json"), "--out", str(out), "--created-at", CREATED]
    )  # fmt: skip


def closing(opening: Trade, trade_id: str, uti: str | None) -> Trade:
    side = "sell" if opening.side is Side.BUY else "buy"
    changes = {"trade_id": trade_id, "side": side, "position_effect": "close", "uti": uti}
    return Trade(**{**opening.model_dump(), **changes})


def test_report_emir_term_ends_each_closed_position_under_its_openings_uti(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Delegated Regulation (EU) 2022/1855, Annex, Table 2, field 151: TERM terminates an
    existing derivative, by the UTI (field 1) its opening's NEWT reported; openings are not
    terminated, and a close whose opening is unknown is refused by name."""
    cfds = [
        t
        for t in read_records(brokerage / "trades.parquet", Trade).records
        if t.instrument.product is Product.CFD and t.position_effect is PositionEffect.OPEN
    ]
    first, second, alone = cfds[:3]
    trades = tmp_path / "trades.jsonl"
    write_records(
        [first, second, alone, closing(first, "C1", first.uti), closing(second, "C2", second.uti)],
        trades,
    )
    assert report_term(brokerage, trades, tmp_path / "term") == 0
    (path,) = sorted((tmp_path / "term").iterdir())
    assert validate(path).ok
    text = path.read_text(encoding="utf-8")
    assert re.findall(r"<UnqTxIdr>([A-Z0-9]+)</UnqTxIdr>", text) == [first.uti, second.uti]
    assert text.count("<Termntn>") == 2
    printed = capsys.readouterr().out
    assert "2 reported, 3 not reportable" in printed
    assert f"not reportable: 3 trade(s) ({first.trade_id}, {second.trade_id}, " in printed
    assert "opens a position, reported by NEWT" in printed

    orphans = tmp_path / "orphans.jsonl"
    write_records([first, closing(first, "C1", first.uti), closing(alone, "C9", None)], orphans)
    assert report_term(brokerage, orphans, tmp_path / "refused") == 2
    error = capsys.readouterr().err
    assert "1 trade(s) cannot be reported" in error
    assert "C9: uti: closes a position but carries no UTI" in error
    assert not (tmp_path / "refused").exists() or not any((tmp_path / "refused").iterdir())


def test_report_emir_term_on_a_days_sample_terminates_each_close_under_its_opening(
    brokerage: Path, tmp_path: Path
) -> None:
    """A whole day's file: the sample closes carry their openings' UTIs, so TERM reports one
    termination per close, each under a UTI that an opening in the file carries (never a
    UTI no NEWT reported)."""
    out = tmp_path / "term"
    assert report_term(brokerage, brokerage / "trades.parquet", out) == 0
    trades = read_records(brokerage / "trades.parquet", Trade).records
    opened = {t.uti for t in trades if t.position_effect is PositionEffect.OPEN}
    closes = [t for t in trades if t.position_effect is PositionEffect.CLOSE and t.uti]
    (path,) = out.iterdir()
    text = path.read_text(encoding="utf-8")
    reported = re.findall(r"<UnqTxIdr>(\w+)</UnqTxIdr>", text)
    assert validate(path).ok
    assert len(reported) == len(closes) > 0
    assert set(reported) <= opened
    assert text.count("<Termntn>") == len(closes)  # auth.030: a TERM is a Termntn report


def pack(brokerage: Path, out: Path, *extra: str) -> int:
    return main(
        ["pack", "--policy", "esma-cfd-retail",
         *files(brokerage, "trades", "accounts", "snapshots"),
         "--firm", str(brokerage / "firm.json"), "--created-at", CREATED,
         "--as-of", CREATED, "--out", str(out), *extra]
    )  # fmt: skip


def test_pack_with_reports_verifies_and_a_changed_byte_is_named(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack.zip"
    assert pack(brokerage, out, "--with-reports", "mifir,emir") == 0
    with zipfile.ZipFile(out) as bag:
        names = bag.namelist()
    assert any(n.startswith("data/regulator/") and "DATTRA" in n for n in names)
    assert any(n.startswith("data/regulator/") and "DATTAR" in n for n in names)
    assert main(["verify", str(out)]) == 0
    assert capsys.readouterr().out.endswith(": intact; unsigned (" + f"{len(names)} files)\n")
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(out) as reader, zipfile.ZipFile(changed, "w") as writer:
        for info in reader.infolist():
            data = reader.read(info)
            if info.filename == "data/findings.json":
                data = data.replace(b"ESMA", b"ESMB", 1)
            writer.writestr(info, data)
    assert main(["verify", str(changed)]) == 1
    assert "data/findings.json" in capsys.readouterr().out


def test_pack_of_one_account_and_period_holds_only_its_records_and_says_so(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "one.zip"
    code = pack(
        brokerage, out, "--account", "A000001", "--from", "2026-11-02", "--to", "2026-11-03",
        "--inputs", "records",
    )  # fmt: skip
    assert code == 0
    result = audit_pack.verify(out)
    assert result.ok
    with zipfile.ZipFile(out) as bag:
        trades = [n for n in bag.namelist() if n.startswith("data/inputs/") and "trade" in n]
        text = b"".join(bag.read(n) for n in trades).decode("utf-8")
        scope = json.loads(bag.read("data/scope.json"))
        report = bag.read("data/report.html").decode("utf-8")
    ids = {line.split('"account_id":"')[1].split('"')[0] for line in text.splitlines() if line}
    assert ids == {"A000001"}
    assert result.info["Regkit-Scope-Accounts"] == ("A000001",)
    assert result.info["Regkit-Scope-Period"] == ("2026-11-02 to 2026-11-03",)
    assert result.info["Regkit-As-Of"] == (CREATED,)
    assert (scope["accounts"], scope["from"], scope["to"]) == (
        ["A000001"],
        "2026-11-02",
        "2026-11-03",
    )
    assert set(scope["records"]) == {"trades", "accounts", "snapshots"}
    assert scope["records"]["accounts"] == 1
    assert "<td>2026-11-02 to 2026-11-03</td>" in report
    assert '<section id="accounts">' in report, "an account-scoped pack names its account"
    # --created-at is before the check ran (now): the pack says so, on stderr too.
    assert (
        "regkit pack: warning: This pack is dated 2026-11-20T18:00:00Z" in capsys.readouterr().err
    )
    assert scope["warnings"]


def test_a_period_with_no_records_is_stated_not_clean(brokerage: Path, tmp_path: Path) -> None:
    out = tmp_path / "empty.zip"
    assert pack(brokerage, out, "--from", "2030-01-01", "--to", "2030-01-31") == 0
    info = audit_pack.verify(out).info
    assert info["Regkit-Scope-Period"] == ("2030-01-01 to 2030-01-31",)
    assert "trades 0" in info["Regkit-Records-In-Scope"]
    assert "snapshots 0" in info["Regkit-Records-In-Scope"]


def test_pack_sign_then_verify_public_key(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = Ed25519PrivateKey.generate()
    private = tmp_path / "signer.key.pem"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public = tmp_path / "signer.pem"
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    out = tmp_path / "signed.zip"
    assert pack(brokerage, out, "--sign", str(private)) == 0
    assert "; signed" in capsys.readouterr().out
    assert main(["verify", str(out), "--public-key", str(public)]) == 0
    assert f"{out}: intact; signature good (" in capsys.readouterr().out
    # Without a key, "intact" is not "from the signer": verify says the signature was not checked.
    assert main(["verify", str(out)]) == 0
    assert ": intact; signed, signature not checked (give --public-key) (" in (
        capsys.readouterr().out
    )
    stranger = tmp_path / "stranger.pem"
    other = Ed25519PrivateKey.generate().public_key()
    stranger.write_bytes(other.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    assert main(["verify", str(out), "--public-key", str(stranger)]) == 1


def test_pack_sign_refuses_a_key_that_is_not_ed25519(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    assert pack(brokerage, tmp_path / "p.zip", "--sign", str(bad)) == 2
    assert "signing key: not a PEM private key" in capsys.readouterr().err
    assert not (tmp_path / "p.zip").exists()


def test_pack_refuses_an_unknown_report_and_verify_an_unreadable_file(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pack(brokerage, tmp_path / "p.zip", "--with-reports", "fatca") == 2
    assert "unknown report(s) fatca" in capsys.readouterr().err
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    assert main(["verify", str(junk)]) == 2


def test_pack_twice_with_the_same_inputs_and_created_at_gives_the_same_bytes(
    brokerage: Path, tmp_path: Path
) -> None:
    """Each `regkit pack` runs its own check (other wall-clock times), yet with the same
    inputs, --as-of and --created-at the two zips are byte for byte the same."""
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    assert pack(brokerage, first, "--with-reports", "mifir,emir", "--account", "A000001") == 0
    assert pack(brokerage, second, "--with-reports", "mifir,emir", "--account", "A000001") == 0
    with zipfile.ZipFile(first) as one, zipfile.ZipFile(second) as two:
        differ = [n for n in one.namelist() if one.read(n) != two.read(n)]
    assert differ == []
    assert first.read_bytes() == second.read_bytes()


def test_verify_refuses_bytes_before_the_pack_and_names_them(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pack.zip"
    assert pack(brokerage, out) == 0
    stubbed = tmp_path / "stubbed.zip"
    stubbed.write_bytes(b"#!/bin/sh\nexit 0\n" + out.read_bytes())
    with zipfile.ZipFile(stubbed) as archive:  # zipfile reads it as if nothing were there
        assert archive.testzip() is None
    capsys.readouterr()
    assert main(["verify", str(stubbed)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert f"{stubbed}: unaccounted bytes at offset 0: 17 bytes before the first entry" in printed
    assert printed[-1].startswith(f"{stubbed}: NOT intact: ")
