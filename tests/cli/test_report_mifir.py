"""``regkit report mifir``: sample files in, valid and reproducible report files out; bad
input names what is wrong and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from regkit.cli import main
from regkit.reports.xml import validate
from regkit.samples import SampleConfig, write_samples

CREATED = "2026-11-20T18:00:00Z"


@pytest.fixture(scope="module")
def brokerage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("brokerage")
    write_samples(folder, SampleConfig(trades=300), "parquet")
    return folder


def report(folder: Path, out: Path, *extra: str, trades: Path | None = None) -> int:
    return main(
        [
            "report",
            "mifir",
            "--trades",
            str(trades or folder / "trades.parquet"),
            "--accounts",
            str(folder / "accounts.parquet"),
            "--firm",
            str(folder / "firm.json"),
            "--out",
            str(out),
            "--created-at",
            CREATED,
            *extra,
        ]
    )


def test_the_sample_day_renders_to_valid_files_the_same_every_time(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report(brokerage, tmp_path / "a") == 0
    printed = capsys.readouterr().out
    (first,) = sorted((tmp_path / "a").iterdir())
    assert first.name == "529900RKSAMPLEFIRM88_DATTRA_CY_20261120_000001.xml"
    assert validate(first).ok
    assert "not reportable:" in printed
    assert "product spot is not reportable" in printed
    assert report(brokerage, tmp_path / "b") == 0
    (second,) = sorted((tmp_path / "b").iterdir())
    assert first.read_bytes() == second.read_bytes()


def test_max_records_splits_and_a_toml_firm_file_is_read(brokerage: Path, tmp_path: Path) -> None:
    firm = json.loads((brokerage / "firm.json").read_text(encoding="utf-8"))
    toml = tmp_path / "firm.toml"
    toml.write_text(
        f'lei = "{firm["lei"]}"\nname = "{firm["name"]}"\ncountry = "{firm["country"]}"\n'
        'competent_authority = "CY"\n'
        '[traders.TRD007]\nfirst_name = "Nikos"\nsurname = "Papadopoulos"\n'
        'date_of_birth = 1982-08-08\nnationalities = ["CY"]\n'
        'national_ids = {CCPT = "K00100007"}\n',
        encoding="utf-8",
    )
    # Only one trader is given: the sample's other traders stop the batch, so choose ALGO.
    trades = pl.read_parquet(brokerage / "trades.parquet").with_columns(
        pl.lit("ALGO:ROUTER1").alias("execution_decision"),
        pl.lit("ALGO:PRICER1").alias("investment_decision"),
    )
    path = tmp_path / "trades.parquet"
    trades.write_parquet(path)
    code = main(
        [
            "report", "mifir", "--trades", str(path),
            "--accounts", str(brokerage / "accounts.parquet"), "--firm", str(toml),
            "--out", str(tmp_path / "out"), "--created-at", CREATED, "--max-records", "100",
        ]
    )  # fmt: skip
    assert code == 0
    files = sorted((tmp_path / "out").iterdir())
    assert [f.name[-10:] for f in files] == ["000001.xml", "000002.xml", "000003.xml"]
    assert all(validate(f).ok for f in files)


def test_parameters_decide_reportability(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = tmp_path / "firm-params.yaml"
    overrides.write_text("fx_cfds_reportable: false\n", encoding="utf-8")
    assert report(brokerage, tmp_path / "out", "--parameters", str(overrides)) == 0
    assert "FX CFDs are not reportable under this regime" in capsys.readouterr().out


def test_a_bad_row_writes_nothing_and_is_named(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trades = pl.read_parquet(brokerage / "trades.parquet")
    bad = trades.with_columns(
        pl.when(pl.col("trade_id") == "T000000007")
        .then(pl.lit("-5"))
        .otherwise(pl.col("quantity").cast(pl.String))
        .alias("quantity")
    )
    path = tmp_path / "trades.parquet"
    bad.write_parquet(path)
    assert report(brokerage, tmp_path / "out", trades=path) == 2
    error = capsys.readouterr().err
    assert "T000000007" in error
    assert "quantity" in error
    assert "no file was written" in error
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir())


def test_a_trade_on_an_unknown_account_writes_nothing(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trades = pl.read_parquet(brokerage / "trades.parquet").with_columns(
        pl.when(pl.col("trade_id") == "T000000003")
        .then(pl.lit("NOSUCH"))
        .otherwise(pl.col("account_id"))
        .alias("account_id")
    )
    path = tmp_path / "trades.parquet"
    trades.write_parquet(path)
    out = tmp_path / "out"
    assert report(brokerage, out, trades=path) == 2
    error = capsys.readouterr().err
    assert "T000000003: account_id: no account 'NOSUCH' was given" in error
    assert not out.exists() or not any(out.iterdir())


def test_a_missing_file_is_a_usage_error(
    brokerage: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert report(brokerage, tmp_path / "out", trades=tmp_path / "none.csv") == 2
    assert "none.csv: no such file" in capsys.readouterr().err
