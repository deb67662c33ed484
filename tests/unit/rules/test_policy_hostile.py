"""Hostile or broken policy files are refused when they load, quickly, with a PolicyError
naming the file (and line, rule and key where known), what is wrong and what is allowed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import regkit as rk
from regkit.errors import PolicyError
from regkit.rules.policy import MAX_YAML_NODES, load_policy, parse_policy

POLICY = """\
policy: caps
version: "1"
parameters:
  cap: 30
  floor: 0.5
rules:
  - id: CAP
    severity: high
    applies_to: trade
    assert: trade.leverage <= params.cap
    message: "leverage {trade.leverage}"
"""

AGGREGATE = """\
policy: aml
version: "1"
rules:
  - id: AML-COUNT
    severity: medium
    applies_to: movement
    group_by: [movement.account_id]
    window: 24h
    aggregate: {deposits: count()}
    assert: deposits < 3
"""

INSTRUMENT = {
    "symbol": "EURUSD",
    "product": "cfd",
    "underlying_class": "fx_major",
    "base_currency": "EUR",
    "quote_currency": "USD",
}

#: A refusal comes within a second or so, however hostile the file.
SECONDS = 2.0


def refused(text: str, source: str = "hostile.yaml", **kwargs: Any) -> str:
    """The PolicyError message for a policy text, checked to name the source and come fast."""
    started = time.perf_counter()
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, source, **kwargs)
    assert time.perf_counter() - started < SECONDS
    message = str(raised.value)
    assert message.startswith(source)
    return message


def with_parameter(line: str) -> str:
    return POLICY.replace("  floor: 0.5\n", f"  floor: 0.5\n  {line}\n")


# --- 1. duplicate keys --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "lines"),
    [
        (POLICY + "rules:\n" + POLICY.split("rules:\n")[1], "rules", (6, 12)),
        (POLICY.replace("    message", "    assert: True\n    message"), "assert", (10, 11)),
        (POLICY.replace("  floor: 0.5\n", "  floor: 0.5\n  cap: 40\n"), "cap", (4, 6)),
        (POLICY.replace("cap: 30", "cap: {a: 1, a: 2}"), "a", (4, 4)),
    ],
    ids=["two rules blocks", "two asserts", "a parameter twice", "a nested key twice"],
)
def test_a_key_given_twice_is_refused_naming_it_and_both_lines(
    text: str, key: str, lines: tuple[int, int]
) -> None:
    message = refused(text)
    first, second = lines
    assert f"the key {key!r} is given twice, at line {first}, column" in message
    assert f"and line {second}, column" in message
    assert "each key may appear once" in message


def test_a_parameter_given_twice_in_an_override_file_is_refused(tmp_path: Path) -> None:
    overrides = tmp_path / "firm.yaml"
    overrides.write_text("threshold: 15000\nthreshold: 20000\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"firm.yaml, line 2: the key 'threshold' is given tw"):
        load_policy("aml", parameters=overrides)


def test_merged_keys_may_be_overridden_and_aliases_stay_usable() -> None:
    anchored = POLICY.replace(
        "parameters:\n  cap: 30\n",
        "parameters:\n  base: &base {a: 1, b: 2}\n  cap: 30\n  more: {<<: *base, b: 3}\n"
        "  again: *base\n",
    )
    policy = parse_policy(anchored, "anchors.yaml")
    assert policy.parameters["more"] == {"a": 1, "b": 3}
    assert policy.parameters["again"] == {"a": 1, "b": 2}


# --- 2. alias bombs -----------------------------------------------------------------------

BILLION_LAUGHS = POLICY.replace(
    "  cap: 30\n",
    "  cap: 30\n"
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    ),
)


def test_a_billion_laughs_is_refused_in_a_moment() -> None:
    assert len(BILLION_LAUGHS.encode()) < 800  # 9**9 strings once expanded
    message = refused(BILLION_LAUGHS)
    assert f"more than {MAX_YAML_NODES} values once its aliases are expanded" in message
    assert message.startswith("hostile.yaml, line ")


def test_an_alias_inside_the_value_it_names_is_refused() -> None:
    message = refused(POLICY.replace("  cap: 30\n", "  cap: 30\n  loop: &loop [1, *loop]\n"))
    assert "an alias refers to a value that holds it" in message


# --- 3. deep nesting and huge integers ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (with_parameter("deep: " + "[" * 5000 + "]" * 5000), "nest more than 50 levels deep"),
        (with_parameter("deep: " + "{a: " * 5000 + "1" + "}" * 5000), "nest more than 50 levels"),
        (with_parameter("big: 1" + "0" * 5000), "is out of range; allowed: integers of at most"),
        (with_parameter("big: 1" + "0" * 18), "an integer of more than 18 digits"),
        (
            POLICY.replace("trade.leverage <= params.cap", "trade.quantity < 1" + "0" * 5000),
            "CAP, assert: an integer of more than 18 digits is out of range",
        ),
        (
            POLICY.replace("trade.leverage <= params.cap", "trade.quantity < 1" + "0" * 4000),
            "CAP, assert: an integer of more than 18 digits is out of range",
        ),
        (
            POLICY.replace("trade.leverage <= params", "(" * 1000 + "trade.leverage" + ")" * 1000),
            "CAP, assert: syntax error",
        ),
        (
            POLICY.replace("trade.leverage <= params.cap", "not " * 2000 + "True"),
            "CAP, assert: the expression is nested",
        ),
    ],
    ids=[
        "deep lists",
        "deep mappings",
        "5000-digit parameter",
        "19-digit parameter",
        "5000-digit literal",
        "4000-digit literal",
        "deep parentheses",
        "deep not",
    ],
)
def test_deep_nesting_and_huge_integers_are_refused(text: str, expected: str) -> None:
    assert expected in refused(text)


# --- 4. non-UTF-8 files -------------------------------------------------------------------


def test_a_policy_file_that_is_not_utf8_is_refused_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(POLICY.replace('"1"', '"1é"').encode("latin-1"))
    offset = POLICY.index('"1"') + 2
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert str(raised.value).startswith(f"{path}: the policy file is not UTF-8: byte {offset}")
    overrides = tmp_path / "firm.yaml"
    overrides.write_bytes(b"threshold: 1\n# \xff\n")
    with pytest.raises(PolicyError, match=r"firm.yaml: the parameter overrides .* byte 15 \(0xff"):
        load_policy("aml", parameters=overrides)


# --- 5. message templates -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("placeholder", "expected"),
    [
        ("{trade.leverage:>999999999}", "a width or precision above 100"),
        ("{trade.leverage:.999999999}", "a width or precision above 100"),
        ("{trade.leverage:x>101}", "a width or precision above 100"),
        ("{trade.leverage:" + "9" * 5000 + "}", "the format spec is longer than 100"),
        ("{trade.leverage:zz}", "an invalid format spec for a decimal"),
        ("{trade.side:d}", "an invalid format spec for a enum Side"),
        ("{trade.leverage:{trade.price}}", "an invalid format spec"),
    ],
)
def test_a_message_format_spec_that_is_invalid_or_huge_is_refused(
    placeholder: str, expected: str
) -> None:
    message = refused(POLICY.replace("{trade.leverage}", placeholder))
    shown = placeholder if len(placeholder) < 60 else "{trade.leverage:" + "9" * 20 + "...}"
    assert message.startswith(f"hostile.yaml, rule CAP, message: {shown}: {expected}")
    assert "allowed: [[fill]align][sign][width]" in message


def test_sane_format_specs_still_load_and_render() -> None:
    template = "{trade.leverage:>8.2f} {trade.side:>5} {trade.executed_at:%Y-%m-%d} {params.cap:,}"
    policy = parse_policy(POLICY.replace("leverage {trade.leverage}", template))
    deal = rk.Trade.model_validate(
        {
            "trade_id": "T1",
            "account_id": "A1",
            "side": "buy",
            "quantity": "1",
            "price": "1.1",
            "leverage": "50",
            "executed_at": "2026-11-20T09:30:00Z",
            "instrument": INSTRUMENT,
        }
    )
    (finding,) = policy.compile().check_trade(deal)
    assert finding.message == "   50.00   buy 2026-11-20 30"


# --- 6. numbers and windows out of range --------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("bad: .nan", "line 6: '.nan' is not a finite number"),
        ("bad: .inf", "line 6: '.inf' is not a finite number"),
        ("bad: -.inf", "line 6: '-.inf' is not a finite number"),
        ("bad: 1.0e+999", "line 6: '1.0e+999' is not a finite number"),
        ("bad: [1.0e+40]", "line 6: the number '1.0e+40' is out of range (a number of 10^28"),
    ],
)
def test_parameters_that_are_not_finite_or_overflow_are_refused(line: str, expected: str) -> None:
    message = refused(with_parameter(line))
    assert expected in message
    assert "allowed: integers of at most 18 digits; decimals that are finite" in message


@pytest.mark.parametrize(
    "value",
    [Decimal("Infinity"), Decimal("NaN"), float("inf"), float("nan"), Decimal("1e999"), 10**30],
    ids=repr,
)
def test_overrides_that_are_not_finite_or_overflow_are_refused(value: Any) -> None:
    message = refused(POLICY, parameters={"cap": value})
    assert message.startswith("hostile.yaml: parameters: cap: ")
    assert "out of range" in message


def test_overrides_of_other_python_types_are_refused() -> None:
    message = refused(POLICY, parameters={"cap": {1, 2}})
    assert "parameters: cap: a set cannot be a parameter; allowed: text, numbers" in message


@pytest.mark.parametrize(
    "literal", ["1e999", "1e28", "0.1e-28", "1" * 19, "1.00000000000000000000000000000000000000"]
)
def test_literals_out_of_range_are_refused(literal: str) -> None:
    message = refused(POLICY.replace("params.cap", literal))
    assert message.startswith("hostile.yaml, rule CAP, assert: ")
    assert f"is out of range in {literal!r}; allowed: integers of at most 18 digits" in message


@pytest.mark.parametrize("window", ["99999999999999d", "36601d", "878425h", "1" + "0" * 5000 + "m"])
def test_windows_longer_than_a_century_are_refused(window: str) -> None:
    message = refused(AGGREGATE.replace("24h", window))
    assert message.startswith("hostile.yaml, rule AML-COUNT: window ")
    assert "is longer than 36600 days" in message
    assert parse_policy(AGGREGATE.replace("24h", "36600d")).rules[0].window is not None


# --- 7. YAML types beyond JSON's ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "!!set {a, b, c, d, e, f, g, h}",
        "!!binary aGVsbG8=",
        "!!omap [a: 1, b: 2]",
        "!!pairs [a: 1, a: 2]",
        "!!timestamp 2026-01-01",
    ],
)
def test_yaml_types_beyond_json_are_refused(value: str) -> None:
    tag = value.split()[0]
    message = refused(with_parameter(f"odd: {value}"))
    assert message.startswith(f"hostile.yaml, line 6: the YAML tag {tag} is not allowed; ")
    assert "a policy holds only text, numbers, true/false, null, lists and mappings" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("!!float dz", "'dz' is not a number"),
        ("!!int twelve", "'twelve' is not an integer"),
        ("!!bool maybe", "'maybe' is not true or false"),
    ],
)
def test_an_explicit_scalar_tag_on_the_wrong_text_is_refused(value: str, expected: str) -> None:
    # Found by the fuzz test: float(), int() and the bool table raised ValueError/KeyError.
    assert refused(with_parameter(f"odd: {value}")).startswith(f"hostile.yaml, line 6: {expected}")


def test_python_tags_stay_refused() -> None:
    message = refused(with_parameter("odd: !!python/object/apply:os.system [echo]"))
    assert "could not determine a constructor" in message


HASH = """\
import sys
from regkit.errors import PolicyError
from regkit.rules.policy import parse_policy
try:
    print(parse_policy(sys.stdin.read(), "set.yaml").sha256)
