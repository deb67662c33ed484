"""Every built-in policy pack gives the same findings on both engines, for random books of
accounts, trades, cash movements and snapshots (payers named after holders or not, some
records on accounts that were not given)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import accounts, key_of, movements, snapshots, trades

import regkit as rk
from regkit.rules.policy import builtin_policies

PACKS = sorted(builtin_policies())


@st.composite
def books(draw: st.DrawFn) -> dict[str, list[rk.Record]]:
    people = draw(st.lists(accounts(), min_size=1, max_size=4, unique_by=key_of))
    ids = [a.account_id for a in people] + ["A-NOT-GIVEN"]
    pick = st.sampled_from(ids)
    deals = [
        t.model_copy(update={"account_id": draw(pick)})
        for t in draw(st.lists(trades(), max_size=8, unique_by=key_of))
    ]
    cash = []
    for m in draw(st.lists(movements(), max_size=10, unique_by=key_of)):
        owner = draw(st.sampled_from(people))
        named = getattr(owner.holder, "name", None) or (
            f"{owner.holder.surname}, {owner.holder.first_name}"  # type: ignore[union-attr]
        )
        payer = draw(st.sampled_from([m.payer_name, named]))
        cash.append(m.model_copy(update={"account_id": owner.account_id, "payer_name": payer}))
    marks = [
        s.model_copy(update={"account_id": draw(pick)})
        for s in draw(st.lists(snapshots(), max_size=4, unique_by=key_of))
    ]
    return {"accounts": people, "trades": deals, "movements": cash, "snapshots": marks}


@pytest.mark.parametrize("pack", PACKS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    book=books(),
    as_of=st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC)),
)
def test_every_pack_finds_the_same_on_both_engines(
    backend: str, pack: str, book: dict[str, list[rk.Record]], as_of: datetime
) -> None:
    policy = rk.load_policy(pack)
    python = rk.check(policy, as_of=as_of, engine="python", **book)  # type: ignore[arg-type]
    columnar = rk.check(policy, as_of=as_of, engine=backend, **book)  # type: ignore[arg-type]
    assert python.findings == columnar.findings
    assert all(f.severity != rk.Severity.ERROR for f in python.findings), [
        f.message for f in python.findings if f.severity == rk.Severity.ERROR
    ]
