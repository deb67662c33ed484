"""A finding is written into ``findings.json`` by :func:`indented`, not ``json.dumps(...,
indent=2)`` (which runs Python's pure-Python encoder): the text must be the same, byte for
byte, so a pack's bytes do not change with the speed-up."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regkit.rules.findings import indented

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)
)  # fmt: skip
KEYS = st.one_of(st.text(max_size=6), st.integers(-5, 5), st.booleans(), st.none())
DATA = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=400)
@given(DATA, st.sampled_from(["", "  ", "    "]))
def test_indented_is_json_dumps_with_an_indent(value: Any, margin: str) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + margin)
    assert indented(value, margin) == expected


def test_a_key_json_cannot_write_is_refused() -> None:
    with pytest.raises(TypeError, match="keys must be"):
        indented({(1, 2): "x"})
