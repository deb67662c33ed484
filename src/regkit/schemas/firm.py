"""The reporting investment firm's own settings: Firm."""

from __future__ import annotations

from pydantic import Field

from regkit.schemas.account import _AGREEMENT_NAME, _COLLATERAL, Account, AgreementTerms
from regkit.schemas.base import Record
from regkit.schemas.party import NaturalPerson
from regkit.schemas.types import (
    AgreementName,
    AgreementYear,
    CountryCode,
    Flag,
    Lei,
    MasterAgreementType,
    PortfolioCode,
    Text,
)

__all__ = ["Firm"]


class Firm(Record):
    """The investment firm that runs regkit and reports (RTS 22 fields 4-6).

    Examples:
        >>> f = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> f.reporting_lei, f.report_recipient
        ('5493001KJTIIGC8Y1R12', 'CY')
    """

    row_checks = (_COLLATERAL, _AGREEMENT_NAME)

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
    above_clearing_threshold: Flag | None = None
    """Whether the firm is above the EMIR clearing threshold (REFIT 1.7 for counterparty 1,
    Arts. 4a(3) and 10(3) EMIR); a financial or non-financial counterparty must say
    (EMIR-VR-1007-01)."""
    master_agreement_type: MasterAgreementType | None = None
    """The master agreement type of the firm's client derivatives (REFIT 2.34,
    EMIR-VR-2034-01): ISDA, EUMA ... BIAG or OTHR; an account may override it."""
    other_master_agreement_type: AgreementName | None = None
    """That agreement's name when its type is OTHR (REFIT 2.35, EMIR-VR-2035-01)."""
    master_agreement_version: AgreementYear | None = None
    """The year of that master agreement (REFIT 2.36, EMIR-VR-2036-02)."""
    collateral_portfolio: Flag | None = None
    """Whether client collateral is margined on a portfolio basis (REFIT 2.26)."""
    collateral_portfolio_code: PortfolioCode | None = None
    """The portfolio's code (REFIT 2.27), exactly when ``collateral_portfolio`` is true
    (EMIR-VR-2027-01)."""

    @property
    def reporting_lei(self) -> str:
        """The submitting entity's LEI (RTS 22 field 6): the ARM's, else the firm's own."""
        return self.submitting_entity_lei or self.lei

    @property
    def report_recipient(self) -> str:
        """The competent authority's country code."""
        return self.competent_authority or self.country

    def agreement_for(self, account: Account | None = None) -> AgreementTerms:
        """The master agreement and collateral terms of an account's derivatives (each of
        them ``None`` where neither says): the account's own (:attr:`Account.agreement`)
        where it sets them, else the firm's.

        The master agreement type (with its name, for OTHR) and the version are taken field
        by field; the collateral
        portfolio indicator and code go together, from the account when it sets the
        indicator (a firm's portfolio code never lands on a client who is not in it).

        Examples:
            >>> f = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd",
            ...          country="CY", master_agreement_type="BIAG",
            ...          collateral_portfolio=True, collateral_portfolio_code="CLIENTS")
            >>> f.agreement_for().collateral_portfolio_code
            'CLIENTS'
        """
        own = account.agreement if account is not None else None
        if own is None:
            own = AgreementTerms.model_construct()
        collateral = own if own.collateral_portfolio is not None else self
        # The name goes with the type: an account's own type never takes the firm's name.
        named = own if own.master_agreement_type is not None else self
        return AgreementTerms.model_construct(
            master_agreement_type=named.master_agreement_type,
            other_master_agreement_type=named.other_master_agreement_type,
            master_agreement_version=own.master_agreement_version or self.master_agreement_version,
            collateral_portfolio=collateral.collateral_portfolio,
            collateral_portfolio_code=collateral.collateral_portfolio_code,
        )
