"""Trades per second through 8 trade rules: regkit against peer rule engines, side by side.

One process, the same generated trades (default 200,000, with their accounts) and the same
8 rules, written once as a regkit policy and once for each peer:

* ``regkit per-record``: ``checker.check_trade(trade, account)`` on validated models, the
  embedded path (one call per trade, findings with message and evidence);
* ``regkit polars``: the 8 rules' failing masks (``when & ~assert`` lowered with
  ``Expr.polars``) in one lazy ``select`` over in-memory columns (trade columns and the
  ``account.*`` columns joined); building that frame from the models is timed apart, and
  the same masks by an eager ``frame.select`` are shown too;
* ``zen-engine``: a JDM graph (input node, decision table with one row per rule and hit
  policy ``collect``, output node), ``ZenEngine.evaluate(key, context)`` with a loader per
  trade; ``ZenDecision.evaluate(context)`` (the graph created once) is shown as well;
* ``cel``: the 8 rules as CEL programs (``common-expression-language``), each compiled once
  and executed per trade with a context dict;
* ``python loop``: the 8 rules written by hand over the same plain dicts.

The peers get each trade and its account converted once, before any timing, to a plain dict
(numbers as floats, instants as epoch milliseconds); regkit gets the validated models. A
timed run keeps what a service would keep, the answers with findings, and drops the empty
ones (keeping 200,000 answers alive makes the garbage collector's passes a third of the
time of the fastest engines). p50/p99 are of single calls, ``perf_counter_ns`` around each.
The script asserts that every engine found the same (rule id, trade id) findings and exits
with status 1 and a summary of the differences if one did not.

Peers come from the ``bench`` extra: ``pip install -e ".[bench]"``.
Run: ``.venv/bin/python benchmarks/bench_rules.py`` (or ``make bench-rules``);
``--trades 20000 --repeat 1`` for a quick run, ``--json PATH`` to keep the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

import regkit as rk
from regkit.rules import parse_policy
from regkit.samples import SampleConfig, write_samples
from regkit.schemas.io import to_frame

try:
    import cel
    import zen
except ImportError as exc:  # pragma: no cover - a hint, not a code path
    sys.exit(f"{exc}: the peers come from the bench extra: pip install -e '.[bench]'")

#: The time ``as_of`` means to the checker (no rule reads it; fixed so runs are the same).
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)

# --- the 8 rules -----------------------------------------------------------------------------

#: Euro value of one unit of each price currency (the retail notional limit is in EUR).
EUR_RATES = {
    "EUR": "1", "USD": "0.92", "GBP": "1.19", "JPY": "0.0061", "CHF": "1.05", "CAD": "0.68",
    "AUD": "0.61", "TRY": "0.027", "ZAR": "0.051", "PLN": "0.23", "HKD": "0.118",
}  # fmt: skip
LEVERAGE_CAPS = {
    "fx_major": 30, "fx_minor": 20, "gold": 20, "index_major": 20, "commodity": 10,
    "index_minor": 10, "equity": 5, "crypto": 2, "bond": 5, "other": 5,
}  # fmt: skip
MAX_QUANTITY = {
    "fx_major": 500000, "fx_minor": 500000, "gold": 10, "index_major": 10, "commodity": 500,
    "index_minor": 50, "equity": 200, "crypto": 5, "bond": 30, "other": 500,
}  # fmt: skip
ALLOWED_CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF", "CAD", "PLN", "HKD", "AUD")
MAX_SLIPPAGE = "0.0002"
MAX_LEVERAGE = 200
RETAIL_NOTIONAL_LIMIT_EUR = 100000


def _yaml_map(values: Mapping[str, object]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in values.items()) + "}"


POLICY = f"""
policy: bench-retail-cfd
version: "2026.1"
jurisdiction: EU
effective_from: 2018-08-01
parameters:
  leverage_caps: {_yaml_map(LEVERAGE_CAPS)}
  max_quantity: {_yaml_map(MAX_QUANTITY)}
  eur_rates: {_yaml_map(EUR_RATES)}
  allowed_currencies: [{", ".join(ALLOWED_CURRENCIES)}]
  max_slippage: {MAX_SLIPPAGE}
  max_leverage: {MAX_LEVERAGE}
  retail_notional_limit_eur: {RETAIL_NOTIONAL_LIMIT_EUR}
