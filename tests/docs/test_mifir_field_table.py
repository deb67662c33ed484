"""docs/mifir.md's field table names every MifirReport field, under its RTS 22 number.

The table ("Field by field") has one row per field of Annex I, table 2 of Delegated
Regulation (EU) 2017/590 (RTS 22); its third column lists the ``MifirReport`` fields that
hold the row's field. Each ``MifirReport`` field's docstring starts with that number, so a
field added to the record without a row, or put under another number, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from regkit.schemas.mifir import MifirReport

PAGE = Path(__file__).resolve().parents[2] / "docs" / "mifir.md"
_NAME = re.compile(r"`([a-z_0-9]+)`")
_NUMBER = re.compile(r"(\d+)\s")


def _section(text: str, title: str) -> str:
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def table_rows() -> dict[str, str]:
    """Each MifirReport field the table names, with the row's number column."""
    rows: dict[str, str] = {}
    lines = _section(PAGE.read_text(encoding="utf-8"), "Field by field").splitlines()
    table = [line for line in lines if line.startswith("|")][2:]  # header and rule
    for line in table:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 6, f"a row of the field table needs 6 columns: {line}"
        for name in _NAME.findall(cells[2]):
            assert name not in rows, f"{name} is in two rows of the field table"
            rows[name] = cells[0]
    return rows


def rts22_number(field: str) -> str:
    """The RTS 22 field number a MifirReport field's docstring starts with, or ``—``."""
    doc = MifirReport.model_fields[field].description or ""
    match = _NUMBER.match(doc)
    return match.group(1) if match else "—"


def test_every_report_field_is_in_the_table() -> None:
    rows = table_rows()
    missing = sorted(set(MifirReport.model_fields) - set(rows))
    unknown = sorted(set(rows) - set(MifirReport.model_fields))
    assert not missing, f"MifirReport fields missing from docs/mifir.md's field table: {missing}"
    assert not unknown, f"docs/mifir.md's field table names no MifirReport field: {unknown}"


def test_each_field_is_under_its_rts22_number() -> None:
    rows = table_rows()
    wrong = {
        field: (rows[field], rts22_number(field))
        for field in MifirReport.model_fields
        if rows.get(field) != rts22_number(field)
    }
    assert not wrong, f"(row number, docstring number) differ: {wrong}"


def test_the_table_reads_the_docstring_numbers() -> None:
    # The check above relies on each docstring starting with its number, e.g. 31.
    assert rts22_number("quantity_currency") == "31"
    assert rts22_number("trade_id") == "—"
