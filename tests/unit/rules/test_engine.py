"""The per-record engine: what the ESMA leverage rule finds, and how a result is built."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

import regkit as rk
from regkit.rules.engine import Checker
from regkit.rules.findings import Severity
from regkit.rules.policy import parse_policy

POLICY = """\
policy: esma-cfd-retail
version: "2026.1"
effective_from: 2018-08-01
parameters:
  leverage_caps: {fx_major: 30, fx_minor: 20, gold: 20, index_major: 20, commodity: 10,
                  index_minor: 10, equity: 5, crypto: 2, other: 5, bond: 5}
rules:
  - id: ESMA-CFD-LEV
    title: Retail CFD leverage above the ESMA cap
    severity: high
    applies_to: trade
    when: account.category == "retail" and trade.instrument.product == "cfd"
    assert: trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]
    message: "leverage {trade.leverage}:1 above the \\
{params.leverage_caps[trade.instrument.underlying_class]}:1 cap"
    evidence: [trade.leverage, trade.instrument.underlying_class]
    reference: {regulator: ESMA, document: "Decision (EU) 2018/796", article: "Art. 2(a)"}
"""

AS_OF = datetime(2026, 11, 21, tzinfo=UTC)


def account(category: str = "retail", account_id: str = "A1") -> rk.Account:
    return rk.Account.model_validate(
        {
            "account_id": account_id,
            "category": category,
            "holder": {"first_name": "Ana", "surname": "Silva", "nationalities": ["PT"]},
        }
    )


def trade(trade_id: str, leverage: str, **instrument: Any) -> rk.Trade:
    spec = {
        "symbol": "EURUSD",
        "product": "cfd",
        "underlying_class": "fx_major",
        "base_currency": "EUR",
        "quote_currency": "USD",
    } | instrument
    return rk.Trade.model_validate(
        {
            "trade_id": trade_id,
            "account_id": "A1",
            "side": "buy",
            "quantity": "1000",
            "price": "1.1",
            "executed_at": "2026-11-20T09:30:00Z",
            "leverage": leverage,
            "instrument": spec,
        }
    )


def test_a_retail_cfd_above_its_cap_is_found_with_evidence_and_citation() -> None:
    checker = parse_policy(POLICY, "esma.yaml").compile(as_of=AS_OF)
    (finding,) = checker.check_trade(trade("T1", "50"), account())
    assert (finding.rule_id, finding.severity, finding.record_id) == ("ESMA-CFD-LEV", "high", "T1")
    assert finding.message == "leverage 50:1 above the 30:1 cap"
    assert finding.evidence == {
        "trade.leverage": Decimal("50"),
        "trade.instrument.underlying_class": rk.UnderlyingClass.FX_MAJOR,
    }
    assert finding.reference["document"] == "Decision (EU) 2018/796"
    assert finding.rule_version == "2026.1"


@pytest.mark.parametrize(
    ("leverage", "category", "instrument", "found"),
    [
        ("30", "retail", {}, False),  # at the cap
        ("31", "retail", {}, True),
        (
            "21",
            "retail",
            {"symbol": "EURTRY", "quote_currency": "TRY", "underlying_class": "fx_minor"},
            True,
        ),  # 20:1 for minor pairs
        (
            "3",
            "retail",
            {"symbol": "BTCUSD", "underlying_class": "crypto", "base_currency": None},
            True,
        ),  # 2:1 for crypto
        ("100", "professional", {}, False),  # the caps protect retail clients only
        ("100", "retail", {"product": "spot"}, False),  # and apply to CFDs
    ],
)
def test_the_caps_follow_the_esma_decision(
    leverage: str, category: str, instrument: dict[str, Any], found: bool
) -> None:
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    assert (
        bool(checker.check_trade(trade("T1", leverage, **instrument), account(category))) is found
    )


def test_a_rule_applies_only_while_it_is_in_force() -> None:
    later = POLICY.replace("effective_from: 2018-08-01", "effective_from: 2027-01-01")
    assert parse_policy(later).compile(as_of=AS_OF).check_trade(trade("T1", "50"), account()) == []


#: A price whose square overflows Python's decimal context (a literal that large is refused
#: when the policy loads, so an overflow comes from a record).
HUGE_PRICE = Decimal("1e600000")


def test_a_rule_that_cannot_decide_is_an_error_finding_never_a_pass() -> None:
    overflowing = POLICY.replace(
        "assert: trade.leverage <=",
        "assert: trade.price * trade.price > 0 and trade.leverage <=",
    )
    huge = trade("T1", "5").model_copy(update={"price": HUGE_PRICE})
    (finding,) = parse_policy(overflowing).compile(as_of=AS_OF).check_trade(huge, account())
    assert finding.severity is Severity.ERROR
    assert finding.message.startswith("the rule could not be decided: Overflow")


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_check_runs_a_batch_and_records_what_it_saw(engine: str) -> None:
    policy = parse_policy(POLICY, "esma.yaml")
    trades = [trade("T1", "50"), trade("T2", "10"), trade("T3", "40")]
    result = rk.check(policy, trades=trades, accounts=[account()], as_of=AS_OF, engine=engine)
    assert [f.record_id for f in result.findings] == ["T1", "T3"]
    assert result.records_checked == {"trade": 3, "account": 1}
    assert result.policy_sha256 == policy.sha256
    assert set(result.input_fingerprints) == {"trades", "accounts"}
    assert result.counts_by_severity == {"high": 2}
    with pytest.raises(rk.ComplianceError):
        result.raise_for_findings(min_severity="high")


def test_one_crashing_rule_does_not_hide_the_others() -> None:
    two = (
        POLICY
        + """\
  - id: OVERFLOW
    severity: low
    applies_to: trade
    assert: trade.price * trade.price > 0
  - id: SMALL
    severity: low
    applies_to: trade
    assert: trade.quantity < 10
