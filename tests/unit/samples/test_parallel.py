"""Sample version 2: generated per block of accounts and range of trades, the same bytes
whatever the number of worker processes; histories and prices stay realistic."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from regkit.samples import SampleConfig, generate, write_samples
from regkit.samples._brokerage import Brokerage
from regkit.samples._files import _remove_parts
from regkit.samples._instruments import SPECS
from regkit.samples._trades import BLOCK_ACCOUNTS, RANGE_TRADES, Skeleton, block_count
from regkit.samples._workers import Workers
from regkit.schemas import PositionEffect

#: Three blocks of accounts, so that two and three workers share them differently.
CONFIG = SampleConfig(trades=6_000, accounts=2 * BLOCK_ACCOUNTS + 500, seed=11, days=3)


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_the_number_of_workers_changes_no_byte(tmp_path: Path, fmt: str) -> None:
    assert block_count(CONFIG) == 3
    found = {}
    for workers in (1, 2, 3):
        out = tmp_path / f"{fmt}-{workers}"
        write_samples(out, CONFIG, fmt, workers=workers)  # type: ignore[arg-type]
        found[workers] = _files(out)
    assert found[1] == found[2] == found[3]
    assert not [name for name in found[1] if name.startswith(".")], "no part is left"


def test_workers_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="workers must be at least 1"):
        write_samples(tmp_path, SampleConfig(trades=10), "csv", workers=0)


def test_times_rise_across_ranges() -> None:
    config = SampleConfig(trades=2 * RANGE_TRADES + 10, accounts=50)
    book = Brokerage(config)
    skeleton = Skeleton(config, book.calendar, book.plans)
    previous = -1
    total = 0
    for number in range(3):
        accounts, places = skeleton.range(number)
        assert len(accounts) == len(places)
        first = number * RANGE_TRADES
        times = [skeleton.instant(first + k, place)[0] for k, place in enumerate(places)]
        assert times == sorted(times)
        assert times[0] >= previous
        previous = times[-1]
        total += len(times)
    assert total == config.trades


def test_each_close_closes_an_earlier_opening_of_its_account() -> None:
    sample = generate(CONFIG)
    opened = {}
    open_now: dict[str, set[str]] = defaultdict(set)
    closes = 0
    for trade in sample.trades:
        if trade.position_effect is PositionEffect.OPEN:
            opened[trade.trade_id] = trade
            open_now[trade.account_id].add(trade.trade_id)
            assert len(open_now[trade.account_id]) <= 6
            continue
        closes += 1
        opening = opened[trade.closes]  # type: ignore[index]
        assert trade.closes in open_now[trade.account_id]
        open_now[trade.account_id].discard(trade.closes)  # type: ignore[arg-type]
        assert opening.account_id == trade.account_id
        assert opening.instrument == trade.instrument
        assert opening.quantity == trade.quantity
        assert opening.side != trade.side
        assert opening.uti == trade.uti
        assert opening.executed_at <= trade.executed_at
    assert closes > CONFIG.trades // 5


def test_prices_stay_near_the_typical_price() -> None:
    sample = generate(CONFIG)
    specs = {spec.symbol: spec for spec in SPECS}
    for trade in sample.trades:
        spec = specs[trade.instrument.symbol]
        mid = spec.mid / 10**spec.decimals
        assert abs(float(trade.price) - mid) <= mid * 0.06, trade.trade_id
        assert abs(trade.requested_price - trade.price) <= 2 * 10**-spec.decimals + 1e-12


def test_a_failing_worker_raises_with_its_traceback(tmp_path: Path) -> None:
    pool = Workers("no config", 2, tmp_path, "csv")  # type: ignore[arg-type]
    try:
        with pytest.raises(RuntimeError, match=r"sample worker 0 failed:(.|\n)*Error"):
            pool.next(0, "accounts")
    finally:
        pool.close()


def test_parts_a_stopped_run_left_are_removed(tmp_path: Path) -> None:
    left = [".trades.parquet.block00001", "..accounts.csv.block00002.123-ab.partial"]
    for name in [*left, "keep.csv", ".hidden"]:
        (tmp_path / name).write_text("x")
    _remove_parts(tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == [".hidden", "keep.csv"]
