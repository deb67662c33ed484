"""Fuzzing the loader with mutated built-in packs: a broken or hostile policy file gives a
Policy or a PolicyError, never another exception, and never hangs."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from regkit.errors import PolicyError
from regkit.rules.policy import Policy, builtin_policies, load_policy, parse_policy

PACKS = builtin_policies()

#: Text that YAML gives a meaning to: tags beyond JSON, anchors and aliases, merge keys,
#: flow collections, complex keys, document markers, numbers at the edges of the range.
SNIPPETS = [
    "!!set ",
    "!!binary ",
    "!!omap ",
    "!!pairs ",
    "!!timestamp ",
    "!!python/tuple ",
    "!!float ",
    "!!int ",
    "!!str ",
    "!!map ",
    "!!seq ",
    "!!bool ",
    "!!null ",
    "!!merge ",
    "!!value ",
    "!custom ",
    "&a ",
    "*a",
    "&b [*a, *a, *a] ",
    "<<: *a",
    "? ",
    "[",
    "]",
    "{",
    "}",
    "---\n",
    "...\n",
    ".nan",
    "-.inf",
    "1e999",
    "1.0e+999",
    "9" * 30,
    "9" * 5000,
    "0.0000000000000000000000000000001",
    "%",
    "{trade.leverage:>999999999}",
    "{trade.leverage:zz}",
    "99999999999999d",
    "(" * 300,
    "'",
    '"',
    "\t",
    "\x00",
    "\ufeff",
    "é",
    "\ud800",
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A built-in pack's text with a few lines duplicated, moved or dropped and snippets
    inserted at random places."""
    text = PACKS[draw(st.sampled_from(sorted(PACKS)))]
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True)
        where = draw(st.integers(0, len(lines) - 1))
        choice = draw(st.integers(0, 3))
        if choice == 0:  # a line twice (duplicate keys, rules, parameters)
            lines.insert(draw(st.integers(0, len(lines))), lines[where])
        elif choice == 1:
            del lines[where]
        else:
            line = lines[where]
            at = draw(st.integers(0, len(line)))
            snippet = draw(st.sampled_from(SNIPPETS) | st.text(max_size=8))
            lines[where] = line[:at] + snippet + line[at:]
        text = "".join(lines)
    return text


@st.composite
def flipped(draw: st.DrawFn) -> bytes:
    """A built-in pack's bytes with a few bytes changed."""
    data = bytearray(PACKS[draw(st.sampled_from(sorted(PACKS)))].encode("utf-8"))
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _policy_or_error(load: Callable[[], Policy]) -> Policy | str:
    """What loading gives: the policy, or the PolicyError's message (any other exception
    propagates and fails the test)."""
    try:
        return load()
    except PolicyError as error:
        return str(error)


@settings(max_examples=300, deadline=timedelta(seconds=3))
@given(mutated())
def test_a_mutated_pack_gives_a_policy_or_a_policy_error(text: str) -> None:
    outcome = _policy_or_error(lambda: parse_policy(text, "fuzz.yaml"))
    assert isinstance(outcome, Policy) or outcome.startswith("fuzz.yaml"), outcome


def test_a_scalar_or_list_tagged_as_a_mapping_is_a_policy_error() -> None:
    """Found by the test above: ``!!map`` on a scalar crashed the duplicate-key check."""
    text = PACKS["esma-cfd-retail"]
    for tagged in ("!!map Leverage", "!!map [a, b]"):
        broken = text.replace("    title:", f"    note: {tagged}\n    title:", 1)
        outcome = _policy_or_error(lambda: parse_policy(broken, "fuzz.yaml"))  # noqa: B023
        assert isinstance(outcome, str), outcome
        assert "tagged as a mapping (!!map)" in outcome, outcome


@settings(
    max_examples=150,
    deadline=timedelta(seconds=3),
    suppress_health_check=[HealthCheck.too_slow],
)
@given(flipped())
def test_a_pack_with_flipped_bytes_gives_a_policy_or_a_policy_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        outcome = _policy_or_error(lambda: load_policy(path))
    assert isinstance(outcome, Policy) or outcome.startswith(str(path)), outcome
