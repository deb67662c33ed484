"""Hypothesis strategies that build valid regkit records of every kind.

Use them anywhere in the test suite (``tests/conftest.py`` puts this folder on
``sys.path``)::

    from strategies import accounts, trades

    @given(trades())
    def test_something(trade): ...

Every strategy yields a *validated record* (built through the model, so it is valid by
construction and any strategy bug shows up as a validation error, not a silent bad record).
Values are what a brokerage really has: exact ``Decimal`` amounts with fixed places,
timezone-aware datetimes in several zones (fixed offsets and DST zones), persons and
entities with real check-digit identifiers (LEI, ISIN, IBAN, UTI computed with
``python-stdnum``, an oracle independent of regkit), and optional fields sometimes ``None``.

Identifiers (``trade_id``, ``account_id`` ...) can be fixed by argument, e.g.
``trades(account_id=st.just("A1"))``, which is how rule tests join trades to an account.
For lists with distinct keys use ``st.lists(trades(), unique_by=key_of)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import strategies as st
from stdnum import isin as stdnum_isin
from stdnum.iso7064 import mod_97_10

from regkit import (
    Account,
    AccountSnapshot,
    Capacity,
    CashMovement,
    ClientCategory,
    Delivery,
    Firm,
    Instrument,
    Kyc,
    KycStatus,
    LegalEntity,
    MovementKind,
    NaturalPerson,
    PaymentMethod,
    PositionEffect,
    Product,
    Record,
    RiskRating,
    Side,
    Trade,
    UnderlyingClass,
)
from regkit.errors import IdentifierError
from regkit.schemas import AgreementTerms, CounterpartyNature
from regkit.schemas.identifiers import (
    COMMODITY_CLASSIFICATION,
    FINANCIAL_SECTORS,
    MASTER_AGREEMENT_TYPES,
    NACE_SECTIONS,
    commodity_problem,
    derive_cfi,
)
from regkit.schemas.io import to_frame
from regkit.schemas.types import DECIMAL_PLACES, WHOLE_DIGITS

__all__ = [
    "MAJORS",
    "MINORS",
    "RECORD_STRATEGIES",
    "accounts",
    "agreements",
    "amounts",
    "aware_datetimes",
    "cfis",
    "countries",
    "currencies",
    "decimal_texts",
    "derived_cfi",
    "entities",
    "firms",
    "holders",
    "ibans",
    "identifiers",
    "instruments",
    "isins",
    "joined_frame",
    "key_of",
    "kycs",
    "leis",
    "mics",
    "movements",
    "persons",
    "snapshots",
    "texts",
    "trades",
    "upis",
    "utis",
    "wide_decimals",
]

# --- code lists ----------------------------------------------------------------------------

#: ESMA's major currencies (Decision (EU) 2018/796): a pair of two of them is fx_major.
MAJORS = ("USD", "EUR", "JPY", "GBP", "CAD", "CHF")
#: Other ISO 4217 currencies a CFD broker quotes.
MINORS = ("AUD", "NZD", "SEK", "NOK", "PLN", "HUF", "CZK", "ZAR", "TRY", "MXN", "SGD", "HKD")
_COUNTRIES = ("DE", "FR", "CY", "GB", "PL", "IT", "ES", "NL", "SE", "CZ", "US", "AE", "MT")
_MICS = ("XOFF", "XXXX", "XLON", "XPAR", "XETR", "XNAS", "XNYS", "XCYS", "XWAR")
#: Real CFI codes: FX CFD, equity CFD, commodity forward, shares, a bond, a future, an option.
_CFIS = ("JFTXCC", "JESXCC", "JCAXCC", "JRIXCC", "ESVUFR", "DBFTFB", "FFICSX", "OCASPS")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

_ZONES = (
    UTC,
    timezone(timedelta(hours=2)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=13, minutes=45)),
    ZoneInfo("Europe/Nicosia"),
    ZoneInfo("Europe/London"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Tokyo"),
)

currencies = st.sampled_from(MAJORS + MINORS)
countries = st.sampled_from(_COUNTRIES)
mics = st.sampled_from(_MICS)
cfis = st.sampled_from(_CFIS)


# --- scalars -------------------------------------------------------------------------------

# Names and free text as they come from back-office systems: accents, other scripts, and
# the characters that CSV and JSON must quote or escape (comma, quotes, semicolon).
_TEXT_ALPHABET = st.characters(
    codec="utf-8",
    categories=("L", "Nd"),
    include_characters=" ,;'\"-./&()\n\r\t",
)


def texts(min_size: int = 1, max_size: int = 24) -> st.SearchStrategy[str]:
    """Non-empty text without surrounding white space (what a ``Text`` field keeps)."""
    return (
        st.text(_TEXT_ALPHABET, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda text: len(text) >= min_size)
    )


def identifiers(prefix: str) -> st.SearchStrategy[str]:
    """A record id such as ``T000123`` or ``T-7f3A``."""
    return st.builds(
        lambda body: f"{prefix}{body}",
        st.text("0123456789abcdefABCDEF-_", min_size=1, max_size=10),
    )


def aware_datetimes(
    min_value: datetime = datetime(2000, 1, 1),
    max_value: datetime = datetime(2099, 12, 31),
) -> st.SearchStrategy[datetime]:
    """Timezone-aware datetimes in fixed offsets and DST zones, microseconds included."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=st.sampled_from(_ZONES))


