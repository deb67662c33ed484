"""Client accounts and their point-in-time state: Account, AccountSnapshot."""

from __future__ import annotations

from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from regkit.schemas.base import Record, RowCheck
from regkit.schemas.enums import ClientCategory
from regkit.schemas.party import Holder, Kyc
from regkit.schemas.types import (
    AgreementName,
    AgreementYear,
    CountryCode,
    CurrencyCode,
    Flag,
    MasterAgreementType,
    Money,
    NonNegativeDecimal,
    PortfolioCode,
    Text,
    UtcDatetime,
    WholeNumber,
)

__all__ = ["Account", "AccountSnapshot", "AgreementTerms"]


def collateral_problem(collateral_portfolio: bool | None, has_code: bool) -> str | None:
    """What is wrong with a collateral portfolio indicator and code together, or ``None``:
    the code (REFIT 2.27) is given exactly when collateral is on a portfolio basis (REFIT
    2.26 true), as EMIR-VR-2027-01 requires.

    Examples:
        >>> collateral_problem(True, True) is None
        True
        >>> collateral_problem(False, True)
        'collateral_portfolio_code: only when collateral_portfolio is true (EMIR-VR-2027-01)'
    """
    if has_code and collateral_portfolio is not True:
        return "collateral_portfolio_code: only when collateral_portfolio is true (EMIR-VR-2027-01)"
    if collateral_portfolio is True and not has_code:
        return "collateral_portfolio true needs a collateral_portfolio_code (EMIR-VR-2027-01)"
    return None


_COLLATERAL = RowCheck(
    ("collateral_portfolio",), collateral_problem, presence=("collateral_portfolio_code",)
)


def agreement_name_problem(kind: str | None, name: str | None) -> str | None:
    """What is wrong with a master agreement's name (REFIT 2.35), or ``None``: it is given
    only with the type OTHR (ESMA74-362-2683 EMIR-VR-2035-01), which it names.

    Examples:
        >>> agreement_name_problem("ISDA", "Client Terms 2024")
        'other_master_agreement_type is reported only with master_agreement_type OTHR (REFIT 2.35, EMIR-VR-2035-01), not ISDA'
    """  # noqa: E501
    if name is None or kind is None or kind == "OTHR":
        return None
    return (
        "other_master_agreement_type is reported only with master_agreement_type OTHR "
        f"(REFIT 2.35, EMIR-VR-2035-01), not {kind}"
    )


_AGREEMENT_NAME = RowCheck(
    ("master_agreement_type", "other_master_agreement_type"), agreement_name_problem
)


class AgreementTerms(Record):
    """The master agreement and collateral terms of a client's derivatives, for EMIR REFIT
    fields 2.26, 2.27, 2.34 and 2.36.

    The firm sets them for every client (:class:`~regkit.schemas.firm.Firm`); an account
    whose client signed other terms overrides them with its own block
    (:attr:`Account.agreement`), field by field (:meth:`Firm.agreement_for`).

    Examples:
        >>> AgreementTerms(master_agreement_type="isda", master_agreement_version="2002")
        AgreementTerms(master_agreement_type='ISDA', other_master_agreement_type=None, \
master_agreement_version=2002, collateral_portfolio=None, collateral_portfolio_code=None)
    """

    row_checks = (_COLLATERAL, _AGREEMENT_NAME)

    master_agreement_type: MasterAgreementType | None = None
    """Master agreement type (REFIT 2.34, EMIR-VR-2034-01): ISDA, CDEA, EUMA, FPCA, FMAT,
    DERV, CMOP, CHMA, IDMA, EFMA, GMRA, GMSL, BIAG (a bilateral agreement) or OTHR."""
    other_master_agreement_type: AgreementName | None = None
    """The agreement's name when its type is OTHR (REFIT 2.35, EMIR-VR-2035-01)."""
    master_agreement_version: AgreementYear | None = None
    """Master agreement version (REFIT 2.36): its year, 1900-2099 (EMIR-VR-2036-02);
    reported for every type but BIAG and OTHR (EMIR-VR-2036-01)."""
    collateral_portfolio: Flag | None = None
    """Collateral portfolio indicator (REFIT 2.26): true when collateral is margined on a
    portfolio basis, false per transaction."""
    collateral_portfolio_code: PortfolioCode | None = None
    """Collateral portfolio code (REFIT 2.27): 1-52 letters or digits, exactly when
    ``collateral_portfolio`` is true (EMIR-VR-2027-01)."""

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        # An empty block overrides nothing, and a flat row could not tell it from none.
        if all(getattr(self, name) is None for name in type(self).model_fields):
            raise ValueError("agreement terms: give at least one, or leave the block out")
        return self


class Account(Record):
    """A client trading account: who holds it, how they are categorised, their KYC.

    Example:
        >>> from regkit.schemas.party import NaturalPerson
        >>> acc = Account(
        ...     account_id="A1",
        ...     holder=NaturalPerson(first_name="Jan", surname="Novák", nationalities=["CZ"]),
        ...     category="retail",
        ... )
        >>> acc.category
        <ClientCategory.RETAIL: 'retail'>
    """

    key_fields: ClassVar[tuple[str, ...]] = ("account_id",)

    account_id: Text
    """The broker's account number; the key of the account."""
    holder: Holder
    """The client: a NaturalPerson (``kind: person``) or a LegalEntity (``kind: entity``)."""
    category: ClientCategory
    """MiFID II client category: retail, professional or eligible_counterparty."""
    branch_country: CountryCode | None = None
    """Country of the branch that serves the client (RTS 22 fields 8 and 17)."""
    base_currency: CurrencyCode | None = None
    """The account's currency."""
    opened_at: UtcDatetime | None = None
    """When the account was opened."""
    closed_at: UtcDatetime | None = None
    """When the account was closed, if it was."""
    kyc: Kyc | None = None
    """Customer due diligence status."""
    agreement: AgreementTerms | None = None
    """Master agreement and collateral terms of this client where they differ from the
    firm's (EMIR REFIT 2.26, 2.27, 2.34, 2.36); ``None``: the firm's apply."""

    @model_validator(mode="after")
    def _closed_after_opened(self) -> Self:
        if (
            self.opened_at is not None
            and self.closed_at is not None
            and self.closed_at <= self.opened_at
        ):
            raise ValueError(
                f"closed_at {self.closed_at.isoformat()} must be after "
                f"opened_at {self.opened_at.isoformat()}"
            )
        return self


class AccountSnapshot(Record):
    """An account's balance, equity and margin at one instant (margin close-out, NBP)."""

    key_fields: ClassVar[tuple[str, ...]] = ("account_id", "at")

    account_id: Text
    """The account the snapshot is of."""
    at: UtcDatetime
    """The instant of the snapshot."""
    balance: Money
    """Cash balance (may be negative)."""
    equity: Money
    """Balance plus unrealised profit and loss (may be negative)."""
    currency: CurrencyCode
    """Currency of balance, equity and margin."""
    margin_required: NonNegativeDecimal | None = None
    """Initial margin required for the open positions."""
    open_positions: Annotated[WholeNumber, Field(ge=0)] = 0
    """Number of open positions."""
