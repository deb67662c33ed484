"""Shared data for the regulator-file tests: the synthetic samples and a file builder.

The samples in ``data/`` are copies of the synthetic MiFIR and EMIR files written for regkit
(not ESMA or FCA samples); they are valid against the shipped XSDs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
MIFIR_SAMPLE = DATA / "mifir_auth016_new_equity_cfd_minimal.xml"
EMIR_SAMPLE = DATA / "emir_auth030_new_fx_forward_minimal.xml"


@pytest.fixture(autouse=True)
def _no_xsd_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the shipped XSDs unless they set REGKIT_XSD_DIR themselves."""
    monkeypatch.delenv("REGKIT_XSD_DIR", raising=False)


@pytest.fixture
def mifir_path() -> Path:
    """A valid MiFIR file: auth.016 (one New, an equity CFD) in a BizData envelope."""
    return MIFIR_SAMPLE


@pytest.fixture
def emir_path() -> Path:
    """A valid EMIR REFIT file: auth.030 (one New, an FX forward), no envelope."""
    return EMIR_SAMPLE


@pytest.fixture
def mifir_bytes() -> bytes:
    return MIFIR_SAMPLE.read_bytes()


@pytest.fixture
def emir_bytes() -> bytes:
    return EMIR_SAMPLE.read_bytes()
