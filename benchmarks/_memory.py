"""Peak memory for the benchmarks: this process's, and its validating processes'."""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path


def peak_mb() -> float:
    """Peak resident memory of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class ChildPeaks:
    """The peak resident memory of each of this process's children (validating or
    sample-writing processes), read from ``/proc`` while they run: ``RUSAGE_CHILDREN``
    would report the parent's size at the fork that started them.

    Attributes:
        peaks: each child's peak in kB, by pid.
        peak_kb: the largest of them.
    """

    def __init__(self) -> None:
        self.peaks: dict[str, int] = {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    @property
    def peak_kb(self) -> int:
        return max(self.peaks.values(), default=0)

    def watch(self) -> None:
        while not self.done.wait(0.2):
            for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
                for pid in task.read_text().split():
                    self.peaks[pid] = max(self.peaks.get(pid, 0), _hwm_kb(pid))

    def __enter__(self) -> ChildPeaks:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def _hwm_kb(pid: str) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((line for line in status.splitlines() if line.startswith("VmHWM:")), "")
    return int(line.split()[1]) if line else 0
