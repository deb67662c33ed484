"""A strict reader of an audit pack's zip: every byte is accounted for, every field checked.

:mod:`zipfile` is tolerant: it reads a zip with bytes before it (a self-extracting stub),
between its entries, after its end record, in a comment or in an extra field, and a
Deflate stream with bytes after its end. A pack is a zip regkit wrote, in one form (see
:mod:`regkit.reports.audit_pack`), so this reader accepts that form only. Every byte of the
file must belong to a local header and the data of an entry, the central directory or the
end record; the header fields must be the ones regkit writes, and the local header must
agree with the central directory. Anything else is a :class:`Flaw`, named with its offset.

The reader never extracts: :func:`digest` hashes an entry's content as it inflates it.
"""

from __future__ import annotations

import hashlib
import stat
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Final, Literal

from regkit.errors import PackError

#: What a flaw is: bytes no part of the zip accounts for, a header field other than regkit
#: writes, or an entry whose data cannot be read back.
FlawKind = Literal["unaccounted", "structure", "corrupt"]

_LOCAL: Final = b"PK\x03\x04"
_CENTRAL: Final = b"PK\x01\x02"
_END: Final = b"PK\x05\x06"
_END64: Final = b"PK\x06\x06"
_LOCATOR64: Final = b"PK\x06\x07"
_LOCAL_SIZE: Final = 30
_CENTRAL_SIZE: Final = 46
_END_SIZE: Final = 22
_END64_SIZE: Final = 56
_LOCATOR64_SIZE: Final = 20
_MAX_COMMENT: Final = 0xFFFF
_MAX_CENTRAL: Final = 1 << 26  # a pack's central directory is a few kB
_ZIP64_LIMIT: Final = (1 << 31) - 1  # beyond it, zipfile writes zip64 fields
_FULL32: Final = 0xFFFFFFFF
_ZIP64_EXTRA: Final = 1
_UTF8_FLAG: Final = 0x800
#: What regkit writes: version 4.5 (zip64) made on Unix, Deflate (or stored, for data
#: Deflate would not shrink), regular files with mode 0644.
VERSION: Final = 45
MADE_BY: Final = (3 << 8) | VERSION
METHODS: Final = {zlib.DEFLATED: "Deflate", 0: "stored"}
FILE_MODE: Final = stat.S_IFREG | 0o644
_CHUNK: Final = 1 << 20


@dataclass(frozen=True)
class Flaw:
    """One thing wrong with the zip itself.

    Attributes:
        kind: ``unaccounted`` (bytes that belong to no entry, nor to the central directory
            or the end record), ``structure`` (a header field other than regkit writes, or
            a local header that disagrees with the central directory), ``corrupt`` (an
            entry whose data cannot be read back).
        path: the entry at fault, or ``""`` for the zip as a whole.
        detail: what is wrong, with the offset where it is.
    """

    kind: FlawKind
    path: str
    detail: str


@dataclass
class Member:
    """One entry, as the central directory lists it and its local header confirms."""

    name: str
    central_at: int
    offset: int  # where its local header is in the file
    method: int
    crc: int
    compressed: int
    size: int
    mode: int
    dos_time: tuple[int, int]  # (date, time), as stored
    data_at: int = -1  # where its data starts; -1: no readable local header
    flaws: list[Flaw] = field(default_factory=list)

    @property
    def is_dir(self) -> bool:
        """Whether the entry is a directory (its name ends with ``/``)."""
        return self.name.endswith("/")

    @property
    def readable(self) -> bool:
        """Whether its data can be located (its local header was found and agrees)."""
        return self.data_at >= 0

    def flaw(self, kind: FlawKind, detail: str) -> None:
        """Note a flaw of this entry."""
        self.flaws.append(Flaw(kind, self.name, detail))


@dataclass
class Layout:
    """The zip's entries in central-directory order, and the flaws of the whole zip."""

    members: list[Member]
    flaws: list[Flaw]


@dataclass(frozen=True)
class Digest:
    """An entry's content, hashed: SHA-256, size, the bytes when small, and any flaw."""

    sha256: str | None
    size: int
    data: bytes | None
    flaws: tuple[Flaw, ...] = ()


# --- the layout ------------------------------------------------------------------------------


