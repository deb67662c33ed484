"""The reporting investment firm's own settings: Firm."""

from __future__ import annotations

from pydantic import Field

from regkit.schemas.base import Record
from regkit.schemas.party import NaturalPerson
from regkit.schemas.types import CountryCode, Flag, Lei, Text

__all__ = ["Firm"]


class Firm(Record):
    """The investment firm that runs regkit and reports (RTS 22 fields 4-6).

    Examples:
        >>> f = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> f.reporting_lei, f.report_recipient
        ('5493001KJTIIGC8Y1R12', 'CY')
    """

    lei: Lei
    """The firm's own LEI: executing entity (RTS 22 field 4) and counterparty in trades."""
    name: Text
    """Registered name."""
    country: CountryCode
    """Country of the home competent authority."""
    submitting_entity_lei: Lei | None = None
    """LEI of the ARM that submits the reports, or ``None`` when the firm submits itself."""
    competent_authority: CountryCode | None = None
    """Country code of the report's recipient; ``None`` means the home country."""
    investment_firm: Flag = True
    """Whether the executing entity is an investment firm under MiFID II (RTS 22 field 5)."""
    traders: dict[Text, NaturalPerson] = Field(default_factory=dict)
    """The people behind the trader ids that trades carry in ``execution_decision`` and
    ``investment_decision`` (``{"TRD007": NaturalPerson(...)}``): RTS 22 fields 57 and 59
    identify them by their national identifier, as clients are."""

    @property
    def reporting_lei(self) -> str:
        """The submitting entity's LEI (RTS 22 field 6): the ARM's, else the firm's own."""
        return self.submitting_entity_lei or self.lei

    @property
    def report_recipient(self) -> str:
        """The competent authority's country code."""
        return self.competent_authority or self.country
