"""The ``regkit`` command.

``regkit samples`` writes a deterministic synthetic brokerage (see
:mod:`regkit.schemas.samples`); ``regkit check`` checks record files against a policy;
``regkit demo`` writes a small brokerage and walks through what regkit does with it, one
step per capability (:data:`DEMO_STEPS`); ``regkit validate`` checks regulator XML files
against their XSDs (see :mod:`regkit.reports.xml`).

Exit codes: 0 when all went well; 1 when ``check`` found findings at or above ``--fail-on``,
when ``validate`` found an invalid file (or the demo found something wrong in its own data);
2 for bad input or usage (a bad option, a record file with bad rows, an invalid policy, a
directory that cannot be written, an XML file that cannot be read or is no known message).
User errors print on stderr, never a traceback.

Examples:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    regkit ...
    0
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
import time
import tomllib
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, TextIO, get_args

from pydantic import ValidationError

from regkit._version import __version__
from regkit.errors import RecordError, RegkitError
from regkit.reports import audit_pack
from regkit.reports.emir import render as emir_render
from regkit.reports.mifir import Reportability
from regkit.reports.mifir import render as mifir_render
from regkit.reports.values import Rendered
from regkit.reports.xml import DEFAULT_MAX_PROBLEMS, ValidationResult
from regkit.reports.xml import validate as validate_xml
from regkit.rules.engine import check
from regkit.rules.findings import CheckResult, Severity
from regkit.rules.policy import builtin_policies, load_policy
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.base import Record
from regkit.schemas.cash import CashMovement
from regkit.schemas.columnar import FrameBatch, read_frame
from regkit.schemas.enums import Product, UnderlyingClass
from regkit.schemas.firm import Firm
from regkit.schemas.io import FileFormat, RecordBatch, atomic_path, iter_records, read_records
from regkit.schemas.kinds import KINDS
from regkit.schemas.party import NaturalPerson
from regkit.schemas.samples import (
    DEFAULT_SEED,
    PLANTED_KINDS,
    SampleConfig,
    SampleManifest,
    write_samples,
)
from regkit.schemas.trade import Trade
from regkit.schemas.types import utc_time

__all__ = [
    "DEMO_STEPS",
    "FINDINGS_FORMATS",
    "DemoContext",
    "DemoStep",
    "build_parser",
    "main",
]

_FORMATS: tuple[str, ...] = get_args(FileFormat)
_MIN_TRADES, _MAX_TRADES = 10, 10_000_000
_DEMO_TRADES = 2_000

#: The record files of a sample set and the record class of each.
_RECORD_FILES: tuple[tuple[str, type[Record]], ...] = (
    ("accounts", Account),
    ("trades", Trade),
    ("movements", CashMovement),
    ("snapshots", AccountSnapshot),
)


class _UsageError(Exception):
    """A problem with what the user asked for, reported as exit code 2."""


def main(argv: list[str] | None = None) -> int:
    """Run the ``regkit`` command line and return its exit code.

    Args:
        argv: the arguments after the program name; ``None`` reads ``sys.argv``.

    Returns:
        0 on success, 1 when the demo finds a problem, 2 for bad input or usage.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and usage errors
        return _exit_code(exc.code)
    command: Callable[[argparse.Namespace], int] | None = getattr(args, "run", None)
    if command is None:
        parser.print_usage(sys.stderr)
        names = ", ".join(_command_names(parser))
        print(f"regkit: error: choose a command ({names}); regkit --help", file=sys.stderr)
        return 2
    try:
        return command(args)
    except (_UsageError, RegkitError, OSError) as exc:
        print(f"regkit {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("regkit: interrupted", file=sys.stderr)
        return 130


def _command_names(parser: argparse.ArgumentParser) -> list[str]:
    """The names of the commands, as the parser has them."""
    return [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 2


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's layout of help, without breaking a line inside a hyphenated name
    (``esma-cfd-\\nretail`` cannot be copied back into a command)."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )


class _ArgumentParser(argparse.ArgumentParser):
    """A parser whose help uses :class:`_HelpFormatter`; its subcommands' parsers are of
    this class too, so every command's help is laid out the same way."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    """The parser of the ``regkit`` command and all its subcommands (the CLI reference,
    docs/cli.md, is generated from it by :mod:`regkit.clidocs`)."""
    parser = _ArgumentParser(
        prog="regkit",
        description="Typed brokerage records, compliance checks and regulator reports.",
    )
    parser.add_argument("--version", action="version", version=f"regkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    samples = commands.add_parser(
        "samples",
        help="write a deterministic synthetic brokerage",
        description="Write accounts, trades, movements and snapshots of a synthetic "
        "brokerage, with planted violations listed in planted.jsonl.",
    )
    samples.add_argument(
        "--trades",
        type=_trade_count,
        required=True,
        metavar="N",
        help=f"number of trades ({_MIN_TRADES:,} to {_MAX_TRADES:,})",
    )
    samples.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="directory to write to"
    )
    samples.add_argument(
        "--format",
        choices=_FORMATS,
        default="parquet",
        help="file format of the records (default: parquet)",
    )
    samples.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})"
    )
    samples.set_defaults(run=_run_samples)

    demo = commands.add_parser(
        "demo",
        help="write a small sample brokerage and show what regkit does with it",
        description="Write about 2,000 trades and walk through each regkit capability.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("build/demo"),
        metavar="DIR",
        help="directory to write to (default: build/demo)",
    )
    demo.add_argument("--seed", type=int, default=DEFAULT_SEED, help=argparse.SUPPRESS)
    demo.set_defaults(run=_run_demo)
    _add_check(commands)
    _add_report(commands)
    _add_validate(commands)
    _add_pack(commands)
    return parser


# --- regkit check --------------------------------------------------------------------------


def _add_check(commands: Any) -> None:
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
    for kind in ("trades", "accounts", "movements", "snapshots"):
        check.add_argument(f"--{kind}", type=Path, metavar="FILE", help=f"the {kind} file")
    check.add_argument(
        "--engine",
        choices=("auto", "python", "polars"),
        default="auto",
        help="the rule engine; both find the same findings (default: auto, polars for files)",
    )
    check.add_argument(
        "--as-of",
        type=_as_of,
        metavar="TIME",
        help="the time rules read as as_of, ISO 8601 with a zone (default: now)",
    )
    _add_findings_output(check)
    severities = ", ".join(severity.value for severity in Severity)
    check.add_argument(
        "--fail-on",
        default="info",
        type=_severity,
        metavar="SEVERITY",
        help=f"exit 1 when a finding is at least this severe: {severities} "
        "(default: info, any finding)",
    )
    check.set_defaults(run=_run_check)


def _as_of(text: str) -> datetime:
    try:
        return utc_time(text, None)  # the library's own reading; argparse names the option
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


_CHECK_INPUTS: tuple[tuple[str, type[Record]], ...] = tuple(
    (kind.plural, kind.model) for kind in KINDS.values()
)


def _run_check(args: argparse.Namespace) -> int:
    output = _findings_format(args.out, args.format)  # refused before any file is read
    policy = load_policy(args.policy, parameters=args.parameters)
    inputs: dict[str, Any] = {}
    errors: list[RecordError] = []
    bar = _ProgressBar(sys.stderr)
    for name, model in _CHECK_INPUTS:
        path = getattr(args, name)
        if path is not None:
            bar.say(f"reading {path}")
            # Validated columns: the polars engine checks them without a record per row, and
            # both engines see the same values (a decimal column has one scale).
            frames: FrameBatch[Any] = read_frame(path, model)
            inputs[name] = frames
            errors += frames.errors
    if not inputs:
        raise _UsageError("give at least one of --trades, --accounts, --movements, --snapshots")
    if errors:
        for error in errors[:20]:
            print(f"regkit check: {error}", file=sys.stderr)
        more = f" ({len(errors) - 20} more not shown)" if len(errors) > 20 else ""
        print(f"regkit check: {len(errors)} input errors{more}; nothing checked", file=sys.stderr)
        return 2
    # Until the engine reports its first kind, the bar must not still say "reading".
    bar.say(f"checking against {policy.id} {policy.version}")
    result = check(policy, as_of=args.as_of, engine=args.engine, progress=bar.show, **inputs)
    bar.done()
    _write_findings(result, args.out, output)
    return 0 if result.is_compliant(args.fail_on) else 1


class _ProgressBar:
    """A one-line progress bar on a terminal (nothing when the stream is not one)."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.live = stream.isatty()
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        self._line(text)

    def show(self, what: str, done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = round(share * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        self._line(f"checking {what} [{bar}] {done:,}/{total:,} ({share:.0%})")

    def done(self) -> None:
        if self.live:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"\r\033[Kregkit check: done in {elapsed:.1f} s\n")
            self.stream.flush()

    def _line(self, text: str) -> None:
        if self.live:
            self.stream.write(f"\r\033[Kregkit check: {text}")
            self.stream.flush()


# --- findings output: the formats a command writing findings can write ------------------


@dataclass(frozen=True)
class _FindingsFormat:
    """One format findings can be written in.

    Attributes:
        name: the ``--format`` value.
        suffix: the file extension that names it in ``--out``.
        write: writes every finding to a path, atomically.
        text: the findings as text for the terminal, or ``None`` when the format is binary.
    """

    name: str
    suffix: str
    write: Callable[[CheckResult, Path], None]
    text: Callable[[CheckResult], str] | None


def _table(result: CheckResult, limit: int | None = 50) -> str:
    """The findings as a text table; the first ``limit`` of them (``None``: every one)."""
    checked = ", ".join(f"{count:,} {kind}s" for kind, count in result.records_checked.items())
    severities = ", ".join(f"{name} {count}" for name, count in result.counts_by_severity.items())
    lines = [
        f"policy {result.policy_id} {result.policy_version} (sha256 {result.policy_sha256[:12]})",
        f"checked {checked or 'nothing'}",
        f"findings {len(result.findings):,}" + (f" ({severities})" if severities else ""),
    ]
    if result.findings:
        shown = result.findings if limit is None else result.findings[:limit]
        wide = max(16, *(len(finding.rule_id) for finding in shown))
        lines.append(f"{'RULE':<{wide}} {'SEVERITY':<9} {'KIND':<9} {'RECORD':<14} MESSAGE")
        for finding in shown:
            lines.append(
                f"{finding.rule_id:<{wide}} {finding.severity!s:<9} {finding.record_kind:<9} "
                f"{finding.record_id:<14} {finding.message}"
            )
        if len(result.findings) > len(shown):
            lines.append(
                f"... {len(result.findings) - len(shown):,} more not shown; --out FILE writes "
                "them all (.txt, .json, .csv or .parquet)"
            )
    return "\n".join(lines) + "\n"


def _write_table(result: CheckResult, path: Path) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(_table(result, limit=None), encoding="utf-8", newline="")


def _write_json(result: CheckResult, path: Path) -> None:
    result.to_json(path)  # written atomically


def _write_csv(result: CheckResult, path: Path) -> None:
    result.to_csv(path)  # written atomically


def _write_parquet(result: CheckResult, path: Path) -> None:
    with atomic_path(path) as temporary:
        result.to_polars().write_parquet(temporary)


def _json_text(result: CheckResult) -> str:
    return result.to_json()


def _csv_text(result: CheckResult) -> str:
    return result.to_csv()


#: The formats of findings, by ``--format`` name; ``--out`` picks one by its extension.
FINDINGS_FORMATS: dict[str, _FindingsFormat] = {
    item.name: item
    for item in (
        _FindingsFormat("table", ".txt", _write_table, _table),
        _FindingsFormat("json", ".json", _write_json, _json_text),
        _FindingsFormat("csv", ".csv", _write_csv, _csv_text),
        _FindingsFormat("parquet", ".parquet", _write_parquet, None),
    )
}


def _add_findings_output(parser: argparse.ArgumentParser) -> None:
    """The ``--out`` and ``--format`` options of a command that writes findings."""
    suffixes = ", ".join(f"{item.suffix} {item.name}" for item in FINDINGS_FORMATS.values())
    parser.add_argument(
        "--out",
        type=Path,
        metavar="FILE",
        help=f"write every finding to FILE, in the format its extension names ({suffixes}); "
        "default: a table of the first 50 on stdout",
    )
    parser.add_argument(
        "--format",
        choices=tuple(FINDINGS_FORMATS),
        help="the format of the findings (default: from the --out extension, else table); "
        "it must match the --out extension",
    )


def _findings_format(out: Path | None, given: str | None) -> _FindingsFormat:
    """The format to write findings in: ``--format``, or the one ``--out``'s extension names.

    Raises:
        _UsageError: the two disagree, the extension is unknown and no ``--format`` says
            what to write, or a binary format would go to the terminal.
    """
    by_suffix = {item.suffix: item for item in FINDINGS_FORMATS.values()}
    if out is None:
        chosen = FINDINGS_FORMATS[given or "table"]
        if chosen.text is None:
            raise _UsageError(f"--format {chosen.name} is binary: give --out FILE{chosen.suffix}")
        return chosen
    named = by_suffix.get(out.suffix.lower())
    if given is None:
        if named is None:
            known = ", ".join(f"{item.suffix} ({item.name})" for item in FINDINGS_FORMATS.values())
            extension = f"unknown extension {out.suffix!r}" if out.suffix else "no extension"
            raise _UsageError(
                f"--out {out}: {extension}; use one of {known}, or say the format with --format"
            )
        return named
    if named is not None and named.name != given:
        raise _UsageError(
            f"--format {given} does not match --out {out}, whose extension {out.suffix!r} "
            f"means {named.name}; drop --format or change the extension"
        )
    return FINDINGS_FORMATS[given]


def _write_findings(result: CheckResult, out: Path | None, chosen: _FindingsFormat) -> None:
    """Every finding to ``out``, or the text of the format to stdout."""
    if out is None:
        assert chosen.text is not None  # _findings_format refuses a binary format here
        sys.stdout.write(chosen.text(result))
        return
    chosen.write(result, out)
    print(f"{len(result.findings):,} findings written to {out} ({chosen.name})", file=sys.stdout)


def _trade_count(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not _MIN_TRADES <= value <= _MAX_TRADES:
        raise argparse.ArgumentTypeError(
            f"must be from {_MIN_TRADES:,} to {_MAX_TRADES:,}, got {value:,}"
        )
    return value


def _config(trades: int, seed: int) -> SampleConfig:
    try:
        return SampleConfig(trades=trades, seed=seed)
    except ValueError as exc:
        raise _UsageError(str(exc)) from None


def _progress(stream: TextIO) -> Callable[[str, int], None] | None:
    """Progress lines on ``stream`` when it is a terminal, else nothing."""
    if not stream.isatty():
        return None

    def report(name: str, records: int) -> None:
        print(f"  wrote {name} ({records:,} records)", file=stream, flush=True)

    return report


# --- regkit report --------------------------------------------------------------------------


def _add_report(commands: Any) -> None:
    report = commands.add_parser(
        "report",
        help="write regulator reports from record files",
        description="Write regulator report files from trades and accounts.",
    )
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    mifir = kinds.add_parser(
        "mifir",
        help="MiFIR RTS 22 transaction reports (auth.016 in the ESMA envelope)",
        description="Write MiFIR transaction reports: one Tx/New per reportable trade, split "
        "into files of at most --max-records, named SENDER_DATTRA_RECIPIENT_DATE_SEQ.xml, "
        "each validated against ESMA's schemas before it appears. Exit 2, with nothing "
        "written, when a row or a trade cannot be reported (each one named).",
    )
    _add_report_files(mifir, "Tx per file (500,000)")
    mifir.add_argument(
        "--cancel",
        action="append",
        default=[],
        metavar="REFERENCE",
        help="a transaction reference (or trade id) reported before, to cancel (repeatable)",
    )
    mifir.add_argument(
        "--parameters",
        type=Path,
        metavar="FILE",
        help="mifir-data-quality parameter overrides (reportable_products, "
        "fx_cfds_reportable, regime)",
    )
    mifir.set_defaults(run=_run_report_mifir)
    emir = kinds.add_parser(
        "emir",
        help="EMIR REFIT trade reports (auth.030)",
        description="Write EMIR REFIT trade reports: one report per reportable derivative "
        "(NEWT: the CFD openings, forwards, swaps, options), UTIs generated where trades have "
        "none, split into files of at most --max-records, each validated before it appears. "
        "TERM: each closing trade terminates the derivative its opening reported, under the "
        "opening's UTI, which the close carries in uti; openings are listed, not terminated. "
        "Exit 2, with nothing written, when a row or a trade cannot be reported (each one "
        "named, e.g. a close whose opening's UTI is unknown).",
    )
    _add_report_files(emir, "reports per file (100,000)")
    emir.add_argument("--snapshots", type=Path, metavar="FILE", help="for VALU reports")
    emir.add_argument(
        "--action",
        default="NEWT",
        choices=("NEWT", "MODI", "CORR", "TERM", "EROR", "POSC", "VALU"),
        help="the action type of every report (default NEWT)",
    )
    emir.set_defaults(run=_run_report_emir)


def _add_report_files(parser: argparse.ArgumentParser, per_file: str) -> None:
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
        type=_as_of,
        metavar="TIME",
        help="the files' creation time, ISO 8601 with a zone (default: now)",
    )
    parser.add_argument("--max-records", type=int, metavar="N", help=per_file)
    parser.add_argument(
        "--first-sequence", type=int, default=1, metavar="N", help="the first file's number"
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="skip schema validation (faster)"
    )


def read_firm(path: Path) -> Firm:
    """The reporting firm from a TOML or JSON file (the keys of :class:`Firm`)."""
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
        return Firm.model_validate(data)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, ValidationError) as exc:
        raise _UsageError(f"{path}: not a firm file: {exc}") from None


def _checked_trades(path: Path, bad: list[RecordError]) -> Iterator[Trade]:
    """The trades of a file, streamed; after the last one, raise if any row was bad (so
    that nothing is written)."""
    for item in iter_records(path, Trade):
        if isinstance(item, RecordError):
            bad.append(item)
        else:
            yield item
    if bad:
        shown = "\n".join(f"  {error}" for error in bad[:50])
        more = f"\n  ... and {len(bad) - 50} more" if len(bad) > 50 else ""
        # A file-level error (its header) stands for the file, not for a row.
        what = f"{len(bad)} row(s) of {path} are not valid trades"
        if all(error.row is None for error in bad):
            what = f"{path} cannot be read as trades"
        raise RecordError(f"{what}; no file was written:\n{shown}{more}")


def _read_accounts(path: Path) -> list[Account]:
    accounts = read_records(path, Account)
    for error in accounts.errors[:20]:
        print(f"regkit report: {error}", file=sys.stderr)
    if any(error.row is None for error in accounts.errors):
        raise _UsageError(f"{path} cannot be read as accounts")
    if accounts.errors:
        raise _UsageError(f"{len(accounts.errors)} bad row(s) in {path}")
    return [account for account in accounts.records if isinstance(account, Account)]


def _run_report_emir(args: argparse.Namespace) -> int:
    paths = [args.trades, args.accounts, args.firm]
    paths += [args.snapshots] if args.snapshots is not None else []
    for path in paths:
        if not path.is_file():
            raise _UsageError(f"{path}: no such file")
    firm = read_firm(args.firm)
    snapshots: list[AccountSnapshot] = []
    if args.snapshots is not None:
        batch = read_records(args.snapshots, AccountSnapshot)
        if batch.errors:
            raise _UsageError(f"{len(batch.errors)} bad row(s) in {args.snapshots}")
        snapshots = [item for item in batch.records if isinstance(item, AccountSnapshot)]
    files = emir_render(
        _checked_trades(args.trades, []),
        _read_accounts(args.accounts),
        firm,
        args.out,
        created_at=args.created_at,
        action=args.action,
        snapshots=snapshots,
        max_records=args.max_records,
        validate=not args.no_validate,
        first_sequence=args.first_sequence,
    )
    _print_rendered(files, "reported")
    return 0


def _print_rendered(files: Rendered, verb: str) -> None:
    for path in files:
        print(f"{path}", file=sys.stdout)
    cancelled = f"{files.cancelled:,} cancelled, " if files.cancelled else ""
    print(
        f"{files.reported:,} {verb}, {cancelled}{len(files.skipped):,} not reportable, "
        f"in {len(files)} file(s)",
        file=sys.stdout,
    )
    reasons: dict[str, list[str]] = {}
    for item in files.skipped:
        reasons.setdefault(item.reason, []).append(item.key)
    for reason, keys in reasons.items():
        shown = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
        print(f"  not reportable: {len(keys):,} trade(s) ({shown}): {reason}", file=sys.stdout)


def _run_report_mifir(args: argparse.Namespace) -> int:
    for path in (args.trades, args.accounts, args.firm):
        if not path.is_file():
            raise _UsageError(f"{path}: no such file")
    firm = read_firm(args.firm)
    policy = load_policy("mifir-data-quality", parameters=args.parameters)
    files = mifir_render(
        _checked_trades(args.trades, []),
        _read_accounts(args.accounts),
        firm,
        args.out,
        created_at=args.created_at,
        cancellations=args.cancel,
        max_records=args.max_records,
        validate=not args.no_validate,
        reportability=Reportability.from_policy(policy),
        first_sequence=args.first_sequence,
    )
    _print_rendered(files, "reported")
    return 0


# --- regkit pack and regkit verify -------------------------------------------------------


def _add_pack(commands: Any) -> None:
    pack = commands.add_parser(
        "pack",
        help="build an audit pack: the check, its policy, the regulator files, the inputs",
        description="Check the records of a period (and/or an account) against a policy, "
        "render the regulator files asked for, and write everything as a deterministic, "
        "self-verifying BagIt zip with an HTML report.",
    )
    pack.add_argument("--policy", required=True, help="a policy file or built-in name")
    pack.add_argument("--parameters", type=Path, metavar="FILE", help="parameter overrides")
    for kind in ("trades", "accounts", "movements", "snapshots"):
        pack.add_argument(f"--{kind}", type=Path, metavar="FILE", help=f"the {kind} file")
    pack.add_argument("--from", dest="start", type=_day, metavar="DATE", help="first day")
    pack.add_argument("--to", dest="end", type=_day, metavar="DATE", help="last day")
    pack.add_argument("--account", metavar="ID", help="only this account's records")
    pack.add_argument(
        "--with-reports",
        default="",
        metavar="mifir,emir",
        help="render these regulator files of the period's trades into the pack",
    )
    pack.add_argument("--firm", type=Path, metavar="FILE", help="firm.toml or firm.json")
    pack.add_argument(
        "--inputs",
        choices=("records", "fingerprints"),
        default="records",
        help="put the input records in the pack, or only their fingerprints",
    )
    pack.add_argument("--as-of", type=_as_of, help="the time rules read as as_of")
    pack.add_argument(
        "--created-at",
        type=_as_of,
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
    pack.set_defaults(run=_run_pack)
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
    verify.set_defaults(run=_run_verify)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date: {text!r}") from None


def _in_scope(record: Record, kind: str, args: argparse.Namespace) -> bool:
    """Whether a record is in the period and account asked for (accounts: by id only)."""
    if args.account is not None and getattr(record, "account_id", None) != args.account:
        return False
    moment = getattr(record, _EVENT_TIMES[kind], None) if kind != "accounts" else None
    if moment is None:
        return True
    day = moment.date()
    return (args.start is None or day >= args.start) and (args.end is None or day <= args.end)


# Accounts are in a period whenever they were opened: a pack of a period keeps them all.
_EVENT_TIMES = {kind.plural: kind.event_time for kind in KINDS.values() if kind.name != "account"}


def _pack_inputs(args: argparse.Namespace) -> dict[str, list[Record]]:
    """The records of each file given, those in the scope asked for."""
    inputs: dict[str, list[Record]] = {}
    for name, model in _CHECK_INPUTS:
        path = getattr(args, name)
        if path is None:
            continue
        if not path.is_file():
            raise _UsageError(f"{path}: no such file")
        batch: RecordBatch[Any] = read_records(path, model)
        for error in batch.errors[:20]:
            print(f"regkit pack: {error}", file=sys.stderr)
        if batch.errors:
            raise _UsageError(f"{len(batch.errors)} bad row(s) in {path}; nothing was packed")
        inputs[name] = [record for record in batch.records if _in_scope(record, name, args)]
    if not inputs:
        raise _UsageError("give at least one of --trades, --accounts, --movements, --snapshots")
    return inputs


def _run_pack(args: argparse.Namespace) -> int:
    reports = [name.strip() for name in args.with_reports.split(",") if name.strip()]
    unknown = sorted(set(reports) - {"mifir", "emir"})
    if unknown:
        raise _UsageError(f"--with-reports: unknown report(s) {', '.join(unknown)}")
    if reports and (args.firm is None or args.trades is None or args.accounts is None):
        raise _UsageError("--with-reports needs --firm, --trades and --accounts")
    if args.start is not None and args.end is not None and args.end < args.start:
        raise _UsageError(f"--to {args.end} is before --from {args.start}")
    # Read the key first: a bad key should fail before minutes of checking.
    key = audit_pack.load_private_key(args.sign.read_bytes()) if args.sign else None
    policy = load_policy(args.policy, parameters=args.parameters)
    inputs = _pack_inputs(args)
    result = check(
        policy,
        trades=inputs.get("trades", ()),
        accounts=inputs.get("accounts", ()),
        movements=inputs.get("movements", ()),
        snapshots=inputs.get("snapshots", ()),
        as_of=args.as_of,
    )
    created = args.created_at or datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        attachments: list[Path] = []
        firm = read_firm(args.firm) if args.firm is not None else None
        for name in reports:
            assert firm is not None
            render = mifir_render if name == "mifir" else emir_render
            files = render(
                [t for t in inputs["trades"] if isinstance(t, Trade)],
                [a for a in inputs["accounts"] if isinstance(a, Account)],
                firm,
                Path(folder) / name,
                created_at=created,
            )
            attachments += files
        scope = audit_pack.PackScope(
            accounts=(args.account,) if args.account is not None else (),
            start=args.start,
            end=args.end,
            kinds=tuple(inputs),
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", audit_pack.PackWarning)
            path = audit_pack.build(
                result,
                args.out,
                attachments=attachments,
                inputs=inputs if args.inputs == "records" else "fingerprints",
                scope=scope,
                created_at=created,
                title=args.title,
                signer=key,
                organization=firm.name if firm is not None else None,
            )
    for warning in caught:
        print(f"regkit pack: warning: {warning.message}", file=sys.stderr)
    counts = ", ".join(f"{len(records):,} {name}" for name, records in inputs.items())
    print(
        f"{path}: {len(result.findings):,} findings from {counts}; "
        f"{len(attachments)} regulator file(s){'; signed' if key is not None else ''}",
        file=sys.stdout,
    )
    return 0


def _run_verify(args: argparse.Namespace) -> int:
    key = args.public_key.read_bytes() if args.public_key is not None else None
    result = audit_pack.verify(args.pack, public_key=key)
    for line in result.lines():
        print(line, file=sys.stdout)
    # Say in words whether a signature was checked: "intact" alone reads as "from the
    # signer" to an auditor, which only a checked signature shows.
    verdict = result.summary(key_hint="--public-key")
    print(f"{args.pack}: {verdict} ({result.files} files)", file=sys.stdout)
    return 0 if result.ok else 1


# --- regkit validate -----------------------------------------------------------------------


def _add_validate(commands: Any) -> None:
    validate = commands.add_parser(
        "validate",
        help="validate regulator XML files against their XSDs",
        description="Validate MiFIR and EMIR XML files against the regulator's XSD, the "
        "message found from each file's namespace (inside a BizData envelope too). Prints "
        "FILE:LINE: PATH: REASON per problem. Exit 1 when a file is invalid, 2 when one "
        "cannot be read or is no known message.",
    )
    validate.add_argument(
        "files", nargs="+", type=Path, metavar="FILE.xml", help="the files to validate"
    )
    validate.add_argument(
        "--max-problems",
        type=_positive,
        default=DEFAULT_MAX_PROBLEMS,
        metavar="N",
        help=f"list at most N problems of a file (default: {DEFAULT_MAX_PROBLEMS}); "
        "how many more there are is said after them",
    )
    validate.set_defaults(run=_run_validate)


def _positive(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value:,}")
    return value


#: ``validate`` counts up to this many times the problems it lists, to say how many it did
#: not show (counting them all would cost as much again on a large, badly broken file).
_COUNTED_PER_SHOWN = 10


def _run_validate(args: argparse.Namespace) -> int:
    code = 0
    shown: int = args.max_problems
    for path in args.files:
        try:
            result = validate_xml(path, max_problems=shown * _COUNTED_PER_SHOWN)
        except RegkitError as exc:
            print(f"regkit validate: error: {exc}", file=sys.stderr)
            code = 2
            continue
        if result.ok:
            envelope = f" in {result.envelope}" if result.envelope else ""
            print(f"{path}: OK ({result.message}{envelope})", file=sys.stdout)
            continue
        _print_problems(path, result, shown)
        code = max(code, 1)
    return code


def _print_problems(path: Path, result: ValidationResult, shown: int) -> None:
    """The first ``shown`` problems, then how many more there are."""
    for line in result.lines()[:shown]:
        print(line, file=sys.stdout)
    hidden = len(result.problems) - shown
    if hidden > 0:
        more = f"more than {hidden:,}" if result.truncated else f"{hidden:,}"
        print(
            f"{path}: {more} more problem(s) not shown (--max-problems N lists more)",
            file=sys.stdout,
        )


# --- regkit samples ------------------------------------------------------------------------


def _run_samples(args: argparse.Namespace) -> int:
    config = _config(args.trades, args.seed)
    manifest = write_samples(args.out, config, args.format, progress=_progress(sys.stderr))
    _print_files(manifest, sys.stdout)
    print(f"manifest.json written to {manifest.out_dir}", file=sys.stdout)
    return 0


def _print_files(manifest: SampleManifest, out: TextIO) -> None:
    for item in manifest.files:
        print(
            f"{item.name:<20} {item.records:>12,} records {item.bytes:>14,} bytes  "
            f"sha256 {item.sha256[:16]}",
            file=out,
        )


# --- regkit demo ---------------------------------------------------------------------------


@dataclass
class DemoContext:
    """What the demo steps share.

    Attributes:
        out_dir: where the sample set is written.
        seed: the sample seed.
        out: where the steps print.
        manifest: the written sample set, once the first step has run.
        batches: what was read back, by file stem (``trades``).
        firm: the firm read back from ``firm.json``.
        errors: every record error met on the way.
        problems: what went wrong in a step (the demo then exits 1).
        report_files: the regulator files the demo wrote (for the audit pack).
    """

    out_dir: Path
    seed: int
    out: TextIO
    manifest: SampleManifest | None = None
    batches: dict[str, RecordBatch[Any]] = field(default_factory=dict)
    firm: Firm | None = None
    errors: list[RecordError] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    report_files: list[Path] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        """Print a line of the demo."""
        print(text, file=self.out)

    def path(self, stem: str) -> Path:
        """The path of a written record file, by stem (``trades``)."""
        if self.manifest is None:
            raise RuntimeError("the sample set has not been written yet")
        return self.manifest.path(f"{stem}.{self.manifest.format}")


@dataclass(frozen=True)
class DemoStep:
    """One step of ``regkit demo``: a title and what it does.

    Attributes:
        title: shown above the step's output.
        run: does the step, printing through :meth:`DemoContext.say`.
    """

    title: str
    run: Callable[[DemoContext], None]


def _step_generate(ctx: DemoContext) -> None:
    config = _config(_DEMO_TRADES, ctx.seed)
    ctx.manifest = write_samples(ctx.out_dir, config, "parquet")
    ctx.say(f"Wrote a synthetic brokerage to {ctx.out_dir} (seed {config.seed}):")
    _print_files(ctx.manifest, ctx.out)


def _step_read_back(ctx: DemoContext) -> None:
    if ctx.manifest is None:
        raise RuntimeError("the sample set has not been written yet")
    ctx.firm = Firm.model_validate_json(ctx.manifest.path("firm.json").read_bytes())
    ctx.say(f"{'firm.json':<20} {1:>8,} records {0:>4} errors  ({ctx.firm.name})")
    for stem, model in _RECORD_FILES:
        batch: RecordBatch[Any] = read_records(ctx.path(stem), model)
        ctx.batches[stem] = batch
        ctx.errors.extend(batch.errors)
        name = ctx.path(stem).name
        ctx.say(f"{name:<20} {len(batch.records):>8,} records {len(batch.errors):>4} errors")
    total = sum(len(batch.records) for batch in ctx.batches.values()) + 1
    ctx.say(f"{total:,} records read back, {len(ctx.errors)} errors.")
    if ctx.errors:
        ctx.problems.append(f"{len(ctx.errors)} records did not read back; first: {ctx.errors[0]}")


def _step_planted(ctx: DemoContext) -> None:
    if ctx.manifest is None:
        raise RuntimeError("the sample set has not been written yet")
    counts = dict.fromkeys(PLANTED_KINDS, 0)
    with open(ctx.manifest.path("planted.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            counts[json.loads(line)["kind"]] += 1
    ctx.say("Violations planted in the data, for the checks to find (planted.jsonl):")
    for kind, count in counts.items():
        ctx.say(f"  {kind:<22} {count:>5}")


def _step_examples(ctx: DemoContext) -> None:
    trades = ctx.batches.get("trades")
    accounts = ctx.batches.get("accounts")
    if trades is None or accounts is None:
        raise RuntimeError("the sample set has not been read back yet")
    trade = next(
        (
            t
            for t in trades.records
            if t.instrument.product is Product.CFD
            and t.instrument.underlying_class is UnderlyingClass.FX_MAJOR
        ),
        trades.records[0],
    )
    account = next(
        (a for a in accounts.records if isinstance(a.holder, NaturalPerson)), accounts.records[0]
    )
    ctx.say("A trade:")
    ctx.say(_indent(_pretty(trade)))
    ctx.say("A person's account:")
    ctx.say(_indent(_pretty(account)))


def _step_check(ctx: DemoContext) -> None:
    trades = ctx.batches.get("trades")
    accounts = ctx.batches.get("accounts")
    if trades is None or accounts is None or ctx.manifest is None:
        raise RuntimeError("the sample set has not been read back yet")
    policy = load_policy(str(resources.files("regkit.rules") / "examples" / "esma-leverage.yaml"))
    result = check(policy, trades=trades.records, accounts=accounts.records)
    found = {finding.record_id for finding in result.findings}
    planted = set()
    with open(ctx.manifest.path("planted.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            if item["kind"] == "leverage_above_cap":
                planted.update(item["keys"])
    ctx.say(
        f"Policy {policy.id} {policy.version}: {len(policy.rules)} rule, sha256 "
        f"{policy.sha256[:12]}"
    )
    ctx.say(
        f"{len(result.findings)} findings; {len(planted)} leverage breaches were planted: "
        f"{len(found & planted)} found, {len(planted - found)} missed, "
        f"{len(found - planted)} found that were not planted."
    )
    if result.findings:
        first = result.findings[0]
        ctx.say(f"  e.g. {first.rule_id} on trade {first.record_id}: {first.message}")
    if found != planted:
        ctx.problems.append("the leverage check does not match the planted breaches")


def _step_structuring(ctx: DemoContext) -> None:
    movements = ctx.batches.get("movements")
    accounts = ctx.batches.get("accounts")
    if movements is None or accounts is None or ctx.manifest is None:
        raise RuntimeError("the sample set has not been read back yet")
    policy = load_policy(str(resources.files("regkit.rules") / "examples" / "aml-structuring.yaml"))
    # The batch path: the movements file as validated columns, windows rolled by polars.
    frames = read_frame(ctx.path("movements"), CashMovement, "raise")
    result = check(policy, movements=frames, accounts=accounts.records, engine="polars")
    python = check(policy, movements=movements.records, accounts=accounts.records)
    episodes = {frozenset(finding.member_ids) for finding in result.findings}
    planted = {frozenset(item["keys"]) for item in _planted(ctx, "structuring")}
    ctx.say(
        f"Policy {policy.id}: an aggregate rule over {len(movements.records):,} movements "
        f"(48-hour windows per account)"
    )
    ctx.say(
        f"{len(result.findings)} episodes; {len(planted)} were planted: "
        f"{len(episodes & planted)} found with exactly their deposits, "
        f"{len(planted - episodes)} missed, {len(episodes - planted)} not planted."
    )
    if result.findings:
        first = result.findings[0]
        ctx.say(f"  e.g. {first.rule_id} on account {first.group_key[0]}: {first.message}")  # type: ignore[index]
        ctx.say(f"       the episode: {', '.join(first.member_ids)}")
    if python.findings != result.findings:
        ctx.problems.append("the python and polars engines found different episodes")
    if episodes != planted:
        ctx.problems.append("the structuring check does not match the planted episodes")


def _step_packs(ctx: DemoContext) -> None:
    if ctx.manifest is None:
        raise RuntimeError("the sample set has not been written yet")
    inputs = {name: read_frame(ctx.path(name), model, "raise") for name, model in _RECORD_FILES}
    severities = [severity for severity in Severity if severity is not Severity.ERROR]
    # Checked the morning after the last trading day, as a daily compliance job would.
    last = inputs["trades"].frame.get_column("executed_at").max()
    day = last.date() + timedelta(days=1)  # type: ignore[union-attr]
    as_of = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    ctx.say(f"as of {as_of.isoformat().replace('+00:00', 'Z')}")
    ctx.say(f"{'PACK':<20} {'RULES':>5} " + " ".join(f"{s.value:>8}" for s in severities))
    for name in builtin_policies():
        policy = load_policy(name)
        result = check(
            policy,
            trades=inputs["trades"],
            accounts=inputs["accounts"],
            movements=inputs["movements"],
            snapshots=inputs["snapshots"],
            as_of=as_of,
        )
        counts = result.counts_by_severity
        cells = " ".join(f"{counts.get(s.value, 0):>8,}" for s in severities)
        ctx.say(f"{name:<20} {len(policy.rules):>5} {cells}")
        if counts.get(Severity.ERROR.value):
            ctx.problems.append(f"{name}: {counts[Severity.ERROR.value]} rules could not decide")
    ctx.say("Findings per severity; each pack is described in docs/packs/. No transaction")
    ctx.say("reports were given, so mifir-data-quality finds the trades past T+1 unreported.")


def _last_day(ctx: DemoContext) -> tuple[date, list[Trade], datetime]:
    """The sample's last trading day, its trades, and the morning after (reports go out
    T+1, as a daily job would send them)."""
    trades = [trade for trade in ctx.batches["trades"].records if isinstance(trade, Trade)]
    day = max(trade.executed_at for trade in trades).date()
    of_day = [trade for trade in trades if trade.executed_at.date() == day]
    after = day + timedelta(days=1)
    return day, of_day, datetime(after.year, after.month, after.day, 6, tzinfo=UTC)


def _validated(ctx: DemoContext, files: Rendered) -> None:
    for path in files:
        result = validate_xml(path)
        envelope = f" in {result.envelope}" if result.envelope else ""
        verdict = "valid" if result.ok else f"INVALID: {result.problems[0].reason}"
        ctx.say(f"  {path.name}: {result.message}{envelope}, {verdict}")
        if not result.ok:
            ctx.problems.append(f"{path.name} does not validate against its schema")
    ctx.report_files += list(files)


def _step_mifir(ctx: DemoContext) -> None:
    if ctx.firm is None:
        raise RuntimeError("the sample set has not been read back yet")
    day, of_day, created = _last_day(ctx)
    out = ctx.out_dir / "reports" / "mifir"
    files = mifir_render(of_day, ctx.batches["accounts"].records, ctx.firm, out, created_at=created)
    ctx.say(
        f"{len(of_day):,} trades of {day.isoformat()}: {files.reported:,} reported, "
        f"{len(files.skipped):,} not reportable"
    )
    _validated(ctx, files)
    again = mifir_render(
        of_day,
        ctx.batches["accounts"].records,
        ctx.firm,
        ctx.out_dir / "reports" / "mifir-again",
        created_at=created,
    )
    same = all(a.read_bytes() == b.read_bytes() for a, b in zip(files, again, strict=True))
    ctx.say(
        f"Rendered twice with the same created_at: {'byte-identical' if same else 'DIFFERENT'}."
    )
    if not same:
        ctx.problems.append("the MiFIR files differ between two runs on the same inputs")


def _step_emir(ctx: DemoContext) -> None:
    if ctx.firm is None:
        raise RuntimeError("the sample set has not been read back yet")
    day, of_day, created = _last_day(ctx)
    out = ctx.out_dir / "reports" / "emir"
    files = emir_render(of_day, ctx.batches["accounts"].records, ctx.firm, out, created_at=created)
    ctx.say(
        f"{files.reported:,} new derivatives of {day.isoformat()} reported (NEWT), UTIs "
        f"generated from the firm's LEI; {len(files.skipped):,} trades not reported as new:"
    )
    reasons: dict[str, int] = {}
    for item in files.skipped:
        reasons[item.reason] = reasons.get(item.reason, 0) + 1
    for reason, count in reasons.items():
        ctx.say(f"  {count:,} {reason}")
    _validated(ctx, files)


def _step_pack(ctx: DemoContext) -> None:
    if ctx.firm is None:
        raise RuntimeError("the sample set has not been read back yet")
    day, of_day, created = _last_day(ctx)
    policy = load_policy("esma-cfd-retail")
    accounts = [a for a in ctx.batches["accounts"].records if isinstance(a, Account)]
    snapshots = [
        s
        for s in ctx.batches["snapshots"].records
        if isinstance(s, AccountSnapshot) and s.at.date() == day
    ]
    result = check(policy, trades=of_day, accounts=accounts, snapshots=snapshots, as_of=created)
    path = audit_pack.build(
        result,
        ctx.out_dir / "audit-pack.zip",
        attachments=ctx.report_files,
        inputs={"trades": of_day, "accounts": accounts, "snapshots": snapshots},
        title=f"{ctx.firm.name}: retail CFD checks of {day.isoformat()}",
        policies=[policy],
        organization=ctx.firm.name,
    )
    verified = audit_pack.verify(path)
    ctx.say(
        f"{path}: {len(result.findings):,} findings of {policy.id} {policy.version}, "
        f"{len(ctx.report_files)} regulator files, {verified.files} files in the bag"
    )
    ctx.say(f"regkit verify: {verified.summary('--public-key')}")
    if not verified.ok:
        ctx.problems.append(f"the audit pack does not verify: {verified.lines()[:3]}")
    tampered = ctx.out_dir / "audit-pack-tampered.zip"
    _tamper(path, tampered, "data/findings.csv")
    caught = audit_pack.verify(tampered)
    ctx.say("A copy with one byte of data/findings.csv changed:")
    for line in caught.lines()[:3]:
        ctx.say(f"  {line}")
    if caught.ok:
        ctx.problems.append("a tampered audit pack verified as intact")


def _tamper(source: Path, target: Path, name: str) -> None:
    """A copy of a zip with the first byte of one entry changed."""
    with zipfile.ZipFile(source) as reader, zipfile.ZipFile(target, "w") as writer:
        for info in reader.infolist():
            data = reader.read(info)
            if info.filename == name and data:
                data = bytes([data[0] ^ 1]) + data[1:]
            writer.writestr(info, data)


def _planted(ctx: DemoContext, kind: str) -> list[dict[str, Any]]:
    assert ctx.manifest is not None
    items = []
    with open(ctx.manifest.path("planted.jsonl"), encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            if item["kind"] == kind:
                items.append(item)
    return items


def _pretty(record: Record) -> str:
    return json.dumps(
        record.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


#: The steps of ``regkit demo``, in order. Each capability adds its own step here.
DEMO_STEPS: list[DemoStep] = [
    DemoStep("Generate a sample brokerage", _step_generate),
    DemoStep("Read every file back into typed records", _step_read_back),
    DemoStep("Planted violations", _step_planted),
    DemoStep("Example records", _step_examples),
    DemoStep("Check the trades against the ESMA retail leverage caps", _step_check),
    DemoStep("Find structuring: deposits split under the threshold", _step_structuring),
    DemoStep("Run every built-in policy pack on the sample data", _step_packs),
    DemoStep("Write the day's MiFIR transaction reports and validate them", _step_mifir),
    DemoStep("Write the day's EMIR REFIT reports of new derivatives", _step_emir),
    DemoStep("Build an audit pack of the day and verify it", _step_pack),
]


def _run_demo(args: argparse.Namespace) -> int:
    ctx = DemoContext(out_dir=args.out, seed=args.seed, out=sys.stdout)
    for number, step in enumerate(DEMO_STEPS, start=1):
        ctx.say(f"== {number}. {step.title}")
        step.run(ctx)
        ctx.say()
    if ctx.problems:
        for problem in ctx.problems:
            print(f"regkit demo: {problem}", file=sys.stderr)
        return 1
    ctx.say(f"Demo complete: {len(DEMO_STEPS)} steps, no errors. Files are in {ctx.out_dir}.")
    return 0
