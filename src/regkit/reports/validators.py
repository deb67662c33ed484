"""Where a render's chunks are validated against their schema while the render goes on.

:func:`regkit.reports.writer.write_files` frames each chunk of records as a complete
document and hands it to :class:`Validators`, which answers with a future: None when the
document is valid, else its first problem ``(line, path, reason)``.

The first chunk is validated in a thread of this process. From the second on (a render
worth the start of a process), each worker is a process of its own
(:mod:`regkit.reports._validator_process`, a script that needs only lxml), fed through a
pipe by a thread of this process that waits for its answer. Processes rather than threads:
lxml lets go of the GIL while it parses and validates, but takes it back several times per
document, and each time waits for the rendering thread to give it up (up to the
interpreter's switch interval). Measured on two cores, a thread validated a 3,000-record
document in 61 ms alone and in 91 ms beside a busy Python thread; a process took 61 ms
either way, and a 300,000-trade MiFIR render ran 27 % faster (``docs/performance.md``).

A process that cannot be started, or stops, is replaced by validation in the thread that fed
it, so that every chunk is validated whatever happens to the processes. A document a
process finds invalid is validated again here, which words the problem.

Examples:
    >>> with Validators("auth.016", workers=2) as validators:
    ...     validators.submit(b"<Document/>").result()[2].split(";")[0]
    '<bytes>: unknown message: root element Document in namespace (none)'
"""

from __future__ import annotations

import contextlib
import queue
import struct
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO, Final

from regkit.errors import RenderError
from regkit.reports.xml import is_valid, schema_wrapper, validate

__all__ = ["Problem", "Validators", "check_document"]

Problem = tuple[int, str, str]
"""A validation problem: line, element path, reason."""

_LENGTH: Final = struct.Struct(">Q")
_SCRIPT: Final = Path(__file__).with_name("_validator_process.py")
#: Seconds a process is given to exit once its input is closed, before it is killed.
_EXIT_WAIT: Final = 5.0


def check_document(message: str, document: bytes) -> Problem | None:
    """Validate a complete document in this thread: its first problem, or None.

    Args:
        message: the message it must be (``auth.016``).
        document: the document's bytes.

    Returns:
        ``(line, path, reason)`` of the first problem, or None when it is valid.

    Examples:
        >>> check_document("auth.016", b"<Document/>")[2].split(";")[0]
        '<bytes>: unknown message: root element Document in namespace (none)'
    """
    if is_valid(document, message):  # the common case, at the cost of one parse
        return None
    try:
        result = validate(document, max_problems=1)
    except RenderError as exc:
        return (1, "/", str(exc))
    if result.message != message:
        return (1, "/", f"the document is a {result.message} message, not {message}")
    if result.ok:
        return None
    first = result.problems[0]
    return (first.line, first.path, first.reason)


class _Process:
    """One validating process and its pipes."""

    def __init__(self, wrapper: bytes) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-P", str(_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            bufsize=0,
        )
        self.ready = False
        self.send(wrapper)

    @property
    def pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:  # never: both are pipes
            raise OSError("the validating process has no pipes")
        return stdin, stdout

    def send(self, data: bytes) -> None:
        stdin, _ = self.pipes
        view = memoryview(_LENGTH.pack(len(data)) + data)
        while view:
            written = stdin.write(view)
            view = view[written or 0 :]

    def answer(self) -> bytes:
        _, stdout = self.pipes
        return stdout.read(1)

    def valid(self, document: bytes) -> bool:
        """Whether the process finds the document valid; OSError when it has stopped (or
        could not compile the schema)."""
        if not self.ready:  # its first answer says whether the schema compiled
            if self.answer() != b"1":
                raise OSError("the validating process did not compile the schema")
            self.ready = True
        self.send(document)
        answer = self.answer()
        if answer not in (b"0", b"1"):
            raise OSError("the validating process stopped")
        return answer == b"1"

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.pipes[0].close()
        try:
            self.process.wait(_EXIT_WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError):
            self.pipes[1].close()


class Validators:
    """Validates documents of one message on ``workers`` workers (see the module's notes).

    Use it as a context manager: leaving it waits for the documents in flight and stops the
    processes.

    Args:
        message: the message every document must be (``auth.016``).
        workers: how many documents are validated at once.
    """

    def __init__(self, message: str, workers: int) -> None:
        if workers < 1:
            raise RenderError(f"workers must be at least 1, got {workers}")
        self.message = message
        self.workers = workers
        self._threads = ThreadPoolExecutor(workers, "regkit-validate")
        # One slot per thread: a process, or None where it could not be started or stopped.
        self._slots: queue.SimpleQueue[_Process | None] = queue.SimpleQueue()
        self._processes: list[_Process] = []
        self._submitted = 0

    def submit(self, document: bytes) -> Future[Problem | None]:
        """Validate a document; the future's result is its first problem, or None."""
        self._submitted += 1
        if self._submitted == 1:
            return self._threads.submit(check_document, self.message, document)
        if self._submitted == 2:
            self._start(document)
        return self._threads.submit(self._in_slot, document)

    @property
    def processes(self) -> int:
        """How many validating processes were started."""
        return len(self._processes)

    def _start(self, document: bytes) -> None:
        compiled = schema_wrapper(document, self.message)
        for _ in range(self.workers):
            process: _Process | None = None
            if compiled is not None and sys.executable:
                with contextlib.suppress(OSError):
                    process = _Process(compiled.wrapper)
                    self._processes.append(process)
            self._slots.put(process)

    def _in_slot(self, document: bytes) -> Problem | None:
        process = self._slots.get()
        valid = False
        try:
            valid = process is not None and process.valid(document)
        except OSError:
            if process is not None:
                process.stop()
            process = None  # this slot validates in its thread from now on
        finally:
            self._slots.put(process)
        return None if valid else check_document(self.message, document)

    def close(self) -> None:
        """Wait for the documents in flight, then stop the processes."""
        self._threads.shutdown(wait=True, cancel_futures=True)
        for process in self._processes:
            process.stop()

    def __enter__(self) -> Validators:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
