"""The synthetic brokerage: deterministic, complete, readable, and its planted truth is true."""

from __future__ import annotations

import hashlib
import json
import re
import typing
from collections import Counter, defaultdict
from datetime import UTC, date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest

from regkit import read_records
from regkit.samples import (
    ESMA_RETAIL_LEVERAGE_CAPS,
    PLANTED_KINDS,
    Planted,
    PlantedKind,
    RecordKind,
    SampleConfig,
    SampleSet,
    generate,
    write_samples,
)
from regkit.schemas import (
    Account,
    AccountSnapshot,
    CashMovement,
    ClientCategory,
    KycStatus,
    LegalEntity,
    MovementKind,
    NaturalPerson,
    PaymentMethod,
    PositionEffect,
    Product,
    Record,
    Trade,
    UnderlyingClass,
)
from regkit.schemas import identifiers as ids
from regkit.schemas.identifiers import iban_check_digits, isin_check_digit
from regkit.schemas.kinds import KINDS

FORMATS = ("parquet", "csv", "jsonl")
RECORD_FILES: dict[str, type[Record]] = {
    "accounts": Account,
    "trades": Trade,
    "movements": CashMovement,
    "snapshots": AccountSnapshot,
}
#: Two brokerages, both with enough accounts for every showcase person (every CONCAT rule
#: and nationality): the defaults, and another seed with fewer days and high rates.
CONFIGS = (
    SampleConfig(trades=10_000, accounts=250),
    SampleConfig(
        trades=3_000,
        accounts=90,
        seed=99,
        days=3,
        leverage_breach_per_mille=100,
        structuring_per_mille=100,
        expired_kyc_per_mille=50,
        negative_equity_per_mille=50,
        third_party_payer_per_mille=100,
        bonus_per_mille=100,
    ),
)