rules:
  - id: LEV-CAP
    title: Retail CFD opened above the ESMA leverage cap of its class
    severity: high
    applies_to: trade
    when: >-
      account.category == "retail" and trade.instrument.product == "cfd"
      and trade.position_effect == "open"
    assert: trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]
    message: "leverage {{trade.leverage}}:1 above the cap for {{trade.instrument.underlying_class}}"
    evidence: [trade.leverage, trade.instrument.underlying_class]
  - id: KYC-VALID
    title: Retail client trades without a valid KYC verification
    severity: high
    applies_to: trade
    when: account.category == "retail"
    assert: account.kyc.status == "verified" and account.kyc.expires_at > trade.executed_at
    message: "KYC {{account.kyc.status}}, expires {{account.kyc.expires_at}}"
    evidence: [account.kyc.status, account.kyc.expires_at]
  - id: QTY-LIMIT
    title: Quantity not above zero or above the firm's maximum for the class
    severity: medium
    applies_to: trade
    assert: >-
      trade.quantity > 0
      and trade.quantity <= params.max_quantity[trade.instrument.underlying_class]
    message: "quantity {{trade.quantity}} for {{trade.instrument.underlying_class}}"
    evidence: [trade.quantity]
  - id: SLIPPAGE
    title: Execution price outside the slippage band around the requested price
    severity: medium
    applies_to: trade
    when: trade.requested_price is not None
    assert: >-
      abs(trade.price - trade.requested_price) <= trade.requested_price * params.max_slippage
    message: "executed at {{trade.price}}, requested {{trade.requested_price}}"
    evidence: [trade.price, trade.requested_price]
  - id: CCY-ALLOWED
    title: Price currency the firm does not settle
    severity: low
    applies_to: trade
    assert: trade.price_currency in params.allowed_currencies
    message: "price currency {{trade.price_currency}}"
    evidence: [trade.price_currency]
  - id: RETAIL-DISCRETION
    title: Investment decision taken within the firm for an execution-only retail client
    severity: medium
    applies_to: trade
    when: account.category == "retail"
    assert: trade.investment_decision is None
    message: "investment decision by {{trade.investment_decision}}"
    evidence: [trade.investment_decision]
  - id: NOTIONAL-EUR
    title: Retail trade above the firm's notional limit in EUR
    severity: medium
    applies_to: trade
    when: account.category == "retail"
    assert: >-
      trade.notional * params.eur_rates[trade.price_currency]
      <= params.retail_notional_limit_eur
    message: "notional {{trade.notional}} {{trade.price_currency}}"
    evidence: [trade.notional, trade.price_currency]
  - id: CFD-MAX-LEV
    title: CFD without leverage or above the firm's hard leverage limit
    severity: high
    applies_to: trade
    when: trade.instrument.product == "cfd"
    assert: trade.leverage is not None and trade.leverage <= params.max_leverage
    message: "leverage {{trade.leverage}}"
    evidence: [trade.leverage]
