"""The work of writing a sample set, shared out by blocks of accounts.

A worker owns the blocks whose number leaves ``worker`` when divided by ``workers``. It
writes its blocks' accounts as parts, then gives the trades of its blocks range by range
(integers, :func:`~regkit.samples._trades.trade_frame` makes them text), then writes its
blocks' movements and snapshots as parts and gives what was planted. Every random stream
belongs to a block, a range or an instrument, so what is written does not depend on how
many workers there are, nor on which one runs first.

With one worker the work runs in the calling process; with more, each runs in a process of
its own (``spawn``: a fresh interpreter, no fork of a process polars runs threads in), and
gives its messages through a bounded queue, so no worker runs more than a few ranges ahead.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from collections.abc import Iterator
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from regkit.samples._brokerage import Brokerage
from regkit.samples._config import SampleConfig
from regkit.samples._results import Planted
from regkit.samples._tables import movement_table, snapshot_table
from regkit.samples._trades import block_count, range_count
from regkit.samples._writing import write_rows
from regkit.schemas.account import Account
from regkit.schemas.io import FileFormat, write_records
from regkit.schemas.layout import layout_of

__all__ = [
    "ACCOUNT_COLUMNS",
    "Done",
    "Message",
    "Workers",
    "part_path",
    "work",
]

#: The national identifier columns accounts use, beside the model's own columns.
_NATIONAL_ID_COLUMNS = ("holder.national_ids.CCPT", "holder.national_ids.NIDN")

#: Every column of the accounts file, in file order.
ACCOUNT_COLUMNS: tuple[str, ...] = (*layout_of(Account).columns, *_NATIONAL_ID_COLUMNS)

Message = tuple[str, Any]
"""What a worker gives: ``("accounts", count)``, ``("trades", bytes)`` per range, then
``("done", Done)``; ``("error", text)`` if it failed."""

Done = tuple[int, int, list[Planted]]
"""A worker's last message: its movements, its snapshots, and what it planted."""


def part_path(out_dir: Path, name: str, block: int) -> Path:
    """Where a block's part of the file ``name`` is written (a hidden name)."""
    return out_dir / f".{name}.block{block:05d}"


def work(
    config: SampleConfig, worker: int, workers: int, out_dir: Path, format: FileFormat
) -> Iterator[Message]:
    """The work of worker ``worker`` of ``workers``, message by message."""
    book = Brokerage(config)
    blocks = [b for b in range(block_count(config)) if b % workers == worker]
    accounts = 0
    for block in blocks:
        part = part_path(out_dir, f"accounts.{format}", block)
        columns = ACCOUNT_COLUMNS
        accounts += write_records(book.accounts(block), part, format=format, columns=columns)
    yield "accounts", accounts
    simulation = book.simulation(blocks)
    for number in range(range_count(config)):
        yield "trades", simulation.run_range(number).tobytes()
    planted = [*simulation.planted(), *simulation.expired_kyc()]
    movements = snapshots = 0
    for block in blocks:
        records = book.block(block, simulation)
        movements += write_rows(
            records.movements,
            movement_table(),
            part_path(out_dir, f"movements.{format}", block),
            format,
        )
        snapshots += write_rows(
            records.snapshots,
            snapshot_table(),
            part_path(out_dir, f"snapshots.{format}", block),
            format,
        )
        planted += records.planted_movements + records.planted_snapshots
    done: Done = (movements, snapshots, planted)
    yield "done", done


def _run(
    config: SampleConfig,
    worker: int,
    workers: int,
    out_dir: Path,
    format: FileFormat,
    messages: multiprocessing.Queue[Message],
) -> None:
    """A worker process: its messages onto its queue, or the error that stopped it."""
    try:
        for message in work(config, worker, workers, out_dir, format):
            messages.put(message)
    except BaseException:
        messages.put(("error", traceback.format_exc()))


class Workers:
    """The workers of one sample set: each gives its messages in order, through
    :meth:`next`; :meth:`close` stops those still running.

    Args:
        config: what to generate.
        workers: how many (1: in this process).
        out_dir: where parts are written.
        format: the record files' format.
    """

    def __init__(
        self, config: SampleConfig, workers: int, out_dir: Path, format: FileFormat
    ) -> None:
        self.count = workers
        self.local: Iterator[Message] | None = None
        self.processes: list[BaseProcess] = []
        self.queues: list[multiprocessing.Queue[Message]] = []
        if workers == 1:
            self.local = work(config, 0, 1, out_dir, format)
            return
        context = multiprocessing.get_context("spawn")
        for worker in range(workers):
            messages: multiprocessing.Queue[Message] = context.Queue(maxsize=3)
            process = context.Process(
                target=_run,
                args=(config, worker, workers, out_dir, format, messages),
                name=f"regkit-samples-{worker}",
                daemon=True,
            )
            process.start()
            self.processes.append(process)
            self.queues.append(messages)

    def next(self, worker: int, kind: str) -> Any:
        """The next message of ``worker``, which must be of ``kind``; its content.

        Raises:
            RuntimeError: the worker failed, or died without a word.
        """
        if self.local is not None:
            found, content = next(self.local)
        else:
            found, content = self._receive(worker)
        if found == "error":
            raise RuntimeError(f"sample worker {worker} failed:\n{content}")
        if found != kind:
            raise RuntimeError(f"sample worker {worker} sent {found!r}, expected {kind!r}")
        return content

    def _receive(self, worker: int) -> Message:
        while True:
            try:
                return self.queues[worker].get(timeout=1.0)
            except queue.Empty:
                if not self.processes[worker].is_alive():
                    code = self.processes[worker].exitcode
                    raise RuntimeError(
                        f"sample worker {worker} stopped (exit code {code})"
                    ) from None

    def close(self) -> None:
        """Stop the worker processes still running (after a failure), and wait for all."""
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join()
        for messages in self.queues:
            messages.close()
        if self.local is not None:
            close = getattr(self.local, "close", None)
            if close is not None:
                close()
