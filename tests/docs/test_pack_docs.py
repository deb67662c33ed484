"""The pack reference pages (docs/packs/) are what the built-in packs give now.

The pages are generated from ``src/regkit/rules/packs/*.yaml`` by
``regkit.rules.packdocs``; after changing a pack, regenerate them with ``make pack-docs``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import regkit as rk
from regkit.rules.packdocs import (
    GENERATED,
    INDEX,
    builtin_packs,
    main,
    outdated_pack_docs,
    pack_pages,
    render_index,
    render_pack,
    write_pack_docs,
)

ROOT = Path(__file__).resolve().parents[2]
PACK_DOCS = ROOT / "docs" / "packs"
EXAMPLES = ROOT / "src" / "regkit" / "rules" / "examples"
REGENERATE = "make pack-docs  (or: python -m regkit.rules.packdocs --out docs/packs)"


@pytest.fixture(scope="module")
def examples() -> dict[str, rk.Policy]:
    return {
        "aml-structuring": rk.load_policy(EXAMPLES / "aml-structuring.yaml"),
        "esma-leverage": rk.load_policy(EXAMPLES / "esma-leverage.yaml"),
    }


def test_committed_pack_pages_are_current() -> None:
    packs = builtin_packs()
    expected = pack_pages(packs)
    outdated = outdated_pack_docs(PACK_DOCS, packs)
    names = ", ".join(str(path.relative_to(ROOT)) for path in outdated)
    assert not outdated, f"the pack pages are out of date ({names}); regenerate: {REGENERATE}"
    on_disk = {path.name for path in PACK_DOCS.glob("*.md")}
    assert on_disk == set(expected), f"docs/packs holds other pages; regenerate: {REGENERATE}"


def test_every_builtin_pack_has_a_page() -> None:
    index = render_index(builtin_packs())
    for name in rk.rules.policy.builtin_policies():
        assert f"]({name}.md)" in index


def test_record_rule_page(examples: dict[str, rk.Policy]) -> None:
    page = render_pack(examples["esma-leverage"])
    assert page.startswith(GENERATED + "\n")
    assert "# esma-leverage-example, version 2026.1" in page
    assert "- **Jurisdiction:** EU" in page
    assert "- **In force:** from 2018-08-01" in page
    assert "ESMA, Decision (EU) 2018/796: “Product intervention on CFDs”." in page
    # the parameters table, a mapping one entry per line, and which rules read it
    assert "| parameter | default | read by |" in page
    assert "| `leverage_caps` | `fx_major`: 30<br>`fx_minor`: 20<br>" in page
    assert "`other`: 5 | ESMA-CFD-LEV |" in page
    assert "## ESMA-CFD-LEV: Retail CFD leverage above the ESMA cap" in page
    assert "- **Severity:** high" in page
    assert "- **Applies to:** trades (`trade`)" in page
    assert (
        '- Applies when: `account.category == "retail" and trade.instrument.product == "cfd" '
        'and trade.position_effect == "open"`'
    ) in page
    assert (
        "- Must hold: `trade.leverage <= params.leverage_caps[trade.instrument.underlying_class]`"
    ) in page
    assert "- Message: `leverage {trade.leverage}:1 above the" in page
    assert (
        "**Citation.** ESMA, Decision (EU) 2018/796, Art. 2(a) and Annex I: "
        "“leverage limits on the opening of a position by a retail client”."
    ) in page


def test_aggregate_rule_page(examples: dict[str, rk.Policy]) -> None:
    page = render_pack(examples["aml-structuring"])
    assert "| `threshold` | 10000 | AML-STRUCT |" in page
    assert "| `just_under` | 9000 | AML-STRUCT |" in page
    assert "## AML-STRUCT: Deposits split just under the reporting threshold" in page
    assert "- **Applies to:** cash movements (`movement`)" in page
    assert '- Records: `movement.kind == "deposit" and movement.amount >= params.just_under' in page
    assert "- Grouped by: `movement.account_id`" in page
    assert "- Window: 48 hours, rolling (`48h`)" in page
    assert "the group's cash movements of the 48 hours up to it are aggregated" in page
    assert (
        "- Aggregates: `deposits` = `count()`, `total` = `sum(movement.amount)`, "
        "`largest` = `max(movement.amount)`"
    ) in page
    assert "- Must hold: `deposits < params.deposits`" in page
    assert "Applies when" not in page  # aggregate rules select with `where`
    assert "**Citation.** EU, Directive (EU) 2015/849, Art. 11, 13 and 18: " in page


def test_parameter_values_and_markup_are_readable() -> None:
    policy = rk.rules.parse_policy(
        """\