"""

RULE_IDS = (
    "LEV-CAP",
    "KYC-VALID",
    "QTY-LIMIT",
    "SLIPPAGE",
    "CCY-ALLOWED",
    "RETAIL-DISCRETION",
    "NOTIONAL-EUR",
    "CFD-MAX-LEV",
)


def _zen_map(values: Mapping[str, object]) -> str:
    return "({" + ", ".join(f"{key}: {value}" for key, value in values.items()) + "})"


def _cel_map(values: Mapping[str, object]) -> str:
    return "{" + ", ".join(f"'{key}': {float(str(value))!r}" for key, value in values.items()) + "}"


def _quoted(values: Iterable[str]) -> str:
    return "[" + ", ".join(f"'{value}'" for value in values) + "]"


#: The failing condition of each rule in zen's expression language (nulls compared raise,
#: so every optional field is tested for null first, as regkit's null semantics decide).
ZEN_FAILS = {
    "LEV-CAP": (
        "category == 'retail' and product == 'cfd' "
        "and position_effect == 'open' and (leverage == null "
        f"or leverage > {_zen_map(LEVERAGE_CAPS)}[underlying_class])"
    ),
    "KYC-VALID": (
        "category == 'retail' and (kyc_status != 'verified' "
        "or kyc_expires_ms == null or kyc_expires_ms <= executed_ms)"
    ),
    "QTY-LIMIT": (f"quantity <= 0 or quantity > {_zen_map(MAX_QUANTITY)}[underlying_class]"),
    "SLIPPAGE": (
        "requested_price != null and abs(price - requested_price) "
        f"> requested_price * {MAX_SLIPPAGE}"
    ),
    "CCY-ALLOWED": (
        f"price_currency == null or not (price_currency in {_quoted(ALLOWED_CURRENCIES)})"
    ),
    "RETAIL-DISCRETION": "category == 'retail' and investment_decision != null",
    "NOTIONAL-EUR": (
        "category == 'retail' and (price_currency == null "
        f"or {_zen_map(EUR_RATES)}[price_currency] == null "
        f"or notional * {_zen_map(EUR_RATES)}[price_currency] "
        f"> {RETAIL_NOTIONAL_LIMIT_EUR})"
    ),
    "CFD-MAX-LEV": (f"product == 'cfd' and (leverage == null or leverage > {MAX_LEVERAGE})"),
}

#: The failing condition of each rule in CEL (no coercion of null: tested first; no abs).
CEL_FAILS = {
    "LEV-CAP": (
        "category == 'retail' && product == 'cfd' "
        "&& position_effect == 'open' && (leverage == null "
        f"|| leverage > {_cel_map(LEVERAGE_CAPS)}[underlying_class])"
    ),
    "KYC-VALID": (
        "category == 'retail' && (kyc_status != 'verified' "
        "|| kyc_expires_ms == null || kyc_expires_ms <= executed_ms)"
    ),
    "QTY-LIMIT": (f"quantity <= 0.0 || quantity > {_cel_map(MAX_QUANTITY)}[underlying_class]"),
    "SLIPPAGE": (
        "requested_price != null && "
        "(price > requested_price ? price - requested_price "
        ": requested_price - price) "
        f"> requested_price * {MAX_SLIPPAGE}"
    ),
    "CCY-ALLOWED": (
        f"price_currency == null || !(price_currency in {_quoted(ALLOWED_CURRENCIES)})"
    ),
    "RETAIL-DISCRETION": "category == 'retail' && investment_decision != null",
    "NOTIONAL-EUR": (
        "category == 'retail' && (price_currency == null "
        f"|| !(price_currency in {_cel_map(EUR_RATES)}) "
        f"|| notional * {_cel_map(EUR_RATES)}[price_currency] "
        f"> {float(RETAIL_NOTIONAL_LIMIT_EUR)!r})"
    ),
    "CFD-MAX-LEV": (
        f"product == 'cfd' && (leverage == null || leverage > {float(MAX_LEVERAGE)!r})"
    ),
}

_PY_CAPS = {key: float(value) for key, value in LEVERAGE_CAPS.items()}
_PY_MAX_QUANTITY = {key: float(value) for key, value in MAX_QUANTITY.items()}
_PY_EUR_RATES = {key: float(value) for key, value in EUR_RATES.items()}
_PY_ALLOWED = frozenset(ALLOWED_CURRENCIES)
_PY_SLIPPAGE = float(MAX_SLIPPAGE)


def python_rules(row: Mapping[str, Any]) -> list[str]:
    """The 8 rules by hand over a plain dict: the ids of the rules that fail."""
    failing: list[str] = []
    retail = row["category"] == "retail"
    cfd = row["product"] == "cfd"
    leverage = row["leverage"]
    if (
        retail
        and cfd
        and row["position_effect"] == "open"
        and (leverage is None or leverage > _PY_CAPS[row["underlying_class"]])
    ):
        failing.append("LEV-CAP")
    if retail:
        expires = row["kyc_expires_ms"]
        if row["kyc_status"] != "verified" or expires is None or expires <= row["executed_ms"]:
            failing.append("KYC-VALID")
    quantity = row["quantity"]
    if quantity <= 0 or quantity > _PY_MAX_QUANTITY[row["underlying_class"]]:
        failing.append("QTY-LIMIT")
    requested = row["requested_price"]
    if requested is not None and abs(row["price"] - requested) > requested * _PY_SLIPPAGE:
        failing.append("SLIPPAGE")
    currency = row["price_currency"]
    if currency not in _PY_ALLOWED:
        failing.append("CCY-ALLOWED")
    if retail and row["investment_decision"] is not None:
        failing.append("RETAIL-DISCRETION")
    if retail:
        rate = _PY_EUR_RATES.get(currency) if currency is not None else None
        if rate is None or row["notional"] * rate > RETAIL_NOTIONAL_LIMIT_EUR:
            failing.append("NOTIONAL-EUR")
    if cfd and (leverage is None or leverage > MAX_LEVERAGE):
        failing.append("CFD-MAX-LEV")
    return failing


def jdm_graph() -> dict[str, Any]:
    """The 8 rules as a JDM decision graph: input, a collect decision table, output."""
    rows = [
        {"_id": f"r{n}", "fails": ZEN_FAILS[rule_id], "rule": f"'{rule_id}'"}
        for n, rule_id in enumerate(RULE_IDS)
    ]
    return {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "request", "position": {"x": 0, "y": 0}},
            {
                "id": "rules",
                "type": "decisionTableNode",
                "name": "trade rules",
                "position": {"x": 300, "y": 0},
                "content": {
                    "hitPolicy": "collect",
                    # No field on the input column: each cell is a whole expression.
                    "inputs": [{"id": "fails", "name": "fails"}],
                    "outputs": [{"id": "rule", "name": "rule", "field": "rule"}],
                    "rules": rows,
                },
            },
            {"id": "response", "type": "outputNode", "name": "response", "position": {"x": 600}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "rules", "type": "edge"},
            {"id": "e2", "sourceId": "rules", "targetId": "response", "type": "edge"},
        ],
    }


# --- data ------------------------------------------------------------------------------------


def sample_folder(out: Path, trades: int) -> Path:
    """The sample brokerage for ``trades`` as Parquet, written on first use."""
    folder = out / f"{trades}-parquet"
    if not (folder / "manifest.json").exists():
        started = time.perf_counter()
        write_samples(folder, SampleConfig(trades=trades), format="parquet")
        print(f"  wrote {folder} in {time.perf_counter() - started:.1f} s")
    return folder


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def plain_row(trade: rk.Trade, account: rk.Account | None) -> dict[str, Any]:
    """What the peers get: the fields the rules read, flat, as JSON-ready plain values.

    Flat, not ``{"trade": {...}, "account": {...}}``: both peers take a flat dict faster
    (CEL converts a nested context in about twice the time).
    """
    instrument = trade.instrument
    kyc = None if account is None else account.kyc
    effect = trade.position_effect
    return {
        "product": instrument.product.value,
        "underlying_class": instrument.underlying_class.value,
        "position_effect": None if effect is None else effect.value,
        "leverage": _float(trade.leverage),
        "quantity": float(trade.quantity),
        "price": float(trade.price),
        "requested_price": _float(trade.requested_price),
        "price_currency": trade.price_currency,
        "notional": float(trade.notional),
        "investment_decision": trade.investment_decision,
        "executed_ms": _ms(trade.executed_at),
        "category": None if account is None else account.category.value,
        "kyc_status": None if kyc is None else kyc.status.value,
        "kyc_expires_ms": None if kyc is None else _ms(kyc.expires_at),
    }


def build_frame(trades: Sequence[rk.Trade], accounts: Sequence[rk.Account]) -> pl.DataFrame:
    """Trade columns with the ``account.*`` columns joined, as the polars backend builds."""
    frame = to_frame(list(trades))
    related = to_frame(list(accounts))
    related = related.rename({name: f"account.{name}" for name in related.columns})
    return frame.join(
        related,
        left_on="account_id",
        right_on="account.account_id",
        how="left",
        coalesce=False,
        maintain_order="left",
    )


def polars_masks(policy: rk.Policy) -> list[pl.Expr]:
    """Each rule's failing mask, ``when & ~assert`` within its dates, named by rule id."""
    masks = []
    day = pl.col("executed_at").dt.date()
    for compiled in policy.compiled:
        rule = compiled.rule
        assert compiled.assertion is not None  # record rules always have one
        fails = ~compiled.assertion.polars(as_of=AS_OF)
        if compiled.when is not None:
            fails = fails & compiled.when.polars(as_of=AS_OF)
        starts = [d for d in (policy.effective_from, rule.effective_from) if d is not None]
        ends = [d for d in (policy.effective_to, rule.effective_to) if d is not None]
        if starts:
            fails = fails & (day >= max(starts))
        if ends:
            fails = fails & (day < min(ends))
        masks.append(fails.alias(rule.id))
    return masks


