"""``regkit check``: check record files against a policy and write every finding."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Final

from regkit import jobs
from regkit.cli._common import (
    UsageError,
    add_record_files,
    as_of,
    file_flags,
    positive,
    print_record_errors,
    severity,
)
from regkit.cli._findings import add_findings_output, findings_format, write_findings
from regkit.cli._progress import Progress, add_quiet
from regkit.rules.findings import CheckResult, Severity
from regkit.rules.policy import builtin_policies, load_policy
from regkit.schemas.kinds import KINDS

__all__ = ["add", "run"]


def add(commands: Any) -> None:
    """The ``check`` command's parser."""
    check = commands.add_parser(
        "check",
        help="check record files against a policy",
        description="Check trades, accounts, movements and snapshots against a policy and "
        "write every finding. Exit 1 when a finding reaches --fail-on.",
    )
    packs = ", ".join(builtin_policies()) or "none yet"
    check.add_argument(
        "--policy",
        required=True,
        metavar="POLICY",
        help=f"a policy file, or the name of a built-in pack: {packs}",
    )
    check.add_argument(
        "--parameters",
        type=Path,
        metavar="FILE",
        help="a YAML file of parameter overrides (the firm's own limits)",
    )
    add_record_files(check)
    check.add_argument(
        "--engine",
        choices=("auto", "python", "polars"),
        default="auto",
        help="the rule engine; both find the same findings (default: auto, polars for files)",
    )
    check.add_argument(
        "--as-of",
        type=as_of,
        metavar="TIME",
        help="the time rules read as as_of, ISO 8601 with a zone (default: now)",
    )
    add_findings_output(check)
    severities = ", ".join(item.value for item in Severity)
    check.add_argument(
        "--fail-on",
        default="info",
        type=severity,
        metavar="SEVERITY",
        help=f"exit 1 when a finding is at least this severe: {severities} "
        "(default: info, any finding)",
    )
    check.add_argument(
        "--max-findings-per-rule",
        type=positive,
        metavar="N",
        help="keep the first N findings of each rule and count the rest exactly (for a rule "
        "that fires on most records); default: keep every finding",
    )
    _add_store_options(check)
    add_quiet(check)
    check.set_defaults(run=run)


def _add_store_options(check: Any) -> None:
    """``--store`` and the options of recording a run."""
    check.add_argument(
        "--store",
        nargs="?",
        const="",
        metavar="URL",
        help="record the run in a history store and say which findings are new, seen again "
        "or gone (a SQLAlchemy URL or a SQLite file; with no value: $REGKIT_STORE, else "
        "./regkit.db); new findings of --cases-from or more open cases; MIFIR-LATE and "
        "EMIR-LATE skip the trades its submissions ledger holds a report of",
    )
    check.add_argument(
        "--cases-from",
        type=severity,
        default="high",
        metavar="SEVERITY",
        help="with --store: the lowest severity of a new finding that opens a case (default: high)",
    )
    check.add_argument("--by", metavar="NAME", help="with --store: who the cases' events name")
    check.add_argument(
        "--keep-inputs",
        action="store_true",
        help="with --store: keep a copy of each record file in the store's folder of inputs "
        "(beside a SQLite store, or --inputs-dir), not only its fingerprint",
    )
    check.add_argument(
        "--inputs-dir",
        metavar="DIR",
        help="with --keep-inputs: where the copies go, a folder or an object-store URL "
        "(s3://bucket/prefix; needs the 'objectstore' extra)",
    )


def run(args: argparse.Namespace) -> int:
    """Check the files given; exit 1 when a finding reaches ``--fail-on``."""
    output = findings_format(args.out, args.format)  # refused before any file is read
    policy = load_policy(args.policy, parameters=args.parameters)
    if args.store is not None:  # MIFIR-LATE and EMIR-LATE: the trades the ledger holds
        policy = jobs.with_reported(policy, store=args.store or None)
    files = {kind.plural: getattr(args, kind.plural) for kind in KINDS.values()}
    if all(path is None for path in files.values()):
        raise UsageError(f"give at least one of {file_flags()}")
    try:
        with Progress("check", quiet=args.quiet) as progress:

            def checking(what: str, done: int, total: int) -> None:
                progress(f"checking {what}" if total else what, done, total)

            result = jobs.check_files(
                policy,
                engine=args.engine,
                as_of=args.as_of,
                progress=checking,
                max_findings_per_rule=args.max_findings_per_rule,
                **files,
            )
    except jobs.JobError as exc:
        if not exc.record_errors:
            raise
        errors = exc.record_errors
        print_record_errors("check", errors)
        more = f" ({len(errors) - 20} more not shown)" if len(errors) > 20 else ""
        print(f"regkit check: {len(errors)} input errors{more}; nothing checked", file=sys.stderr)
        return 2
    warn_of_floods(result, capped=args.max_findings_per_rule is not None)
    write_findings(result, args.out, output)
    if args.store is not None:
        _record(args, result, files)
    return 0 if result.is_compliant(args.fail_on) else 1


def _record(args: argparse.Namespace, result: CheckResult, files: dict[str, Any]) -> None:
    """Keep the run in the store; say on stderr what it found new, again and gone."""
    with Progress("check", quiet=args.quiet) as progress:
        recorded = jobs.record_check(
            result, files, store=args.store or None, by=args.by,
            cases_from=str(args.cases_from), progress=progress,
            keep_inputs=args.keep_inputs, inputs_dir=args.inputs_dir,
        )  # fmt: skip
    again = "" if recorded.created else " (recorded before)"
    print(
        f"regkit check: run {recorded.run_id[:12]}{again}: {recorded.new} new, "
        f"{recorded.seen} seen again, {recorded.gone} gone; {recorded.cases_opened} cases "
        f"opened, {recorded.cases_joined} joined",
        file=sys.stderr,
    )


#: A rule is said to flood a run when it fires on more than this share of its kind's
#: records, and at least :data:`_FLOOD_FINDINGS` times.
_FLOOD_SHARE: Final = 0.5
_FLOOD_FINDINGS: Final = 1_000


def warn_of_floods(result: CheckResult, *, capped: bool) -> None:
    """Say on stderr which rules fired on most of the records they read: usually an input
    or a parameter is missing (a lateness rule without the reports it compares with)."""
    for rule_id, count, checked, kind in _floods(result):
        advice = "" if capped else "; --max-findings-per-rule N keeps the first N of each rule"
        print(
            f"regkit check: {rule_id} fired on {count:,} of {checked:,} {kind}s "
            f"({count / checked:.0%}): is an input or a parameter missing?{advice}",
            file=sys.stderr,
        )


def _floods(result: CheckResult) -> list[tuple[str, int, int, str]]:
    """The rules that flood the run: id, findings, records of their kind, the kind."""
    kinds = {rule_id: kind for rule_id, _, kind in result.tally()}
    found: list[tuple[str, int, int, str]] = []
    for rule_id, count in result.counts_by_rule.items():
        kind = kinds.get(rule_id, "")
        checked = result.records_checked.get(kind, 0)
        if checked and count >= _FLOOD_FINDINGS and count > _FLOOD_SHARE * checked:
            found.append((rule_id, count, checked, kind))
    return found