def read_layout(handle: BinaryIO, size: int) -> Layout:
    """Read the end record, the central directory and every local header, and account for
    every byte of the file.

    Raises:
        PackError: no end record, or a central directory that cannot be located (the file
            is not a zip, or is cut short).
    """
    flaws: list[Flaw] = []
    end_at, count, central_size, central_offset = _end_record(handle, size, flaws)
    central_at = end_at - central_size
    end64 = _zip64_end(handle, end_at, flaws)
    plain = (count, central_size, central_offset)
    if end64 is not None:
        central_at, count, central_size, central_offset = end64
    _check_end_against_zip64(plain, None if end64 is None else end64[1:], flaws)
    if central_at < 0 or central_size > _MAX_CENTRAL:
        raise PackError(
            "not a readable zip (the end record's central directory is not in the file)"
        )
    shift = central_at - central_offset
    if shift:
        flaws.append(
            Flaw(
                "structure",
                "",
                f"the end record puts the central directory at offset {central_offset}, "
                f"but it is at offset {central_at}",
            )
        )
    table = _read_at(handle, central_at, central_size)
    members = _central_directory(table, central_at, shift, flaws)
    if len(members) != count:
        flaws.append(
            Flaw(
                "structure",
                "",
                f"the end record counts {count} entries, "
                f"the central directory lists {len(members)}",
            )
        )
    for member in members:
        _local_header(handle, member, central_at)
    flaws += _gaps(members, central_at)
    return Layout(members, flaws)


def _read_at(handle: BinaryIO, offset: int, length: int) -> bytes:
    handle.seek(offset)
    return handle.read(length)


def _end_record(handle: BinaryIO, size: int, flaws: list[Flaw]) -> tuple[int, int, int, int]:
    """The end of central directory record: where it is, the entries it counts, and the
    size and offset it gives the central directory."""
    window = min(size, _END_SIZE + _MAX_COMMENT)
    tail = _read_at(handle, size - window, window)
    found = tail.rfind(_END, 0, max(len(tail) - _END_SIZE + len(_END), 0))
    if found < 0:
        raise PackError("not a readable zip (no end of central directory record)")
    end_at = size - window + found
    fields = struct.unpack("<4sHHHHIIH", tail[found : found + _END_SIZE])
    _, disk, central_disk, on_disk, count, central_size, central_offset, comment = fields
    if disk or central_disk or on_disk != count:
        flaws.append(Flaw("structure", "", f"the end record at offset {end_at} spans disks"))
    after = end_at + _END_SIZE
    if comment:
        flaws.append(
            Flaw(
                "unaccounted",
                "",
                f"unaccounted bytes at offset {after}: a zip comment of {comment} bytes",
            )
        )
    if size > after + comment:
        flaws.append(
            Flaw(
                "unaccounted",
                "",
                f"unaccounted bytes at offset {after + comment}: "
                f"{size - after - comment} bytes after the end record",
            )
        )
    elif size < after + comment:
        flaws.append(
            Flaw(
                "structure",
                "",
                f"the end record's comment runs {after + comment - size} "
                "bytes past the end of the file",
            )
        )
    return end_at, count, central_size, central_offset


def _zip64_end(
    handle: BinaryIO, end_at: int, flaws: list[Flaw]
) -> tuple[int, int, int, int] | None:
    """The zip64 end record, when a locator precedes the end record: where the central
    directory ends, its entries, size and stated offset."""
    if end_at < _LOCATOR64_SIZE + _END64_SIZE:
        return None
    locator = _read_at(handle, end_at - _LOCATOR64_SIZE, _LOCATOR64_SIZE)
    if not locator.startswith(_LOCATOR64):
        return None
    record_at = end_at - _LOCATOR64_SIZE - _END64_SIZE
    record = _read_at(handle, record_at, _END64_SIZE)
    fields = struct.unpack("<4sQHHIIQQQQ", record)
    sig, record_size, _, _, disk, central_disk, on_disk, count, central_size, offset = fields
    _, locator_disk, stated_at, disks = struct.unpack("<4sIQI", locator)
    if sig != _END64 or record_size != _END64_SIZE - 12:
        raise PackError("not a readable zip (a zip64 locator without its end record)")
    if disk or central_disk or locator_disk or disks != 1 or on_disk != count:
        flaws.append(
            Flaw("structure", "", f"the zip64 end record at offset {record_at} spans disks")
        )
    if stated_at != central_size + offset:  # offsets count from the zip's first byte
        flaws.append(
            Flaw("structure", "", f"the zip64 locator puts its end record at offset {stated_at}")
        )
    return record_at - central_size, count, central_size, offset