# --- timing ----------------------------------------------------------------------------------

Findings = set[tuple[str, str]]


@dataclass
class Result:
    """One engine's figures."""

    engine: str
    rate: float
    seconds: float
    findings: Findings
    p50_us: float | None = None
    p99_us: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def best_of(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The shortest time of ``repeat`` runs (the collector runs before each), and its result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        result = None
        gc.collect()
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def latencies_ns(call: Callable[[Any], Any], items: Sequence[Any]) -> list[int]:
    """The time of each single call, in nanoseconds (``perf_counter_ns`` around each)."""
    clock = time.perf_counter_ns
    times = [0] * len(items)
    for n, item in enumerate(items):
        started = clock()
        call(item)
        times[n] = clock() - started
    return times


def percentiles_us(times: Sequence[int]) -> tuple[float, float]:
    """p50 and p99 of ``times`` (ns), in µs."""
    if len(times) < 2:
        return (times[0] / 1000, times[0] / 1000) if times else (float("nan"), float("nan"))
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49] / 1000, cuts[98] / 1000


def run_regkit(
    checker: Any, pairs: Sequence[tuple[rk.Trade, rk.Account | None]], repeat: int, sample: int
) -> Result:
    check = checker.check_trade

    def run() -> list[list[rk.Finding]]:
        found = []
        for trade, account in pairs:
            result = check(trade, account)
            if result:  # what a service keeps: the findings, not every empty answer
                found.append(result)
        return found

    seconds, results = best_of(run, repeat)
    findings = {(finding.rule_id, finding.record_id) for found in results for finding in found}
    calls = pairs[:sample]
    for trade, account in calls[:1000]:  # warm up
        check(trade, account)
    gc.collect()
    clock = time.perf_counter_ns
    times = [0] * len(calls)
    for n, (trade, account) in enumerate(calls):  # no wrapper around the call timed
        started = clock()
        check(trade, account)
        times[n] = clock() - started
    failing = {trade_id for _, trade_id in findings}
    passed = [
        t for t, (trade, _) in zip(times, calls, strict=True) if trade.trade_id not in failing
    ]
    failed = [t for t, (trade, _) in zip(times, calls, strict=True) if trade.trade_id in failing]
    p50, p99 = percentiles_us(times)
    extra = {
        "latency_calls": len(times),
        "passing_calls": len(passed),
        "failing_calls": len(failed),
        "passing_p50_us": percentiles_us(passed)[0] if passed else None,
        "passing_p99_us": percentiles_us(passed)[1] if passed else None,
        "failing_p50_us": percentiles_us(failed)[0] if failed else None,
        "failing_p99_us": percentiles_us(failed)[1] if failed else None,
    }
    return Result(
        "regkit per-record", len(pairs) / seconds, seconds, findings, p50, p99, extra=extra
    )


