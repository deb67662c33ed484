"""``regkit report NAME``: regulator report files from record files, one subcommand per
report of :data:`regkit.reports.registry.REPORTS`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from regkit import jobs
from regkit.cli._common import as_of
from regkit.cli._progress import Progress, add_quiet
from regkit.reports.registry import REPORTS, ReportOption, ReportType
from regkit.reports.values import Rendered

__all__ = ["add", "print_content_check", "print_plan", "print_rendered", "run"]


def add(commands: Any) -> None:
    """The ``report`` command's parser, with a subcommand per report."""
    report = commands.add_parser(
        "report",
        help="write regulator reports from record files",
        description="Write regulator report files from trades and accounts.",
    )
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    for kind in REPORTS.values():
        parser = kinds.add_parser(kind.name, help=kind.help, description=kind.description)
        _add_report_files(parser, kind)
        for option in kind.options:
            _add_option(parser, option)
        add_quiet(parser)
        parser.set_defaults(run=run)


def _add_report_files(parser: argparse.ArgumentParser, kind: ReportType) -> None:
    """The arguments every ``regkit report`` takes: inputs, the firm, and the files."""
    parser.add_argument(
        "--trades", type=Path, required=True, metavar="FILE", help="the trades to report"
    )
    parser.add_argument(
        "--accounts",
        type=Path,
        required=True,
        metavar="FILE",
        help="the accounts of those trades (the clients reported)",
    )
    parser.add_argument(
        "--firm", type=Path, required=True, metavar="FILE", help="firm.toml or firm.json"
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="the folder to write the files to"
    )
    parser.add_argument(
        "--created-at",
        type=as_of,
        metavar="TIME",
        help="the files' creation time, ISO 8601 with a zone (default: now)",
    )
    parser.add_argument("--max-records", type=int, metavar="N", help=kind.max_records_help)
    parser.add_argument(
        "--first-sequence", type=int, default=1, metavar="N", help="the first file's number"
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="skip schema validation (faster)"
    )
    parser.add_argument(
        "--store",
        metavar="URL",
        help="number the files from the store's submissions ledger and record each file and "
        "record in it (a SQLAlchemy URL or a SQLite file)",
    )
    parser.add_argument(
        "--resubmit",
        action="store_true",
        help="with --store: write only what the ledger calls for sending again: rejected "
        "reports whose data is fixed, corrections of accepted ones whose data changed, and "
        "the cancellations named with --cancel",
    )


def _add_option(parser: argparse.ArgumentParser, option: ReportOption) -> None:
    """A report's own option, as its declaration says."""
    settings: dict[str, Any] = {"help": option.help}
    if option.metavar is not None:
        settings["metavar"] = option.metavar
    if option.kind == "flag":
        settings["action"] = "store_false" if option.default is True else "store_true"
        settings["dest"] = option.name
    elif option.kind == "texts":
        settings |= {"action": "append", "default": []}
    elif option.kind in ("file", "records"):
        settings["type"] = Path
    else:
        if option.default is not None:
            settings["default"] = option.default
        if option.choices:
            settings["choices"] = option.choices
    parser.add_argument(option.flag, **settings)


def run(args: argparse.Namespace) -> int:
    """Write the files of the report asked for and list them."""
    kind = REPORTS[args.report]
    options = {option.name: getattr(args, option.name) for option in kind.options}
    with Progress(f"report {kind.name}", quiet=args.quiet) as progress:
        files = jobs.report(
            kind.name,
            trades=args.trades,
            accounts=args.accounts,
            firm=args.firm,
            out=args.out,
            created_at=args.created_at,
            max_records=args.max_records,
            first_sequence=args.first_sequence,
            validate=not args.no_validate,
            progress=progress,
            store=args.store,
            resubmit=args.resubmit,
            **options,
        )
    print_rendered(files, "reported")
    if isinstance(files, jobs.Resubmitted):
        print_plan(files.plan)
    return 0


def print_plan(plan: jobs.Resubmission) -> None:
    """What a resubmission sent, and what it could not."""
    actions: dict[str, int] = {}
    for action, _ in plan.send.values():
        actions[action] = actions.get(action, 0) + 1
    sent = ", ".join(f"{count:,} {action}" for action, count in sorted(actions.items()))
    print(
        f"resubmitted: {sent or 'no report'}; {len(plan.cancel):,} cancellation(s)", file=sys.stdout
    )
    for reference, trade_id in plan.unchanged:
        print(
            f"  still as rejected (fix its data first): {reference} (trade {trade_id})",
            file=sys.stdout,
        )
    for reference, trade_id, action in plan.by_hand:
        print(f"  rejected {action}, sent with `regkit report emir --action {action}`: "
              f"{reference} (trade {trade_id or 'unknown'})", file=sys.stdout)  # fmt: skip
    for reference, trade_id in plan.missing:
        print(
            f"  rejected, its trade not among the trades given: {reference} "
            f"(trade {trade_id or 'unknown'})",
            file=sys.stdout,
        )


def print_rendered(files: Rendered, verb: str) -> None:
    """The files written, then what was reported and why the rest was not."""
    for path in files:
        print(f"{path}", file=sys.stdout)
    cancelled = f"{files.cancelled:,} cancelled, " if files.cancelled else ""
    before = [item for item in files.skipped if item.reason.startswith(_BEFORE)]
    other = [item for item in files.skipped if not item.reason.startswith(_BEFORE)]
    held = f"{len(before):,} reported before (the ledger), " if before else ""
    print(
        f"{files.reported:,} {verb}, {cancelled}{held}{len(other):,} not reportable, "
        f"in {len(files)} file(s)",
        file=sys.stdout,
    )
    reasons: dict[str, list[str]] = {}
    for item in files.skipped:
        reasons.setdefault(item.reason, []).append(item.key)
    for reason, keys in reasons.items():
        shown = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
        label = "left out" if reason.startswith(_BEFORE) else "not reportable"
        print(f"  {label}: {len(keys):,} trade(s) ({shown}): {reason}", file=sys.stdout)
    print_content_check(files)


#: How the ledger's reason for leaving a trade out begins (regkit.jobs._ledger).
_BEFORE = "reported already in "


def print_content_check(files: Rendered) -> None:
    """What the pre-submission check found: the pack, the count, every failure."""
    check = files.content_check
    if check is None:
        return
    print(
        f"checked against {check.policy_id} {check.policy_version} ({check.rules} rules): "
        f"{check.passed:,} of {check.checked:,} report(s) pass"
        + (f", {len(check.withheld):,} not written" if check.withheld else ""),
        file=sys.stdout,
    )
    for failure in check.failures:
        print(f"  {failure}", file=sys.stdout)
