"""``regkit validate``: one line per problem, exit 0 valid, 1 invalid, 2 unreadable or unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from regkit.cli import main


def test_valid_files_print_ok_and_exit_0(
    mifir_path: Path, emir_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(mifir_path), str(emir_path)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        f"{mifir_path}: OK (auth.016 in head.003)",
        f"{emir_path}: OK (auth.030)",
    ]
    assert err == ""


def test_an_invalid_file_prints_its_problems_and_exits_1(
    tmp_path: Path, mifir_path: Path, mifir_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(mifir_bytes.replace(b"<LEI>529900T8BM49AURSDO55</LEI>", b"<LEI>bad</LEI>"))
    assert main(["validate", str(bad), str(mifir_path)]) == 1
    out, _ = capsys.readouterr()
    assert out.splitlines() == [
        f"{bad}:32: /BizData/Pyld/Document/FinInstrmRptgTxRpt/Tx/New/Sellr/AcctOwnr/Id/LEI: "
        "value doesn't match any pattern of ['[A-Z0-9]{18,18}[0-9]{2,2}']",
        f"{mifir_path}: OK (auth.016 in head.003)",
    ]


@pytest.mark.parametrize(
    "content",
    [
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>',
        b"<Document><unclosed></Document>",
        b'<!DOCTYPE d [<!ENTITY e "e">]><d>&e;</d>',
    ],
    ids=["unknown", "not-well-formed", "doctype"],
)
def test_an_unknown_or_unreadable_file_exits_2(
    tmp_path: Path, emir_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odd.xml"
    path.write_bytes(content)
    assert main(["validate", str(path), str(emir_path)]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"regkit validate: error: {path}")
    assert out == f"{emir_path}: OK (auth.030)\n"  # the other files are still validated


def test_unreadable_wins_over_invalid(
    tmp_path: Path, emir_bytes: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(emir_bytes.replace(b"<NbRcrds>1</NbRcrds>", b""))
    assert main(["validate", str(bad), str(tmp_path / "missing.xml")]) == 2
    out, err = capsys.readouterr()
    assert out.startswith(f"{bad}:")
    assert "missing.xml: cannot read" in err


def test_no_file_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 2
    assert "FILE.xml" in capsys.readouterr().err