def run_per_row(
    name: str,
    evaluate: Callable[[dict[str, Any]], list[str]],
    rows: Sequence[dict[str, Any]],
    ids: Sequence[str],
    repeat: int,
    sample: int,
    note: str = "",
) -> Result:
    """A peer that takes one plain dict per call and returns the ids of the failing rules."""

    def run() -> list[tuple[str, list[str]]]:
        found = []
        for trade_id, row in zip(ids, rows, strict=True):
            result = evaluate(row)
            if result:
                found.append((trade_id, result))
        return found

    seconds, results = best_of(run, repeat)
    findings = {(rule_id, trade_id) for trade_id, found in results for rule_id in found}
    calls = rows[:sample]
    for row in calls[:1000]:
        evaluate(row)
    gc.collect()
    p50, p99 = percentiles_us(latencies_ns(evaluate, calls))
    return Result(name, len(rows) / seconds, seconds, findings, p50, p99, note)


@dataclass
class Zen:
    """The JDM graph behind zen's three ways in, and how often the loaders were called."""

    text: Any
    """A ZenEngine whose loader returns the graph's JSON text (zen's README pattern)."""
    content: Any
    """A ZenEngine whose loader returns the graph parsed once (a ``ZenDecisionContent``)."""
    decision: Any
    """The graph created once: ``engine.create_decision(content)``."""
    loads: list[int]
    """``loads[0]``: how often the text loader was called."""


