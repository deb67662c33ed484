"""Shared test set-up: hypothesis profiles and valid input data for every record kind.

Hypothesis profiles: ``ci`` (derandomized, 100 examples, no deadline) when the ``CI``
environment variable is set, ``dev`` (random, 50 examples) otherwise. Select one by hand
with ``pytest --hypothesis-profile=ci``.

The fixtures return fresh, valid *input* dicts (the shape a user passes to a record class
or puts in a file), so a test can change one field and see what the record makes of it.
The hypothesis strategies for whole records live in ``tests/property/strategies.py``;
that folder is put on ``sys.path`` here, so any test can ``from strategies import trades``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent / "property"))

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=100,
    deadline=None,
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

#: A real LEI (GLEIF's own), valid MOD 97-10.
FIRM_LEI = "5493001KJTIIGC8Y1R12"
#: The LEI of a second firm (an ARM), also valid.
ARM_LEI = "529900T8BM49AURSDO55"


@pytest.fixture
def instrument_data() -> dict[str, Any]:
    """A EUR/USD CFD, the most traded retail FX product."""
    return {
        "symbol": "EURUSD",
        "product": "cfd",
        "underlying_class": "fx_major",
        "base_currency": "EUR",
        "quote_currency": "USD",
    }


@pytest.fixture
def trade_data(instrument_data: dict[str, Any]) -> dict[str, Any]:
    """A client buy of 100,000 EUR/USD at 1.0850, executed at 09:30 Cyprus winter time."""
    return {
        "trade_id": "T1",
        "account_id": "A1",
        "instrument": instrument_data,
        "side": "buy",
        "quantity": "100000",
        "price": "1.0850",
        "executed_at": "2026-11-20T11:30:00+02:00",
    }


@pytest.fixture
def person_data() -> dict[str, Any]:
    """A natural person with two nationalities and a national id."""
    return {
        "kind": "person",
        "first_name": "Anna",
        "surname": "Müller",
        "date_of_birth": "1980-05-17",
        "nationalities": ["DE", "FR"],
        "national_ids": {"NIDN": "T22000129"},
        "residence_country": "DE",
    }


@pytest.fixture
def entity_data() -> dict[str, Any]:
    """A corporate client identified by its LEI."""
    return {"kind": "entity", "name": "Acme Trading GmbH", "lei": ARM_LEI, "country": "DE"}


@pytest.fixture
def kyc_data() -> dict[str, Any]:
    """Verified due diligence that lapses after two years."""
    return {
        "status": "verified",
        "verified_at": "2025-01-10T12:00:00Z",
        "expires_at": "2027-01-10T12:00:00Z",
        "risk_rating": "medium",
        "pep": False,
        "source_of_funds_verified": True,
    }


@pytest.fixture
def account_data(person_data: dict[str, Any], kyc_data: dict[str, Any]) -> dict[str, Any]:
    """A retail account of a person, opened in Cyprus, with KYC."""
    return {
        "account_id": "A1",
        "holder": person_data,
        "category": "retail",
        "branch_country": "CY",
        "base_currency": "EUR",
        "opened_at": "2025-01-10T09:00:00Z",
        "kyc": kyc_data,
    }


@pytest.fixture
def movement_data() -> dict[str, Any]:
    """A card deposit of 9,500 EUR."""
    return {
        "movement_id": "M1",
        "account_id": "A1",
        "kind": "deposit",
        "amount": "9500.00",
        "currency": "EUR",
        "at": "2026-11-20T10:00:00Z",
        "method": "card",
    }


@pytest.fixture
def snapshot_data() -> dict[str, Any]:
    """An end-of-day snapshot of an account in loss (equity below balance)."""
    return {
        "account_id": "A1",
        "at": "2026-11-20T22:00:00Z",
        "balance": "10000.00",
        "equity": "-250.50",
        "currency": "EUR",
        "margin_required": "3616.67",
        "open_positions": 2,
    }


@pytest.fixture
def firm_data() -> dict[str, Any]:
    """A Cyprus investment firm that reports itself."""
    return {"lei": FIRM_LEI, "name": "Example Markets Ltd", "country": "CY"}
