"""A run's findings as the store keeps them: ten thousand a row of ``run_blocks``.

A block is zlib-compressed UTF-8 text, a line per finding in the run's order:
its identity (:func:`regkit.store.finding_key`), ``new`` or ``seen``, and its content (the
compact JSON of :meth:`Finding.to_dict <regkit.rules.findings.Finding.to_dict>`),
separated by tabs. JSON writes no tab or line break of its own, so the text splits
exactly. Any zlib tool reads a block (``zlib.decompress`` in Python, ``zlib-flate
-uncompress``); a block is a tenth or less of its text, and written at once it costs the
database one row where a row per finding would cost ten thousand.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

__all__ = ["BLOCK", "Line", "compress", "pack", "text_of", "unpack"]

#: Findings in one block (and in one query of their identities).
BLOCK = 10_000

Line = tuple[str, str, str]
"""A finding of a block: its key, ``new`` or ``seen``, and its JSON."""

#: zlib's fastest level: a block of findings compresses ten to thirty times even so.
_LEVEL = 1


def pack(lines: Iterable[Line]) -> bytes:
    """A block's bytes from its findings."""
    return compress(text_of(lines))


def text_of(lines: Iterable[Line]) -> bytes:
    """A block's text, before it is compressed."""
    return "".join(f"{key}\t{state}\t{content}\n" for key, state, content in lines).encode()


def compress(text: bytes) -> bytes:
    """A block's bytes from its text (zlib lets other threads run while it works)."""
    return zlib.compress(text, _LEVEL)


def unpack(data: bytes) -> Iterator[Line]:
    """A block's findings, in order."""
    text = zlib.decompress(data).decode()
    for line in text.split("\n")[:-1]:  # not splitlines: JSON may hold U+2028 as it is
        key, state, content = line.split("\t", 2)
        yield key, state, content