def zen_engines(graph: dict[str, Any]) -> Zen:
    source = json.dumps(graph)
    content = zen.ZenDecisionContent(source)
    loads = [0]

    def text_loader(key: str) -> str:
        loads[0] += 1  # zen calls the loader on every evaluate: count them
        return source

    def content_loader(key: str) -> Any:
        return content

    text = zen.ZenEngine({"loader": text_loader})
    decision = text.create_decision(content)
    decision.validate()
    return Zen(text, zen.ZenEngine({"loader": content_loader}), decision, loads)


def cel_programs() -> list[tuple[str, Any]]:
    return [(rule_id, cel.compile(CEL_FAILS[rule_id])) for rule_id in RULE_IDS]


# --- output ----------------------------------------------------------------------------------


def compare(results: Sequence[Result]) -> list[str]:
    """Lines describing how each engine's findings differ from the first's; none if equal."""
    reference = results[0]
    problems = []
    for other in results[1:]:
        missing = reference.findings - other.findings
        extra = other.findings - reference.findings
        if not missing and not extra:
            continue
        problems.append(
            f"{other.engine}: {len(missing)} findings of {reference.engine} missing, "
            f"{len(extra)} extra"
        )
        for label, diff in (("missing", missing), ("extra", extra)):
            by_rule: dict[str, int] = {}
            for rule_id, _ in diff:
                by_rule[rule_id] = by_rule.get(rule_id, 0) + 1
            if diff:
                sample = ", ".join(f"{r}/{t}" for r, t in sorted(diff)[:5])
                problems.append(f"  {label} by rule: {by_rule}; e.g. {sample}")
    return problems