def _check_end_against_zip64(
    plain: tuple[int, int, int], zip64: tuple[int, int, int] | None, flaws: list[Flaw]
) -> None:
    """The end record's count, size and offset: zipfile's zip64 end record holds them when
    one passes its limit, and the end record then holds the capped values."""
    count, size, offset = zip64 or plain
    needed = count > 0xFFFF or size > _ZIP64_LIMIT or offset > _ZIP64_LIMIT
    capped = (min(count, 0xFFFF), min(size, _FULL32), min(offset, _FULL32))
    if needed != (zip64 is not None) or capped != plain:
        flaws.append(
            Flaw(
                "structure",
                "",
                "the end record and zip64 end record do not state the "
                "central directory as a pack writes them",
            )
        )


def _central_directory(table: bytes, at: int, shift: int, flaws: list[Flaw]) -> list[Member]:
    members: list[Member] = []
    position = 0
    while position < len(table):
        if not table.startswith(_CENTRAL, position) or position + _CENTRAL_SIZE > len(table):
            flaws.append(
                Flaw(
                    "unaccounted",
                    "",
                    f"unaccounted bytes at offset {at + position}: "
                    f"{len(table) - position} bytes in the central directory that are no entry",
                )
            )
            break
        member, length = _central_entry(table, position, at, shift)
        if member is None:
            flaws.append(
                Flaw(
                    "structure",
                    "",
                    f"the central directory entry at offset {at + position} "
                    "runs past the central directory",
                )
            )
            break
        members.append(member)
        position += length
    return members


def _central_entry(table: bytes, position: int, at: int, shift: int) -> tuple[Member | None, int]:
    fields = struct.unpack("<4sHHHHHHIIIHHHHHII", table[position : position + _CENTRAL_SIZE])
    (_, made_by, needs, flags, method, time, day, crc, compressed, size,
     name_length, extra_length, comment, disk, internal, external, offset) = fields  # fmt: skip
    start = position + _CENTRAL_SIZE
    length = _CENTRAL_SIZE + name_length + extra_length + comment
    if position + length > len(table):
        return None, length
    raw_name = table[start : start + name_length]
    extra = table[start + name_length : start + name_length + extra_length]
    name = _decode_name(raw_name, flags)
    problems: list[str] = []
    size, compressed, offset = _zip64_values(extra, size, compressed, offset, problems)
    member = Member(
        name=name,
        central_at=at + position,
        offset=offset + shift,
        method=method,
        crc=crc,
        compressed=compressed,
        size=size,
        mode=external >> 16,
        dos_time=(day, time),
    )
    for problem in problems:
        member.flaw("structure", f"the central directory entry {problem}")
    if comment:
        member.flaw(
            "unaccounted",
            f"unaccounted bytes at offset {at + position + length - comment}: "
            f"a comment of {comment} bytes",
        )
    expected_flags = 0 if name.isascii() else _UTF8_FLAG
    pinned = {
        "made by": (made_by, MADE_BY),
        "version needed": (needs, VERSION),
        "flags": (flags, expected_flags),
        "disk": (disk, 0),
        "internal attributes": (internal, 0),
        "external attributes": (external & 0xFFFF, 0),
    }
    if not member.is_dir:  # zipfile marks a directory in the low (MS-DOS) bits
        pinned["mode"] = (member.mode, FILE_MODE)
    else:
        del pinned["external attributes"]
    _check_pinned(member, pinned, "the central directory")
    if method not in METHODS:
        member.flaw("structure", f"compressed with method {method}; a pack uses Deflate (8)")
    return member, length


def _decode_name(raw: bytes, flags: int) -> str:
    if flags & _UTF8_FLAG:
        return raw.decode("utf-8", "replace")
    return raw.decode("cp437")


