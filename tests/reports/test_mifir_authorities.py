"""Per-authority file names of MiFIR transaction reports (regkit issue 16, item 5).

The table is ``regkit/reports/mifir/data/authorities.json``; the sources of each value are in
it and in docs/mifir.md, "Authorities: file names and envelopes". File names follow ESMA's
``{Sender}_DATTRA_{Recipient}_{Key1}_{Key2}`` (ESMA/2016/1521) with regkit's keys (creation
date, six-digit sequence) wherever an authority's own rule could not be confirmed.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regkit.errors import RenderError
from regkit.reports.mifir import file_name
from regkit.reports.mifir.authorities import (
    ATTRIBUTES,
    PLACEHOLDERS,
    Authority,
    authorities,
    authority_for,
    default_authority,
)
from regkit.schemas.firm import Firm

LEI = "5493001KJTIIGC8Y1R12"
ARM = "529900T8BM49AURSDO55"
AT = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def firm(country: str, **extra: str) -> Firm:
    return Firm(lei=LEI, name="Example Markets Ltd", country=country, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        # CySEC: unchanged from regkit's earlier names (the goldens keep their names).
        ("CY", f"{LEI}_DATTRA_CY_20261120_000001.xml"),
        ("DE", f"{LEI}_DATTRA_DE_20261120_000001.xml"),
        ("FR", f"{LEI}_DATTRA_FR_20261120_000001.xml"),
        ("GB", f"{LEI}_DATTRA_GB_20261120_000001.xml"),
        ("IE", f"{LEI}_DATTRA_IE_20261120_000001.xml"),
        ("MT", f"{LEI}_DATTRA_MT_20261120_000001.xml"),
    ],
)
def test_each_authority_names_a_fixed_firm_time_and_sequence(country: str, expected: str) -> None:
    assert file_name(firm(country), AT, 1) == expected


def test_the_table_covers_the_authorities_the_issue_names() -> None:
    assert {"CY", "DE", "FR", "GB", "IE", "MT"} <= set(authorities())


def test_the_sender_is_the_submitting_entity_and_the_recipient_the_competent_authority() -> None:
    # RTS 22 field 6: an ARM submits under its own LEI; a CY firm passported into MT reports
    # to whichever authority competent_authority names.
    name = file_name(firm("CY", submitting_entity_lei=ARM, competent_authority="MT"), AT, 12)
    assert name == f"{ARM}_DATTRA_MT_20261120_000012.xml"


def test_an_authority_not_in_the_table_falls_back_to_esma() -> None:
    assert "LU" not in authorities()
    assert file_name(firm("LU"), AT, 3) == f"{LEI}_DATTRA_LU_20261120_000003.xml"
    fallback = authority_for("LU")
    assert fallback.code == "ESMA"
    assert fallback.recipient_id == "LU"
    assert fallback.confirmed == frozenset()  # nothing about LU was researched


def test_a_bad_recipient_is_refused_by_name() -> None:
    with pytest.raises(RenderError, match="report recipient"):
        default_authority("l/u")


@pytest.mark.parametrize("sequence", [0, 1_000_000])
def test_a_sequence_beyond_six_digits_is_refused(sequence: int) -> None:
    with pytest.raises(RenderError, match="sequence"):
        file_name(firm("DE"), AT, sequence)


def test_a_name_that_is_not_a_plain_file_name_is_refused() -> None:
    with pytest.raises(RenderError, match="not ASCII"):
        authority_for("CY").file_name("../x", AT, 1)


def test_the_creation_date_is_the_utc_date() -> None:
    # 00:30 in Nicosia (UTC+2) on 21 November is still 20 November in UTC.
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 21, 0, 30, tzinfo=ZoneInfo("Asia/Nicosia"))
    assert file_name(firm("CY"), local, 1) == f"{LEI}_DATTRA_CY_20261120_000001.xml"


def test_the_table_loads_with_every_value_typed_and_sourced() -> None:
    for code, authority in authorities().items():
        assert isinstance(authority, Authority)
        assert authority.code == code
        assert len(code) == 2
        assert code.isupper()
        assert authority.envelope == "bizdata"
        assert authority.confirmed <= ATTRIBUTES
        assert authority.sources, f"{code}: no source"
        assert authority.notes, f"{code}: no note on what is assumed"
        assert authority.compression in (None, "gzip", "zip")


def test_the_package_data_lists_the_same_authorities() -> None:
    raw = (resources.files("regkit.reports.mifir") / "data" / "authorities.json").read_text(
        encoding="utf-8"
    )
    data = json.loads(raw)
    assert set(data["placeholders"]) == PLACEHOLDERS
    assert [entry["code"] for entry in data["authorities"]] == sorted(authorities())


def test_bafin_limits_are_the_published_ones() -> None:
    # BaFin, MVP Portal "Transaction reporting (Article 26 MiFIR)": at most 500,000 reports per
    # transmission; a manual upload is GZIP-compressed, at most 200 MB.
    bafin = authority_for("DE")
    assert (bafin.max_records, bafin.max_upload_megabytes, bafin.compression) == (
        500_000,
        200,
        "gzip",
    )
    assert {"max_records", "max_upload_megabytes", "compression"} <= bafin.confirmed
    assert not bafin.is_confirmed("file_name")


def test_no_file_name_pattern_is_claimed_as_confirmed() -> None:
    # None could be confirmed from a published document (docs/mifir.md says why per authority).
    assert not any(item.is_confirmed("file_name_pattern") for item in authorities().values())


AUTHORITY_CODES = sorted(authorities())
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
SEQUENCES = st.integers(min_value=1, max_value=999_999)


@given(code=st.sampled_from([*AUTHORITY_CODES, "LU", "NL"]), day=DATES, sequence=SEQUENCES)
def test_every_pattern_yields_a_plain_ascii_file_name(code: str, day: date, sequence: int) -> None:
    name = file_name(firm(code), datetime.combine(day, time(12), UTC), sequence)
    assert set(name) <= SAFE
    assert "/" not in name
    assert "\\" not in name
    assert not name.startswith(".")
    assert name.endswith(".xml")
    assert len(name) <= 255


@given(
    code=st.sampled_from(AUTHORITY_CODES),
    first=st.tuples(DATES, SEQUENCES),
    second=st.tuples(DATES, SEQUENCES),
)
def test_names_are_unique_and_stable(
    code: str, first: tuple[date, int], second: tuple[date, int]
) -> None:
    def name(key: tuple[date, int]) -> str:
        return file_name(firm(code), datetime.combine(key[0], time(9), UTC), key[1])

    assert name(first) == name(first)  # stable: same inputs, same name
    assert (name(first) == name(second)) == (first == second)  # unique per (date, sequence)
