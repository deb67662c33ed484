"""The work of writing a sample set, shared out by blocks of accounts.

A worker owns the blocks whose number leaves ``worker`` when divided by ``workers``. It
writes its blocks' accounts as parts, then gives the trades of its blocks range by range
(integers, :func:`~regkit.samples._trades.trade_frame` makes them text), then writes its
blocks' movements and snapshots as parts and gives what was planted. Every random stream
belongs to a block, a range or an instrument, so what is written does not depend on how
many workers there are, nor on which one runs first.

With one worker the work runs in the calling process; with more, each runs in a process of
its own (a fresh interpreter, no fork of a process polars runs threads in), and gives its
messages through a pipe, so no worker runs more than a range ahead of the writing.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from regkit.samples._brokerage import CURRENCIES, Brokerage
from regkit.samples._config import SampleConfig
from regkit.samples._results import Planted
from regkit.samples._tables import movement_table, snapshot_plain, snapshot_table
from regkit.samples._trades import block_count, range_count
from regkit.samples._writing import write_frames, write_rows
from regkit.schemas.account import Account
from regkit.schemas.io import FileFormat, write_records
from regkit.schemas.layout import layout_of

__all__ = [
    "ACCOUNT_COLUMNS",
    "Done",
    "Message",
    "Workers",
    "part_path",
    "serve",
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
        table = snapshot_table()
        assert table.finish is not None
        frame = table.finish(snapshot_plain(records.snapshots, CURRENCIES))
        part = part_path(out_dir, f"snapshots.{format}", block)
        snapshots += write_frames([frame], table, part, format)
        planted += records.planted_movements + records.planted_snapshots
    done: Done = (movements, snapshots, planted)
    yield "done", done


def serve() -> None:
    """A worker process (``python -m regkit.samples._serve``): its task from stdin, its
    messages onto stdout (the pipe holds the worker back while the writer is behind), or
    the error that stopped it."""
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything else printed goes to stderr, not into the messages
    task = pickle.load(sys.stdin.buffer)
    try:
        for message in work(*task):
            pickle.dump(message, channel, protocol=pickle.HIGHEST_PROTOCOL)
            channel.flush()
    except BaseException:
        pickle.dump(("error", traceback.format_exc()), channel)
        channel.flush()
        raise SystemExit(1) from None


class Workers:
    """The workers of one sample set: each gives its messages in order, through
    :meth:`next`; :meth:`close` stops those still running.

    A worker process is a fresh interpreter (``python -m regkit.samples._serve``, with
    this process's ``sys.path``): no fork of a process polars may run threads in, and no
    re-import of the caller's script, which needs no ``if __name__ == "__main__"`` guard.

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
        self.processes: list[subprocess.Popen[bytes]] = []
        if workers == 1:
            self.local = work(config, 0, 1, out_dir, format)
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        for worker in range(workers):
            process = subprocess.Popen(
                [sys.executable, "-m", "regkit.samples._serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            self.processes.append(process)
            assert process.stdin is not None
            pickle.dump((config, worker, workers, out_dir, format), process.stdin)
            process.stdin.close()

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
        process = self.processes[worker]
        assert process.stdout is not None
        try:
            message: Message = pickle.load(process.stdout)
        except EOFError:
            code = process.wait()
            raise RuntimeError(f"sample worker {worker} stopped (exit code {code})") from None
        return message

    def close(self) -> None:
        """Stop the worker processes still running (after a failure), and wait for all."""
        for process in self.processes:
            if process.poll() is None:
                process.kill()
        for process in self.processes:
            process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self.local is not None:
            close = getattr(self.local, "close", None)
            if close is not None:
                close()
