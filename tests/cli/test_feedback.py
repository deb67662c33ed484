"""``regkit feedback``: auth.092 rejections reconciled with trades, each rule with its REFIT
field and whether regkit checks it before submission (ESMA74-362-2683 VR ids); unknown ids
and refused rules regkit checks flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from regkit.cli import main
from regkit.reports.emir import generate_uti
from regkit.schemas.trade import Trade

DATA = Path(__file__).resolve().parents[1] / "reports" / "data" / "emir_feedback"
REJECTED = DATA / "rejected.xml"
NOTHING = DATA / "nothing_bare.xml"
LEI = "529900T8BM49AURSDO55"


def trade(number: int, *, with_uti: bool = True) -> Trade:
    return Trade(
        trade_id=f"T{number}",
        account_id="A1",
        side="buy",
        quantity="100000",
        price="1.0850",
        executed_at="2024-03-15T09:30:00Z",
        uti=f"{LEI}CFD{number:04d}" if with_uti else None,
        instrument={
            "symbol": "EURUSD",
            "product": "cfd",
            "underlying_class": "fx_major",
            "base_currency": "EUR",
            "quote_currency": "USD",
        },
    )


def write_trades(path: Path, trades: list[Trade]) -> Path:
    path.write_text("".join(t.model_dump_json() + "\n" for t in trades), encoding="utf-8")
    return path


def test_lists_each_rejected_uti_with_the_vrs_it_broke(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["feedback", str(REJECTED)]) == 1
    out = capsys.readouterr().out.splitlines()
    first = out.index(f"UTI {LEI}CFD0002 rejected (RJCT; NEWT; {REJECTED}:50)")
    # VR-2009-02: field 2.9, with the trade repository's text.
    assert out[first + 1] == (
        "  EMIR-VR-2009-02 (field 2.9 Product classification): "
        "The CFI code does not identify the product"
    )
    # VR-1010-01 (field 1.10) is a rule of emir-refit-vr: refused all the same, so flagged.
    country = out.index(
        "  EMIR-VR-1010-01 (field 1.10 Country of the counterparty 2): "
        "Country of the counterparty 2 is missing"
    )
    assert out[country + 1].startswith("    checked before submission by emir-refit-vr: ")
    assert out[country + 2].startswith("    FLAG: refused though regkit checks it")
    # The whole-message rejection names a code that is no ESMA VR.
    fil = out.index("  EMIR-FIL-002 (no field): The message does not validate against the schema")
    assert out[fil + 1].startswith("    FLAG: unknown to regkit: ")
    assert "rule ids regkit does not know (not ESMA's EMIR REFIT VRs): EMIR-FIL-002" in out
    checked = [line for line in out if line.startswith("rules regkit checks before submission")]
    assert checked
    assert "EMIR-VR-1010-01" in checked[0]


def test_with_trades_names_the_trade(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trades = write_trades(tmp_path / "trades.jsonl", [trade(1), trade(2)])
    assert main(["feedback", str(REJECTED), "--trades", str(trades)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"T2 UTI {LEI}CFD0002 rejected (RJCT; NEWT; {REJECTED}:50)" in out
    assert f"UTI {LEI}CFD0009 rejected (RJCT; NEWT; {REJECTED}:62)" in out
    assert "accepted 0, rejected 1, pending 1, other UTIs rejected 1, messages rejected 1" in out


def test_trades_without_uti_need_the_firm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Reported under the UTI regkit generates from the firm's LEI and the trade id.
    unnamed = trade(2, with_uti=False).model_copy(update={"trade_id": "CFD0002"})
    assert generate_uti(LEI, "CFD0002") == f"{LEI}CFD0002"
    trades = write_trades(tmp_path / "trades.jsonl", [unnamed])
    assert main(["feedback", str(REJECTED), "--trades", str(trades)]) == 2
    assert "give --firm" in capsys.readouterr().err
    firm = tmp_path / "firm.toml"
    firm.write_text(f'lei = "{LEI}"\nname = "Example"\ncountry = "CY"\n', encoding="utf-8")
    assert main(["feedback", str(REJECTED), "--trades", str(trades), "--firm", str(firm)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"CFD0002 UTI {LEI}CFD0002 rejected (RJCT; NEWT; {REJECTED}:50)" in out


def test_nothing_rejected_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", str(NOTHING)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["accepted 0, rejected 0, pending 0, other UTIs rejected 0, messages rejected 0"]


def test_a_file_that_is_not_auth092_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.xml"
    other.write_text("<Document/>", encoding="utf-8")
    assert main(["feedback", str(other)]) == 2
    assert "regkit feedback: error: " in capsys.readouterr().err


# --- MiFIR: auth.031 status advice ------------------------------------------------------------

MIFIR = Path(__file__).resolve().parents[1] / "reports" / "data" / "feedback"
PARTIAL = MIFIR / "partial.xml"
FILE_REJECTED = MIFIR / "rejected_file.xml"
ACCEPTED = MIFIR / "accepted.xml"
AUTH016 = (
    Path(__file__).resolve().parents[1]
    / "reports"
    / "data"
    / "mifir_auth016_new_equity_cfd_minimal.xml"
)


def test_mifir_lists_each_rejected_transaction_with_its_codes_fields_and_checks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["feedback", str(PARTIAL), str(FILE_REJECTED)]) == 1
    out = capsys.readouterr().out.splitlines()
    first = out.index(f"TRN T20240315000002 rejected (RJCT; {PARTIAL}:40)")
    # An NCA's code names its RTS 22 field by its digits but the last (CON-070: field 7).
    assert out[first + 1] == (
        "  CON-070 (field 7 Buyer identification code): "
        "The buyer identification code is not a valid LEI"
    )
    # Whether the LEI is in GLEIF's database only the NCA can check (mifir-vr's coverage).
    assert out[first + 2].startswith("    not checked before submission (external): ")
    assert "GLEIF" in out[first + 2]
    venue = out.index("  CON-360 (field 36 Venue): Venue MIC is not valid for the trade date")
    assert out[venue + 1].startswith(
        "    field 36 is checked before submission by mifir-vr: MIFIR-VR-036-01"
    )
    whole = out.index(f"file REGKIT-20240315-0002 rejected as a whole (RJCT; {FILE_REJECTED}:25)")
    assert out[whole + 1].startswith("  FIL-105 (no field): ")
    assert out[-1] == (
        "accepted 0, rejected 0, pending 0, other transactions rejected 2, files rejected 1"
    )


def test_mifir_with_trades_names_the_trade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reported = [
        trade(1).model_copy(update={"trade_id": f"T2024031500000{n}"}) for n in (1, 2, 3, 4, 5)
    ]
    trades = write_trades(tmp_path / "trades.jsonl", reported)
    assert main(["feedback", str(PARTIAL), "--trades", str(trades)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert f"T20240315000002 TRN T20240315000002 rejected (RJCT; {PARTIAL}:40)" in out
    assert out[-1] == (
        "accepted 2, rejected 2, pending 1, other transactions rejected 0, files rejected 0"
    )


def test_mifir_nothing_rejected_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["feedback", str(ACCEPTED)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "accepted 0, rejected 0, pending 0, other transactions rejected 0, files rejected 0"
    ]


def test_emir_and_mifir_feedback_together_each_under_its_heading(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["feedback", str(ACCEPTED), str(NOTHING)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "EMIR (auth.092):",
        "accepted 0, rejected 0, pending 0, other UTIs rejected 0, messages rejected 0",
        "MiFIR (auth.031):",
        "accepted 0, rejected 0, pending 0, other transactions rejected 0, files rejected 0",
    ]


def test_a_report_instead_of_feedback_is_refused_by_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["feedback", str(ACCEPTED), str(AUTH016)]) == 2
    err = capsys.readouterr().err
    assert f"{AUTH016}: auth.016 is not feedback regkit reads" in err
