"""Policy files: everything wrong with a policy is found when it is loaded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from regkit.errors import PolicyError
from regkit.rules.findings import Severity
from regkit.rules.policy import Window, load_policy, parse_policy

DESIGN_EXAMPLE = """\
policy: esma-cfd-retail
version: "2026.1"
jurisdiction: EU
effective_from: 2018-08-01
parameters:
  leverage_caps: {fx_major: 30, fx_minor: 20, gold: 20, index_major: 20, commodity: 10,
                  index_minor: 10, equity: 5, crypto: 2, other: 5}
rules:
  - id: ESMA-CFD-LEV
    title: Retail CFD leverage above the ESMA cap
    severity: high
    applies_to: trade
    when: account.category == "retail" and trade.instrument.product == "cfd"
    assert: trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]
    message: "leverage {trade.leverage}:1 above the cap"
    evidence: [trade.leverage, trade.instrument.underlying_class]
    reference: {regulator: ESMA, document: "Decision (EU) 2018/796", article: "Art. 2(a)"}
"""

STRUCTURING = """\
policy: aml
version: "1"
parameters: {threshold: 10000, margin: 0.1}
rules:
  - id: AML-STRUCT
    severity: medium
    applies_to: movement
    where: movement.kind == "deposit"
    group_by: [movement.account_id]
    window: 48h
    aggregate: {deposits: count(), total: sum(movement.amount)}
    assert: deposits < 3
