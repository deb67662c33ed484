"""Progress on stderr for the commands that take a while, drawn by tqdm.

A job tells how it is going to a callback, ``progress(what, done, total)``
(:data:`regkit.jobs.Progress`). A counted step (``"trades", 20_000, 200_000``) is drawn as
a bar of the records done against the total (a running count when the total is not known,
``total`` 0); a step that is not counted (``"reading trades.parquet", 0, 0``) is shown as
the line's text until the next step, with the time it has taken. Each step replaces the
one before on the same line, so the line always says what is running now.

Nothing is drawn when stderr is not a terminal (a pipe, a file, a CI log) or the command
was given ``--quiet``. tqdm rather than a hand-written bar: it sizes the line to the
terminal, rates and estimates the time left, and keeps lines written above the bar
(:meth:`Progress.note`) clear of it.

Examples:
    >>> import io
    >>> progress = Progress("check", io.StringIO())  # not a terminal: draws nothing
    >>> progress("trades", 10, 100)
    >>> progress.enabled
    False
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from types import TracebackType
from typing import Any, TextIO

from tqdm import tqdm

__all__ = ["Progress", "add_quiet"]


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """The ``--quiet`` option of a command that shows progress."""
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="show no progress on stderr (none is shown when stderr is not a terminal)",
    )


class Progress:
    """A job's progress callback that draws on a terminal (see the module).

    Use it as a context manager, or call :meth:`close`: the line is cleared at the end and
    the time the command took is said.

    Args:
        command: the command's name, which opens the line (``check``).
        stream: where to draw (default: stderr).
        quiet: draw nothing.
    """

    def __init__(self, command: str, stream: TextIO | None = None, *, quiet: bool = False):
        self.command = command
        self.stream = sys.stderr if stream is None else stream
        self.enabled = not quiet and self.stream.isatty()
        self.started = time.monotonic()
        self._bar: tqdm[Any] | None = None
        self._step: tuple[str, bool] | None = None

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        counted = bool(total or done)
        if self._bar is None or self._step != (what, counted):
            self._open(what, total if counted else 0, counted)
        bar = self._bar
        assert bar is not None
        if counted:
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)
            if total and done >= total:
                bar.refresh()  # the step is complete: draw it so, however soon it ended

    def pause(self) -> None:
        """Clear the progress line, so that what is printed next starts on a clean line
        (the next step draws it again)."""
        self._close_bar()
        self._step = None

    def note(self, text: str) -> None:
        """A line kept above the progress line (a file written), on a terminal only."""
        if self.enabled:
            tqdm.write(f"regkit {self.command}: {text}", file=self.stream)

    def close(self) -> None:
        """Clear the line and say how long the command took (on a terminal)."""
        if not self.enabled:
            return
        self._close_bar()
        elapsed = time.monotonic() - self.started
        self.stream.write(f"regkit {self.command}: done in {elapsed:.1f} s\n")
        self.stream.flush()
        self.enabled = False

    def _open(self, what: str, total: int, counted: bool) -> None:
        self._close_bar()
        self._step = (what, counted)
        text = f"regkit {self.command}: {what}"
        if counted:
            self._bar = tqdm(
                total=total or None,
                desc=text,
                unit="",
                unit_scale=True,
                leave=False,
                mininterval=0.2,
                **self._width(),
            )
        else:
            self._bar = tqdm(
                total=None,
                desc=text,
                bar_format="{desc} [{elapsed}]",
                leave=False,
                mininterval=0.2,
                **self._width(),
            )

    def _width(self) -> dict[str, Any]:
        """Where to draw and how wide: the terminal's width as it changes, or 100 columns
        where the terminal says it has none (a pseudo-terminal nobody sized)."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, io.UnsupportedOperation):
            columns = 0
        if columns:
            return {"file": self.stream, "dynamic_ncols": True}
        return {"file": self.stream, "ncols": 100, "nrows": 24}

    def _close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self.close()
        else:  # the error is printed next: leave no half-drawn line above it
            self._close_bar()
            self.enabled = False
