"""Two processes recording runs into one store at once lose nothing: every run is kept
whole, and a breach both found is one finding, new to exactly one of them."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import create_engine, func, select
from store_book import check, trade

from regkit.store import open_store
from regkit.store.schema import findings, run_blocks

RUNS_EACH = 6


def _record(url: str, worker: int, start: multiprocessing.synchronize.Event) -> None:
    start.wait(30)
    with open_store(url) as store:
        for number in range(RUNS_EACH):
            # Breaches both find (T1, T2, the busy day) and this worker's own (T1xx, T2xx).
            own = [trade(100 * (worker + 1) + number, "50"), trade(2, "45")]
            store.record(check([trade(1, "50"), *own]))


def test_two_processes_recording_at_once_lose_nothing(store_url: str) -> None:
    open_store(store_url).close()  # created once, before the race
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_record, args=(store_url, n, start)) for n in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    with open_store(store_url) as store:
        recorded = store.runs()
        assert len(recorded) == 2 * RUNS_EACH
        assert sum(run.findings for run in recorded) == 2 * RUNS_EACH * 4
    url = store_url if "://" in store_url else f"sqlite:///{store_url}"
    engine = create_engine(url)
    with engine.connect() as connection:
        distinct = connection.scalar(select(func.count()).select_from(findings))
        rows = connection.scalar(select(func.sum(run_blocks.c.findings)))
    engine.dispose()
    # T1's and T2's leverage, each worker's own, and A1's busy day (its episode starts at T1)
    assert distinct == 2 + 2 * RUNS_EACH + 1
    assert sum(run.new for run in recorded) == distinct
    assert rows == 2 * RUNS_EACH * 4


def _record_slowly(url: str, started: multiprocessing.synchronize.Event) -> None:
    """Record a run whose writing stops after its first block of findings, until killed."""
    import time

    from regkit.store import runs

    write = runs.Bulk.insert

    def insert(self: runs.Bulk, table: object, rows: object, bound: bool = False) -> None:
        write(self, table, rows, bound=bound)  # type: ignore[arg-type]
        if getattr(table, "name", "") == "run_blocks":
            started.set()
            time.sleep(60)  # killed here, mid-run

    runs.Bulk.insert = insert  # type: ignore[method-assign]
    with open_store(url) as store:
        store.record(check([trade(n, "50") for n in range(1, 40)]))


def test_a_run_killed_mid_write_leaves_nothing_behind(store_url: str) -> None:
    open_store(store_url).close()
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    writer = context.Process(target=_record_slowly, args=(store_url, started))
    writer.start()
    assert started.wait(60), "the writer did not start writing"
    writer.kill()
    writer.join(30)
    with open_store(store_url) as store:
        assert store.runs() == []
        again = store.record(check([trade(n, "50") for n in range(1, 40)]))
    assert again.new == again.findings  # nothing of the killed run was kept