def _zip64_values(
    extra: bytes, size: int, compressed: int, offset: int, problems: list[str]
) -> tuple[int, int, int]:
    """The real sizes and offset: a central directory entry holds them in a zip64 extra
    field exactly when they pass zipfile's limit, as zipfile writes them."""
    fields: list[int] = []
    if extra:
        if len(extra) < 4 or extra[:2] != struct.pack("<H", _ZIP64_EXTRA):
            problems.append(f"has an extra field of {len(extra)} bytes (no extra is written)")
            return size, compressed, offset
        (length,) = struct.unpack("<H", extra[2:4])
        body = extra[4:]
        if length != len(body) or length % 8 or length > 24:
            problems.append(f"has a zip64 extra field of {len(extra)} bytes that is not zip64's")
            return size, compressed, offset
        fields = list(struct.unpack(f"<{length // 8}Q", body))
    big_sizes = size == _FULL32 and compressed == _FULL32
    big_offset = offset == _FULL32
    if len(fields) != 2 * big_sizes + big_offset:
        problems.append("has zip64 fields that do not match its sizes and offset")
        return size, compressed, offset
    if big_sizes:
        size, compressed = fields[0], fields[1]
    if big_offset:
        offset = fields[-1]
    if big_sizes != (size > _ZIP64_LIMIT or compressed > _ZIP64_LIMIT) or big_offset != (
        offset > _ZIP64_LIMIT
    ):
        problems.append("has zip64 fields for values that do not need them")
    return size, compressed, offset


def _check_pinned(member: Member, pinned: dict[str, tuple[int, int]], where: str) -> None:
    for label, (found, expected) in pinned.items():
        if found != expected:
            shown = oct if label == "mode" else hex
            member.flaw(
                "structure",
                f"{where} gives {label} {shown(found)}, not {shown(expected)} as a pack writes",
            )


def _local_header(handle: BinaryIO, member: Member, central_at: int) -> None:
    """Find the entry's local header and check that it agrees with the central directory;
    on success the member's data can be read."""
    if member.offset < 0 or member.offset + _LOCAL_SIZE > central_at:
        member.flaw("corrupt", f"its local header offset {member.offset} is not in the zip")
        return
    head = _read_at(handle, member.offset, _LOCAL_SIZE)
    fields = struct.unpack("<4sHHHHHIIIHH", head)
    sig, needs, flags, method, time, day, crc, compressed, size, name_length, extra_length = fields
    if sig != _LOCAL:
        member.flaw("corrupt", f"no local header at offset {member.offset}")
        return
    rest = _read_at(handle, member.offset + _LOCAL_SIZE, name_length + extra_length)
    name = _decode_name(rest[:name_length], flags)
    sizes = _local_sizes(rest[name_length:], compressed, size)
    where = f"the local header at offset {member.offset}"
    if sizes is None:
        member.flaw("structure", f"{where} has an extra field other than zip64's sizes")
        sizes = (compressed, size)
    _check_pinned(
        member,
        {"version needed": (needs, VERSION), "flags": (flags, 0 if name.isascii() else _UTF8_FLAG)},
        where,
    )
    agree = {
        "name": (name, member.name),
        "method": (method, member.method),
        "date and time": ((day, time), member.dos_time),
        "CRC-32": (crc, member.crc),
        "sizes": (sizes, (member.compressed, member.size)),
    }
    differ = [label for label, (found, expected) in agree.items() if found != expected]
    if differ:
        member.flaw(
            "structure", f"{where} disagrees with the central directory: {', '.join(differ)}"
        )
    if "name" in differ or "sizes" in differ or "method" in differ or flags & 1:
        member.flaw("corrupt", "not read: its local header does not match the central directory")
        return
    data_at = member.offset + _LOCAL_SIZE + name_length + extra_length
    if data_at + member.compressed > central_at:
        member.flaw(
            "corrupt", f"its data ({member.compressed} bytes) runs into the central directory"
        )
        return
    member.data_at = data_at


def _local_sizes(extra: bytes, compressed: int, size: int) -> tuple[int, int] | None:
    """(compressed, size) from a local header: plain, or zip64's extra field with both (what
    zipfile writes for a streamed entry); None for any other extra field."""
    if not extra:
        return compressed, size
    if len(extra) != 20 or extra[:4] != struct.pack("<HH", _ZIP64_EXTRA, 16):
        return None
    if (compressed, size) != (_FULL32, _FULL32):
        return None
    real_size, real_compressed = struct.unpack("<QQ", extra[4:])
    return real_compressed, real_size