def _fmt_us(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


def version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trades", type=int, default=200_000, help="sample size (default 200,000)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument(
        "--latency-calls", type=int, default=100_000, help="single calls timed for p50/p99"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("build/bench"), help="sample cache (build/bench)"
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()

    folder = sample_folder(args.out, args.trades)
    started = time.perf_counter()
    trades_batch = rk.read_records(folder / "trades.parquet", rk.Trade)
    accounts_batch = rk.read_records(folder / "accounts.parquet", rk.Account)
    assert not trades_batch.errors, trades_batch.errors[:3]
    assert not accounts_batch.errors, accounts_batch.errors[:3]
    trades, accounts = trades_batch.records, accounts_batch.records
    by_id = {account.account_id: account for account in accounts}
    pairs = [(trade, by_id.get(trade.account_id)) for trade in trades]
    ids = [trade.trade_id for trade in trades]
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    rows = [plain_row(trade, account) for trade, account in pairs]
    convert_seconds = time.perf_counter() - started

    policy = parse_policy(POLICY, "bench_rules.py")
    assert tuple(rule.id for rule in policy.rules) == RULE_IDS
    checker = policy.compile(as_of=AS_OF)
    sample = min(args.latency_calls, len(pairs))
    load_before = os.getloadavg()[0]
    print(
        f"{len(trades):,} trades, {len(accounts):,} accounts, {len(RULE_IDS)} rules; "
        f"best of {args.repeat}; p50/p99 over {sample:,} single calls"
    )
    print(
        f"  read as models in {read_seconds:.1f} s; peers get pre-converted plain dicts "
        f"(floats, epoch ms), built in {convert_seconds:.1f} s outside timing"
    )

    results: list[Result] = []
    results.append(run_regkit(checker, pairs, args.repeat, sample))

    started = time.perf_counter()
    frame = build_frame(trades, accounts)
    frame_seconds = time.perf_counter() - started
    masks = polars_masks(policy)
    # One query over the in-memory columns; lazily, so that polars computes what the rules
    # share (account.category == "retail", the effective date) once.
    seconds, mask_frame = best_of(lambda: frame.lazy().select(masks).collect(), max(args.repeat, 5))
    eager_seconds, eager_frame = best_of(lambda: frame.select(masks), max(args.repeat, 5))
    assert eager_frame.equals(mask_frame)
    trade_ids = frame.get_column("trade_id")
    polars_findings = {
        (rule_id, trade_id)
        for rule_id in RULE_IDS
        for trade_id in trade_ids.filter(mask_frame.get_column(rule_id))
    }
    results.append(
        Result(
            "regkit polars",
            len(frame) / seconds,
            seconds,
            polars_findings,
            note="8 masks, one lazy select on in-memory columns",
            extra={
                "frame_build_seconds": frame_seconds,
                "frame_build_rate": len(frame) / frame_seconds,
                "columns": len(frame.columns),
                "eager_select_rate": len(frame) / eager_seconds,
            },
        )
    )

    peers = zen_engines(jdm_graph())
    key = "trade-rules.json"
    # Variants far slower than their engine's best way run once, over fewer single calls.
    slow = (1, min(sample, 10_000))

    def zen_text(row: dict[str, Any]) -> list[str]:
        return [hit["rule"] for hit in peers.text.evaluate(key, row)["result"]]

    def zen_content(row: dict[str, Any]) -> list[str]:
        return [hit["rule"] for hit in peers.content.evaluate(key, row)["result"]]

    def zen_decision(row: dict[str, Any]) -> list[str]:
        return [hit["rule"] for hit in peers.decision.evaluate(row)["result"]]

    programs = cel_programs()

    def cel_context(row: dict[str, Any]) -> list[str]:
        context = cel.Context(row)
        return [rule_id for rule_id, program in programs if program.execute(context)]

    def cel_dict(row: dict[str, Any]) -> list[str]:
        return [rule_id for rule_id, program in programs if program.execute(row)]

    peer_runs: list[tuple[str, Callable[[dict[str, Any]], list[str]], tuple[int, int], str]] = [
        ("zen-engine", zen_text, (args.repeat, sample), "ZenEngine.evaluate, loader -> JSON text"),
        (
            "zen-engine content",
            zen_content,
            (args.repeat, sample),
            "ZenEngine.evaluate, loader -> ZenDecisionContent",
        ),
        ("zen-engine decision", zen_decision, slow, "ZenDecision.evaluate; 1 run"),
        ("cel", cel_context, (args.repeat, sample), "cel.Context per trade, 8 programs"),
        ("cel dict", cel_dict, slow, "dict to each Program.execute; 1 run"),
        ("python loop", python_rules, (args.repeat, sample), "hand-written, plain dicts"),
    ]
    for name, evaluate, (repeat, calls), note in peer_runs:
        results.append(run_per_row(name, evaluate, rows, ids, repeat, calls, note))
    zen_loads = peers.loads[0]
    zen_calls = args.repeat * len(rows) + min(1000, sample) + sample

    zen_rate = results[2].rate
    regkit, polars_result = results[0], results[1]
    fastest_zen = max((r for r in results if r.engine.startswith("zen")), key=lambda r: r.rate)
    targets = {
        "regkit per-record": (
            ">=500k/s, p99<10µs, >=20x zen",
            regkit.rate >= 500_000 and (regkit.p99_us or 0) < 10 and regkit.rate >= 20 * zen_rate,
        ),
        "regkit polars": (
            ">=5M/s, >=200x zen",
            polars_result.rate >= 5_000_000 and polars_result.rate >= 200 * zen_rate,
        ),
    }

    print()
    header = (
        f"{'engine':<21} {'records/s':>12} {'vs zen':>8} {'p50 µs':>8} {'p99 µs':>8}  "
        f"{'target':<32} {'met':<4} note"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        target, met = targets.get(result.engine, ("", None))
        print(
            f"{result.engine:<21} {result.rate:>12,.0f} {result.rate / zen_rate:>7.1f}x "
            f"{_fmt_us(result.p50_us):>8} {_fmt_us(result.p99_us):>8}  {target:<32} "
            f"{'' if met is None else ('yes' if met else 'NO'):<4} {result.note}"
        )
    extra = regkit.extra
    print()
    print(
        f"regkit per-record latency: passing trades p50 {_fmt_us(extra['passing_p50_us'])} µs, "
        f"p99 {_fmt_us(extra['passing_p99_us'])} µs ({extra['passing_calls']:,} calls); "
        f"failing trades p50 {_fmt_us(extra['failing_p50_us'])} µs, "
        f"p99 {_fmt_us(extra['failing_p99_us'])} µs ({extra['failing_calls']:,} calls)"
    )
    print(
        f"regkit polars: building the frame from the models (to_frame + account join) took "
        f"{polars_result.extra['frame_build_seconds']:.2f} s "
        f"({polars_result.extra['frame_build_rate']:,.0f} trades/s), not in the figure above; "
        f"the same masks by an eager frame.select: "
        f"{polars_result.extra['eager_select_rate']:,.0f} trades/s"
    )
    print(
        f"zen-engine: the loader was called {zen_loads:,} times for "
        f"{zen_calls:,} evaluate calls; against the fastest zen "
        f"way in ({fastest_zen.engine}, {fastest_zen.rate:,.0f}/s) regkit per-record is "
        f"{regkit.rate / fastest_zen.rate:.1f}x and regkit polars "
        f"{polars_result.rate / fastest_zen.rate:.0f}x"
    )
    per_rule = dict.fromkeys(RULE_IDS, 0)
    for rule_id, _ in regkit.findings:
        per_rule[rule_id] += 1
    failing_trades = len({trade_id for _, trade_id in regkit.findings})
    print(
        f"findings: {len(regkit.findings):,} on {failing_trades:,} trades "
        f"({failing_trades / len(trades):.1%}); "
        + ", ".join(f"{rule_id} {count:,}" for rule_id, count in per_rule.items())
    )

    load_after = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
        f"{load_after:.1f} after (above the CPU count, figures are low and p99s long)"
    )
    problems = compare(results)
    if problems:
        print("\nFINDINGS DIFFER between engines:")
        print("\n".join(problems))
    else:
        print(f"every engine found the same {len(regkit.findings):,} (rule, trade) findings")

    if args.json is not None:
        report = {
            "trades": len(trades),
            "accounts": len(accounts),
            "rules": list(RULE_IDS),
            "repeat": args.repeat,
            "latency_calls": sample,
            "findings": len(regkit.findings),
            "findings_by_rule": per_rule,
            "same_findings": not problems,
            "peer_conversion_seconds": convert_seconds,
            "cpus": os.cpu_count(),
            "load_average": [load_before, load_after],
            "engines": [
                {
                    "engine": result.engine,
                    "records_per_second": result.rate,
                    "seconds": result.seconds,
                    "ratio_to_zen": result.rate / zen_rate,
                    "p50_us": result.p50_us,
                    "p99_us": result.p99_us,
                    "note": result.note,
                    "target": targets.get(result.engine, ("", None))[0] or None,
                    "target_met": targets.get(result.engine, ("", None))[1],
                    **result.extra,
                }
                for result in results
            ],
            "versions": {
                "python": platform.python_version(),
                **{
                    name: version(name)
                    for name in (
                        "regkit-compliance",
                        "polars",
                        "pydantic",
                        "zen-engine",
                        "common-expression-language",
                    )
                },
            },
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
