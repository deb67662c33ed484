"""``regkit pack``: an audit pack of a period's check, its policy, the regulator files and
the inputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from regkit import jobs
from regkit.cli._common import UsageError, add_record_files, as_of, day, file_flags
from regkit.cli._progress import Progress, add_quiet
from regkit.reports import audit_pack
from regkit.reports.registry import REPORTS
from regkit.rules.policy import load_policy
from regkit.schemas.kinds import KINDS

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """The ``pack`` command's parser."""
    pack = commands.add_parser(
        "pack",
        help="build an audit pack: the check, its policy, the regulator files, the inputs",
        description="Check the records of a period (and/or an account) against a policy, "
        "render the regulator files asked for, and write everything as a deterministic, "
        "self-verifying BagIt zip with an HTML report. With --store, build the pack of a "
        "past period from the runs and cases a history store kept instead (nothing is "
        "checked again).",
    )
    pack.add_argument("--policy", help="a policy file or built-in name (needed without --store)")
    pack.add_argument(
        "--store",
        nargs="?",
        const="",
        metavar="URL",
        help="build the pack of the period from a history store's runs and cases (a "
        "SQLAlchemy URL or a SQLite file; with no value: $REGKIT_STORE, else ./regkit.db); "
        "the report gains the runs and a timeline per case",
    )
    pack.add_argument("--parameters", type=Path, metavar="FILE", help="parameter overrides")
    add_record_files(pack)
    pack.add_argument("--from", dest="start", type=day, metavar="DATE", help="first day")
    pack.add_argument("--to", dest="end", type=day, metavar="DATE", help="last day")
    pack.add_argument("--account", metavar="ID", help="only this account's records")
    pack.add_argument(
        "--with-reports",
        default="",
        metavar=",".join(REPORTS),
        help="render these regulator files of the period's trades into the pack",
    )
    pack.add_argument("--firm", type=Path, metavar="FILE", help="firm.toml or firm.json")
    pack.add_argument(
        "--inputs",
        choices=("records", "fingerprints"),
        default="records",
        help="put the input records in the pack, or only their fingerprints",
    )
    pack.add_argument("--as-of", type=as_of, help="the time rules read as as_of")
    pack.add_argument(
        "--created-at",
        type=as_of,
        help="the pack's date (default: now); with the same files and --as-of, the same "
        "--created-at gives the same pack, byte for byte",
    )
    pack.add_argument("--title", help="the report's title")
    pack.add_argument(
        "--sign",
        type=Path,
        metavar="KEY.pem",
        help="sign the pack with this Ed25519 private key (unencrypted PEM; needs the "
        "'sign' extra: pip install 'regkit-compliance[sign]')",
    )
    pack.add_argument(
        "--out", type=Path, required=True, metavar="PACK.zip", help="the audit pack to write"
    )
    add_quiet(pack)
    pack.set_defaults(run=run)


def _reports(args: argparse.Namespace) -> list[str]:
    """The reports of ``--with-reports``, each known, with what they need given."""
    reports = [name.strip() for name in args.with_reports.split(",") if name.strip()]
    unknown = sorted(set(reports) - set(REPORTS))
    if unknown:
        raise UsageError(f"--with-reports: unknown report(s) {', '.join(unknown)}")
    if reports and (args.firm is None or args.trades is None or args.accounts is None):
        raise UsageError("--with-reports needs --firm, --trades and --accounts")
    return reports


_NOT_WITH_STORE = ("policy", "parameters", "firm", "as_of", "with_reports")


def _from_store(args: argparse.Namespace, key: Any) -> int:
    """``pack --store``: the pack of a past period from the store's runs and cases."""
    given = [kind.plural for kind in KINDS.values() if getattr(args, kind.plural) is not None]
    given += [name for name in _NOT_WITH_STORE if getattr(args, name)]
    if given:
        shown = ", ".join("--" + name.replace("_", "-") for name in given)
        raise UsageError(f"--store builds the pack from the store's runs: drop {shown}")
    with Progress("pack", quiet=args.quiet) as progress:
        done = jobs.pack_from_store(
            out=args.out, store=args.store or None, start=args.start, end=args.end,
            account=args.account, created_at=args.created_at, title=args.title, sign=key,
            progress=progress,
        )  # fmt: skip
    counts = ", ".join(f"{count:,} {name}" for name, count in done.records.items())
    return _said(done, f"of the store's runs, which checked {counts or 'no records'}")


def _said(done: jobs.PackResult, what: str) -> int:
    """Say the pack's warnings on stderr and what went into it on stdout."""
    for warning in done.warnings:
        print(f"regkit pack: warning: {warning}", file=sys.stderr)
    signed = "; signed" if done.signed else ""
    print(f"{done.path}: {len(done.result.findings):,} findings {what}{signed}", file=sys.stdout)
    return 0


def run(args: argparse.Namespace) -> int:
    """Build the pack and say what went into it."""
    if args.start is not None and args.end is not None and args.end < args.start:
        raise UsageError(f"--to {args.end} is before --from {args.start}")
    if args.store is None and args.policy is None:
        raise UsageError("give --policy (or --store, to build the pack from a history store)")
    # Read the key first: a bad key should fail before minutes of checking.
    key = audit_pack.load_private_key(args.sign.read_bytes()) if args.sign else None
    if args.store is not None:
        return _from_store(args, key)
    reports = _reports(args)
    policy = load_policy(args.policy, parameters=args.parameters)
    files = {kind.plural: getattr(args, kind.plural) for kind in KINDS.values()}
    try:
        with Progress("pack", quiet=args.quiet) as progress:
            done = jobs.pack(
                policy,
                out=args.out,
                start=args.start,
                end=args.end,
                account=args.account,
                with_reports=reports,
                firm=args.firm,
                inputs=args.inputs,
                as_of=args.as_of,
                created_at=args.created_at,
                title=args.title,
                sign=key,
                progress=progress,
                **files,
            )
    except jobs.JobError:
        if all(path is None for path in files.values()):  # the job names no option
            raise UsageError(f"give at least one of {file_flags()}") from None
        raise
    counts = ", ".join(f"{count:,} {name}" for name, count in done.records.items())
    return _said(done, f"from {counts}; {len(done.regulator_files)} regulator file(s)")