def _gaps(members: list[Member], central_at: int) -> list[Flaw]:
    """Bytes between the file's start, the entries and the central directory that no entry
    holds, and entries that overlap."""
    flaws: list[Flaw] = []
    cursor = 0
    before = "before the first entry"
    for member in sorted((m for m in members if m.readable), key=lambda m: m.offset):
        if member.offset > cursor:
            flaws.append(
                Flaw(
                    "unaccounted",
                    "",
                    f"unaccounted bytes at offset {cursor}: "
                    f"{member.offset - cursor} bytes {before}",
                )
            )
        elif member.offset < cursor:
            member.flaw(
                "structure",
                f"its local header at offset {member.offset} overlaps the entry before it",
            )
        cursor = max(cursor, member.data_at + member.compressed)
        before = f"after the entry {member.name!r}"
    if central_at > cursor:
        flaws.append(
            Flaw(
                "unaccounted",
                "",
                f"unaccounted bytes at offset {cursor}: {central_at - cursor} bytes before "
                "the central directory",
            )
        )
    return flaws


# --- the content -----------------------------------------------------------------------------


class _DataError(Exception):
    """An entry's data does not inflate to what its headers say."""


def digest(handle: BinaryIO, member: Member, keep: int) -> Digest:
    """Hash an entry's content straight from the file (kept too when at most ``keep``
    bytes), checking its size, CRC-32 and that its compressed data has no byte, nor bit,
    past its end."""
    sha256 = hashlib.sha256()
    kept: list[bytes] = []
    size = 0
    crc = 0
    flaws: list[Flaw] = []
    try:
        for block in _content(handle, member, flaws):
            size += len(block)
            if size > member.size:
                raise _DataError(f"inflates to more than the {member.size} bytes it states")
            sha256.update(block)
            crc = zlib.crc32(block, crc)
            if member.size <= keep:
                kept.append(block)
    except (_DataError, zlib.error) as exc:
        return Digest(None, size, None, (Flaw("corrupt", member.name, f"cannot be read ({exc})"),))
    if size != member.size:
        flaws.append(
            Flaw("corrupt", member.name, f"holds {size} bytes, not the {member.size} stated")
        )
    elif crc != member.crc:
        flaws.append(Flaw("corrupt", member.name, "its CRC-32 does not match its content"))
    data = b"".join(kept) if member.size <= keep else None
    return Digest(sha256.hexdigest(), size, data, tuple(flaws))


def _raw(handle: BinaryIO, member: Member) -> Iterator[bytes]:
    handle.seek(member.data_at)
    left = member.compressed
    while left:
        block = handle.read(min(left, _CHUNK))
        if not block:
            raise _DataError("the file ends inside its data")
        left -= len(block)
        yield block


def _content(handle: BinaryIO, member: Member, flaws: list[Flaw]) -> Iterator[bytes]:
    if member.method == 0:
        yield from _raw(handle, member)
        return
    if member.method != zlib.DEFLATED:
        raise _DataError(f"compression method {member.method} is not read")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    last = b""
    given = 0  # bytes zlib has taken in
    for block in _raw(handle, member):
        data = last + block
        data, last = data[:-1], data[-1:]  # the last byte is checked on its own
        while data:
            given += len(data)
            # max_length bounds the memory a small, highly compressed block can take
            yield inflater.decompress(data, _CHUNK)
            data = inflater.unconsumed_tail
            given -= len(data)
            if inflater.eof:
                used = given - len(inflater.unused_data)
                _after_end(member, member.compressed - used, flaws)
                return
    if not last:
        raise _DataError("no compressed data")
    yield from _inflate_last(inflater, last[0], member, flaws)


def _inflate_last(
    inflater: zlib._Decompress, last: int, member: Member, flaws: list[Flaw]
) -> Iterator[bytes]:
    """The last byte of a Deflate stream: the stream must end in it, and its bits past the
    end must be 0, as zlib writes them (Deflate readers ignore them, so only this sees
    them)."""
    whole = inflater.copy()
    out = whole.decompress(bytes([last]))
    if not whole.eof:
        raise _DataError("its compressed data ends before its Deflate stream does")
    for kept_bits in range(8):
        masked = last & ((1 << kept_bits) - 1)
        if masked == last:
            break
        trial = inflater.copy()
        if trial.decompress(bytes([masked])) == out and trial.eof:
            end = member.data_at + member.compressed - 1
            flaws.append(
                Flaw(
                    "unaccounted",
                    member.name,
                    f"unaccounted bits at offset {end}: set bits after the end of its "
                    "Deflate stream",
                )
            )
            break
    yield out


def _after_end(member: Member, count: int, flaws: list[Flaw]) -> None:
    start = member.data_at + member.compressed - count
    flaws.append(
        Flaw(
            "unaccounted",
            member.name,
            f"unaccounted bytes at offset {start}: {count} bytes after the end of its "
            "compressed data",
        )
    )