def amounts(
    min_value: str | None = "0.01",
    max_value: str = "1000000000",
    places: tuple[int, ...] = (0, 2, 4, 6),
) -> st.SearchStrategy[Decimal]:
    """Exact decimals with a fixed number of places (``None`` minimum: may be negative)."""
    low = Decimal(min_value) if min_value is not None else -Decimal(max_value)
    return st.sampled_from(places).flatmap(
        lambda n: st.decimals(
            min_value=max(low, Decimal(1).scaleb(-n)) if low > 0 else low,
            max_value=Decimal(max_value),
            places=n,
            allow_nan=False,
            allow_infinity=False,
        )
    )


@st.composite
def wide_decimals(draw: st.DrawFn, min_value: int | None = None) -> Decimal:
    """Any decimal a record accepts, so that one column mixes the extremes: up to 20 digits
    before the point and 18 after it, with trailing zeros that do not count as places
    (``1.50000``) and exponent forms (``1.2E+11``, ``1E-18``). ``min_value`` 0 or 1: at
    least that (a margin, a price); ``None``: negative too.

    Built from digit tuples, never by arithmetic, which would round to 28 digits.
    """
    places = draw(st.integers(0, DECIMAL_PLACES))
    whole = draw(st.integers(0 if places and not min_value else 1, WHOLE_DIGITS))
    top = 10 ** (whole + places) - 1
    low = -top if min_value is None else min_value * 10**places
    coefficient = draw(st.integers(low, top))
    digits = tuple(int(char) for char in str(abs(coefficient)))
    sign = int(coefficient < 0)
    zeros = draw(st.sampled_from((0, 0, 0, 1, 7)))
    value = Decimal((sign, digits + (0,) * zeros, -places - zeros))
    if draw(st.booleans()):
        # The shortest form: trailing zeros into the exponent (12000 as 1.2E+4).
        kept = len(digits) - len(str(abs(coefficient)).rstrip("0")) if coefficient else 0
        value = Decimal((sign, digits[: len(digits) - kept] or (0,), -places + kept))
    return value


#: Decimal spellings the model refuses, with why: beyond its digit limits, or no number.
_REFUSED_DECIMALS = (
    "1" * 21,  # 21 digits before the point
    "0." + "1" * 19,  # 19 places
    "0.1428571428571428571428571429",  # Decimal(1) / Decimal(7): 28 places
    "1" * 20 + "." + "1" * 19,  # 39 digits in all
    "1E+20",
    "1E-19",
    "1e99999",
    "NaN",
    "-inf",
    "1,5",
    "1.2.3",
    ".",
    "e5",
)
#: Spellings of accepted values that polars does not parse itself.
_ODD_DECIMALS = ("1_000", "\u0661\u0662", "\uff11\uff12.5", "1e-00005", "+.5E1", "00012.50")