except PolicyError as error:
    print("PolicyError:", error)
"""


def _hash_in_a_process(text: str, seed: str) -> str:
    environment = os.environ | {"PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", HASH],
        input=text,
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    )
    return done.stdout.strip()


def test_a_policy_hashes_the_same_whatever_the_hash_seed() -> None:
    # A !!set's order followed the hash seed, and so did the policy's SHA-256.
    with_set = with_parameter("odd: !!set {alpha, beta, gamma, delta, epsilon, zeta, eta}")
    outcomes = {_hash_in_a_process(with_set, seed) for seed in ("1", "2", "3")}
    (outcome,) = outcomes
    assert outcome.startswith("PolicyError: set.yaml, line 6: the YAML tag !!set is not allowed")
    plain = with_parameter("odd: [alpha, beta, gamma, delta, epsilon, zeta, eta]")
    assert len({_hash_in_a_process(plain, seed) for seed in ("1", "2")}) == 1


# --- 8. % agrees on both engines ----------------------------------------------------------


@pytest.mark.parametrize(
    ("assertion", "failing"),
    [
        ("trade.quantity % 0.0000000001 == 0", []),
        ("trade.quantity % 0.0000000000000000000000000001 == 0", []),
        ("trade.quantity % 0.3 == 0", ["T1", "T2", "T3"]),  # each leaves 0.1
        ("trade.quantity % trade.price < 0.5", ["T1"]),  # 1, 0.1, 0.1
        ("trade.quantity % -0.7 <= 0", []),  # the sign of the divisor
    ],
)
@pytest.mark.parametrize("engine", ["python", "polars"])
def test_a_remainder_by_a_tiny_divisor_is_exact_on_both_engines(
    assertion: str, failing: list[str], engine: str
) -> None:
    # Python's 28-digit context raised DivisionImpossible for a quotient of 30 digits: an
    # error finding on the python engine, none on polars.
    policy = parse_policy(POLICY.replace("trade.leverage <= params.cap", assertion))
    quantities = {"T1": "10000000000000000000", "T2": "12345678901234567890.1", "T3": "7.6"}
    deals = [
        rk.Trade.model_validate(
            {
                "trade_id": trade_id,
                "account_id": "A1",
                "side": "buy",
                "quantity": quantity,
                "price": "1.5",
                "executed_at": "2026-11-20T09:30:00Z",
                "instrument": INSTRUMENT,
            }
        )
        for trade_id, quantity in quantities.items()
    ]
    result = rk.check(policy, trades=deals, engine=engine)
    assert [(f.record_id, str(f.severity)) for f in result.findings] == [
        (trade_id, "high") for trade_id in failing
    ]
