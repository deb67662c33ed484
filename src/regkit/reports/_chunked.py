"""A large regulator file read as a stream: its records in chunks, the rest kept whole.

:func:`regkit.reports.xml.validate` validates a file above a few tens of MB without holding
its tree. A message's records are its *repeating element*, found in its XSD
(:func:`record_path`): ``Tx`` in auth.016, ``TradData/Rpt`` in auth.030. Everything else
(the envelope, the header, the counts) is the file's *skeleton*, small, which is kept.

* :func:`first_pass` parses the file once, validating it as it parses (libxml2's streaming
  validation: the verdict and the number of problems, as for a tree), and drops each record
  once it is read; what is left is the skeleton, with where the records stood.
* :func:`chunks` (only for an invalid file) parses it again and yields, a few thousand
  records at a time, the skeleton with those records put back where they stood: a complete
  document, whose elements keep their lines in the file, that the caller validates as a
  tree and words. The records are taken out again before the next chunk.

Memory holds the skeleton and one chunk (or, in the first pass, one record), whatever the
size of the file; a file that holds more than :data:`MAX_HELD_ELEMENTS` elements outside its
records (or in one record) is refused, as :func:`~regkit.reports.xml.parse_safely` refuses a
file above its size limit.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, cast

from lxml import etree

from regkit.errors import RenderError

__all__ = [
    "DEFAULT_CHUNK_RECORDS",
    "MAX_HELD_ELEMENTS",
    "Chunk",
    "Layout",
    "Skeleton",
    "chunks",
    "first_pass",
    "record_path",
]

#: Records validated together when an invalid file is worded chunk by chunk.
DEFAULT_CHUNK_RECORDS: Final = 2_000
#: The most elements held at once outside the records (or inside one record).
MAX_HELD_ELEMENTS: Final = 2_000_000
#: Bytes read between two progress reports (and two counts of what is held).
_REPORT_EVERY: Final = 8 << 20

_XS: Final = "{http://www.w3.org/2001/XMLSchema}"

Progress = Callable[[str, int, int], None]
"""Told how it goes: ``progress(what, bytes done, bytes in all)``."""


@functools.cache
def record_path(xsd: Path, root: str) -> tuple[str, ...]:
    """The local names from a message's root element to its repeating element.

    The repeating element is the first, breadth-first from the root, that the message
    requires (``minOccurs`` at least 1), may repeat (``maxOccurs`` above 1) and holds other
    elements (a complex type): ``("Document", "FinInstrmRptgTxRpt", "Tx")`` for auth.016.
    An optional repeating element (ISO 20022's ``SplmtryData``) is not the message's records.

    Args:
        xsd: the message's XSD file.
        root: the name of its root element (``Document``).

    Returns:
        The names, root first; just ``(root,)`` when the message has no repeating element.

    Examples:
        >>> from regkit.reports.xml import schema
        >>> record_path(schema("auth.030").path, "Document")
        ('Document', 'DerivsTradRpt', 'TradData', 'Rpt')
    """
    document = etree.parse(str(xsd), etree.XMLParser(resolve_entities=False, no_network=True))
    top = document.getroot()
    types = {kind.get("name"): kind for kind in top.iterfind(f"{_XS}complexType")}
    start = top.find(f"{_XS}element[@name='{root}']")
    if start is None:
        return (root,)
    queue: list[tuple[tuple[str, ...], str | None]] = [((root,), start.get("type"))]
    while queue:
        path, kind = queue.pop(0)
        declared = types.get(kind)
        if declared is None:
            continue
        for element in declared.iter(f"{_XS}element"):
            name, child_kind = str(element.get("name")), element.get("type")
            if child_kind not in types:
                continue
            repeats = element.get("maxOccurs", "1") not in ("0", "1")
            if repeats and element.get("minOccurs", "1") != "0":
                return (*path, name)
            if not repeats:
                queue.append(((*path, name), child_kind))
    return (root,)


@dataclass(frozen=True)
class Layout:
    """Where a file's records are: the Clark tags from the root to the repeating element."""

    tags: tuple[str, ...]

    @property
    def record(self) -> str:
        """The records' tag."""
        return self.tags[-1]

    def holds(self, element: etree._Element) -> bool:
        """Whether an element stands where records stand (its ancestors' tags match)."""
        node: etree._Element | None = element
        for tag in reversed(self.tags):
            if node is None or node.tag != tag:
                return False
            node = node.getparent()
        return node is None


@dataclass
class Skeleton:
    """The file without its records.

    Attributes:
        root: the skeleton's root element.
        container: the element the records stand in (the first one, when there are several:
            elements of the record's name in any other are kept in the skeleton).
        runs: ``(place, first)`` for each run of records: the record numbered ``first`` (from
            0) and those after it, up to the next run, stood before the container's
            skeleton child numbered ``place``.
        records: how many records the file holds.
    """

    root: etree._Element
    container: etree._Element | None = None
    runs: list[tuple[int, int]] = field(default_factory=list)
    records: int = 0


class _Counted(io.RawIOBase):
    """A file read by lxml, which reports progress and counts what is held now and then."""

    def __init__(self, handle: IO[bytes], total: int, tick: Callable[[int], None]) -> None:
        super().__init__()
        self.handle = handle
        self.total = total
        self.done = 0
        self.next = _REPORT_EVERY
        self.tick = tick

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.done += len(data)
        if self.done >= self.next or not data:
            self.next = self.done + _REPORT_EVERY
            self.tick(self.done)
        return data


def _size(source: str | os.PathLike[str] | bytes) -> int:
    return len(source) if isinstance(source, bytes) else os.stat(source).st_size


def _open(source: str | os.PathLike[str] | bytes) -> contextlib.AbstractContextManager[Any]:
    if isinstance(source, bytes):
        return contextlib.nullcontext(io.BytesIO(source))
    return open(source, "rb")


def _events(handle: IO[bytes] | _Counted, layout: Layout, schema: etree.XMLSchema | None) -> Any:
    extra = {} if schema is None else {"schema": schema}
    return etree.iterparse(
        handle,
        events=("start", "end"),
        tag=[layout.tags[0], layout.record],
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=False,
        **extra,
    )


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


class _Reader:
    """One pass over a file: its root, its records as they end, what is held checked."""

    def __init__(self, label: str, layout: Layout, what: str, progress: Progress | None) -> None:
        self.label = label
        self.layout = layout
        self.what = what
        self.progress = progress
        self.root: etree._Element | None = None
        self.container: etree._Element | None = None
        self.total = 0
        self.events: Any = None
        """The parser, whose ``error_log`` (a copy, when asked) is this pass's own."""

    def tick(self, done: int) -> None:
        if self.progress is not None:
            self.progress(self.what, done, self.total)
        if self.root is not None:
            held = sum(1 for _ in zip(self.root.iter(), range(MAX_HELD_ELEMENTS + 1), strict=False))
            if held > MAX_HELD_ELEMENTS:
                raise RenderError(
                    f"{self.label}: more than {MAX_HELD_ELEMENTS:,} elements outside its "
                    f"{etree.QName(self.layout.record).localname} elements (or in one of them), "
                    "too many to validate in bounded memory"
                )

    def records(
        self, source: str | os.PathLike[str] | bytes, schema: etree.XMLSchema | None
    ) -> Iterator[etree._Element]:
        """Each record as it ends, still in its container (the caller takes it out)."""
        self.total = _size(source)
        with _open(source) as handle:
            counted = _Counted(handle, self.total, self.tick)
            events = _events(counted, self.layout, schema)
            self.events = events
            for event, element in events:
                if event == "start":
                    if self.root is None:
                        self.root = element
                    continue
                if element.tag != self.layout.record:
                    continue
                parent = element.getparent()
                if parent is None:
                    continue
                holder: etree._Element = parent
                if self.container is None and self.layout.holds(element):
                    self.container = holder
                if holder is not self.container:
                    continue
                previous = element.getprevious()  # whitespace between records piles up
                if previous is None:
                    if _blank(holder.text):
                        holder.text = None
                elif _blank(previous.tail):
                    previous.tail = None
                yield element


@dataclass
class Passed:
    """What the first pass found.

    Attributes:
        found: how many schema problems libxml2 counted (0: the file is valid).
        skeleton: the file without its records.
        doctype: True when the file has a DOCTYPE.
    """

    found: int
    skeleton: Skeleton
    doctype: bool


_SCHEMA_VALIDITY: Final = int(etree.ErrorDomains.SCHEMASV)


def first_pass(
    source: str | os.PathLike[str] | bytes,
    label: str,
    layout: Layout,
    schema: etree.XMLSchema | None,
    progress: Progress | None = None,
) -> Passed:
    """Parse and validate a file as a stream, dropping its records as they are read.

    Args:
        source: a file path, or the document's bytes.
        label: the file's name in errors.
        layout: where its records are.
        schema: what it is validated against as it is parsed (None: only parsed).
        progress: told the bytes read now and then.

    Returns:
        The problems counted and the skeleton (see :class:`Passed`).

    Raises:
        etree.XMLSyntaxError: the file is not well-formed (its first such error).
        RenderError: it holds too much outside its records.
        OSError: it cannot be read.
    """
    reader = _Reader(label, layout, "validating", progress)
    records = 0
    runs: list[tuple[int, int]] = []
    iterator = reader.records(source, schema)
    failure: etree.XMLSyntaxError | None = None
    try:
        for element in iterator:
            container = element.getparent()
            assert container is not None  # a record stands in its container
            place = container.index(element)  # the earlier records were taken out
            if not runs or runs[-1][0] != place:
                runs.append((place, records))
            records += 1
            container.remove(element)
    except etree.XMLSyntaxError as exc:
        failure = exc
    root = reader.root
    if root is None:
        if failure is not None:
            raise failure
        raise RenderError(f"{label}: no element found")  # never: a parse that saw no element fails
    return _passed(
        root,
        reader.container,
        runs,
        records,
        failure,
        None if reader.events is None else reader.events.error_log,
    )


def _passed(
    root: etree._Element,
    container: etree._Element | None,
    runs: list[tuple[int, int]],
    records: int,
    failure: etree.XMLSyntaxError | None,
    log: Any,
) -> Passed:
    found = 0
    if failure is not None:
        entries: list[Any] = list(cast(Any, log if log is not None else failure.error_log))
        if any(entry.domain != _SCHEMA_VALIDITY for entry in entries):
            raise failure
        found = len(entries)
    docinfo = root.getroottree().docinfo
    doctype = bool(getattr(docinfo, "doctype", "")) or docinfo.internalDTD is not None
    return Passed(found, Skeleton(root, container, runs, records), doctype)


@dataclass
class Chunk:
    """One chunk of records in the skeleton: a complete document.

    Attributes:
        tree: the skeleton's tree, with this chunk's records where they stood.
        first: the number of the chunk's first record in the file, from 0.
        records: the chunk's records.
    """

    tree: etree._ElementTree
    first: int
    records: list[etree._Element]


def chunks(
    source: str | os.PathLike[str] | bytes,
    label: str,
    layout: Layout,
    skeleton: Skeleton,
    size: int = DEFAULT_CHUNK_RECORDS,
    progress: Progress | None = None,
) -> Iterator[Chunk]:
    """The file's records, ``size`` at a time, each time put in the skeleton.

    A file without records gives one chunk, the skeleton alone. The records of a chunk are
    taken out of the skeleton when the next is asked for (or the iteration stops).

    Raises:
        RenderError: ``size`` is below 1.
    """
    if size < 1:
        raise RenderError(f"chunk size must be at least 1, got {size}")
    tree = skeleton.root.getroottree()
    if skeleton.container is None or not skeleton.records:
        yield Chunk(tree, 0, [])
        return
    reader = _Reader(label, layout, "wording problems", progress)
    batch: list[etree._Element] = []
    first = 0
    for element in reader.records(source, None):
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
        batch.append(element)
        if len(batch) == size:
            yield from _framed(tree, skeleton, first, batch)
            first += len(batch)
            batch = []
    if batch:
        yield from _framed(tree, skeleton, first, batch)


def _framed(
    tree: etree._ElementTree, skeleton: Skeleton, first: int, batch: list[etree._Element]
) -> Iterator[Chunk]:
    container = skeleton.container
    assert container is not None
    places = _places(skeleton.runs, first, len(batch))
    for offset, (element, place) in enumerate(zip(batch, places, strict=True)):
        container.insert(place + offset, element)
    try:
        yield Chunk(tree, first, batch)
    finally:
        for element in batch:
            container.remove(element)


def _places(runs: list[tuple[int, int]], first: int, count: int) -> list[int]:
    """For each record from ``first``, how many skeleton children stood before it."""
    places: list[int] = []
    run = 0
    for number in range(first, first + count):
        while run + 1 < len(runs) and runs[run + 1][1] <= number:
            run += 1
        places.append(runs[run][0])
    return places
