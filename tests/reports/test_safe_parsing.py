"""Untrusted XML: no entity expansion, no external entities, no network, a size limit."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from regkit.errors import RenderError
from regkit.reports import xml

LAUGHS = b'<!ENTITY lol0 "lol">' + b"".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">'.encode() for n in range(1, 10)
)
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE Document [' + LAUGHS + b"]>\n"
    b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.030.001.03">&lol9;</Document>\n'
)
# Little nesting, many references: expands to megabytes only if entities are substituted.
QUADRATIC = b'<!DOCTYPE r [<!ENTITY a "' + b"x" * 10_000 + b'">]>\n<r>' + b"&a;" * 1_000 + b"</r>"


def xxe(secret: Path) -> bytes:
    return (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE Document [<!ENTITY leak SYSTEM "' + secret.as_uri().encode() + b'">]>\n'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:auth.030.001.03">'
        b"<DerivsTradRpt>&leak;</DerivsTradRpt></Document>\n"
    )


@pytest.mark.parametrize("document", [BILLION_LAUGHS, QUADRATIC], ids=["billion", "quadratic"])
def test_entity_bombs_are_refused_at_once(tmp_path: Path, document: bytes) -> None:
    path = tmp_path / "bomb.xml"
    path.write_bytes(document)
    for source in (document, path):
        started = time.monotonic()
        with pytest.raises(RenderError, match=r"has a DOCTYPE; .* are refused"):
            xml.parse_safely(source)
        assert time.monotonic() - started < 1.0
    with pytest.raises(RenderError, match=rf"^{path}: has a DOCTYPE"):
        xml.validate(path)


def test_an_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    path = tmp_path / "xxe.xml"
    path.write_bytes(xxe(secret))
    with pytest.raises(RenderError) as caught:
        xml.validate(path)
    assert "DOCTYPE" in str(caught.value)
    assert "TOP-SECRET-VALUE" not in str(caught.value)
    with pytest.raises(RenderError, match="DOCTYPE"):
        xml.detect(xxe(secret))


def test_an_external_dtd_is_not_fetched() -> None:
    document = b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'
    started = time.monotonic()
    with pytest.raises(RenderError, match="DOCTYPE"):
        xml.parse_safely(document)
    assert time.monotonic() - started < 1.0


def test_a_path_is_a_local_file_never_a_url() -> None:
    with pytest.raises(RenderError, match=r"^http://127\.0\.0\.1:9/x\.xml: cannot read"):
        xml.parse_safely("http://127.0.0.1:9/x.xml")


def test_a_file_above_max_bytes_is_refused_by_name(tmp_path: Path, emir_bytes: bytes) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(emir_bytes)
    size = len(emir_bytes)
    with pytest.raises(RenderError, match=rf"^{path}: {size:,} bytes, more than the 1,000 allowed"):
        xml.parse_safely(path, max_bytes=1_000)
    with pytest.raises(RenderError, match=r"^<bytes>: .* more than the 1,000 allowed"):
        xml.validate(emir_bytes, max_bytes=1_000)
    assert xml.parse_safely(path, max_bytes=size).getroot().tag.endswith("Document")


def test_not_well_formed_xml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(b"<Document>\n  <Open>\n</Document>\n")
    with pytest.raises(RenderError, match=rf"^{path}:3: not well-formed XML: Opening and ending"):
        xml.parse_safely(path)


def test_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"missing\.xml: cannot read: No such file"):
        xml.validate(tmp_path / "missing.xml")


def test_a_safe_parse_keeps_line_numbers_and_comments(emir_path: Path) -> None:
    tree = xml.parse_safely(emir_path)
    assert tree.getroot().sourceline == 6
    assert tree.getroot().getprevious() is not None  # the leading comment


def test_validate_refuses_a_doctype_on_a_file_that_is_otherwise_valid(emir_bytes: bytes) -> None:
    # validate reads a valid file once, validating as it parses: the DOCTYPE is still refused.
    declaration, _, rest = emir_bytes.partition(b"\n")
    document = declaration + b"\n<!DOCTYPE Document>\n" + rest
    assert xml.validate(emir_bytes).ok
    started = time.monotonic()
    with pytest.raises(RenderError, match=r"^<bytes>: has a DOCTYPE"):
        xml.validate(document)
    for bomb in (BILLION_LAUGHS, QUADRATIC):
        with pytest.raises(RenderError, match="DOCTYPE"):
            xml.validate(bomb)
    assert time.monotonic() - started < 1.0
