"""Account holders and their due diligence: NaturalPerson, LegalEntity, Kyc."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from regkit.schemas.base import Record, RowCheck
from regkit.schemas.enums import CounterpartyNature, KycStatus, RiskRating
from regkit.schemas.identifiers import sector_problem
from regkit.schemas.types import CountryCode, Flag, IsoDate, Lei, SectorCode, Text, UtcDatetime

__all__ = ["Holder", "Kyc", "LegalEntity", "NaturalPerson"]


class NaturalPerson(Record):
    """A client who is a person: what RTS 22 fields 7-15 and the AML checks need.

    Example:
        >>> p = NaturalPerson(first_name="Anna", surname="Müller", nationalities=["de"])
        >>> p.nationalities
        ('DE',)
    """

    kind: Literal["person"] = "person"
    """Discriminator of the holder union."""
    first_name: Text
    """First name(s) as on the identity document (RTS 22 fields 9/18)."""
    surname: Text
    """Surname(s) as on the identity document (RTS 22 fields 10/19)."""
    date_of_birth: IsoDate | None = None
    """Date of birth (RTS 22 fields 11/20; part of the CONCAT identifier)."""
    nationalities: Annotated[tuple[CountryCode, ...], Field(min_length=1)]
    """Every nationality (ISO 3166-1 alpha-2); RTS 22 Art. 6 picks the one to report."""
    national_ids: dict[str, Text] = Field(default_factory=dict)
    """Identifiers by scheme (``NIDN``, ``CCPT``) or by Annex II key (``PESEL``), no prefix."""
    residence_country: CountryCode | None = None
    """Country of residence (AML high-risk country checks)."""

    @field_validator("kind", mode="before")
    @classmethod
    def _fold_kind(cls, value: Any) -> Any:
        return _fold(value)

    def __hash__(self) -> int:
        # Frozen records hash by value; the identifiers are a mapping, hashed as its items.
        return hash(
            (
                type(self),
                self.first_name,
                self.surname,
                self.date_of_birth,
                self.nationalities,
                frozenset(self.national_ids.items()),
                self.residence_country,
            )
        )

    @field_validator("national_ids", mode="after")
    @classmethod
    def _upper_schemes(cls, value: dict[str, str]) -> dict[str, str]:
        upper = {scheme.strip().upper(): number for scheme, number in value.items()}
        if len(upper) != len(value):  # "nidn" and "NIDN": keeping one would drop the other
            raise ValueError("a national id scheme is listed twice (in another letter case)")
        return upper

    @field_validator("nationalities", mode="after")
    @classmethod
    def _no_repeats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a nationality is listed twice")
        return value


class LegalEntity(Record):
    """A client that is a legal entity, identified by its LEI (RTS 22 field 7/16).

    Its EMIR standing feeds counterparty 2 of a REFIT report (Table 1 fields 1.11-1.14):
    ``nature``, ``sector``, ``above_clearing_threshold`` and ``reporting_obligation``, all
    optional. A sector must fit the nature (:func:`~regkit.schemas.identifiers.sector_problem`):
    a financial sector code for ``F``, a NACE section letter for ``N``, none for ``C``/``O``.

    Examples:
        >>> e = LegalEntity(name="Alpha Capital Ltd", nature="f", sector="invf")
        >>> e.nature, e.sector
        (<CounterpartyNature.F: 'F'>, 'INVF')
        >>> LegalEntity(name="Beta Foods GmbH", nature="N", sector="C").sector
        'C'
    """

    row_checks = (RowCheck(("nature", "sector", "above_clearing_threshold"), sector_problem),)

    kind: Literal["entity"] = "entity"
    """Discriminator of the holder union."""
    name: Text
    """Registered name."""
    lei: Lei | None = None
    """ISO 17442 LEI; ``None`` where the client has none (a KYC finding, not a load error)."""
    country: CountryCode | None = None
    """Country of registration."""
    nature: CounterpartyNature | None = None
    """EMIR nature (REFIT 1.11 for a client): F financial, N non-financial, C central
    counterparty, O other (EMIR-VR-1011-01)."""
    sector: SectorCode | None = None
    """Corporate sector (REFIT 1.12): a financial sector code (INVF, CDTI, INUN, UCIT, ORPI,
    AIFD, CSDS) for nature F, a NACE section letter A-U for N, none for C and O
    (EMIR-VR-1012-01..03)."""
    above_clearing_threshold: Flag | None = None
    """Above the EMIR clearing threshold (REFIT 1.13; Arts. 4a(3), 10(3) EMIR); none for C
    and O (EMIR-VR-1013-02)."""
    reporting_obligation: Flag | None = None
    """Whether the entity itself has the EMIR reporting obligation (REFIT 1.14,
    EMIR-VR-1014-01), whoever reports for it."""

    @field_validator("kind", mode="before")
    @classmethod
    def _fold_kind(cls, value: Any) -> Any:
        return _fold(value)


def _fold(kind: Any) -> Any:
    # The discriminator reads ``kind`` in any case ("Person"); the literal must agree.
    return kind.strip().lower() if isinstance(kind, str) else kind


def _holder_kind(value: Any) -> str:
    # ``kind`` decides; a row that leaves it out is an entity when it has a ``name``.
    if isinstance(value, Mapping):
        kind = value.get("kind")
        if kind is None:
            return "entity" if "name" in value else "person"
        return str(kind).strip().lower()
    return str(getattr(value, "kind", "person"))


Holder = Annotated[
    Annotated[NaturalPerson, Tag("person")] | Annotated[LegalEntity, Tag("entity")],
    Discriminator(
        _holder_kind,
        custom_error_type="holder_kind",
        custom_error_message="holder.kind must be 'person' or 'entity'",
    ),
]
"""An account holder: a person or an entity, told apart by ``kind``."""


class Kyc(Record):
    """The state of customer due diligence on an account (AMLD Arts. 13, 18a)."""

    status: KycStatus
    """verified, pending, rejected or expired."""
    verified_at: UtcDatetime | None = None
    """When the identity was last verified."""
    expires_at: UtcDatetime | None = None
    """When the verification lapses and must be renewed."""
    risk_rating: RiskRating | None = None
    """The firm's money-laundering risk rating."""
    pep: Flag = False
    """Politically exposed person (enhanced due diligence, AMLD Art. 20)."""
    source_of_funds_verified: Flag = False
    """Whether the source of funds has been established."""
    enhanced_due_diligence: Flag = False
    """Whether enhanced due diligence was carried out (AMLD Art. 18a for high-risk countries)."""

    @model_validator(mode="after")
    def _expiry_after_verification(self) -> Self:
        if (
            self.verified_at is not None
            and self.expires_at is not None
            and self.expires_at <= self.verified_at
        ):
            raise ValueError(
                f"expires_at {self.expires_at.isoformat()} must be after "
                f"verified_at {self.verified_at.isoformat()}"
            )
        return self