policy: odd
version: "1"
parameters:
  ratio: 0.5
  venues: [XLON, XPAR]
  flags: {strict: true, floor: null}
  empty: []
  nested: {a: [1, 2]}
  unused: 1
rules:
  - id: ODD_1
    title: "A title with *stars*, a | pipe and <html>"
    severity: low
    applies_to: account
    effective_from: 2026-01-01
    assert: params.ratio > 0 and len(params.venues) > 0 and params.flags["strict"]
    reference: {url: "https://example.com/x"}
""",
        "odd.yaml",
    )
    page = render_pack(policy)
    assert "| `ratio` | 0.5 | ODD\\_1 |" not in page  # rule ids are written as they are
    assert "| `ratio` | 0.5 | ODD_1 |" in page
    assert "| `venues` | XLON, XPAR | ODD_1 |" in page
    assert "| `flags` | `strict`: true<br>`floor`: none | ODD_1 |" in page
    assert "| `empty` | (none) | — |" in page
    assert "| `nested` | `a`: \\[1, 2\\] | — |" in page
    assert "## ODD_1: A title with \\*stars\\*, a | pipe and &lt;html>" in page
    assert "| ODD_1 | low | account | A title with \\*stars\\*, a \\| pipe and &lt;html> |" in page
    assert "- **In force:** from 2026-01-01" in page
    assert "**Citation.** [source](https://example.com/x).\n" in page
    assert "- **Jurisdiction:** not stated" in page
    assert "The assertion must hold for every account" in page


def test_write_is_deterministic_and_removes_only_its_stale_pages(
    tmp_path: Path, examples: dict[str, rk.Policy]
) -> None:
    out = tmp_path / "packs"
    written = write_pack_docs(out, examples)
    assert [path.name for path in written] == ["aml-structuring.md", "esma-leverage.md", INDEX]
    first = {path.name: path.read_bytes() for path in out.iterdir()}
    assert write_pack_docs(out, examples) == []  # unchanged pages are not rewritten
    assert outdated_pack_docs(out, examples) == []
    index = (out / INDEX).read_text(encoding="utf-8")
    assert "| [aml-structuring](aml-structuring.md) | 2026.1 | EU | from 2015-06-26 | 1 |" in index
    assert "2 packs, 2 rules in all." in index

    (out / "notes.md").write_text("# hand-written\n", encoding="utf-8")
    (out / "esma-leverage.md").write_text("edited\n", encoding="utf-8")
    fewer = {"esma-leverage": examples["esma-leverage"]}
    assert outdated_pack_docs(out, fewer) == [
        out / "aml-structuring.md",  # generated, its pack is gone
        out / "esma-leverage.md",  # edited by hand
        out / INDEX,
    ]
    write_pack_docs(out, fewer)
    assert sorted(path.name for path in out.iterdir()) == ["esma-leverage.md", INDEX, "notes.md"]
    assert (out / "esma-leverage.md").read_bytes() == first["esma-leverage.md"]
    assert not list(out.glob(".*partial"))


def test_no_packs_gives_an_index_only(tmp_path: Path) -> None:
    assert write_pack_docs(tmp_path, {}) == [tmp_path / INDEX]
    assert "No policy packs are built in yet." in (tmp_path / INDEX).read_text(encoding="utf-8")


def test_main_checks_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "packs"
    try:
        builtin_packs()
    except rk.PolicyError:
        assert main(["--out", str(out)]) == 2
        assert "error: " in capsys.readouterr().err
        return
    assert main(["--check", "--out", str(out)]) == 1
    assert "make pack-docs" in capsys.readouterr().err
    assert main(["--out", str(out)]) == 0
    assert main(["--check", "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().out