"""


def test_the_design_example_loads() -> None:
    policy = parse_policy(DESIGN_EXAMPLE, "esma.yaml")
    assert (policy.id, policy.version, policy.jurisdiction) == ("esma-cfd-retail", "2026.1", "EU")
    assert policy.effective_from == date(2018, 8, 1)
    (rule,) = policy.rules_for("trade")
    assert rule.severity is Severity.HIGH
    assert rule.assertion.startswith("trade.leverage <= params.leverage_caps")
    assert rule.reference["article"] == "Art. 2(a)"
    assert policy.parameters["leverage_caps"]["crypto"] == 2
    assert policy.text == DESIGN_EXAMPLE


def test_an_aggregate_rule_has_its_window_and_aggregates() -> None:
    (rule,) = parse_policy(STRUCTURING).rules
    assert rule.is_aggregate
    assert rule.window == Window("48h", 48 * 3600)
    assert [(a.name, a.function, a.argument) for a in rule.aggregates] == [
        ("deposits", "count", None),
        ("total", "sum", "movement.amount"),
    ]
    assert rule.group_by == ("movement.account_id",)


def test_parameters_are_exact_and_overridable_by_known_names_only() -> None:
    policy = parse_policy(STRUCTURING, parameters={"threshold": 15000})
    assert policy.parameters == {"threshold": 15000, "margin": Decimal("0.1")}
    with pytest.raises(PolicyError, match=r"override 'treshold' .*did you mean 'threshold'"):
        parse_policy(STRUCTURING, "aml.yaml", parameters={"treshold": 1})


def test_the_hash_ignores_formatting_and_sees_every_value() -> None:
    reformatted = "# our copy\n" + DESIGN_EXAMPLE.replace("jurisdiction: EU", "jurisdiction:   EU")
    same = parse_policy(DESIGN_EXAMPLE).sha256
    assert parse_policy(reformatted).sha256 == same
    assert len(same) == 64
    assert parse_policy(DESIGN_EXAMPLE.replace("crypto: 2", "crypto: 3")).sha256 != same
    overridden = parse_policy(DESIGN_EXAMPLE, parameters={"leverage_caps": {"fx_major": 30}})
    assert overridden.sha256 != same


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("    assert:", "    asert:"),
            r"rule ESMA-CFD-LEV: unknown key 'asert' \(did you mean 'assert'",
        ),
        (("severity: high", "severity: urgent"), r"rule ESMA-CFD-LEV: severity: unknown severity"),
        (("severity: high", "severity: error"), "kept for rules that crash"),
        (("applies_to: trade", "applies_to: trades"), r"not a record kind.*did you mean 'trade'"),
        (("jurisdiction: EU", "jurisdictio: EU"), r"esma.yaml: unknown key 'jurisdictio'"),
        (("effective_from: 2018-08-01", "effective_from: 2018-13-01"), "not an ISO 8601 date"),
        (("id: ESMA-CFD-LEV", "id: esma lev"), "upper-case letters"),
        (("article:", "artcle:"), r"reference: unknown key 'artcle' \(did you mean 'article'"),
    ],
)
def test_a_wrong_policy_names_file_rule_and_key(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(DESIGN_EXAMPLE.replace(*change), "esma.yaml")


def test_a_rule_without_assert_or_with_a_repeated_id_is_refused() -> None:
    without = DESIGN_EXAMPLE.replace("    assert: trade.leverage", "    when2: trade.leverage")
    with pytest.raises(PolicyError, match="unknown key 'when2'"):
        parse_policy(without, "esma.yaml")
    no_assert = "\n".join(
        line for line in DESIGN_EXAMPLE.splitlines() if not line.startswith("    assert:")
    )
    with pytest.raises(PolicyError, match=r"rule ESMA-CFD-LEV: missing 'assert'"):
        parse_policy(no_assert, "esma.yaml")
    rule = DESIGN_EXAMPLE[DESIGN_EXAMPLE.index("  - id:") :]
    with pytest.raises(PolicyError, match="the rule id is used twice"):
        parse_policy(DESIGN_EXAMPLE + rule, "esma.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("window: 48h", "window: 2 days"), "not a span like 30m, 24h or 7d"),
        (("count()", "count(movement.amount)"), "count\\(\\) takes nothing"),
        (("sum(movement.amount)", "median(movement.amount)"), "is not one of count"),
        (("    group_by: [movement.account_id]\n", ""), "needs group_by, window and aggregate"),
    ],
)
def test_a_wrong_aggregate_rule_is_refused(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(STRUCTURING.replace(*change), "aml.yaml")


def test_files_load_by_path_and_unknown_names_say_so(tmp_path: Path) -> None:
    path = tmp_path / "esma.yaml"
    path.write_text(DESIGN_EXAMPLE, encoding="utf-8")
    assert load_policy(path).source == str(path)
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "missing.yaml")
    with pytest.raises(PolicyError, match="no built-in policy of that name"):
        load_policy("no-such-pack")
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse_policy("rules: [", "broken.yaml")


# --- expressions are checked when the policy loads -------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("assert: trade.leverage <=", "assert: trade.levrage <="),
            r"esma.yaml, rule ESMA-CFD-LEV, assert: .*'levrage'.*did you mean 'leverage'",
        ),
        (
            ("params.leverage_caps[", "params.leverage_cap["),
            r"rule ESMA-CFD-LEV, assert: .*'leverage_cap'.*did you mean 'leverage_caps'",
        ),
        (
            ('account.category == "retail"', 'account.category == "retial"'),
            r"rule ESMA-CFD-LEV, when: .*retail, professional",
        ),
        (
            ("when: account.category", "when: lower(account.category) == 'x' and account.category"),
            "",
        ),
        (("when: account.", "when: sqrt(1) > 0 and account."), r"when: .*sqrt"),
        (("leverage {trade.leverage}:1", "leverage {trade.levrage}:1"), r"message: .*'levrage'"),
        (("evidence: [trade.leverage,", "evidence: [trade.leverag,"), r"evidence: .*'leverag'"),
    ],
)
def test_expressions_are_checked_at_load(change: tuple[str, str], message: str) -> None:
    text = DESIGN_EXAMPLE.replace(*change)
    if not message:
        assert parse_policy(text, "esma.yaml").compiled  # a valid variant loads
        return
    with pytest.raises(PolicyError, match=message):
        parse_policy(text, "esma.yaml")


def test_aggregate_parts_are_checked_at_load() -> None:
    with pytest.raises(PolicyError, match=r"rule AML-STRUCT, aggregate total: .*'amout'"):
        parse_policy(STRUCTURING.replace("sum(movement.amount)", "sum(movement.amout)"), "aml")
    not_a_kind = r"rule AML-STRUCT, where: 'deposits' is not a value .* deposit, withdrawal"
    with pytest.raises(PolicyError, match=not_a_kind):
        parse_policy(STRUCTURING.replace('== "deposit"', '== "deposits"'), "aml")


def test_the_compiled_rule_decides_as_the_regulation_says() -> None:
    import regkit as rk

    (rule,) = parse_policy(DESIGN_EXAMPLE).compiled
    assert rule.assertion is not None
    assert rule.when is not None
    account = rk.Account.model_validate(
        {
            "account_id": "A1",
            "category": "retail",
            "holder": {"first_name": "Ana", "surname": "Silva", "nationalities": ["PT"]},
        }
    )

    def trade(leverage: str, underlying: str, base: str, quote: str) -> rk.Trade:
        return rk.Trade.model_validate(
            {
                "trade_id": "T1",
                "account_id": "A1",
                "side": "buy",
                "quantity": "1",
                "price": "1.1",
                "executed_at": "2026-11-20T09:30:00Z",
                "leverage": leverage,
                "instrument": {
                    "symbol": base + quote,
                    "product": "cfd",
                    "underlying_class": underlying,
                    "base_currency": base,
                    "quote_currency": quote,
                },
            }
        )

    holds = rule.assertion.python()
    applies = rule.when.python()
    major_at_cap = trade("30", "fx_major", "EUR", "USD")
    minor_above_cap = trade("30", "fx_minor", "EUR", "TRY")  # 20:1 for non-major pairs
    assert applies(trade=major_at_cap, account=account)
    assert holds(trade=major_at_cap, account=account)
    assert not holds(trade=minor_above_cap, account=account)
    text = "".join(part.text for part in rule.message)
    assert text.startswith("leverage ")
    assert ":1 above the cap" in text


def test_parameter_overrides_come_from_a_file_too(tmp_path: Path) -> None:
    overrides = tmp_path / "firm.yaml"
    overrides.write_text("# our own limit\nthreshold: 15000\n", encoding="utf-8")
    policy = load_policy("aml", parameters=overrides)
    assert policy.parameters["threshold"] == 15000
    assert policy.sha256 != load_policy("aml").sha256
    assert load_policy("aml", parameters=str(overrides)).sha256 == policy.sha256


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "treshold: 15000\n",
            r"firm.yaml: parameter override 'treshold' .*did you mean 'threshold'",
        ),
        ("- 1\n- 2\n", r"firm.yaml: parameter overrides map parameter names to values"),
        ("threshold: [\n", r"firm.yaml: not valid YAML"),
    ],
)
def test_a_bad_override_file_is_a_policy_error_naming_it(
    tmp_path: Path, text: str, message: str
) -> None:
    overrides = tmp_path / "firm.yaml"
    overrides.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy("aml", parameters=overrides)
    with pytest.raises(PolicyError, match="cannot read the parameter overrides"):
        load_policy("aml", parameters=tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("applies_to: movement", "applies_to: [movement, movement]"), "names a record kind twice"),
        (("applies_to: movement", "applies_to: [movement, account]"), "accounts cannot share"),
        (("applies_to: movement", "applies_to: [movement, trades]"), "did you mean 'trade'"),
        (("applies_to: movement", "applies_to: []"), "names no record kind"),
    ],
)
def test_a_wrong_list_of_kinds_is_refused(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(STRUCTURING.replace(*change), "aml.yaml")


def test_several_kinds_make_every_kind_optional_and_need_an_aggregate_rule() -> None:
    both = STRUCTURING.replace("applies_to: movement", "applies_to: [movement, trade]")
    (rule,) = parse_policy(both, "aml.yaml").compiled
    assert rule.rule.kinds == ("movement", "trade")
    assert rule.rule.also == ("trade",)
    # At a trade the movement is None: its fields may be missing, as the trade's may.
    assert rule.scope.optional
    assert rule.where is not None
    assert rule.where.python()(movement=None, trade=None) is False
    record_rule = DESIGN_EXAMPLE.replace("applies_to: trade", "applies_to: [trade, movement]")
    with pytest.raises(PolicyError, match="only an aggregate rule"):
        parse_policy(record_rule, "esma.yaml")