def decimal_texts(min_value: int | None = None) -> st.SearchStrategy[str]:
    """A decimal cell as files carry it: any accepted value in several spellings (as
    ``str`` writes it, fixed-point, with a plus sign, lower-case exponent), or one the
    model refuses."""
    values = wide_decimals(min_value)
    spelled = st.one_of(
        values.map(str),
        values.map("{:f}".format),
        values.map(lambda value: str(value).lower()),
        values.filter(lambda value: value >= 0).map("+{}".format),
    )
    others = st.sampled_from(_REFUSED_DECIMALS) | st.sampled_from(_ODD_DECIMALS)
    return st.one_of(spelled, spelled, spelled, others)


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


# --- identifiers with check digits -------------------------------------------------------


@st.composite
def leis(draw: st.DrawFn) -> str:
    """An ISO 17442 LEI: 18 characters and MOD 97-10 check digits (computed by stdnum)."""
    prefix = draw(st.text(_ALNUM, min_size=18, max_size=18))
    return prefix + mod_97_10.calc_check_digits(prefix)


@st.composite
def isins(draw: st.DrawFn) -> str:
    """An ISO 6166 ISIN with its Luhn check digit (computed by stdnum)."""
    country = draw(st.sampled_from(("US", "DE", "GB", "FR", "XS", "IE")))
    body = country + draw(st.text(_ALNUM, min_size=9, max_size=9))
    return body + stdnum_isin.calc_check_digit(body)


@st.composite
def ibans(draw: st.DrawFn) -> str:
    """An ISO 13616 IBAN: country, MOD 97-10 check digits (stdnum), 11-30 character BBAN."""
    country = draw(countries)
    bban = draw(st.text(_ALNUM, min_size=11, max_size=30))
    return country + mod_97_10.calc_check_digits(bban + country) + bban


@st.composite
def utis(draw: st.DrawFn) -> str:
    """An ISO 23897 UTI: the generating entity's LEI and 1-32 letters or digits."""
    return draw(leis()) + draw(st.text(_ALNUM, min_size=1, max_size=32))


@st.composite
def upis(draw: st.DrawFn) -> str:
    """An ISO 4914 UPI in the format the ANNA DSB issues: QZ and 10 letters or digits."""
    return "QZ" + draw(st.text(_ALNUM, min_size=10, max_size=10))


def _decision_makers(client_may_decide: bool) -> st.SearchStrategy[str]:
    trader = st.text("abcdefghijklmnopqrstuvwxyz0123456789_.-@", min_size=1, max_size=20)
    algo = st.text("ABCDEFabcdef0123456789_.-", min_size=1, max_size=20).map("ALGO:{}".format)
    options = trader | algo
    return options | st.just("NORE") if client_may_decide else options


# --- parties -------------------------------------------------------------------------------


@st.composite
def persons(draw: st.DrawFn) -> NaturalPerson:
    """A natural person with one to three nationalities and zero to two national ids."""
    return NaturalPerson(
        first_name=draw(texts()),
        surname=draw(texts()),
        date_of_birth=draw(_optional(st.dates(date(1920, 1, 1), date(2008, 12, 31)))),
        nationalities=draw(st.lists(countries, min_size=1, max_size=3, unique=True)),
        national_ids=draw(
            st.dictionaries(
                st.sampled_from(("NIDN", "CCPT", "PESEL", "CONCAT", "NINO")),
                st.text(_ALNUM, min_size=1, max_size=20),
                max_size=2,
            )
        ),
        residence_country=draw(_optional(countries)),
    )


