"""``regkit runs``, ``regkit cases`` and ``regkit store``: the history store's runs, the
cases opened from findings, and the store itself (see :mod:`regkit.store`).

Each takes ``--store URL`` (a SQLAlchemy URL or a SQLite file; default: the
``REGKIT_STORE`` environment variable, else ``./regkit.db``); a change names who made it
with ``--by`` (default: the user running the command).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from regkit.cli._common import as_of, day, positive, severity

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported by the commands that use it
    from regkit.store import Case, RunSummary, Store

__all__ = ["add", "add_store_option"]

_STORE_HELP = (
    "the store: a SQLAlchemy URL or a SQLite file (default: $REGKIT_STORE, else ./regkit.db)"
)


def _open(url: str | None) -> Store:
    from regkit.store import open_store

    return open_store(url)


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store URL`` and ``--by NAME``."""
    parser.add_argument("--store", metavar="URL", help=_STORE_HELP)
    parser.add_argument(
        "--by", metavar="NAME", help="who makes the change (default: the user running this)"
    )


def add(commands: Any) -> None:
    """The ``runs``, ``cases`` and ``store`` commands' parsers."""
    _add_runs(commands)
    _add_cases(commands)
    _add_store(commands)


# --- runs ----------------------------------------------------------------------------------


def _command(commands: Any, name: str, text: str, description: str) -> Any:
    """A command of several actions (``regkit cases list``); its actions' parser group."""
    parser = commands.add_parser(name, help=text, description=description)
    return parser.add_subparsers(dest="action", metavar="ACTION", required=True)


def _add_runs(commands: Any) -> None:
    actions = _command(
        commands, "runs", "list the check runs a store keeps",
        "List the check runs recorded in a history store (regkit check --store), or show "
        "one: its policies, inputs, scope and counts.",
    )  # fmt: skip
    listed = actions.add_parser("list", help="every run, oldest first")
    add_store_option(listed)
    listed.set_defaults(run=_runs_list)
    shown = actions.add_parser("show", help="one run")
    shown.add_argument("run_id", metavar="RUN", help="a run's id, or a unique start of it")
    add_store_option(shown)
    shown.set_defaults(run=_runs_show)


def _runs_list(args: argparse.Namespace) -> int:
    with _open(args.store) as store:
        found = store.runs()
    rows = [
        [run.run_id[:12], _time(run.finished_at), ",".join(p[0] for p in run.policies),
         str(run.findings), str(run.new), str(run.seen), str(run.gone)]
        for run in found
    ]  # fmt: skip
    _table(["run", "finished", "policies", "findings", "new", "seen", "gone"], rows)
    return 0


def _runs_show(args: argparse.Namespace) -> int:
    with _open(args.store) as store:
        run = store.run(args.run_id)
    print(json.dumps(_run_data(run), indent=2, ensure_ascii=False))
    return 0


def _run_data(run: RunSummary) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
        "as_of": None if run.as_of is None else _time(run.as_of),
        "regkit_version": run.regkit_version,
        "policies": [{"id": p, "version": v, "sha256": h} for p, v, h in run.policies],
        "inputs": [
            {"name": n, "fingerprint": f, "records": r, "kept": k} for n, f, r, k in run.inputs
        ],
        "period": None if run.period is None else [d.isoformat() for d in run.period],
        "accounts": None if run.accounts is None else list(run.accounts),
        "findings": run.findings,
        "new": run.new,
        "seen": run.seen,
        "gone": run.gone,
    }


# --- cases ---------------------------------------------------------------------------------


def _add_cases(commands: Any) -> None:
    actions = _command(
        commands, "cases", "list and work the cases opened from findings",
        "The cases a history store opened from new findings: list them with filters, show "
        "one with its findings and history, and change them (assign, note, status, close, "
        "reopen, snooze, due). Every change is kept as an event.",
    )  # fmt: skip
    _add_cases_list(actions)
    _case_parser(actions, "show", "one case, its findings and every event", _show)
    assign = _case_parser(actions, "assign", "give a case to someone", _assign)
    assign.add_argument("assignee", metavar="NAME", help="who works the case")
    note = _case_parser(actions, "note", "add a note", _note)
    note.add_argument("text", metavar="TEXT", help="the note")
    status = _case_parser(actions, "status", "move a case (investigating, escalated, open)",
                          _status)  # fmt: skip
    status.add_argument("status", metavar="STATUS", help="investigating, escalated or open")
    status.add_argument("--note", metavar="TEXT", help="why")
    close = _case_parser(actions, "close", "close a case with a resolution", _close)
    close.add_argument("--resolution", required=True, metavar="RESOLUTION",
                       help="breach_confirmed, false_positive or remediated")  # fmt: skip
    close.add_argument("--note", metavar="TEXT", help="why")
    reopen = _case_parser(actions, "reopen", "open a closed case again", _reopen)
    reopen.add_argument("--note", metavar="TEXT", help="why")
    snooze = _case_parser(actions, "snooze", "hide a case until a time", _snooze)
    until = snooze.add_mutually_exclusive_group(required=True)
    until.add_argument("--until", type=as_of, metavar="TIME", help="ISO 8601 with a zone")
    until.add_argument("--days", type=positive, metavar="N", help="for N days from now")
    snooze.add_argument("--note", metavar="TEXT", help="why")
    due = _case_parser(actions, "due", "set the day a case is due", _due)
    due.add_argument("day", type=day, metavar="DAY", help="YYYY-MM-DD")


def _case_parser(
    actions: Any, name: str, text: str, run: Callable[[argparse.Namespace], int]
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=text, description=text)
    parser.add_argument("case_id", type=positive, metavar="CASE", help="the case's number")
    add_store_option(parser)
    parser.set_defaults(run=run)
    return parser


