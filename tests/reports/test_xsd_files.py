"""The shipped XSDs: unchanged (SHA256SUMS and SOURCES.md agree), registered, compiling."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from importlib.resources.abc import Traversable

import pytest
from lxml import etree

from regkit.errors import RenderError
from regkit.reports import xml

XSD = resources.files("regkit.reports") / "xsd"


def _shipped() -> dict[str, bytes]:
    """Every .xsd under the package's xsd folder, by path relative to it."""
    found: dict[str, bytes] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for item in folder.iterdir():
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif item.name.endswith(".xsd"):
                found[f"{prefix}{item.name}"] = item.read_bytes()

    walk(XSD, "")
    return found


def _sums() -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in (XSD / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    return sums


def test_every_shipped_xsd_matches_sha256sums() -> None:
    shipped = _shipped()
    sums = _sums()
    assert set(shipped) == set(sums)
    for name, content in shipped.items():
        assert hashlib.sha256(content).hexdigest() == sums[name], name


def test_sources_md_gives_each_file_its_sha256() -> None:
    sources = (XSD / "SOURCES.md").read_text(encoding="utf-8")
    for name, content in _shipped().items():
        rows = [
            line for line in sources.splitlines() if line.startswith(f"| {name.split('/')[-1]} ")
        ]
        assert len(rows) == 1, name
        digests = re.findall(r"\b[0-9a-f]{64}\b", rows[0])
        assert digests == [hashlib.sha256(content).hexdigest()], name


def test_the_esma_files_keep_their_swift_notice() -> None:
    for name, content in _shipped().items():
        if "ESMAUG" in name:
            assert b"SWIFT SCRL@2016. All rights reserved." in content, name
            assert b"Legal Notices" in content, name


def test_the_registry_names_every_shipped_file_by_namespace_and_root() -> None:
    shipped = _shipped()
    assert {info.file for info in xml.SCHEMAS.values()} == set(shipped)
    for name, info in xml.SCHEMAS.items():
        assert info.name == name
        tree = etree.fromstring(shipped[info.file])
        assert tree.get("targetNamespace") == info.namespace
        roots = {element.get("name") for element in tree.iterchildren(f"{{{xml._XSD_NS}}}element")}
        assert roots == {info.root}, name
        assert name in info.namespace


@pytest.mark.parametrize("name", sorted(xml.SCHEMAS))
def test_every_schema_compiles_once(name: str) -> None:
    compiled = xml.schema(name)
    assert compiled is xml.schema(name)
    assert compiled.info is xml.SCHEMAS[name]
    assert not compiled.overridden
    assert compiled.path.name == xml.SCHEMAS[name].file.split("/")[-1]
    assert compiled.sha256 == _sums()[xml.SCHEMAS[name].file]
    assert compiled.xmlschema.target_namespace == xml.SCHEMAS[name].namespace
    assert repr(compiled).startswith(f"<Schema {name} from ")


def test_an_unknown_schema_name_is_a_render_error() -> None:
    with pytest.raises(RenderError, match=r"unknown schema 'auth\.999'; known: auth\.016"):
        xml.schema("auth.999")
