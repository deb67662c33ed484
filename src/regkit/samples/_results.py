"""What the generator returns: planted violations, the set in memory, and the manifest
of the files it wrote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from regkit._version import __version__
from regkit.samples._config import PlantedKind, RecordKind, SampleConfig
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.cash import CashMovement
from regkit.schemas.firm import Firm
from regkit.schemas.instrument import Instrument
from regkit.schemas.io import FileFormat
from regkit.schemas.trade import Trade

__all__ = [
    "Planted",
    "SampleFile",
    "SampleManifest",
    "SampleSet",
]


@dataclass(frozen=True)
class Planted:
    """One planted violation and where to find it.

    Attributes:
        kind: which violation (see :data:`~regkit.samples.PLANTED_KINDS`).
        record_kind: the kind of record it is in, a name of
            :data:`regkit.schemas.kinds.KINDS` (trade, account, movement or snapshot).
        keys: the keys of the records involved: trade ids, an account id, movement ids, or
            an account id and the snapshot time (ISO 8601 ending in ``Z``).
        detail: what is wrong, in words.
    """

    kind: PlantedKind
    record_kind: RecordKind
    keys: tuple[str, ...]
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values."""
        return {
            "kind": self.kind,
            "record_kind": self.record_kind,
            "keys": list(self.keys),
            "detail": self.detail,
        }


@dataclass
class SampleSet:
    """A whole generated brokerage, in memory (small sizes; :func:`regkit.samples.write_samples`).

    Attributes:
        config: what was asked for.
        firm: the reporting firm.
        instruments: every instrument the firm offers.
        accounts: client accounts.
        trades: trades, in execution order.
        movements: cash movements, by account and time.
        snapshots: end-of-day account snapshots, by account and day.
        planted: the planted violations.
    """

    config: SampleConfig
    firm: Firm
    instruments: list[Instrument]
    accounts: list[Account]
    trades: list[Trade]
    movements: list[CashMovement]
    snapshots: list[AccountSnapshot]
    planted: list[Planted]

    def planted_of(self, kind: PlantedKind) -> list[Planted]:
        """The planted violations of one kind."""
        return [item for item in self.planted if item.kind == kind]


@dataclass(frozen=True)
class SampleFile:
    """One file :func:`~regkit.samples.write_samples` wrote.

    Attributes:
        name: the file name inside the output directory.
        records: records (or JSON objects) in it.
        bytes: its size.
        sha256: the SHA-256 of its content, in hex.
    """

    name: str
    records: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class SampleManifest:
    """What :func:`regkit.samples.write_samples` wrote; ``manifest.json`` holds it, paths left out.

    Attributes:
        out_dir: the output directory.
        config: the configuration the set was generated from.
        format: the format of the record files.
        files: every file but ``manifest.json``, in writing order.
        counts: records per kind (firm, accounts, trades, movements, snapshots, planted).
        planted: planted violations per kind.
    """

    out_dir: Path
    config: SampleConfig
    format: FileFormat
    files: tuple[SampleFile, ...]
    counts: Mapping[str, int]
    planted: Mapping[str, int]

    def path(self, name: str) -> Path:
        """The path of one of the files, e.g. ``manifest.path("trades.parquet")``."""
        return self.out_dir / name

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON-ready values (no path, so that it is the same anywhere)."""
        return {
            # The name the manifests have always carried: the sample files stay byte for byte.
            "generator": "regkit.schemas.samples",
            "regkit_version": __version__,
            "seed": self.config.seed,
            "format": self.format,
            "config": self.config.to_dict(),
            "counts": dict(self.counts),
            "planted": dict(self.planted),
            "files": [asdict(item) for item in self.files],
        }
