"""What pyproject.toml promises about the distribution is there."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_license_file_is_the_license_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    for name in project["license-files"]:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "Apache License" in text
        assert "Version 2.0, January 2004" in text
        assert "END OF TERMS AND CONDITIONS" in text


def test_the_changelog_is_the_docs_page() -> None:
    root = ROOT / "CHANGELOG.md"
    assert root.read_text(encoding="utf-8") == (ROOT / "docs" / "changelog.md").read_text(
        encoding="utf-8"
    )
    assert root.read_text(encoding="utf-8").startswith("# Changelog\n")