"""
    )
    huge = trade("T1", "50").model_copy(update={"price": HUGE_PRICE})
    findings = parse_policy(two).compile(as_of=AS_OF).check_trade(huge, account())
    assert [(f.rule_id, str(f.severity)) for f in findings] == [
        ("ESMA-CFD-LEV", "high"),
        ("OVERFLOW", "error"),
        ("SMALL", "low"),
    ]


def test_rules_with_their_own_dates_keep_the_policy_order() -> None:
    dated = (
        POLICY
        + """\
  - id: LATER
    severity: low
    applies_to: trade
    effective_from: 2026-01-01
    assert: trade.quantity < 10
  - id: ALWAYS
    severity: low
    applies_to: trade
    assert: trade.quantity < 10
"""
    )
    findings = parse_policy(dated).compile(as_of=AS_OF).check_trade(trade("T1", "50"), account())
    assert [f.rule_id for f in findings] == ["ESMA-CFD-LEV", "LATER", "ALWAYS"]
    early = trade("T2", "50").model_copy(update={"executed_at": datetime(2025, 6, 1, tzinfo=UTC)})
    findings = parse_policy(dated).compile(as_of=AS_OF).check_trade(early, account())
    assert [f.rule_id for f in findings] == ["ESMA-CFD-LEV", "ALWAYS"]


def test_a_message_that_formats_a_time_runs_in_the_generated_function() -> None:
    # Formatting a datetime with %Y imports a module: the generated code (run without
    # builtins) must format it itself, not raise and fall back to the rule-by-rule path.
    text = POLICY.replace('message: "leverage', 'message: "{trade.executed_at:%Y-%m-%d}: leverage')
    checker = parse_policy(text).compile(as_of=AS_OF)
    deal, owner = trade("T1", "50"), account()
    batch = checker.checked.batch("trade")
    (finding,) = batch.findings(deal, owner, AS_OF, deal.executed_at)
    assert finding.message == "2026-11-20: leverage 50:1 above the 30:1 cap"
    assert checker.check_trade(deal, owner) == [finding]


# --- as_of: one instant, however it is given (issue 12, item 2) --------------------------

CLOCK = """\
policy: clock
version: "1"
rules:
  - id: AFTER-AS-OF
    severity: high
    applies_to: trade
    assert: trade.executed_at <= as_of
    message: "executed {trade.executed_at} after as_of {as_of}"