def _add_cases_list(actions: Any) -> None:
    listed = actions.add_parser("list", help="the cases that match every filter given",
                                description="The cases that match every filter given, "
                                "oldest first (default: every case not closed).")  # fmt: skip
    listed.add_argument("--status", action="append", metavar="STATUS",
                        help="open, investigating, escalated or closed (again for several; "
                        "default: all but closed)")  # fmt: skip
    listed.add_argument("--rule", metavar="RULE", help="a rule id")
    listed.add_argument("--account", metavar="ID", help="an account id")
    listed.add_argument("--severity", type=severity, metavar="SEVERITY",
                        help="the lowest severity wanted")  # fmt: skip
    listed.add_argument("--older-than", type=positive, metavar="DAYS",
                        help="only cases open longer than this many days")  # fmt: skip
    listed.add_argument("--awake", action="store_true", help="leave out snoozed cases")
    listed.add_argument("--format", choices=("table", "json", "csv"), default="table",
                        help="how the list is printed (default: table)")  # fmt: skip
    add_store_option(listed)
    listed.set_defaults(run=_list)


_CASE_COLUMNS = ["case", "status", "severity", "rule", "group", "account", "assignee",
                 "opened", "due", "snoozed_until", "resolution"]  # fmt: skip


def _case_row(case: Case) -> list[str]:
    return [str(case.case_id), case.status, case.severity, case.rule_id,
            ",".join(str(v) for v in case.group), case.account_id or "", case.assignee or "",
            _time(case.opened_at), "" if case.due_on is None else case.due_on.isoformat(),
            "" if case.snoozed_until is None else _time(case.snoozed_until),
            case.resolution or ""]  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    older = None if args.older_than is None else timedelta(days=args.older_than)
    with _open(args.store) as store:
        found = store.cases(
            status=args.status, rule=args.rule, account=args.account, severity=args.severity,
            older_than=older, snoozed=not args.awake,
        )  # fmt: skip
    rows = [_case_row(case) for case in found]
    if args.format == "json":
        print(json.dumps([dict(zip(_CASE_COLUMNS, row, strict=True)) for row in rows],
                         indent=2, ensure_ascii=False))  # fmt: skip
    elif args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerows([_CASE_COLUMNS, *rows])
    else:
        _table(_CASE_COLUMNS, rows)
    return 0


def _show(args: argparse.Namespace) -> int:
    with _open(args.store) as store:
        case = store.case(args.case_id)
    data: dict[str, Any] = dict(zip(_CASE_COLUMNS, _case_row(case), strict=True))
    data["findings"] = list(case.findings)
    data["events"] = [{"at": _time(e.at), "by": e.actor, "action": e.action,
                       "before": e.before, "after": e.after} for e in case.events]  # fmt: skip
    print(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def _changed(args: argparse.Namespace, change: Callable[[Store], Case]) -> int:
    with _open(args.store) as store:
        case = change(store)
    print(f"case {case.case_id}: {case.status}" + (f" ({case.resolution})" if case.resolution
                                                   else ""))  # fmt: skip
    return 0


def _assign(args: argparse.Namespace) -> int:
    return _changed(args, lambda s: s.assign(args.case_id, args.assignee, by=args.by))


def _note(args: argparse.Namespace) -> int:
    return _changed(args, lambda s: s.note(args.case_id, args.text, by=args.by))


def _status(args: argparse.Namespace) -> int:
    return _changed(args, lambda s: s.set_status(args.case_id, args.status, by=args.by,
                                                 note=args.note))  # fmt: skip


def _close(args: argparse.Namespace) -> int:
    return _changed(args, lambda s: s.close_case(args.case_id, args.resolution, by=args.by,
                                                 note=args.note))  # fmt: skip


def _reopen(args: argparse.Namespace) -> int:
    return _changed(args, lambda s: s.reopen(args.case_id, by=args.by, note=args.note))


def _snooze(args: argparse.Namespace) -> int:
    until = args.until or datetime.now(UTC) + timedelta(days=args.days)
    return _changed(args, lambda s: s.snooze(args.case_id, until, by=args.by, note=args.note))


def _due(args: argparse.Namespace) -> int:
    return _changed(args, lambda s: s.due(args.case_id, args.day, by=args.by))


# --- store ---------------------------------------------------------------------------------


def _add_store(commands: Any) -> None:
    actions = _command(
        commands, "store", "upgrade or verify a history store",
        "upgrade: run the store's migrations up to this regkit's revision. verify: recompute "
        "the chain of digests of the case log; exit 1 when an event was changed, taken out or "
        "put in.",
    )  # fmt: skip
    upgrade = actions.add_parser("upgrade", help="run the store's migrations")
    upgrade.add_argument("--store", metavar="URL", help=_STORE_HELP)
    upgrade.set_defaults(run=_upgrade)
    verify = actions.add_parser("verify", help="verify the case log")
    verify.add_argument("--store", metavar="URL", help=_STORE_HELP)
    verify.set_defaults(run=_verify)


def _upgrade(args: argparse.Namespace) -> int:
    from regkit.store import upgrade_store

    before, after = upgrade_store(args.store)
    print(f"store at revision {after}" + ("" if before == after else f" (was {before or 'new'})"))
    return 0


def _verify(args: argparse.Namespace) -> int:
    with _open(args.store) as store:
        found = store.verify()
        url = store.url
    for problem in found.problems:
        print(problem)
    verdict = "intact" if found.ok else f"{len(found.problems)} problems"
    print(f"{url}: case log {verdict} ({found.events} events)")
    return 0 if found.ok else 1


# --- output --------------------------------------------------------------------------------


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max([len(h), *(len(row[n]) for row in rows)]) for n, h in enumerate(header)]
    for row in [list(header), *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