@st.composite
def entities(draw: st.DrawFn) -> LegalEntity:
    """A legal entity, with or without an LEI and a country; its EMIR nature with a sector
    that fits it (REFIT 1.11-1.14), or none."""
    nature = draw(_optional(st.sampled_from(CounterpartyNature)))
    sector = threshold = None
    if nature is CounterpartyNature.F:
        sector = draw(_optional(st.sampled_from(sorted(FINANCIAL_SECTORS))))
    elif nature is CounterpartyNature.N:
        sector = draw(_optional(st.sampled_from(sorted(NACE_SECTIONS))))
    if nature in (CounterpartyNature.F, CounterpartyNature.N):
        threshold = draw(_optional(st.booleans()))
    return LegalEntity(
        name=draw(texts()),
        lei=draw(_optional(leis())),
        country=draw(_optional(countries)),
        nature=nature,
        sector=sector,
        above_clearing_threshold=threshold,
        reporting_obligation=draw(_optional(st.booleans())),
    )


def holders() -> st.SearchStrategy[NaturalPerson | LegalEntity]:
    """An account holder: a person (more often) or an entity."""
    return st.one_of(persons(), entities())


@st.composite
def kycs(draw: st.DrawFn) -> Kyc:
    """Due diligence; when both are given, expiry is after verification."""
    verified_at = draw(_optional(aware_datetimes(max_value=datetime(2090, 1, 1))))
    expires_at = draw(_optional(aware_datetimes()))
    if verified_at is not None and expires_at is not None and expires_at <= verified_at:
        # In UTC: wall-clock arithmetic in a zone with daylight saving can go backwards.
        later = draw(st.timedeltas(timedelta(seconds=1), timedelta(days=1500)))
        expires_at = verified_at.astimezone(UTC) + later
    return Kyc(
        status=draw(st.sampled_from(KycStatus)),
        verified_at=verified_at,
        expires_at=expires_at,
        risk_rating=draw(_optional(st.sampled_from(RiskRating))),
        pep=draw(st.booleans()),
        source_of_funds_verified=draw(st.booleans()),
        enhanced_due_diligence=draw(st.booleans()),
    )


# --- records -------------------------------------------------------------------------------


def _agreement_terms() -> st.SearchStrategy[AgreementTerms]:
    """An account's own terms: at least one of them."""
    return (
        agreements()
        .filter(lambda terms: any(value is not None for value in terms.values()))
        .map(lambda terms: AgreementTerms(**terms))
    )


@st.composite
def agreements(draw: st.DrawFn) -> dict[str, Any]:
    """Master agreement and collateral terms (REFIT 2.26, 2.27, 2.34, 2.36) as fields: the
    portfolio code exactly when collateral is on a portfolio basis."""
    portfolio = draw(_optional(st.booleans()))
    return {
        "master_agreement_type": draw(_optional(st.sampled_from(sorted(MASTER_AGREEMENT_TYPES)))),
        "master_agreement_version": draw(_optional(st.integers(1900, 2099))),
        "collateral_portfolio": portfolio,
        "collateral_portfolio_code": (
            draw(st.text(_ALNUM + "abc", min_size=1, max_size=52)) if portfolio else None
        ),
    }


@st.composite
def accounts(draw: st.DrawFn, account_id: st.SearchStrategy[str] | None = None) -> Account:
    """A client account: a person or an entity, any category, optional KYC and dates."""
    opened_at = draw(_optional(aware_datetimes(max_value=datetime(2090, 1, 1))))
    closed_at = draw(_optional(aware_datetimes()))
    if opened_at is not None and closed_at is not None and closed_at <= opened_at:
        # In UTC: wall-clock arithmetic in a zone with daylight saving can go backwards.
        later = draw(st.timedeltas(timedelta(seconds=1), timedelta(days=3000)))
        closed_at = opened_at.astimezone(UTC) + later
    return Account(
        account_id=draw(account_id if account_id is not None else identifiers("A")),
        holder=draw(holders()),
        category=draw(st.sampled_from(ClientCategory)),
        branch_country=draw(_optional(countries)),
        base_currency=draw(_optional(currencies)),
        opened_at=opened_at,
        closed_at=closed_at,
        kyc=draw(_optional(kycs())),
        agreement=draw(_optional(_agreement_terms())),
    )