"""

#: The start of 2026-11-20 in UTC, in every form ``as_of`` may take.
MIDNIGHT = datetime(2026, 11, 20, tzinfo=UTC)
MIDNIGHT_FORMS = [
    date(2026, 11, 20),
    MIDNIGHT,
    datetime(2026, 11, 19, 19, tzinfo=timezone(timedelta(hours=-5))),
    "2026-11-20",
    "2026-11-20T00:00:00Z",
    " 2026-11-20T01:00:00+01:00 ",
]


def executed(trade_id: str, at: str) -> rk.Trade:
    return trade(trade_id, "10").model_copy(update={"executed_at": datetime.fromisoformat(at)})


@pytest.mark.parametrize("engine", ["python", "polars"])
@pytest.mark.parametrize("as_of", MIDNIGHT_FORMS, ids=repr)
def test_as_of_is_one_utc_instant_in_any_form_on_both_engines(engine: str, as_of: Any) -> None:
    # A date is the start of its day in UTC; text and other offsets are the same instant.
    deals = [
        executed("T1", "2026-11-19T23:59:59+00:00"),
        executed("T2", "2026-11-20T00:00:00+00:00"),
        executed("T3", "2026-11-20T00:00:01+00:00"),
    ]
    result = rk.check(parse_policy(CLOCK), trades=deals, as_of=as_of, engine=engine)
    assert [(f.record_id, f.severity) for f in result.findings] == [("T3", Severity.HIGH)]
    assert result.findings[0].message == (
        "executed 2026-11-20T00:00:01Z after as_of 2026-11-20T00:00:00Z"
    )
    assert result.as_of == MIDNIGHT
    assert result.as_of.tzinfo is UTC


@pytest.mark.parametrize("as_of", MIDNIGHT_FORMS, ids=repr)
def test_the_embedded_checker_reads_as_of_in_any_form_as_utc(as_of: Any) -> None:
    checker = parse_policy(CLOCK).compile(as_of=as_of)
    assert checker.as_of == MIDNIGHT
    assert checker.as_of.tzinfo is UTC
    late = executed("T3", "2026-11-20T00:00:01+00:00")
    assert [f.record_id for f in checker.check_trade(late)] == ["T3"]
    assert Checker(parse_policy(CLOCK), as_of=as_of).as_of == MIDNIGHT


def test_mifir_data_quality_finds_the_same_for_as_of_as_text_or_datetime() -> None:
    # Traded on Monday 16 November; by Wednesday 08:00 UTC the T+1 deadline has passed.
    pack = rk.load_policy("mifir-data-quality")
    deals = [executed("T1", "2026-11-16T09:30:00+00:00"), executed("T2", "2026-11-17T15:00:00Z")]
    owner = account()
    found = {
        (repr(as_of), engine): [
            (f.rule_id, f.record_id, f.severity, f.message)
            for f in rk.check(
                pack, trades=deals, accounts=[owner], as_of=as_of, engine=engine
            ).findings
        ]
        for as_of in ("2026-11-18T09:00:00+01:00", datetime(2026, 11, 18, 8, tzinfo=UTC))
        for engine in ("python", "polars")
    }
    first = next(iter(found.values()))
    assert all(findings == first for findings in found.values()), found
    assert [(rule, record) for rule, record, *_ in first if rule == "MIFIR-LATE"] == [
        ("MIFIR-LATE", "T1")
    ]


@pytest.mark.parametrize(
    ("as_of", "error", "says"),
    [
        (12345, TypeError, "got int 12345"),
        (..., TypeError, "got ellipsis Ellipsis"),
        (True, TypeError, "got bool True"),  # a bool is not a date
        (1.7e9, TypeError, "got float"),
        (datetime(2026, 11, 20, 9, 30), ValueError, "naive"),
        ("2026-11-20T09:30:00", ValueError, "no offset"),
        ("yesterday", ValueError, "got 'yesterday'"),
        ("", ValueError, "got ''"),
    ],
    ids=repr,
)
def test_an_as_of_that_is_not_a_time_is_refused_naming_as_of(
    as_of: Any, error: type[Exception], says: str
) -> None:
    policy = parse_policy(CLOCK)
    deals = [executed("T1", "2026-11-19T23:59:59+00:00")]
    for engine in ("python", "polars"):
        with pytest.raises(error, match=r"^as_of: ") as raised:
            rk.check(policy, trades=deals, as_of=as_of, engine=engine)
        assert says in str(raised.value)
    with pytest.raises(error, match=r"^as_of: "):
        policy.compile(as_of=as_of)
    with pytest.raises(error, match=r"^as_of: "):
        Checker(policy, as_of=as_of)


# --- the embedded checker refuses a wrong account or a non-record (issue 12, item 7) ------


def test_check_trade_refuses_an_account_that_is_not_the_trades() -> None:
    # Checking a client's trade against another client's account (another category, other
    # limits) would silently give the wrong answer.
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    with pytest.raises(
        ValueError, match=r"^check_trade: account: 'A2' is not the trade's account 'A1'$"
    ):
        checker.check_trade(trade("T1", "50"), account("professional", account_id="A2"))
    assert checker.check_trade(trade("T1", "50"), account=None) == []  # no account: none read


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda c, r: c.check_trade(r.trade.model_dump(), r.account),
            "check_trade: trade: expected a regkit.Trade, got dict",
        ),
        (
            lambda c, r: c.check_trade(r.trade, r.account.model_dump()),
            "check_trade: account: expected a regkit.Account or None, got dict",
        ),
        (
            lambda c, r: c.check_trade(r.movement, r.account),
            "check_trade: trade: expected a regkit.Trade, got CashMovement",
        ),
        (
            lambda c, r: c.check_movement(r.movement.model_dump(), r.account),
            "check_movement: movement: expected a regkit.CashMovement, got dict",
        ),
        (
            lambda c, r: c.check_snapshot(r.trade, r.account),
            "check_snapshot: snapshot: expected a regkit.AccountSnapshot, got Trade",
        ),
        (
            lambda c, r: c.check_account(r.account.model_dump()),
            "check_account: account: expected a regkit.Account, got dict",
        ),
        (
            lambda c, r: c.check("trade", r.movement, r.account),
            "check: record: expected a regkit.Trade, got CashMovement",
        ),
        (
            lambda c, r: c.check("trades", r.trade, r.account),
            "check: kind: expected one of 'trade', 'account', 'movement', 'snapshot', "
            "'emir_report', 'mifir_report', got 'trades'",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_the_embedded_checker_refuses_a_non_record_naming_the_argument(
    call: Any, message: str, movement_data: dict[str, Any]
) -> None:
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    records = SimpleNamespace(
        trade=trade("T1", "50"),
        account=account(),
        movement=rk.CashMovement.model_validate(movement_data),
    )
    with pytest.raises((TypeError, ValueError)) as raised:
        call(checker, records)
    assert str(raised.value) == message
    assert isinstance(raised.value, ValueError if "kind" in message else TypeError)


@pytest.mark.parametrize("method", ["check_movement", "check_snapshot", "check"])
def test_every_record_kind_refuses_an_account_that_is_not_its_own(
    method: str, movement_data: dict[str, Any], snapshot_data: dict[str, Any]
) -> None:
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    movement = rk.CashMovement.model_validate(movement_data)
    snapshot = rk.AccountSnapshot.model_validate(snapshot_data)
    other = account(account_id="A2")
    calls = {
        "check_movement": (lambda: checker.check_movement(movement, other), "movement"),
        "check_snapshot": (lambda: checker.check_snapshot(snapshot, other), "snapshot"),
        "check": (lambda: checker.check("movement", movement, other), "record"),
    }
    run, name = calls[method]
    with pytest.raises(
        ValueError, match=rf"^{method}: account: 'A2' is not the {name}'s account 'A1'$"
    ):
        run()


def test_a_trade_of_a_subclass_is_still_a_trade() -> None:
    class Booked(rk.Trade):
        pass

    deal = Booked.model_validate(trade("T1", "50").model_dump())
    checker = parse_policy(POLICY).compile(as_of=AS_OF)
    assert [f.record_id for f in checker.check_trade(deal, account())] == ["T1"]


@pytest.mark.parametrize("engine", ["python", "polars"])
def test_check_refuses_an_input_that_is_not_records_of_its_kind(engine: str) -> None:
    deals = [trade("T1", "50"), trade("T2", "10").model_dump()]
    with pytest.raises(TypeError, match=r"^check: trades\[1\]: expected a regkit.Trade, got dict$"):
        rk.check(parse_policy(POLICY), trades=deals, as_of=AS_OF, engine=engine)


def test_a_product_past_polars_decimals_is_decided_per_record_on_both_engines() -> None:
    # Issue 13: polars refuses ``quantity * 1000`` for a whole column once one product
    # passes Decimal(38, 16); the check must not crash, and must find what python finds.
    big = POLICY.replace(
        "assert: trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]",
        "assert: trade.quantity * 1000 < 5000000",
    )
    trades = [
        trade("T1", "10").model_copy(update={"quantity": Decimal("99999999999999999999")}),
        trade("T2", "10"),
        trade("T3", "10").model_copy(update={"quantity": Decimal("5000")}),
    ]
    found = {
        engine: [
            (f.record_id, f.severity)
            for f in rk.check(
                parse_policy(big), trades=trades, accounts=[account()], engine=engine
            ).findings
        ]
        for engine in ("python", "polars")
    }
    assert found["python"] == [("T1", Severity.HIGH), ("T3", Severity.HIGH)]
    assert found["polars"] == found["python"]


@pytest.mark.parametrize("engine", ["python", "polars", "auto"])
def test_accounts_given_as_a_frame_are_fingerprinted_as_records_on_every_engine(
    engine: str, tmp_path: Any
) -> None:
    # The accounts' holders have a list column (nationalities): their fingerprint is that of
    # the records, whichever engine runs, as the audit pack and the CLI have always shown it.
    from regkit.rules.findings import fingerprint
    from regkit.samples import SampleConfig, write_samples

    write_samples(tmp_path, SampleConfig(trades=40), format="parquet")
    accounts = rk.read_frame(tmp_path / "accounts.parquet", rk.Account)
    trades = rk.read_frame(tmp_path / "trades.parquet", rk.Trade)
    result = rk.check(
        rk.load_policy("esma-cfd-retail"),
        trades=trades,
        accounts=accounts,
        as_of="2026-12-01",
        engine=engine,
    )
    records = rk.read_records(tmp_path / "accounts.parquet", rk.Account).records
    assert result.input_fingerprints["accounts"] == fingerprint(records)
    assert result.records_checked == {"trade": 40, "account": len(records)}
