"""Regulator XML: the schema registry, safe parsing and validation.

The official XSDs ship unchanged under ``regkit/reports/xsd/`` (see ``xsd/SOURCES.md``) and
are known here by a short name (:data:`SCHEMAS`): ``auth.016`` (MiFIR transaction report),
``auth.031`` (its feedback), ``head.001`` (business application header), ``head.003`` (the
``BizData`` envelope), ``auth.030`` (EMIR REFIT trade report), ``auth.092`` (its
rejections), ``auth.091`` (a trade repository's reconciliation status report) and ``auth.107``
(its trade state report). :func:`schema` compiles one once per process with lxml (libxml2,
fast) and, only when a file is invalid, with xmlschema too, for readable reasons and paths.

Newer copies from the regulator: set ``REGKIT_XSD_DIR`` to a folder. For each message regkit
looks there, in order, for the shipped file's relative path (``mifir/auth.016…xsd``), for its
file name at the top of the folder, and then for any ``*.xsd`` in the folder or below whose
``targetNamespace`` is the message's (so ESMA's renamed usage-guideline files are picked up as
they come). Two candidates with the same namespace are an error, never a silent choice; a
message with no candidate keeps the shipped copy.

Untrusted XML goes through :func:`parse_safely`: no DTD (a ``DOCTYPE`` is refused, so neither
entity expansion nor external entities can happen), no network, libxml2's default size limits
(no ``huge_tree``) and a limit on the file size.

Examples:
    >>> from regkit.reports.xml import validate
    >>> result = validate("out/DATTRA_GB_000001.xml")  # doctest: +SKIP
    >>> result.ok, result.message  # doctest: +SKIP
    (True, 'auth.016')
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import io
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any, Final, Protocol, cast

from lxml import etree

from regkit.errors import RenderError, XsdValidationError
from regkit.reports import _chunked

if TYPE_CHECKING:  # xmlschema costs ~0.1 s to import and is needed only for invalid files
    import xmlschema

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PROBLEMS",
    "SCHEMAS",
    "STREAM_ABOVE_BYTES",
    "XSD_DIR_ENV",
    "Problem",
    "Progress",
    "Schema",
    "SchemaInfo",
    "ValidationResult",
    "detect",
    "is_valid",
    "parse_safely",
    "schema",
    "validate",
]

#: The environment variable naming a folder with newer XSDs from the regulator.
XSD_DIR_ENV: Final = "REGKIT_XSD_DIR"
#: The largest file :func:`parse_safely` reads by default: 1 GiB, above the regulators' limits.
DEFAULT_MAX_BYTES: Final = 1 << 30
#: How many problems :func:`validate` lists by default before it stops looking.
DEFAULT_MAX_PROBLEMS: Final = 200

_ISO: Final = "urn:iso:std:iso:20022:tech:xsd:"
_XSD_NS: Final = "http://www.w3.org/2001/XMLSchema"


@dataclass(frozen=True)
class SchemaInfo:
    """A message regkit knows: its short name, namespace and shipped XSD.

    Attributes:
        name: the short name (``auth.016``), the key of :data:`SCHEMAS`.
        namespace: the XSD's ``targetNamespace``, which identifies a file's message.
        file: the XSD's path under ``regkit/reports/xsd/``.
        root: the global element a file of this message starts with.
        title: what the message is, in words.
    """

    name: str
    namespace: str
    file: str
    root: str
    title: str


def _info(name: str, version: str, file: str, root: str, title: str) -> SchemaInfo:
    return SchemaInfo(name, f"{_ISO}{name}.{version}", file, root, title)


#: The messages regkit knows, by short name.
SCHEMAS: Final[Mapping[str, SchemaInfo]] = MappingProxyType(
    {
        info.name: info
        for info in (
            _info(
                "auth.016",
                "001.01",
                "mifir/auth.016.001.01_ESMAUG_Reporting_1.1.0.xsd",
                "Document",
                "MiFIR transaction report (FinInstrmRptgTxRpt), ESMA usage guideline 1.1.0",
            ),
            _info(
                "auth.031",
                "001.01",
                "mifir/auth.031.001.01_ESMAUG_Reporting_1.1.0.xsd",
                "Document",
                "MiFIR transaction report feedback (FinInstrmRptgStsAdvc), ESMA usage "
                "guideline 1.1.0",
            ),
            _info(
                "head.001",
                "001.01",
                "bah/head.001.001.01_ESMAUG_1.0.0.xsd",
                "AppHdr",
                "Business application header (AppHdr), ESMA usage guideline 1.0.0",
            ),
            _info(
                "head.003",
                "001.01",
                "bah/head.003.001.01.xsd",
                "BizData",
                "Business data envelope (BizData: Hdr/AppHdr + Pyld/Document)",
            ),
            _info(
                "auth.030",
                "001.03",
                "emir/auth.030.001.03.xsd",
                "Document",
                "EMIR REFIT derivatives trade report (DerivsTradRpt), ISO 20022 base message",
            ),
            _info(
                "auth.092",
                "001.04",
                "emir/auth.092.001.04.xsd",
                "Document",
                "EMIR REFIT rejection feedback (DerivsTradRjctnSttstclRpt), ISO 20022 base message",
            ),
            _info(
                "auth.091",
                "001.02",
                "emir/auth.091.001.02.xsd",
                "Document",
                "EMIR REFIT reconciliation status report (DerivsTradRcncltnSttstclRpt), ISO 20022 "
                "base message",
            ),
            _info(
                "auth.107",
                "001.01",
                "emir/auth.107.001.01.xsd",
                "Document",
                "EMIR REFIT trade state report (DerivsTradStatRpt), ISO 20022 base message",
            ),
        )
    }
)

_BY_NAMESPACE: Final = {info.namespace: info.name for info in SCHEMAS.values()}
_ENVELOPE: Final = "head.003"
_HEADER: Final = "head.001"

# Package files that are not plain files (a zipped install) are extracted once per process.
_EXTRACTED = contextlib.ExitStack()
atexit.register(_EXTRACTED.close)


class _Compiled:
    """One or more XSD files compiled with lxml now and with xmlschema when first needed."""

    def __init__(self, paths: tuple[Path, ...], wrapper: bytes) -> None:
        self.paths = paths
        self.wrapper = wrapper
        """The schema lxml compiled: an ``xs:schema`` importing the files (see
        :func:`_wrapper`), which a validating process compiles again."""
        self.lxml = _compile_lxml(wrapper, paths[0])
        """The lxml (libxml2) schema: the fast verdict."""

    @functools.cached_property
    def xmlschema(self) -> xmlschema.XMLSchema:
        """The same XSDs built by xmlschema, for readable reasons (built on first use)."""
        import xmlschema

        sources: list[Any] = [str(path) for path in self.paths]
        try:
            return xmlschema.XMLSchema(sources, allow="local", defuse="always")
        except (xmlschema.XMLSchemaException, OSError) as exc:
            raise RenderError(f"{self.paths[0]}: xmlschema cannot build the schema: {exc}") from exc


class Schema(_Compiled):
    """One message's XSD, compiled.

    Attributes:
        info: the message (:class:`SchemaInfo`).
        path: the file it was compiled from.
        overridden: True when the file came from ``REGKIT_XSD_DIR``.
        sha256: the file's SHA-256, for provenance (audit packs record it).
        lxml: the compiled lxml schema.
    """

    def __init__(self, info: SchemaInfo, path: Path, *, overridden: bool) -> None:
        super().__init__((path,), _wrapper(_schema_import(info.namespace, path)))
        self.info = info
        self.path = path
        self.overridden = overridden
        self.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()

    def __repr__(self) -> str:
        origin = f"{XSD_DIR_ENV} " if self.overridden else ""
        return f"<Schema {self.info.name} from {origin}{self.path}>"


def schema(name: str) -> Schema:
    """The compiled XSD of a message, by short name, compiled once and cached.

    ``REGKIT_XSD_DIR`` is read on every call, so changing it takes effect at once; each
    folder's schemas are cached separately.

    Args:
        name: a key of :data:`SCHEMAS` (``auth.016``).

    Returns:
        The compiled :class:`Schema`.

    Raises:
        RenderError: an unknown name, a bad ``REGKIT_XSD_DIR``, or an XSD that does not compile.

    Examples:
        >>> schema("auth.016").info.namespace
        'urn:iso:std:iso:20022:tech:xsd:auth.016.001.01'
    """
    if name not in SCHEMAS:
        raise RenderError(f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}")
    return _load(name, _xsd_dir())


def _xsd_dir() -> str | None:
    folder = os.environ.get(XSD_DIR_ENV, "").strip()
    return folder or None


@functools.cache
def _load(name: str, folder: str | None) -> Schema:
    info = SCHEMAS[name]
    if folder is not None:
        override = _find_override(info, Path(folder))
        if override is not None:
            return Schema(info, override, overridden=True)
    return Schema(info, _shipped(info), overridden=False)


def _shipped(info: SchemaInfo) -> Path:
    resource = resources.files("regkit.reports").joinpath("xsd", *PurePosixPath(info.file).parts)
    if isinstance(resource, Path):
        return resource
    return _EXTRACTED.enter_context(resources.as_file(resource))


def _find_override(info: SchemaInfo, folder: Path) -> Path | None:
    if not folder.is_dir():
        raise RenderError(f"{XSD_DIR_ENV}={folder}: not a folder")
    for candidate in (folder / info.file, folder / PurePosixPath(info.file).name):
        if candidate.is_file():
            return candidate
    matches = [
        path for path in sorted(folder.rglob("*.xsd")) if _namespace_of(path) == info.namespace
    ]
    if len(matches) > 1:
        names = ", ".join(str(path) for path in matches)
        raise RenderError(
            f"{XSD_DIR_ENV}={folder}: {len(matches)} files declare {info.namespace} ({names}); "
            f"keep one, or name it {PurePosixPath(info.file).name}"
        )
    return matches[0] if matches else None


def _starts(handle: IO[bytes]) -> Iterator[tuple[str, etree._Element]]:
    """The elements of a file as they open, read safely: no entities, no DTD, no network."""
    events: Iterator[tuple[str, etree._Element]] = etree.iterparse(
        handle,
        events=("start",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    return events


def _namespace_of(path: Path) -> str | None:
    """The ``targetNamespace`` of an XSD file, read from its first element only."""
    try:
        with open(path, "rb") as handle:
            for _, element in _starts(handle):
                namespace = element.get("targetNamespace")
                return None if namespace is None else str(namespace)
    except (etree.XMLSyntaxError, OSError):
        return None
    return None


def _schema_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def _untrusted_parser(schema: etree.XMLSchema | None = None) -> etree.XMLParser:
    """A parser for files from outside: no entities, no DTD, no network, no huge trees;
    validating against ``schema`` as it parses when one is given."""
    return etree.XMLParser(
        schema=schema,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
    )


def _schema_import(namespace: str, path: Path) -> bytes:
    location = path.resolve().as_uri()
    return f'  <xs:import namespace="{namespace}" schemaLocation="{location}"/>\n'.encode()


def _wrapper(imports: bytes) -> bytes:
    """A schema that imports each XSD: it lets one lxml schema hold several namespaces (the
    envelope, its header and its payload), which a file's strict ``xs:any`` wildcards need."""
    return b'<xs:schema xmlns:xs="' + _XSD_NS.encode() + b'">\n' + imports + b"</xs:schema>\n"


