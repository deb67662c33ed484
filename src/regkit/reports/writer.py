"""Streaming writer of regulator XML files: split, validated, atomic, byte-stable.

A renderer hands :func:`write_files` its records one at a time, each an lxml element or the
bytes of one (pre-serialised: much faster than building elements), and says how a file
opens and closes around them (an :data:`Envelope`), how files are named and how many
records one may hold. The writer knows nothing of any message: MiFIR wraps its ``Tx``
elements in ``BizData``/``AppHdr``/``Document``; an EMIR file is a plain ``Document``.

How it works:

* Records are grouped in chunks of a few thousand. With ``validate=True`` each chunk is
  framed by its file's real opening and closing bytes (so it is a complete file holding
  those records) and validated with the registry's compiled lxml schema
  (:func:`regkit.reports.xml.validate`), by ``workers`` validating processes when
  ``workers > 1`` (:class:`regkit.reports.validators.Validators`: the first chunk in a
  thread, the later ones in processes), while this thread renders the next chunks.
  Chunks are written in their order, whatever order the workers finish in, so the output
  does not depend on ``workers``.
* Every chunk is validated and every file is made of the same frame around validated
  chunks, so every file is valid as a whole without being parsed again: that read would
  cost as much as the whole validation, for no new information. (The tests still validate
  every file they produce as a whole.)
* Files are streamed with :func:`lxml.etree.xmlfile` into temporary files in the output
  folder (``.<name>.<pid>-<random>.partial``); memory stays flat whatever the number of
  records. Only when every record was written, and the record source finished without
  raising, are the files renamed to their names, as one set through a journal, so that a
  run killed between two renames is finished by the next (:mod:`regkit._files`). On any
  error every temporary file is removed: no partial file is ever left behind under a final
  name. A run holds an exclusive lock on its folder (a second run at the same time is
  refused at once), and never replaces a file of the same name that holds other bytes.
* Each record is written on its own line, so that a problem found on a line of a chunk
  points back to its record, whose key the error names.
* A message whose header states how many records the file holds (EMIR's
  ``RptHdr/NbRcrds``) asks for ``count_records=True``: the envelope is then given the
  number of records in :attr:`Part.records`. A streaming writer knows it only after the
  last record of the file, so each file's records are streamed to a body file first and
  the file is assembled from its opening (written with the count), the body and its
  closing when the file is complete. Each validated chunk is likewise framed with its own
  count, so that it is a document that says truthfully what it holds.

Examples:
    >>> import contextlib, tempfile
    >>> @contextlib.contextmanager
    ... def envelope(xf, part):
    ...     with xf.element("Root"):
    ...         yield
    >>> folder = tempfile.mkdtemp()
    >>> paths = write_files(
    ...     [("r1", b"<Item/>")], folder, envelope=envelope,
    ...     name=lambda sequence: f"out_{sequence}.xml", schema=None, max_records=10,
    ... )
    >>> [path.name for path in paths], paths[0].read_bytes()
    (['out_1.xml'], b"<?xml version='1.0' encoding='UTF-8'?>\\n<Root>\\n<Item/>\\n</Root>\\n")
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Protocol, cast

from lxml import etree

from regkit._files import commit_set, folder_lock, new_temporary
from regkit.errors import RenderError, XsdValidationError
from regkit.reports.validators import Problem, Validators, check_document

__all__ = [
    "DEFAULT_CHUNK_RECORDS",
    "Envelope",
    "Part",
    "XmlWriter",
    "default_workers",
    "write_files",
]

#: Records validated together: big enough to amortise parsing, small enough to stay flat.
DEFAULT_CHUNK_RECORDS: Final = 2_000

Record = bytes | str | etree._Element
"""One record: an lxml element, or the text of one element (no declaration) as UTF-8 bytes
(the fastest: a renderer's f-strings, encoded one by one) or as a string."""


class XmlWriter(Protocol):
    """What an envelope uses of lxml's incremental writer (lxml-stubs does not describe it)."""

    def element(
        self,
        tag: str,
        attrib: dict[str, str] | None = None,
        nsmap: dict[str | None, str] | None = None,
    ) -> AbstractContextManager[None]:
        """Open an element until the ``with`` block ends."""

    def write(self, *content: Any, pretty_print: bool = False) -> None:
        """Write text (escaped) or elements."""

    def flush(self) -> None:
        """Push what is buffered to the file."""

    def write_declaration(self) -> None:
        """Write the XML declaration."""


@dataclass(frozen=True)
class Part:
    """One file of a report that may be split.

    Attributes:
        sequence: the file's number, from 1.
        name: the file's name (from the naming function).
        records: the number of records in the document the envelope frames, with
            ``count_records=True`` (the file's, or a validated chunk's); otherwise None.
    """

    sequence: int
    name: str
    records: int | None = None


Envelope = Callable[[XmlWriter, Part], AbstractContextManager[None]]
"""Opens a file's elements around its records: a context manager that writes the opening
elements with the given writer, yields while the records are written, and closes them."""


def default_workers() -> int:
    """Validating workers by default: two when the machine has two cores or more."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def write_files(
    records: Iterable[tuple[str, Record]],
    out_dir: str | os.PathLike[str],
    *,
    envelope: Envelope,
    name: Callable[[int], str],
    schema: str | None,
    max_records: int,
    validate: bool = True,
    workers: int | None = None,
    chunk_records: int = DEFAULT_CHUNK_RECORDS,
    count_records: bool = False,
    observe: Callable[[int, str, bytes], None] | None = None,
) -> list[Path]:
    """Write records to XML files, split at ``max_records``, each validated, all atomic.

    Args:
        records: ``(key, record)`` pairs in file order; the key names the record in errors.
            The iterable may raise (e.g. after its last record, to refuse the batch): then
            nothing is written.
        out_dir: the folder to write to (created if missing).
        envelope: opens and closes a file around its records.
        name: the file name of the file with a given sequence number (from 1).
        schema: the message short name the files must validate as (``auth.016``), or None
            to skip validation whatever ``validate`` says.
        max_records: the most records in one file.
        validate: validate every chunk before it is written.
        workers: how many chunks are validated at once, beside this thread (in processes,
            see :mod:`regkit.reports.validators`); 1 validates in this thread. Default: two
            on a machine with two cores or more.
        chunk_records: records validated together.
        count_records: give the envelope the number of records it frames
            (:attr:`Part.records`), for a header that states it; each file is then
            assembled when its last record is written.
        observe: told each record as it goes in: its file's number (from 1), its key and
            bytes; the files exist once this returns (a ledger records them then).

    Returns:
        The files written, in order; none when there were no records.

    Raises:
        XsdValidationError: a chunk does not validate (the error names the record's key).
        RenderError: a bad argument; or whatever ``records`` raised.
        OSError: a file cannot be written.
    """
    if max_records < 1:
        raise RenderError(f"max_records must be at least 1, got {max_records}")
    if chunk_records < 1:
        raise RenderError(f"chunk_records must be at least 1, got {chunk_records}")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    checking = validate and schema is not None
    count = default_workers() if workers is None else workers
    if count < 1:
        raise RenderError(f"workers must be at least 1, got {workers}")
    with contextlib.ExitStack() as stack:
        # One run at a time in a folder: a second would interleave its files with ours.
        stack.enter_context(folder_lock(folder, RenderError))
        pool: Validators | None = None
        if checking and schema is not None and count > 1:
            pool = stack.enter_context(Validators(schema, count))
        run = _Run(
            folder,
            envelope,
            name,
            schema if checking else None,
            pool,
            depth=2 * count + 1,
            counted=count_records,
        )
        try:
            for chunk in _chunks(records, min(chunk_records, max_records), max_records):
                _told(observe, chunk)
                run.add(chunk)
            run.finish()
        except BaseException:
            run.abandon()
            raise
        return run.commit()


# --- chunks ----------------------------------------------------------------------------------


def _told(observe: Callable[[int, str, bytes], None] | None, chunk: _Chunk) -> None:
    """Tell the observer each record of a chunk: its file's number, its key and bytes."""
    if observe is not None:
        for key, data in zip(chunk.keys, chunk.data, strict=True):
            observe(chunk.part, key, data)


@dataclass
class _Chunk:
    part: int
    keys: list[str] = field(default_factory=list)
    data: list[bytes] = field(default_factory=list)

    @functools.cached_property
    def payload(self) -> bytes:
        """The records' bytes, one line each (joined once, to validate and to write)."""
        return b"".join(self.data)


def _chunks(records: Iterable[tuple[str, Record]], size: int, max_records: int) -> Iterator[_Chunk]:
    """Group records in chunks that never straddle two files."""
    chunk = _Chunk(1)
    keys, data = chunk.keys, chunk.data
    in_part = in_chunk = 0
    for key, record in records:
        if in_part == max_records:
            yield chunk
            chunk, in_part, in_chunk = _Chunk(chunk.part + 1), 0, 0
            keys, data = chunk.keys, chunk.data
        elif in_chunk == size:
            yield chunk
            chunk, in_chunk = _Chunk(chunk.part), 0
            keys, data = chunk.keys, chunk.data
        keys.append(key)
        # The common case inline: bytes that already end their line. (Encoding one record
        # at a time beats encoding a chunk: one non-ASCII name makes a whole chunk's text
        # wide, and its encoding three times slower.)
        data.append(
            record if type(record) is bytes and record[-1:] == b"\n" else _serialised(record)
        )
        in_part += 1
        in_chunk += 1
    if keys:
        yield chunk


def _serialised(record: Record) -> bytes:
    if isinstance(record, bytes):
        data = record
    elif isinstance(record, str):
        data = record.encode()
    else:
        data = etree.tostring(record, encoding="UTF-8")
    return data if data.endswith(b"\n") else data + b"\n"


# --- files -----------------------------------------------------------------------------------


class _Open:
    """One file being written: its temporary path, handle, and the open envelope."""

    def __init__(self, folder: Path, part: Part, envelope: Envelope) -> None:
        self.part = part
        descriptor, self.temporary = new_temporary(folder / part.name)
        self.stack = contextlib.ExitStack()
        try:
            self.handle: IO[bytes] = self.stack.enter_context(os.fdopen(descriptor, "wb"))
            writer = _xmlfile(self.handle)
            self.xf = cast(XmlWriter, self.stack.enter_context(writer))
            self.xf.write_declaration()
            self.stack.enter_context(envelope(self.xf, part))
            self.xf.write("\n")
        except BaseException:
            self.stack.close()
            raise

    def write(self, payload: bytes) -> None:
        self.xf.flush()  # what the envelope wrote goes first
        self.handle.write(payload)

    def close(self) -> None:
        self.stack.close()
        with open(self.temporary, "ab") as handle:
            handle.write(b"\n")


class _Assembled:
    """One file whose envelope needs its record count: the records go to a body file, and
    the file is assembled from the opening, the body and the closing when it is complete."""

    def __init__(self, folder: Path, part: Part, envelope: Envelope) -> None:
        self.folder = folder
        self.part = part
        self.envelope = envelope
        self.records = 0
        self.temporary: Path | None = None
        descriptor, self.body = new_temporary(folder / f"{part.name}.body")
        self.handle: IO[bytes] = os.fdopen(descriptor, "wb")

    def write(self, payload: bytes, records: int) -> None:
        self.handle.write(payload)
        self.records += records

    def close(self) -> None:
        self.handle.close()
        counted = Part(self.part.sequence, self.part.name, self.records)
        head, tail = _frame(self.envelope, counted)
        descriptor, self.temporary = new_temporary(self.folder / self.part.name)
        with os.fdopen(descriptor, "wb") as target, open(self.body, "rb") as source:
            target.write(head)
            _copy(source, target)
            target.write(tail)
        self.body.unlink()

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            self.handle.close()
        for path in (self.body, self.temporary):
            if path is not None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def _copy(source: IO[bytes], target: IO[bytes]) -> None:
    """Append the whole of one file to another, in the kernel where the platform can."""
    target.flush()
    size = os.fstat(source.fileno()).st_size
    copied = 0
    copy_range = getattr(os, "copy_file_range", None)  # Linux
    if copy_range is not None:
        with contextlib.suppress(OSError):  # e.g. a file system without it: copy below
            while copied < size:
                done = copy_range(source.fileno(), target.fileno(), size - copied, copied)
                if done == 0:
                    break
                copied += done
    if copied < size:
        source.seek(copied)
        shutil.copyfileobj(source, target, 1 << 20)


def _xmlfile(target: IO[bytes]) -> AbstractContextManager[Any]:
    xmlfile = cast(Any, etree).xmlfile  # lxml-stubs lacks xmlfile
    return cast(AbstractContextManager[Any], xmlfile(target, encoding="UTF-8"))


def _frame(envelope: Envelope, part: Part) -> tuple[bytes, bytes]:
    """The bytes a file has before and after its records, written as :class:`_Open` does."""
    buffer = io.BytesIO()
    with _xmlfile(buffer) as writer:
        xf = cast(XmlWriter, writer)
        xf.write_declaration()
        with envelope(xf, part):
            xf.write("\n")
            xf.flush()
            middle = buffer.tell()
    buffer.write(b"\n")
    data = buffer.getvalue()
    return data[:middle], data[middle:]


# --- the run ---------------------------------------------------------------------------------


class _Run:
    """Chunks in flight, validated in order, written to temporary files, renamed at the end."""

    def __init__(
        self,
        folder: Path,
        envelope: Envelope,
        name: Callable[[int], str],
        schema: str | None,
        pool: Validators | None,
        depth: int,
        *,
        counted: bool = False,
    ) -> None:
        self.folder = folder
        self.counted = counted
        self.envelope = envelope
        self.name = name
        self.schema = schema
        self.pool = pool
        self.depth = depth
        self.pending: deque[tuple[_Chunk, bytes, Future[Problem | None] | Problem | None]] = deque()
        self.frames: dict[tuple[int, int | None], tuple[Part, bytes, bytes]] = {}
        self.files: list[_Open | _Assembled] = []
        self.current: _Open | _Assembled | None = None

    def part(self, sequence: int, records: int | None = None) -> tuple[Part, bytes, bytes]:
        """The part's name and frame (around ``records`` records when they are counted),
        made once per file and count."""
        key = (sequence, records if self.counted else None)
        if key not in self.frames:
            self.frames = {
                old: value for old, value in self.frames.items() if old[0] >= sequence - 1
            }
            part = Part(sequence, self.name(sequence), key[1])
            self.frames[key] = (part, *_frame(self.envelope, part))
        return self.frames[key]

    def add(self, chunk: _Chunk) -> None:
        outcome: Future[Problem | None] | Problem | None = None
        document = b""
        if self.schema is not None:
            _, head, tail = self.part(chunk.part, len(chunk.keys))
            document = b"".join((head, chunk.payload, tail))
            if self.pool is not None:
                outcome = self.pool.submit(document)
            else:
                outcome = check_document(self.schema, document)
        self.pending.append((chunk, document, outcome))
        while len(self.pending) > self.depth:
            self.flush_one()

    def flush_one(self) -> None:
        chunk, document, outcome = self.pending.popleft()
        problem = outcome.result() if isinstance(outcome, Future) else outcome
        if problem is not None and isinstance(outcome, Future) and self.schema is not None:
            # Worded again here: a schema's error log is shared by the threads using it, and
            # this is the problem the error names whichever worker found it.
            problem = check_document(self.schema, document) or problem
        if problem is not None:
            raise self.error(chunk, problem)
        self.write(chunk)

    def write(self, chunk: _Chunk) -> None:
        if self.current is None or self.current.part.sequence != chunk.part:
            if self.current is not None:
                self.current.close()
            self.current = None
            if self.counted:  # framed when its count is known
                part = Part(chunk.part, self.name(chunk.part))
                self.current = _Assembled(self.folder, part, self.envelope)
            else:
                part, _, _ = self.part(chunk.part)
                self.current = _Open(self.folder, part, self.envelope)
            self.files.append(self.current)
        if isinstance(self.current, _Assembled):
            self.current.write(chunk.payload, len(chunk.keys))
        else:
            self.current.write(chunk.payload)

    def finish(self) -> None:
        while self.pending:
            self.flush_one()
        if self.current is not None:
            self.current.close()
            self.current = None

    def abandon(self) -> None:
        """Stop: cancel the validations in flight and remove every temporary file."""
        for _, _, outcome in self.pending:
            if isinstance(outcome, Future):
                outcome.cancel()
        self.pending.clear()
        if isinstance(self.current, _Open):
            with contextlib.suppress(Exception):
                self.current.stack.close()
        for opened in self.files:
            if isinstance(opened, _Assembled):
                opened.remove()
                continue
            with contextlib.suppress(FileNotFoundError):
                opened.temporary.unlink()

    def commit(self) -> list[Path]:
        """Rename the files onto their names, as one set (see :mod:`regkit._files`)."""
        renames: list[tuple[Path, Path]] = []
        try:
            for opened in self.files:
                final = self.folder / opened.part.name
                if opened.temporary is None:  # never: finish() assembled every file
                    raise RenderError(f"{opened.part.name} was not assembled")
                _refuse_to_replace(final, opened.temporary)
                renames.append((opened.temporary, final))
            commit_set(self.folder, renames)
        except BaseException:
            self.abandon()
            raise
        return [final for _, final in renames]

    def error(self, chunk: _Chunk, problem: Problem) -> XsdValidationError:
        line, path, reason = problem
        part, head, _ = self.part(chunk.part, len(chunk.keys))
        key = _key_at(chunk, line - head.count(b"\n"))
        where = f"record {key}: " if key is not None else ""
        return XsdValidationError(where + reason, file=part.name, path=path, xsd=self.schema)


def _refuse_to_replace(final: Path, new: Path) -> None:
    """A file already under the name must be the same bytes (the same report written again);
    a different one is another report, which a run must not overwrite."""
    if not final.exists():
        return
    if final.stat().st_size == new.stat().st_size and _same_bytes(final, new):
        return
    raise RenderError(
        f"{final} exists and holds another report; write to another folder or continue the "
        "day's numbering (first_sequence, --first-sequence)"
    )


def _same_bytes(one: Path, other: Path) -> bool:
    with open(one, "rb") as first, open(other, "rb") as second:
        while True:
            block = first.read(1 << 20)
            if block != second.read(1 << 20):
                return False
            if not block:
                return True


def _key_at(chunk: _Chunk, line: int) -> str | None:
    """The key of the record on a line counted from the chunk's first line (1)."""
    seen = 0
    for key, data in zip(chunk.keys, chunk.data, strict=True):
        seen += data.count(b"\n")
        if line <= seen:
            return key if line >= 1 else None
    return None