@st.composite
def _currency_pair(draw: st.DrawFn, underlying: UnderlyingClass) -> tuple[str | None, str | None]:
    if underlying is UnderlyingClass.FX_MAJOR:
        base, quote = draw(st.lists(st.sampled_from(MAJORS), min_size=2, max_size=2, unique=True))
        return base, quote
    if underlying is UnderlyingClass.FX_MINOR:
        minor = draw(st.sampled_from(MINORS))
        other = draw(currencies.filter(lambda code: code != minor))
        return (minor, other) if draw(st.booleans()) else (other, minor)
    # Gold, an index, a share: no base currency, usually a quote (price) currency.
    return draw(_optional(currencies)), draw(_optional(currencies))


@st.composite
def instruments(
    draw: st.DrawFn,
    underlying_class: st.SearchStrategy[UnderlyingClass] | None = None,
    conditional: bool = False,
) -> Instrument:
    """An instrument consistent with its class: FX pairs major or minor as ESMA groups them.

    ``conditional``: also the fields only some products may carry (an option's strike
    currency), which a caller that rewrites ``product`` must leave off."""
    underlying = draw(underlying_class or st.sampled_from(UnderlyingClass))
    base, quote = draw(_currency_pair(underlying))
    fields: dict[str, Any] = {
        "symbol": (base or "") + (quote or "") if base else draw(texts(max_size=12)),
        "product": draw(st.sampled_from(Product)),
        "underlying_class": underlying,
        "base_currency": base,
        "quote_currency": quote,
        "isin": draw(_optional(isins())),
        "full_name": draw(_optional(texts())),
        "delivery": draw(_optional(st.sampled_from(Delivery))),
        "underlying_index": draw(_optional(texts())),
        "expiry_date": draw(_optional(st.dates(date(2000, 1, 1), date(2099, 12, 31)))),
    }
    # A derivative's own ISIN is never its underlying's (RTS 22 fields 41 and 47).
    fields["underlying_isin"] = draw(_optional(isins().filter(lambda i: i != fields["isin"])))
    multiplier = draw(_optional(amounts(max_value="100000", places=(0, 2))))
    if multiplier is not None:
        fields["price_multiplier"] = multiplier
    fields["upi"] = draw(_optional(upis()))
    if conditional and fields["product"] is Product.OPTION:
        # A currency option's pair (EMIR-VR-2138-02), else one currency (EMIR-VR-2138-01).
        fx = underlying in (UnderlyingClass.FX_MAJOR, UnderlyingClass.FX_MINOR)
        pair = st.just(f"{base}/{quote}") if fx else currencies
        fields["strike_currency"] = draw(_optional(pair))
    fields.update(draw(_commodity_codes(underlying, fields["symbol"])))
    instrument = Instrument(**fields)
    # A given CFI must be the derived one (ISO 10962; Instrument's cfi_problem check): none,
    # that one, or any code where the terms derive none.
    derived = derived_cfi(instrument)
    cfi = draw(st.none() | (st.just(derived) if derived is not None else cfis))
    return instrument if cfi is None else Instrument(**fields, cfi=cfi)


def derived_cfi(instrument: Instrument | dict[str, Any]) -> str | None:
    """The CFI :func:`~regkit.schemas.identifiers.derive_cfi` derives for an instrument (or
    its fields, as ``model_dump`` gives them, ``cfi`` left out), or ``None`` when it derives
    none: what a test gives as ``cfi`` after rewriting the terms a CFI depends on."""
    if isinstance(instrument, dict):
        instrument = Instrument(**(instrument | {"cfi": None}))
    try:
        return derive_cfi(instrument)
    except IdentifierError:
        return None