#: libxml2 sets up its built-in types on the first schema it compiles, and two threads doing
#: that at once leave it broken for the life of the process ("the given type 'anyURI' is not
#: a built-in type" on every later compile): schemas are compiled one at a time.
_COMPILING: Final = threading.Lock()


def _compile_lxml(wrapper: bytes, first: Path) -> etree.XMLSchema:
    """Compile XSDs with lxml through their :func:`_wrapper`."""
    try:
        with _COMPILING:
            return etree.XMLSchema(etree.fromstring(wrapper, _schema_parser()))
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise RenderError(f"{first}: the XSD does not compile: {exc}") from exc


@functools.cache
def _envelope(payload: str | None, folder: str | None) -> _Compiled:
    """head.003 with head.001 and the payload's schema, compiled together."""
    parts = [_load(_ENVELOPE, folder), _load(_HEADER, folder)]
    if payload is not None:
        parts.append(_load(payload, folder))
    imports = b"".join(_schema_import(part.info.namespace, part.path) for part in parts)
    paths = tuple(part.path for part in parts)
    return _Compiled(paths, _wrapper(imports))


# --- parsing -------------------------------------------------------------------------------


def _label(source: str | os.PathLike[str] | bytes) -> str:
    return "<bytes>" if isinstance(source, bytes) else os.fspath(source)


