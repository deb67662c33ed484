"""``regkit verify``: recompute an audit pack's checksums (and check its signature)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from regkit.reports import audit_pack

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """The ``verify`` command's parser."""
    verify = commands.add_parser(
        "verify",
        help="verify an audit pack's checksums (and signature)",
        description="Recompute every checksum of an audit pack and report each mismatch, "
        "missing and unexpected file, and any byte of the zip that belongs to no file of the "
        "pack. Says whether the pack is signed and whether the signature was checked (only "
        "with --public-key). Exit 0 when intact, 1 with the problems, 2 when it cannot be "
        "read.",
    )
    verify.add_argument("pack", type=Path, metavar="PACK.zip", help="the audit pack to check")
    verify.add_argument(
        "--public-key", type=Path, metavar="PEM", help="check the Ed25519 signature too"
    )
    verify.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List each problem of the pack, then the verdict."""
    key = args.public_key.read_bytes() if args.public_key is not None else None
    result = audit_pack.verify(args.pack, public_key=key)
    for line in result.lines():
        print(line, file=sys.stdout)
    # Say in words whether a signature was checked: "intact" alone reads as "from the
    # signer" to an auditor, which only a checked signature shows.
    verdict = result.summary(key_hint="--public-key")
    print(f"{args.pack}: {verdict} ({result.files} files)", file=sys.stdout)
    return 0 if result.ok else 1