@st.composite
def _commodity_codes(
    draw: st.DrawFn, underlying: UnderlyingClass, symbol: str
) -> dict[str, str | None]:
    """A commodity classification (REFIT 2.116-2.118) on a commodity underlying: a path of
    ESMA's table, which a derivable symbol's own classification may replace."""
    if underlying not in (UnderlyingClass.GOLD, UnderlyingClass.COMMODITY) or draw(st.booleans()):
        return {}
    base = draw(st.sampled_from(sorted(COMMODITY_CLASSIFICATION)))
    subs = COMMODITY_CLASSIFICATION[base]
    sub = draw(st.sampled_from(sorted(subs))) if subs else None
    furthers = subs.get(sub, frozenset()) if sub else frozenset()
    further = draw(st.sampled_from(sorted(furthers))) if furthers else None
    if commodity_problem(underlying.value, symbol, base, sub, further) is not None:
        return {}  # gold, or a symbol whose commodity is known: its own classification
    return {"base_product": base, "sub_product": sub, "further_sub_product": further}


@st.composite
def trades(
    draw: st.DrawFn,
    account_id: st.SearchStrategy[str] | None = None,
    instrument: st.SearchStrategy[Instrument] | None = None,
    conditional: bool = False,
) -> Trade:
    """An execution: any instrument, exact quantity and price, optional RTS 22 fields, an
    option's premium and a swap's near leg where they fit.

    ``conditional``: also ``closes`` on closing trades and the instrument's conditional
    fields, which a caller that rewrites ``position_effect`` or ``product`` must leave off."""
    default = instruments(conditional=conditional)
    fields: dict[str, Any] = {
        "trade_id": draw(identifiers("T")),
        "account_id": draw(account_id if account_id is not None else identifiers("A")),
        "instrument": draw(instrument if instrument is not None else default),
        "side": draw(st.sampled_from(Side)),
        "quantity": draw(amounts(max_value="10000000")),
        "price": draw(amounts(min_value="0.00001", max_value="1000000", places=(2, 5))),
        "executed_at": draw(aware_datetimes()),
        "price_currency": draw(_optional(currencies)),
        "capacity": draw(st.sampled_from(Capacity)),
        "leverage": draw(_optional(amounts(min_value="1", max_value="500", places=(0, 1)))),
        "margin": draw(_optional(amounts(min_value="0", max_value="1000000", places=(2,)))),
        "position_effect": draw(_optional(st.sampled_from(PositionEffect))),
        "uti": draw(_optional(utis())),
        "lp_reference": draw(_optional(texts())),
        "execution_decision": draw(_optional(_decision_makers(client_may_decide=True))),
        "investment_decision": draw(_optional(_decision_makers(client_may_decide=False))),
        "requested_price": draw(_optional(amounts(min_value="0.00001", places=(2, 5)))),
    }
    venue = draw(_optional(mics))
    if venue is not None:
        fields["venue"] = venue
    fields.update(draw(_terms(fields, conditional)))
    return Trade(**fields)


@st.composite
def _terms(draw: st.DrawFn, fields: dict[str, Any], conditional: bool) -> dict[str, Any]:
    """An option's premium, a swap's near leg, a closing trade's link, where they fit."""
    product = fields["instrument"].product
    terms: dict[str, Any] = {}
    if product is Product.OPTION:
        terms["option_premium"] = draw(_optional(amounts(min_value="0", places=(0, 2, 5))))
        terms["option_premium_payment_date"] = draw(
            _optional(st.dates(date(2000, 1, 1), date(2099, 12, 31)))
        )
    if product is Product.SWAP and draw(st.booleans()):
        terms["near_leg_rate"] = draw(amounts(min_value="0.00001", places=(5,)))
        terms["near_leg_value_date"] = draw(st.dates(date(2000, 1, 1), date(2099, 12, 31)))
    if conditional and fields["position_effect"] is not PositionEffect.OPEN:
        opening = draw(_optional(identifiers("T")))
        terms["closes"] = None if opening == fields["trade_id"] else opening
    return terms


@st.composite
def movements(draw: st.DrawFn, account_id: st.SearchStrategy[str] | None = None) -> CashMovement:
    """A cash movement: a positive amount, its kind, optional payer details."""
    return CashMovement(
        movement_id=draw(identifiers("M")),
        account_id=draw(account_id if account_id is not None else identifiers("A")),
        kind=draw(st.sampled_from(MovementKind)),
        amount=draw(amounts(max_value="5000000", places=(0, 2))),
        currency=draw(currencies),
        at=draw(aware_datetimes()),
        method=draw(_optional(st.sampled_from(PaymentMethod))),
        payer_name=draw(_optional(texts())),
        payer_country=draw(_optional(countries)),
        payer_iban=draw(_optional(ibans())),
    )