def parse_safely(
    source: str | os.PathLike[str] | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> etree._ElementTree:
    """Parse XML that may come from anyone: no DTD, no entities, no network, a size limit.

    A ``DOCTYPE`` is refused outright (regulator files never have one), so a billion-laughs
    document or an external entity (XXE) is an error, never expanded or fetched. A path is
    opened as a local file, never as a URL.

    Args:
        source: a file path, or the document's bytes.
        max_bytes: refuse anything larger (default :data:`DEFAULT_MAX_BYTES`).

    Returns:
        The parsed tree, with line numbers.

    Raises:
        RenderError: the file cannot be read, is too large, is not well-formed XML or has a
            ``DOCTYPE``; the message names the file.
    """
    label = _label(source)
    _check_size(source, label, max_bytes)
    parser = _untrusted_parser()
    try:
        if isinstance(source, bytes):
            tree = etree.fromstring(source, parser).getroottree()
        else:
            with open(source, "rb") as handle:
                tree = etree.parse(handle, parser)
    except etree.XMLSyntaxError as exc:
        if _prolog_has_doctype(source):  # e.g. libxml2 stopping a billion-laughs expansion
            raise RenderError(f"{label}: {_DOCTYPE_REFUSED}") from exc
        raise RenderError(f"{label}:{exc.lineno}: not well-formed XML: {exc.msg}") from exc
    except OSError as exc:
        raise RenderError(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if _has_doctype(tree):
        raise RenderError(f"{label}: {_DOCTYPE_REFUSED}")
    return tree


def _check_size(source: str | os.PathLike[str] | bytes, label: str, max_bytes: int | None) -> int:
    try:
        size = len(source) if isinstance(source, bytes) else os.stat(source).st_size
    except OSError as exc:
        raise RenderError(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if max_bytes is not None and size > max_bytes:
        raise RenderError(f"{label}: {size:,} bytes, more than the {max_bytes:,} allowed")
    return size


def _has_doctype(tree: etree._ElementTree) -> bool:
    docinfo = tree.docinfo
    return bool(getattr(docinfo, "doctype", "")) or docinfo.internalDTD is not None


_DOCTYPE_REFUSED: Final = (
    "has a DOCTYPE; regulator files have none, and DTDs (entity expansion, external "
    "entities) are refused"
)


def _prolog_has_doctype(source: str | os.PathLike[str] | bytes, size: int = 1 << 16) -> bool:
    if isinstance(source, bytes):
        head = source[:size]
    else:
        try:
            with open(source, "rb") as handle:
                head = handle.read(size)
        except OSError:
            return False
    return b"<!DOCTYPE" in head


# --- detection -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Identity:
    message: str
    envelope: str | None


def detect(source: str | os.PathLike[str] | bytes) -> str:
    """The message of a file, from its root element's namespace.

    A ``BizData`` envelope (head.003) is looked into: the message is the payload's
    (``Pyld/Document``), e.g. ``auth.016`` for an ESMA MiFIR file; an envelope with no
    payload is ``head.003``.

    Args:
        source: a file path, or the document's bytes (parsed with :func:`parse_safely`).

    Returns:
        A key of :data:`SCHEMAS`.

    Raises:
        RenderError: the file cannot be parsed, or its namespace is not a known message.

    Examples:
        >>> detect(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.030.001.03"/>')
        'auth.030'
    """
    return _identify(parse_safely(source), _label(source)).message


def _identify(tree: etree._ElementTree, label: str) -> _Identity:
    root = tree.getroot()
    payload = next(
        (
            child
            for part in _children(root)
            if _local(part.tag) == "Pyld"
            for child in _children(part)
        ),
        None,
    )
    return _classify(root, payload, label)


def _classify(root: etree._Element, payload: etree._Element | None, label: str) -> _Identity:
    """The message of a file from its root and, in an envelope, its payload's first element."""
    name = _BY_NAMESPACE.get(etree.QName(root).namespace or "")
    if name is None:
        raise RenderError(
            f"{label}: unknown message: root element {_local(root.tag)} in namespace "
            f"{etree.QName(root).namespace or '(none)'}; known: {', '.join(SCHEMAS)}"
        )
    if name != _ENVELOPE:
        return _Identity(name, None)
    if payload is None:
        return _Identity(_ENVELOPE, None)
    inner = _BY_NAMESPACE.get(etree.QName(payload).namespace or "")
    if inner is None or inner in (_ENVELOPE, _HEADER):
        raise RenderError(
            f"{label}:{_line(payload, 1)}: unknown payload: {_local(payload.tag)} in namespace "
            f"{etree.QName(payload).namespace or '(none)'}"
        )
    return _Identity(inner, _ENVELOPE)


def _peek(
    source: str | os.PathLike[str] | bytes, label: str, *, strict: bool = False
) -> _Identity | None:
    """The message of a file from its first elements, without parsing it all; None when they
    do not tell (the whole parse then says what is wrong). ``strict`` raises the
    :class:`RenderError` of an unknown message rather than returning None."""
    root: etree._Element | None = None
    try:
        with _opened(source) as handle:
            for _, element in _starts(handle):
                if root is None:
                    root = element
                    if _BY_NAMESPACE.get(etree.QName(root).namespace or "") != _ENVELOPE:
                        return _classify(root, None, label)
                    continue
                parent = element.getparent()
                if (
                    parent is not None
                    and parent.getparent() is root
                    and _local(parent.tag) == "Pyld"
                ):
                    return _classify(root, element, label)
    except (etree.XMLSyntaxError, OSError):
        return None
    except RenderError:
        if strict:
            raise
        return None
    return None if root is None else _classify(root, None, label)


def _opened(source: str | os.PathLike[str] | bytes) -> contextlib.AbstractContextManager[Any]:
    return (
        contextlib.nullcontext(io.BytesIO(source))
        if isinstance(source, bytes)
        else open(source, "rb")
    )


def _children(element: etree._Element) -> Iterator[etree._Element]:
    """Child elements, without comments and processing instructions."""
    return (child for child in element if isinstance(child.tag, str))


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)


# --- validation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One way a file breaks its schema.

    Attributes:
        line: the 1-based line of the element at fault (the offending child when one is
            unexpected; the parent when one is missing).
        path: the element's path with local names, ``[n]`` where siblings share a name
            (``/BizData/Pyld/Document/FinInstrmRptgTxRpt/Tx[2]/New/ExctgPty``).
        reason: what is wrong, in words, with namespaces left out.
    """

    line: int
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.line}: {self.path}: {self.reason}"


@dataclass(frozen=True)
class ValidationResult:
    """What :func:`validate` found in one file.

    Attributes:
        file: the file validated (``<bytes>`` for bytes).
        message: the message validated (``auth.016``), the payload's inside an envelope.
        envelope: ``head.003`` when the file is a ``BizData`` envelope, else None.
        problems: every problem, in document order (empty when the file is valid).
        schemas: the XSD files used, for provenance.
        truncated: True when more problems were found than were listed.
        unlisted: how many problems were found but not listed (0 unless ``truncated``):
            libxml2's count over the whole file (or xmlschema's, when larger) beyond those
            listed.
    """

    file: str
    message: str
    envelope: str | None
    problems: tuple[Problem, ...]
    schemas: tuple[Path, ...]
    truncated: bool = False
    unlisted: int = 0

    @property
    def ok(self) -> bool:
        """True when the file is valid against its schemas."""
        return not self.problems

    def lines(self) -> list[str]:
        """One ``FILE:LINE: PATH: REASON`` line per problem (compiler style)."""
        return [f"{self.file}:{problem}" for problem in self.problems]

    def raise_for_problems(self) -> None:
        """Raise :class:`~regkit.errors.XsdValidationError` for the first problem, if any."""
        if self.problems:
            first = self.problems[0]
            more = len(self.problems) - 1
            raise XsdValidationError(
                first.reason + (f" (and {more} more problems)" if more else ""),
                file=self.file,
                line=first.line,
                path=first.path,
                xsd=self.message,
            )


#: Files above this size are validated as a stream (:mod:`regkit.reports._chunked`): their
#: records a chunk at a time, in bounded memory. Smaller files are parsed whole (a tree of a
#: 32 MiB file takes some 300 MB), which is as fast and needs no second pass to word problems.
STREAM_ABOVE_BYTES: Final = 32 << 20

Progress = Callable[[str, int, int], None]
"""Told how a validation goes: ``progress(what, bytes done, bytes in all)``."""


def validate(
    source: str | os.PathLike[str] | bytes,
    *,
    max_bytes: int | None = None,
    max_problems: int = DEFAULT_MAX_PROBLEMS,
    progress: Progress | None = None,
) -> ValidationResult:
    """Validate a regulator file against the schema of its message.

    The message comes from the root element's namespace (:func:`detect`). A ``BizData``
    envelope is validated as a whole: the envelope against head.003, its ``Hdr/AppHdr``
    against head.001 and its ``Pyld/Document`` against the payload's own schema. lxml gives
    the verdict; only an invalid file is walked again with xmlschema for the path and a
    readable reason (lxml's own messages are the fallback).

    The time is bounded by the file's size, not by how many problems it has: libxml2 counts
    them as it parses (and locates them in the parsed tree only when there are at most
    ``max_problems + 1``), and xmlschema looks at a bounded number of elements near them.

    Memory is bounded whatever the file's size: a file above :data:`STREAM_ABOVE_BYTES` is
    validated as a stream, its records (the message's repeating element, ``Tx`` in a MiFIR
    file) dropped once read; an invalid one is read again, a few thousand records at a time
    framed by the rest of the file, to locate and word its problems, with the same lines,
    paths (``Tx[n]`` counted over the whole file) and reasons as a whole parse gives.

    Args:
        source: a file path, or the document's bytes (parsed with :func:`parse_safely`).
        max_bytes: refuse larger files (default: no limit, since memory does not grow with
            the file).
        max_problems: stop listing problems after this many (``truncated`` is then True and
            ``unlisted`` says how many more libxml2 found).
        progress: told ``(what, bytes done, bytes in all)`` now and then while a large file
            is read.

    Returns:
        The :class:`ValidationResult`; invalid files are a result, not an exception.

    Raises:
        RenderError: the file cannot be read or parsed, is not a known message, or holds
            more than :data:`regkit.reports._chunked.MAX_HELD_ELEMENTS` elements outside its
            records.

    Examples:
        >>> validate(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.030.001.03"/>').ok
        False
    """
    label = _label(source)
    size = _check_size(source, label, max_bytes)
    if size > STREAM_ABOVE_BYTES:
        return _validate_streamed(source, label, max_problems, progress)
    if progress is not None:
        progress("validating", 0, size)
    result = _validate_whole(source, label, max_problems)
    if progress is not None:
        progress("validating", size, size)
    return result


def _validate_whole(
    source: str | os.PathLike[str] | bytes, label: str, max_problems: int
) -> ValidationResult:
    """:func:`validate` with the file parsed whole (see the notes there)."""
    tree: etree._ElementTree | None = None
    identity = _peek(source, label)
    if identity is None:
        tree = parse_safely(source)
        identity = _identify(tree, label)
    compiled = _compiled_of(identity)
    valid = ValidationResult(label, identity.message, identity.envelope, (), compiled.paths)
    found, streamed = _streamed(source, compiled)
    if streamed is not None and not _has_doctype(streamed):
        return valid  # valid as it was parsed: the common case costs one parse
    if tree is None:
        tree = parse_safely(source)  # says why a bad file is bad
    faults: list[_Fault] = []
    if found <= max_problems + 1:
        if compiled.lxml.validate(tree):
            return valid
        error_log = cast("Sequence[_LogEntry]", compiled.lxml.error_log)
        found = len(error_log)
        faults = [_Fault(entry, tree) for entry in islice(error_log, max_problems + 1)]
    problems = _worded(compiled, tree, faults, max_problems + 1)
    return _result(valid, tree.getroot(), problems, found, max_problems)


def _result(
    valid: ValidationResult,
    root: etree._Element,
    problems: list[Problem],
    found: int,
    max_problems: int,
) -> ValidationResult:
    """The result of an invalid file from its problems and libxml2's count of them."""
    if not problems:  # lxml said invalid and explained nothing: still say so
        problems = [Problem(_line(root, 1), _path(root), "invalid against the schema")]
    problems.sort(key=lambda problem: problem.line)  # xmlschema words a parent after its children
    listed = tuple(problems[:max_problems])
    # The two libraries may word one fault as one problem or two: only a count above the
    # limit means problems were left out.
    truncated = max(found, len(problems)) > max_problems
    return ValidationResult(
        valid.file,
        valid.message,
        valid.envelope,
        listed,
        valid.schemas,
        truncated=truncated,
        unlisted=max(found, len(problems)) - len(listed) if truncated else 0,
    )


def _compiled_of(identity: _Identity) -> _Compiled:
    """The schema a message is validated against: its own, or the envelope's with it."""
    if identity.envelope is not None or identity.message == _ENVELOPE:
        payload = None if identity.message == _ENVELOPE else identity.message
        return _envelope(payload, _xsd_dir())
    return schema(identity.message)


def is_valid(document: bytes, message: str) -> bool:
    """Whether a document is a valid ``message`` (``auth.030``), envelope and all: the fast
    verdict of :func:`validate` on a valid document, for the bytes a renderer wrote.

    The document is parsed (safely), then its tree is validated: for a valid document a
    fifth cheaper than validating as it parses, which :func:`validate` does to bound the
    time an invalid file with many problems takes. ``False`` says nothing of why:
    :func:`validate` says.

    Examples:
        >>> is_valid(b"<Document/>", "auth.030")
        False
    """
    compiled = schema_wrapper(document, message)
    if compiled is None:
        return False
    try:
        tree = etree.fromstring(document, _untrusted_parser()).getroottree()
    except etree.XMLSyntaxError:
        return False
    return not _has_doctype(tree) and bool(compiled.lxml.validate(tree))


def schema_wrapper(document: bytes, message: str) -> _Compiled | None:
    """The schema :func:`is_valid` validates a ``message`` document against, from the
    document's first elements (the message's own, or the envelope's with it); None when
    the document is not that message.

    Its ``wrapper`` (an ``xs:schema`` importing the XSD files by their ``file:`` URIs) is
    what a validating process compiles (:mod:`regkit.reports.validators`).
    """
    identity = _peek(document, "document")
    if identity is None or identity.message != message:
        return None
    return _compiled_of(identity)


def _streamed(
    source: str | os.PathLike[str] | bytes, compiled: _Compiled
) -> tuple[int, etree._ElementTree | None]:
    """The file parsed and validated by libxml2 as it reads it: how many schema problems it
    found, and the tree when there were none (None when the parse failed).

    This takes time in proportion to the file. lxml's validation of a parsed tree records
    each problem's path, a pass over the element's earlier siblings: 100,000 invalid values
    in one list took minutes, 40,000 empty elements in 600 KB some seconds. The stream gives
    no lines, so the tree is validated too when the stream found few problems; with many,
    xmlschema words the first ones (:class:`_Walk`).
    """
    parser = _untrusted_parser(compiled.lxml)
    tree: etree._ElementTree | None = None
    with contextlib.suppress(etree.XMLSyntaxError, OSError):
        if isinstance(source, bytes):
            tree = etree.fromstring(source, parser).getroottree()
        else:
            with open(source, "rb") as handle:
                tree = etree.parse(handle, parser)
    log = cast("Sequence[_LogEntry]", parser.error_log)
    return sum(1 for entry in log if entry.domain == _SCHEMA_VALIDITY), tree


_SCHEMA_VALIDITY: Final = int(etree.ErrorDomains.SCHEMASV)


#: An element with more attributes than this is worded by libxml2 alone: each xmlschema error
#: about an attribute copies all of the element's attributes, so the time would grow with
#: their square (ISO 20022 elements have one or two).
_MAX_WORDED_ATTRIBUTES: Final = 64
#: How many elements xmlschema may look at, per problem to list, before it stops.
_WALK_PER_PROBLEM: Final = 20


class _Fault:
    """One libxml2 error and the element it is about (None when its path finds none)."""

    def __init__(self, entry: _LogEntry, tree: etree._ElementTree) -> None:
        self.entry = entry
        self.element = _element_at(tree, entry.path)

    def problem(self) -> Problem:
        """libxml2's own words, at the element's line and path when it was found."""
        message = _tidy(self.entry.message)
        if self.element is None:
            return Problem(self.entry.line or 1, self.entry.path or "/", message)
        return Problem(_line(self.element, self.entry.line or 1), _path(self.element), message)


def _element_at(tree: etree._ElementTree, path: str | None) -> etree._Element | None:
    """The element libxml2's error path names (the owner of an attribute it names)."""
    if not path:
        return None
    try:
        found = tree.xpath(path)
    except etree.XPathError:
        return None
    first = found[0] if isinstance(found, list) and found else None
    if isinstance(first, etree._Element):
        return first
    parent = getattr(first, "getparent", None)  # an attribute's value knows its element
    owner = parent() if callable(parent) else None
    return owner if isinstance(owner, etree._Element) else None


class _Walk:
    """xmlschema's validation hook: what it looks at, and when it stops.

    xmlschema checks the whole file before it yields its first error, so stopping its
    iterator early saves nothing: the hook bounds its work instead. It looks only at the
    elements libxml2 found fault with, their ancestors, and the rest of their parents'
    content (libxml2 stops checking an element's children at the first misplaced one); it
    skips every other element, and elements with too many attributes; and it stops after
    ``budget`` elements. Given no faults (a file with many problems, which lxml does not
    validate as a tree), it looks at the file from its start, within the budget.
    """

    def __init__(self, faults: list[_Fault], budget: int) -> None:
        self.everything = not faults  # libxml2 named none: look at the file from its start
        faulty = {fault.element for fault in faults if fault.element is not None}
        self.walked = faulty | {above for element in faulty for above in element.iterancestors()}
        self.opened = {parent for element in faulty if (parent := element.getparent()) is not None}
        self.seen: set[etree._Element] = set()
        self.crowded: list[etree._Element] = []
        self.budget = budget

    def __call__(self, element: etree._Element, _: object) -> bool:
        """True skips the element and everything in it; raises to stop xmlschema."""
        if len(element.attrib) > _MAX_WORDED_ATTRIBUTES:
            self.crowded.append(element)
            return True
        if (
            not self.everything
            and element not in self.walked
            and not any(above in self.opened for above in element.iterancestors())
        ):
            return True
        if self.budget <= 0:
            import xmlschema

            raise xmlschema.XMLSchemaStopValidation()
        self.budget -= 1
        self.seen.add(element)
        return False


def _worded(
    compiled: _Compiled, tree: etree._ElementTree, faults: list[_Fault], limit: int
) -> list[Problem]:
    """xmlschema's readable words for what libxml2 found, and libxml2's own words for the
    faulty elements xmlschema did not look at (see :class:`_Walk`)."""
    walk = _Walk(faults, _WALK_PER_PROBLEM * limit)
    worded = _readable_problems(compiled, tree, walk, limit)
    if not faults:  # no libxml2 words to fall back on: say which elements were not worded
        return [problem for _, problem in worded] + [
            Problem(
                _line(element, 1),
                _path(element),
                f"{len(element.attrib):,} attributes, too many to check one by one",
            )
            for element in walk.crowded
        ]
    if not worded:
        return [fault.problem() for fault in faults]
    covered = walk.seen | {element for element, _ in worded}
    return [problem for _, problem in worded] + [
        fault.problem() for fault in faults if fault.element not in covered
    ]


def _readable_problems(
    compiled: _Compiled, tree: etree._ElementTree, walk: _Walk, limit: int
) -> list[tuple[etree._Element | None, Problem]]:
    hook = cast("Callable[..., bool]", walk)  # xmlschema's stubs say ElementTree elements
    try:
        errors = list(islice(compiled.xmlschema.iter_errors(tree, validation_hook=hook), limit))
    except Exception:  # xmlschema only words the problems; lxml's verdict and log stand
        return []
    fallback = _line(tree.getroot(), 1)
    return [_xmlschema_problem(error, fallback) for error in errors]


def _xmlschema_problem(
    error: xmlschema.XMLSchemaValidationError, fallback: int
) -> tuple[etree._Element | None, Problem]:
    """The element an xmlschema error is about, and the problem in words."""
    element = error.elem
    reason = _tidy(error.reason or error.message)
    if not isinstance(element, etree._Element):
        return None, Problem(fallback, _tidy(error.path or "/"), reason)
    index = getattr(error, "index", None)
    if isinstance(index, int) and 0 <= index < len(element):
        child = element[index]
        if isinstance(child.tag, str):  # the unexpected child itself, not its parent
            element = child
    return element, Problem(_line(element, fallback), _path(element), reason)


class _LogEntry(Protocol):
    """What lxml's error log entries offer (lxml-stubs does not describe them)."""

    line: int
    path: str | None
    message: str
    domain: int


def _line(element: etree._Element, fallback: int) -> int:
    line = getattr(element, "sourceline", None)
    return line if isinstance(line, int) and line > 0 else fallback


def _path(element: etree._Element) -> str:
    """``/Document/…/Tx[2]/New``: local names, ``[n]`` where siblings share a name.

    Each step's number comes from lxml's ``getelementpath`` (in C): counting siblings in
    Python would cost, for each of many problems among many siblings, a pass over them all.
    """
    parts: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        step = _local(node.tag)
        if parent is not None:
            index = etree.ElementTree(parent).getelementpath(node).rpartition("[")[2]
            if index.endswith("]"):
                step += f"[{index}"
        parts.append(step)
        node = parent
    return "/" + "/".join(reversed(parts))


# A namespace in Clark notation ({urn:…}Name). XSD patterns also hold braces ({18,18}) but
# never a colon inside them.
_CLARK = re.compile(r"\{[^{}\s]*:[^{}\s]*\}")


def _tidy(text: str) -> str:
    return " ".join(_CLARK.sub("", text).split())


# --- large files, as a stream ----------------------------------------------------------------


def _validate_streamed(
    source: str | os.PathLike[str] | bytes,
    label: str,
    max_problems: int,
    progress: Progress | None,
    chunk_records: int = _chunked.DEFAULT_CHUNK_RECORDS,
) -> ValidationResult:
    """:func:`validate` as a stream: the same result in memory bounded by a chunk.

    The first pass is libxml2's streaming validation (the verdict and the count of problems,
    the common case of a valid file costing one parse); an invalid file is read again by
    chunks of records (:func:`regkit.reports._chunked.chunks`), each validated as a tree and
    worded as :func:`_validate_whole` words a whole tree (:class:`_Across`).
    """
    identity = _peek(source, label)
    if identity is None:
        _refuse_broken(source, label)
        raise RenderError(f"{label}: not a known message")  # never: the file was refused
    layout = _layout(identity)
    compiled = _compiled_of(identity)
    try:
        passed = _chunked.first_pass(source, label, layout, compiled.lxml, progress)
    except etree.XMLSyntaxError:
        _refuse_broken(source, label)
        raise  # never: the plain pass raised
    except OSError as exc:
        raise RenderError(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if passed.doctype:
        raise RenderError(f"{label}: {_DOCTYPE_REFUSED}")
    valid = ValidationResult(label, identity.message, identity.envelope, (), compiled.paths)
    if not passed.found:
        return valid
    across = _Across(compiled, passed.skeleton, layout, max_problems + 1, passed.found)
    for chunk in _chunked.chunks(source, label, layout, passed.skeleton, chunk_records, progress):
        if not across.add(chunk):
            break
    if across.valid():
        return valid
    problems, found = across.problems()
    return _result(valid, passed.skeleton.root, problems, found, max_problems)


def _layout(identity: _Identity) -> _chunked.Layout:
    """Where a message's records stand, in Clark tags from the file's root."""
    info = SCHEMAS[identity.message]
    names = _chunked.record_path(schema(identity.message).path, info.root)
    tags = tuple(f"{{{info.namespace}}}{name}" for name in names)
    if identity.envelope is not None:
        envelope = SCHEMAS[_ENVELOPE].namespace
        tags = (f"{{{envelope}}}BizData", f"{{{envelope}}}Pyld", *tags)
    return _chunked.Layout(tags)


def _refuse_broken(source: str | os.PathLike[str] | bytes, label: str) -> None:
    """Raise what :func:`parse_safely` and :func:`_identify` raise for a file, in their order
    (not well-formed, a DOCTYPE, an unknown message), reading it as a stream."""
    doctype = False
    try:
        with _opened(source) as handle:
            for _, element in etree.iterparse(
                handle, events=("end",), resolve_entities=False, no_network=True,
                load_dtd=False, huge_tree=False,
            ):  # fmt: skip
                if not doctype:
                    doctype = _has_doctype(element.getroottree())
                element.clear(keep_tail=False)
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]  # the cleared elements before it: memory stays flat
    except etree.XMLSyntaxError as exc:
        if _prolog_has_doctype(source):
            raise RenderError(f"{label}: {_DOCTYPE_REFUSED}") from exc
        raise RenderError(f"{label}:{exc.lineno}: not well-formed XML: {exc.msg}") from exc
    except OSError as exc:
        raise RenderError(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if doctype:
        raise RenderError(f"{label}: {_DOCTYPE_REFUSED}")
    _peek(source, label, strict=True)  # an unknown message says so


class _ChunkWalk(_Walk):
    """:class:`_Walk` over one chunk of many, sharing one budget: the skeleton (what is not
    a record) is walked in the first chunk only, except the records' ancestors, walked in
    every chunk to reach the records but counted once against the budget."""

    def __init__(
        self,
        faults: list[_Fault],
        budget: int,
        chunk: _chunked.Chunk,
        across: _Across,
    ) -> None:
        super().__init__(faults, budget)
        self.records = set(chunk.records)
        self.across = across
        self.later = chunk.first > 0

    def __call__(self, element: etree._Element, xsd: object) -> bool:
        ancestor = element in self.across.ancestors
        if self.later and not ancestor and not self.in_record(element):
            return True  # the skeleton, walked in the first chunk
        budget = self.budget
        skip = super().__call__(element, xsd)
        if not skip and ancestor:
            if element in self.across.charged:
                self.budget = budget
            self.across.charged.add(element)
        return skip

    def in_record(self, element: etree._Element) -> bool:
        if element in self.records:
            return True
        return any(above in self.records for above in element.iterancestors())


_POSITION: Final = re.compile(r"at position (\d+)")


class _Across:
    """What :func:`_validate_whole` finds in a tree, gathered over the chunks of a stream.

    With few problems (at most ``limit`` counted by the first pass), each chunk is validated
    as a tree to locate them and xmlschema words those; with many, xmlschema looks at the
    file from its start within its budget, and the chunks stop when it has. A problem
    outside the records is found in every chunk and kept once; each record's path is
    numbered over the whole file.
    """

    def __init__(
        self,
        compiled: _Compiled,
        skeleton: _chunked.Skeleton,
        layout: _chunked.Layout,
        limit: int,
        streamed: int,
    ) -> None:
        self.compiled = compiled
        self.skeleton = skeleton
        self.limit = limit
        self.few = streamed <= limit
        self.found = 0 if self.few else streamed
        self.budget = _WALK_PER_PROBLEM * limit
        container = self.container = skeleton.container
        self.ancestors: set[etree._Element] = set()
        if container is not None:
            self.ancestors = {container, *container.iterancestors()}
        self.charged: set[etree._Element] = set()
        self.prefix = "" if container is None else _path(container) + "/"
        self.record = etree.QName(layout.record).localname
        self.worded: list[Problem] = []
        self.uncovered: list[Problem] = []
        self.faulted: list[Problem] = []
        self.crowded: list[etree._Element] = []
        self.pending: dict[tuple[int, str], Problem] = {}
        self.seen: tuple[set[Problem], set[Problem], set[Problem]] = (set(), set(), set())
        self.invalid = False

    def add(self, chunk: _chunked.Chunk) -> bool:
        """Look at one chunk; False when the later chunks need not be looked at."""
        faults: list[_Fault] = []
        if self.few:
            if self.compiled.lxml.validate(chunk.tree):
                return True
            faults = self._faults(chunk)
        self.invalid = True
        if self.budget <= 0 or len(self.worded) >= self.limit:
            self.pending = {}  # the whole file's walk would have stopped before its end
            return self.few  # xmlschema is done; libxml2 may still locate more
        walk = _ChunkWalk(faults, self.budget, chunk, self)
        limit = self.limit - len(self.worded)
        worded, deferred = self._readable(chunk.tree, walk, limit)
        self.budget = walk.budget
        self.crowded += [element for element in walk.crowded if element not in self.crowded]
        covered = walk.seen | {element for element, _ in worded + deferred}
        self.worded += self._new(chunk, self._mine(chunk, walk, worded), self.seen[0])
        # An ancestor's content is worded after all of it, which only the last chunk has.
        for element, problem in deferred:
            if self._owns(chunk, element):
                [kept] = self._new(chunk, self._mine(chunk, None, [(element, problem)]), set())
                self.pending[kept.line, kept.path] = kept
        self.uncovered += self._new(
            chunk,
            [
                fault.problem()
                for fault in faults
                if fault.element not in covered and self._ours(chunk, walk, fault.element)
            ],
            self.seen[1],
        )
        return self.few or (self.budget > 0 and len(self.worded) < self.limit)

    def _mine(
        self,
        chunk: _chunked.Chunk,
        walk: _ChunkWalk | None,
        worded: list[tuple[etree._Element | None, Problem]],
    ) -> list[Problem]:
        """The chunk's problems to keep (all, without a walk), placed in the file."""
        return [
            self._placed(chunk, element, problem)
            for element, problem in worded
            if walk is None or self._ours(chunk, walk, element)
        ]

    def _readable(
        self, tree: etree._ElementTree, walk: _ChunkWalk, limit: int
    ) -> tuple[list[tuple[etree._Element | None, Problem]], ...]:
        """:func:`_readable_problems`, with apart the problems in the content of the
        records' ancestors (xmlschema words them once it has seen all of it)."""
        from xmlschema.validators.exceptions import XMLSchemaChildrenValidationError

        hook = cast("Callable[..., bool]", walk)
        try:
            errors = list(
                islice(self.compiled.xmlschema.iter_errors(tree, validation_hook=hook), limit)
            )
        except Exception:  # xmlschema only words the problems; lxml's verdict and log stand
            return [], []
        fallback = _line(tree.getroot(), 1)
        now: list[tuple[etree._Element | None, Problem]] = []
        later: list[tuple[etree._Element | None, Problem]] = []
        for error in errors:
            content = isinstance(error, XMLSchemaChildrenValidationError)
            after = content and cast("etree._Element", error.elem) in self.ancestors
            (later if after else now).append(_xmlschema_problem(error, fallback))
        return now, later

    def _placed(
        self, chunk: _chunked.Chunk, element: etree._Element | None, problem: Problem
    ) -> Problem:
        """xmlschema's "at position N" of a child of the records' container, counted in the
        file rather than in the chunk (which lacks the other chunks' records)."""
        container = self.container
        if element is None or container is None or element.getparent() is not container:
            return problem
        index = container.index(element)
        before = sum(1 for record in chunk.records if container.index(record) < index)
        if element in chunk.records:
            shift = chunk.first
        else:
            shift = self._records_before(index - before) - before
        if not shift:
            return problem
        reason = _POSITION.sub(lambda found: f"at position {int(found[1]) + shift}", problem.reason)
        return Problem(problem.line, problem.path, reason)

    def _owns(self, chunk: _chunked.Chunk, element: etree._Element | None) -> bool:
        """Whether a chunk words a problem in an ancestor's content about ``element``: a
        skeleton child of the container in the chunk that holds the record just before it
        (where it has the neighbours it has in the file), anything else in every chunk (the
        last one's words stand)."""
        container = self.container
        if element is None or container is None or element.getparent() is not container:
            return True
        if element in chunk.records:
            return True
        index = container.index(element)
        before = sum(1 for record in chunk.records if container.index(record) < index)
        last = self._records_before(index - before) - 1
        if last < 0:
            return chunk.first == 0
        return chunk.first <= last < chunk.first + len(chunk.records)

    def _records_before(self, place: int) -> int:
        """How many of the file's records stood before the container's skeleton child
        numbered ``place``."""
        runs = self.skeleton.runs
        count = 0
        for number, (at, first) in enumerate(runs):
            if at > place:
                break
            end = runs[number + 1][1] if number + 1 < len(runs) else self.skeleton.records
            count += end - first
        return count

    def _ours(
        self, chunk: _chunked.Chunk, walk: _ChunkWalk, element: etree._Element | None
    ) -> bool:
        """Whether a chunk's problem about an element is the chunk's to give: the first
        chunk gives the skeleton's, every chunk its records' and their ancestors'."""
        if chunk.first == 0:
            return True
        return element is not None and (element in self.ancestors or walk.in_record(element))

    def _faults(self, chunk: _chunked.Chunk) -> list[_Fault]:
        """libxml2's faults in a chunk's tree: those in its records, and (in the first chunk
        only, for the count and the listing) those in the skeleton."""
        error_log = cast("Sequence[_LogEntry]", self.compiled.lxml.error_log)
        records = set(chunk.records)
        faults: list[_Fault] = []
        for entry in error_log:
            fault = _Fault(entry, chunk.tree)
            element = fault.element
            inside = element is not None and (
                element in records or any(above in records for above in element.iterancestors())
            )
            if inside or chunk.first == 0:
                self.found += 1
                if len(self.faulted) < self.limit:
                    self.faulted += self._new(chunk, [fault.problem()], self.seen[2])
            faults.append(fault)
        return faults

    def _new(
        self, chunk: _chunked.Chunk, problems: list[Problem], seen: set[Problem]
    ) -> list[Problem]:
        """The problems renumbered over the file, without those outside the records that an
        earlier chunk gave (each chunk holds the whole skeleton)."""
        kept: list[Problem] = []
        for problem in problems:
            path = self._numbered(chunk, problem.path)
            numbered = Problem(problem.line, path, problem.reason)
            if path == problem.path and self._outside(path):
                if numbered in seen:
                    continue
                seen.add(numbered)
            kept.append(numbered)
        return kept

    def _outside(self, path: str) -> bool:
        step = self.prefix + self.record
        return not self.prefix or not (
            path.startswith(step) and path[len(step) : len(step) + 1] in ("", "[", "/")
        )

    def _numbered(self, chunk: _chunked.Chunk, path: str) -> str:
        """A path in a chunk as a path in the file: ``Tx[3]`` of a chunk from the 2,001st
        record is ``Tx[2003]``."""
        step = self.prefix + self.record
        if not self.prefix or not path.startswith(step):
            return path
        rest = path[len(step) :]
        number = 1
        if rest.startswith("["):
            index, _, rest = rest[1:].partition("]")
            number = int(index)
        elif rest and not rest.startswith("/"):
            return path  # another element whose name starts the same
        if self.skeleton.records < 2:
            return step + rest
        return f"{step}[{chunk.first + number}]{rest}"

    def valid(self) -> bool:
        """True when no chunk was invalid (libxml2's stream and its trees disagreed)."""
        return not self.invalid

    def problems(self) -> tuple[list[Problem], int]:
        """The problems, combined as :func:`_worded` combines them, and libxml2's count."""
        if not self.few:
            crowded = [
                Problem(
                    _line(element, 1),
                    _path(element),
                    f"{len(element.attrib):,} attributes, too many to check one by one",
                )
                for element in self.crowded
            ]
            return self.worded + list(self.pending.values()) + crowded, self.found
        worded = self.worded + list(self.pending.values())
        if not worded:
            return list(self.faulted), self.found
        return worded + self.uncovered, self.found