@pytest.fixture(scope="module", params=CONFIGS, ids=["defaults", "high-rates"])
def sample(request: pytest.FixtureRequest) -> SampleSet:
    config: SampleConfig = request.param
    return generate(config)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same small config written twice in each format, and once with another seed."""
    root = tmp_path_factory.mktemp("samples")
    config = SampleConfig(trades=1_500)
    dirs: dict[str, Path] = {}
    for fmt in FORMATS:
        for copy in ("a", "b"):
            dirs[f"{fmt}-{copy}"] = root / f"{fmt}-{copy}"
            write_samples(dirs[f"{fmt}-{copy}"], config, fmt)  # type: ignore[arg-type]
    dirs["other-seed"] = root / "other-seed"
    write_samples(dirs["other-seed"], SampleConfig(trades=1_500, seed=7), "jsonl")
    return dirs


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


def _by_id(items: list[Any], key: str) -> dict[str, Any]:
    return {getattr(item, key): item for item in items}


def _planted(sample: SampleSet, kind: PlantedKind) -> list[Planted]:
    found = sample.planted_of(kind)
    assert found, f"nothing planted of {kind}"
    return found


def _holder_name(account: Account) -> str:
    holder = account.holder
    if isinstance(holder, NaturalPerson):
        return f"{holder.first_name} {holder.surname}"
    return holder.name


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"trades": 5},
        {"trades": 10_000_001},
        {"trades": 100, "accounts": 4},
        {"trades": 100, "days": 0},
        {"trades": 100, "structuring_per_mille": 1001},
        {"trades": 100, "bonus_per_mille": -1},
    ],
)
def test_config_rejects_out_of_range_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be an integer"):
        SampleConfig(**kwargs)


def test_config_defaults_scale_with_size() -> None:
    assert SampleConfig(trades=10).account_count == 5
    assert SampleConfig(trades=40_000).account_count == 1_000
    assert SampleConfig(trades=10_000_000).account_count == 200_000
    assert SampleConfig(trades=100_000).trading_days == 5
    assert SampleConfig(trades=1_000_000).trading_days == 10
    assert SampleConfig(trades=1_000_001).trading_days == 20


# --- determinism and files -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_config_gives_the_same_bytes(written: dict[str, Path], fmt: str) -> None:
    first, second = _files(written[f"{fmt}-a"]), _files(written[f"{fmt}-b"])
    assert set(first) == {
        "firm.json",
        "planted.jsonl",
        "manifest.json",
        *(f"{stem}.{fmt}" for stem in RECORD_FILES),
    }
    assert first == second


def test_another_seed_gives_other_data(written: dict[str, Path]) -> None:
    first, other = _files(written["jsonl-a"]), _files(written["other-seed"])
    for stem in RECORD_FILES:
        assert first[f"{stem}.jsonl"] != other[f"{stem}.jsonl"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_manifest_lists_counts_and_checksums(written: dict[str, Path], fmt: str) -> None:
    directory = written[f"{fmt}-a"]
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 20261120
    assert manifest["format"] == fmt
    assert manifest["counts"]["trades"] == 1_500
    assert manifest["counts"]["accounts"] == SampleConfig(trades=1_500).account_count
    assert manifest["counts"]["snapshots"] == manifest["counts"]["accounts"] * 5
    for entry in manifest["files"]:
        content = (directory / entry["name"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["bytes"]
    assert sum(manifest["planted"].values()) == manifest["counts"]["planted"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_file_reads_back_without_errors(written: dict[str, Path], fmt: str) -> None:
    directory = written[f"{fmt}-a"]
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    for stem, model in RECORD_FILES.items():
        batch = read_records(directory / f"{stem}.{fmt}", model)
        assert batch.errors == []
        assert len(batch.records) == manifest["counts"][stem]
    lines = (directory / "planted.jsonl").read_text(encoding="utf-8").splitlines()
    planted = [json.loads(line) for line in lines]
    assert {item["kind"] for item in planted} == set(PLANTED_KINDS)


def test_the_callers_decimal_context_changes_nothing() -> None:
    config = SampleConfig(trades=300, seed=5)
    expected = generate(config)
    with localcontext() as context:
        context.prec = 5
        context.rounding = ROUND_DOWN
        again = generate(config)
    assert again.trades == expected.trades
    assert again.snapshots == expected.snapshots
    assert again.movements == expected.movements


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        write_samples(tmp_path, SampleConfig(trades=10), "xml")  # type: ignore[arg-type]


def test_files_hold_the_generated_records(written: dict[str, Path]) -> None:
    sample = generate(SampleConfig(trades=1_500))
    for fmt in FORMATS:
        trades = read_records(written[f"{fmt}-a"] / f"trades.{fmt}", Trade).records
        accounts = read_records(written[f"{fmt}-a"] / f"accounts.{fmt}", Account).records
        assert trades == sample.trades
        assert accounts == sample.accounts


# --- counts and coverage -----------------------------------------------------------------------


def test_counts_match_the_config(sample: SampleSet) -> None:
    config = sample.config
    assert len(sample.trades) == config.trades
    assert len(sample.accounts) == config.account_count
    assert len(sample.snapshots) == config.account_count * config.trading_days
    expected_ids = [f"T{n:09d}" for n in range(1, config.trades + 1)]
    assert [t.trade_id for t in sample.trades] == expected_ids
    assert len({m.movement_id for m in sample.movements}) == len(sample.movements)


def test_every_class_product_and_movement_kind_appears(sample: SampleSet) -> None:
    assert {t.instrument.underlying_class for t in sample.trades} == set(UnderlyingClass)
    assert {t.instrument.product for t in sample.trades} == set(Product)
    assert {m.kind for m in sample.movements} == set(MovementKind)
    assert {a.category for a in sample.accounts} == set(ClientCategory)
    assert {t.position_effect for t in sample.trades} == set(PositionEffect)
    assert {m.method for m in sample.movements} == set(PaymentMethod)


def test_small_sets_still_cover_everything() -> None:
    small = generate(SampleConfig(trades=500))
    assert {t.instrument.underlying_class for t in small.trades} == set(UnderlyingClass)
    assert {m.kind for m in small.movements} == set(MovementKind)
    assert {p.kind for p in small.planted} == set(PLANTED_KINDS)


def test_zero_rates_plant_nothing() -> None:
    rates = {name: 0 for name in SampleConfig.__dataclass_fields__ if name.endswith("_per_mille")}
    assert generate(SampleConfig(trades=500, **rates)).planted == []


def test_a_weekend_start_moves_to_monday() -> None:
    sample = generate(SampleConfig(trades=100, start=date(2026, 11, 7), days=2))
    assert {t.executed_at.date() for t in sample.trades} == {date(2026, 11, 9), date(2026, 11, 10)}


def test_more_accounts_than_trades() -> None:
    sample = generate(SampleConfig(trades=10, accounts=300))
    assert len(sample.accounts) == 300
    traded = {t.account_id for t in sample.trades}
    for item in sample.planted_of("expired_kyc"):
        assert item.keys[0] in traded


def test_instruments_carry_valid_codes(sample: SampleSet) -> None:
    assert {i.underlying_class for i in sample.instruments} == set(UnderlyingClass)
    for instrument in sample.instruments:
        # A given CFI is the derived one (Instrument checks it); most are left to derive.
        assert instrument.cfi in (None, ids.derive_cfi(instrument))
        assert ids.is_valid_cfi(ids.derive_cfi(instrument))
        assert instrument.full_name or ids.derive_full_name(instrument)
        if instrument.product is not Product.SPOT:
            assert instrument.delivery is not None
        if instrument.product in (Product.FORWARD, Product.SWAP, Product.OPTION):
            assert instrument.expiry_date is not None
    by_symbol = {i.symbol: i for i in sample.instruments}
    assert by_symbol["EURUSD"].cfi == "JFTXCC"
    assert by_symbol["AAPL"].cfi is None
    assert ids.derive_cfi(by_symbol["AAPL"]) == "JESXCC"
    # A CFD on a share has no ISIN of its own: the share's is its underlying (RTS 22 41, 47).
    assert by_symbol["AAPL"].isin is None
    assert by_symbol["AAPL"].underlying_isin == "US0378331005"  # Apple's real ISIN
    without = [i for i in sample.instruments if i.cfi is None and i.full_name is None]
    assert {i.product for i in without} >= {Product.CFD, Product.SPREAD_BET, Product.FORWARD}
    assert {i.underlying_class for i in without} >= {
        UnderlyingClass.FX_MAJOR, UnderlyingClass.INDEX_MAJOR, UnderlyingClass.EQUITY,
        UnderlyingClass.COMMODITY, UnderlyingClass.GOLD,
    }  # fmt: skip
    assert by_symbol["BTCUSD"].base_currency is None
    equities = [i for i in sample.instruments if i.underlying_class is UnderlyingClass.EQUITY]
    assert equities
    assert all(i.underlying_isin and ids.is_valid_isin(i.underlying_isin) for i in equities)


def test_check_digit_helpers() -> None:
    assert isin_check_digit("DE000716460") == "0"  # SAP, DE0007164600
    assert iban_check_digits("GB", "WEST12345698765432") == "82"
    assert ids.is_valid_lei(generate(SampleConfig(trades=10)).firm.lei)


def test_record_kind_names_kinds_of_the_kind_table() -> None:
    # The Literal types Planted.record_kind: the kinds the generator writes, each a kind of
    # the table the rest of regkit reads (the table may hold more, e.g. report records).
    generated = typing.get_args(RecordKind)
    assert set(generated) <= set(KINDS)
    assert generated == tuple(kind for kind in KINDS if kind in generated)


def test_old_path_re_exports_every_name() -> None:
    import regkit.samples as new
    from regkit.schemas import identifiers
    from regkit.schemas import samples as old

    assert set(old.__all__) == {*new.__all__, "iban_check_digits", "isin_check_digit"}
    for name in old.__all__:
        assert getattr(old, name) is getattr(new, name, getattr(identifiers, name, None))
    assert old.isin_check_digit("US037833100") == "5"
    assert old.iban_check_digits("DE", "370400440532013000") == "89"


# --- trades ------------------------------------------------------------------------------------


def test_trades_are_exact_and_in_trading_hours(sample: SampleSet) -> None:
    days = {sample.config.start + timedelta(days=n) for n in range(7)}
    previous = None
    for trade in sample.trades:
        at = trade.executed_at
        assert at.tzinfo is UTC
        assert at.microsecond % 1000 == 0
        assert at.date() in days
        assert at.weekday() < 5
        assert 6 <= at.hour < 21
        assert previous is None or previous <= at
        previous = at
        for value in (trade.quantity, trade.price, trade.requested_price):
            assert isinstance(value, Decimal)
        assert trade.venue == "XOFF"
        assert trade.uti is None or ids.is_valid_uti(trade.uti)
        # Dealing on own account (DEAL), the firm decides and executes: ESMA's validation
        # rules want field 57 with DEAL, and NORE in field 59 only with AOTC.
        assert trade.capacity == "DEAL"
        assert trade.investment_decision is not None
        assert trade.execution_decision not in (None, "NORE")
        # CFDs and spread bets are margined (Decision (EU) 2018/796 covers both).
        margined = trade.instrument.product in (Product.CFD, Product.SPREAD_BET)
        if margined and trade.position_effect is PositionEffect.OPEN:
            assert trade.leverage is not None
            assert trade.margin is not None
            assert trade.margin > 0
        if not margined:
            assert trade.leverage is None
            assert trade.margin is None


def test_spread_bets_stake_per_point_in_one_currency(sample: SampleSet) -> None:
    # RTS 22 fields 30-31: a spread bet's quantity is its stake per point, in
    # quantity_currency, else the account's base currency; a close stakes what it closes.
    bets = [t for t in sample.trades if t.instrument.product is Product.SPREAD_BET]
    assert {t.quantity_currency for t in bets} >= {None, "GBP", "USD"}
    assert all(t.quantity_currency in (None, t.instrument.quote_currency) for t in bets)
    opened = {t.trade_id: t for t in bets if t.position_effect is PositionEffect.OPEN}
    closes = [t for t in bets if t.closes in opened]
    assert closes
    for close in closes:
        assert close.quantity_currency == opened[close.closes].quantity_currency
        assert close.quantity == opened[close.closes].quantity
    others = [t for t in sample.trades if t.instrument.product is not Product.SPREAD_BET]
    assert all(t.quantity_currency is None for t in others)


def test_prices_keep_their_instrument_tick(sample: SampleSet) -> None:
    exponents: dict[str, set[int]] = defaultdict(set)
    for trade in sample.trades:
        exponent = trade.price.as_tuple().exponent
        assert isinstance(exponent, int)
        exponents[trade.instrument.symbol].add(exponent)
    assert all(len(found) == 1 for found in exponents.values()), exponents
    assert exponents["EURUSD"] == {-5}
    assert exponents["USDJPY"] == {-3}


def test_planted_leverage_breaches_are_true(sample: SampleSet) -> None:
    trades = _by_id(sample.trades, "trade_id")
    accounts = _by_id(sample.accounts, "account_id")
    planted = {p.keys[0] for p in _planted(sample, "leverage_above_cap")}
    assert len(planted) >= 20
    for trade_id in planted:
        trade = trades[trade_id]
        assert accounts[trade.account_id].category is ClientCategory.RETAIL
        assert trade.instrument.product is Product.CFD
        assert trade.position_effect is PositionEffect.OPEN
        assert trade.leverage > ESMA_RETAIL_LEVERAGE_CAPS[trade.instrument.underlying_class]


def test_other_retail_cfd_openings_are_within_the_cap(sample: SampleSet) -> None:
    accounts = _by_id(sample.accounts, "account_id")
    planted = {p.keys[0] for p in _planted(sample, "leverage_above_cap")}
    checked = 0
    for trade in sample.trades:
        if (
            trade.trade_id not in planted
            and accounts[trade.account_id].category is ClientCategory.RETAIL
            and trade.instrument.product is Product.CFD
            and trade.position_effect is PositionEffect.OPEN
        ):
            assert trade.leverage is not None
            assert trade.leverage <= ESMA_RETAIL_LEVERAGE_CAPS[trade.instrument.underlying_class]
            checked += 1
    assert checked > sample.config.trades // 4


# --- accounts and KYC --------------------------------------------------------------------------


def test_planted_expired_kyc_accounts_trade_after_expiry(sample: SampleSet) -> None:
    accounts = _by_id(sample.accounts, "account_id")
    first_trade: dict[str, Any] = {}
    last_trade: dict[str, Any] = {}
    for trade in sample.trades:
        first_trade.setdefault(trade.account_id, trade.executed_at)
        last_trade[trade.account_id] = trade.executed_at
    planted = {p.keys[0] for p in _planted(sample, "expired_kyc")}
    assert planted
    for account_id in planted:
        kyc = accounts[account_id].kyc
        assert kyc is not None
        assert kyc.expires_at is not None
        assert kyc.status is KycStatus.EXPIRED or kyc.expires_at < first_trade[account_id]
    for account_id, last in last_trade.items():
        if account_id not in planted:
            kyc = accounts[account_id].kyc
            assert kyc is not None
            assert kyc.status is KycStatus.VERIFIED
            assert kyc.expires_at is not None
            assert kyc.expires_at > last


def test_pending_accounts_neither_trade_nor_move_money(sample: SampleSet) -> None:
    pending = {a.account_id for a in sample.accounts if a.kyc and a.kyc.status is KycStatus.PENDING}
    assert not pending & {t.account_id for t in sample.trades}
    assert not pending & {m.account_id for m in sample.movements}


def test_entities_have_valid_leis(sample: SampleSet) -> None:
    entities = [a.holder for a in sample.accounts if isinstance(a.holder, LegalEntity)]
    assert entities
    assert all(e.lei and ids.is_valid_lei(e.lei) for e in entities)


# --- cash ----------------------------------------------------------------------------------------


def test_planted_structuring_is_true(sample: SampleSet) -> None:
    movements = _by_id(sample.movements, "movement_id")
    planted_ids: set[str] = set()
    groups = _planted(sample, "structuring")
    assert groups
    for group in groups:
        deposits = [movements[key] for key in group.keys]
        assert 3 <= len(deposits) <= 5
        assert len({d.account_id for d in deposits}) == 1
        assert all(d.kind is MovementKind.DEPOSIT and d.currency == "EUR" for d in deposits)
        assert all(Decimal(9000) <= d.amount <= Decimal(9990) for d in deposits)
        times = sorted(d.at for d in deposits)
        assert times[-1] - times[0] <= timedelta(hours=48)
        planted_ids.update(group.keys)
    for movement in sample.movements:
        if movement.kind is MovementKind.DEPOSIT and movement.movement_id not in planted_ids:
            assert not Decimal(9000) <= movement.amount < Decimal(10000)


def test_payers_are_the_holders_but_for_planted_third_parties(sample: SampleSet) -> None:
    accounts = _by_id(sample.accounts, "account_id")
    planted = {p.keys[0] for p in _planted(sample, "third_party_payer")}
    assert planted
    for movement in sample.movements:
        holder = _holder_name(accounts[movement.account_id])
        if movement.movement_id in planted:
            assert movement.kind is MovementKind.DEPOSIT
            assert movement.payer_name
            assert movement.payer_name != holder
        elif movement.payer_name is not None:
            assert movement.payer_name == holder
        if movement.method is PaymentMethod.BANK_TRANSFER:
            assert movement.payer_iban
            assert ids.is_valid_iban(movement.payer_iban)


def test_bonuses_to_retail_are_only_the_planted_ones(sample: SampleSet) -> None:
    accounts = _by_id(sample.accounts, "account_id")
    planted = {p.keys[0] for p in _planted(sample, "bonus_to_retail")}
    assert planted
    for movement in sample.movements:
        if movement.kind is MovementKind.BONUS:
            retail = accounts[movement.account_id].category is ClientCategory.RETAIL
            assert retail == (movement.movement_id in planted)


# --- snapshots -----------------------------------------------------------------------------------


def test_negative_equity_only_where_planted(sample: SampleSet) -> None:
    accounts = _by_id(sample.accounts, "account_id")
    planted = {p.keys for p in _planted(sample, "negative_equity")}
    assert planted
    found = set()
    for snapshot in sample.snapshots:
        key = (snapshot.account_id, snapshot.at.isoformat().replace("+00:00", "Z"))
        retail = accounts[snapshot.account_id].category is ClientCategory.RETAIL
        if key in planted:
            assert retail
            assert snapshot.equity < 0
            found.add(key)
        else:
            assert snapshot.equity >= 0
            # and no margin close-out either (equity at least half the margin required)
            assert snapshot.equity * 2 >= (snapshot.margin_required or 0)
    assert found == planted


def test_snapshots_follow_the_trades(sample: SampleSet) -> None:
    last_day = max(s.at for s in sample.snapshots)
    opens: Counter[str] = Counter()
    for trade in sample.trades:
        step = 1 if trade.position_effect is PositionEffect.OPEN else -1
        opens[trade.account_id] += step
    for snapshot in sample.snapshots:
        assert snapshot.at.hour == 22
        if snapshot.at == last_day:
            assert snapshot.open_positions == opens[snapshot.account_id]


# --- people --------------------------------------------------------------------------------------

ANNEX2 = json.loads(
    (Path(ids.__file__).parent / "data" / "annex2_national_client_ids.json").read_text(
        encoding="utf-8"
    )
)
EEA = set(ANNEX2["regimes"]["EU"]["listed"])


def _persons(sample: SampleSet) -> list[NaturalPerson]:
    return [a.holder for a in sample.accounts if isinstance(a.holder, NaturalPerson)]


def test_names_exercise_every_concat_rule(sample: SampleSet) -> None:
    persons = _persons(sample)
    firsts = [p.first_name for p in persons]
    surnames = [p.surname for p in persons]
    names = " ".join(firsts + surnames)
    for prefix in ("van der ", "von ", "de la ", "de l'", "O'", "Mac ", "Mc ", "di ", "du "):
        assert any(s.startswith(prefix) for s in surnames), prefix
    for whole in ("Dupont", "Vandermeer", "Macdonald", "Van"):
        assert whole in surnames, whole
    for letter in ("Ø", "ß", "Æ", "Þ", "Œ", "é", "ñ", "ü"):
        assert letter in names, letter
    assert any(f.startswith(("Dr. ", "Mrs. ")) for f in firsts)
    assert any("-" in f for f in firsts)
    assert any(" " in f and "." not in f for f in firsts)  # a second first name
    assert any("'" in s for s in surnames)
    assert any(len(p.first_name) <= 2 and len(p.surname) <= 2 for p in persons)


def test_nationalities_cover_the_eea_and_beyond(sample: SampleSet) -> None:
    persons = _persons(sample)
    seen = {code for p in persons for code in p.nationalities}
    assert EEA | {"GB", "US", "CH", "ZA", "AE", "CN", "IN", "BR"} <= seen
    assert any(set(p.nationalities) == {"DE", "FR"} for p in persons)
    assert any(set(p.nationalities) == {"US", "IE"} for p in persons)
    assert all(p.date_of_birth is not None for p in persons)


@pytest.mark.parametrize("regime", ["EU", "UK"])
def test_every_person_gets_their_first_priority_identifier(sample: SampleSet, regime: str) -> None:
    table = ANNEX2
    listed = set(table["regimes"][regime]["listed"])
    for person in _persons(sample):
        scheme, value = ids.national_client_id(person, regime)  # type: ignore[arg-type]
        eea = sorted(set(person.nationalities) & listed)
        row = table["countries"][eea[0]] if eea else table["all_other_countries"]
        first = row["priorities"][0]
        assert scheme == first["scheme"], (person, first)
        country = eea[0] if eea else sorted(person.nationalities)[0]
        assert value.startswith(country)
        assert re.fullmatch(first["format"], value[2:]), (person, value)


def test_no_trade_is_after_its_instruments_expiry() -> None:
    # ESMA's MiFIR rule on field 55 (MIFIR-VR-055-01): a contract is not traded after it
    # expired. A one-week FX swap over twelve trading days expires with the period.
    sample = generate(SampleConfig(trades=600, days=12))
    dated = [t for t in sample.trades if t.instrument.expiry_date is not None]
    assert dated
    assert all(t.executed_at.date() <= t.instrument.expiry_date for t in dated)  # type: ignore[operator]