@st.composite
def snapshots(draw: st.DrawFn, account_id: st.SearchStrategy[str] | None = None) -> AccountSnapshot:
    """An account snapshot: balance and equity may be negative, margin is not."""
    return AccountSnapshot(
        account_id=draw(account_id if account_id is not None else identifiers("A")),
        at=draw(aware_datetimes()),
        balance=draw(amounts(min_value=None, max_value="10000000", places=(0, 2))),
        equity=draw(amounts(min_value=None, max_value="10000000", places=(0, 2))),
        currency=draw(currencies),
        margin_required=draw(_optional(amounts(min_value="0", places=(2,)))),
        open_positions=draw(st.integers(0, 500)),
    )


@st.composite
def firms(draw: st.DrawFn) -> Firm:
    """A reporting firm, reporting itself or through an ARM, to its home NCA or another."""
    return Firm(
        lei=draw(leis()),
        name=draw(texts()),
        country=draw(countries),
        submitting_entity_lei=draw(_optional(leis())),
        competent_authority=draw(_optional(countries)),
        investment_firm=draw(st.booleans()),
        above_clearing_threshold=draw(_optional(st.booleans())),
        **draw(agreements()),
    )


def key_of(record: Record) -> str:
    """The record key, for ``st.lists(..., unique_by=key_of)``."""
    return record.key


#: One strategy per top-level record class, for tests that run over every kind.
RECORD_STRATEGIES: dict[type[Record], st.SearchStrategy[Any]] = {
    Trade: trades(conditional=True),
    Account: accounts(),
    Instrument: instruments(conditional=True),
    CashMovement: movements(),
    AccountSnapshot: snapshots(),
    Firm: firms(),
    NaturalPerson: persons(),
    LegalEntity: entities(),
    Kyc: kycs(),
    AgreementTerms: _agreement_terms(),
}


def joined_frame(records: Sequence[Record], accounts: Sequence[Account]) -> pl.DataFrame:
    """Records as validated columns with their accounts' columns as ``account.*`` (what the
    polars backend reads), in the records' order."""
    frame = to_frame(list(records))
    side = to_frame(list(accounts))
    side = side.rename({name: f"account.{name}" for name in side.columns})
    return frame.join(
        side, left_on="account_id", right_on="account.account_id", how="left", maintain_order="left"
    )


#: Decimal texts Python's parsers read and no file format means, or that sit at the edges
#: of the shared grammar (issue 13): both readers must judge them alike.
HOSTILE_NUMBERS = (
    "1_0851",
    "\uff11\uff12\uff13",
    "\u0661\u0662\u0663",
    "NaN",
    "-Infinity",
    "1e5000",
    "0x1A",
    " 1.5 ",
    "+.5",
    "1E+3",
    "1.",
    "9" * 5000,
)
#: Timestamp texts: epoch seconds, other scripts' digits, forms without seconds or with a
#: compact offset, naive ones, and instants outside years 1 to 9999 in UTC.
HOSTILE_TIMES = (
    "1700000000",
    "\uff12\uff10\uff12\uff16-11-20T09:30:00Z",
    "2026-11-20T09:30Z",
    "2026-11-20 09:30:00+0100",
    "2026-11-20t09:30:00.5z",
    "2026-11-20T09:30:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:00:00-05:00",
    "9999-12-31T23:59:59Z",
)


def hostile_cells() -> st.SearchStrategy[tuple[str, str]]:
    """A kind of field ("decimal" or "datetime") and a hostile text for it."""
    return st.one_of(
        st.tuples(st.just("decimal"), st.sampled_from(HOSTILE_NUMBERS)),
        st.tuples(st.just("datetime"), st.sampled_from(HOSTILE_TIMES)),
    )
