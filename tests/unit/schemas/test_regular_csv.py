"""Whether a CSV file is one polars reads as the row reader does is decided the same when
the file is read a few bytes at a time as when it is read whole."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regkit.schemas.io import loaders, regular_csv


def _whole(data: bytes) -> bool:
    """The rule, on the whole file at once."""
    lone_cr = data.count(b"\r") != data.count(b"\r\n")
    if b'"' in data or lone_cr or not data.endswith(b"\n"):
        return False
    commas = data[: data.index(b"\n")].count(b",")
    return commas > 0 and data.count(b",") == commas * data.count(b"\n")


_PIECES = st.sampled_from([b"a", b"1", b",", b"\n", b"\r\n", b"\r", b'"', b"x,y", b"\n\n"])


@given(
    lines=st.lists(st.binary(max_size=0) | st.lists(_PIECES, max_size=6).map(b"".join), max_size=8),
    block=st.integers(1, 9),
)
def test_a_file_read_in_blocks_is_judged_as_the_whole_file(lines: list[bytes], block: int) -> None:
    data = b"a,b\n" + b"".join(lines)
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(loaders, "_CSV_BLOCK", block)
        path = Path(folder) / "f.csv"
        path.write_bytes(data)
        assert regular_csv(path) == _whole(data)


@pytest.mark.parametrize(
    ("data", "regular"),
    [
        (b"a,b\n1,2\n", True),
        (b"a,b\r\n1,2\r\n", True),
        (b"a,b\n1,2", False),  # no line end after the last line
        (b'a,b\n"1",2\n', False),  # quotes
        (b"a,b\n1\n", False),  # a short line
        (b"a,b\n1,2\n\n", False),  # a blank line
        (b"a\n1\n", False),  # one column: the commas say nothing
    ],
)
def test_regular_and_irregular_files(tmp_path: Path, data: bytes, regular: bool) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert regular_csv(path) is regular
