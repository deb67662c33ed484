"""The formats a command writing findings can write, and the ``--out``/``--format`` options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from regkit.cli._common import UsageError
from regkit.rules.findings import CheckResult
from regkit.schemas.io import atomic_path

__all__ = ["FINDINGS_FORMATS", "add_findings_output", "findings_format", "write_findings"]


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
    return "".join(_table_lines(result, limit))


def _table_lines(result: CheckResult, limit: int | None) -> Iterator[str]:
    """The lines of :func:`_table`, each ending in a newline, a finding at a time."""
    checked = ", ".join(f"{count:,} {kind}s" for kind, count in result.records_checked.items())
    severities = ", ".join(f"{name} {count}" for name, count in result.counts_by_severity.items())
    sha = result.policy_sha256[:12]
    yield f"policy {result.policy_id} {result.policy_version} (sha256 {sha})\n"
    yield f"checked {checked or 'nothing'}\n"
    yield f"findings {result.total_findings:,}" + (f" ({severities})" if severities else "") + "\n"
    if result.unlisted:
        counted = ", ".join(f"{rule} {count:,}" for rule, count in result.unlisted.items())
        yield f"counted but not listed (--max-findings-per-rule): {counted}\n"
    if not result.findings:
        return
    shown = result.findings if limit is None else result.findings[:limit]
    rules = (
        {rule for rule, _, _ in result.tally()}
        if limit is None
        else {finding.rule_id for finding in shown}
    )
    wide = max(16, *(len(rule) for rule in rules))
    yield f"{'RULE':<{wide}} {'SEVERITY':<9} {'KIND':<9} {'RECORD':<14} MESSAGE\n"
    for finding in shown:
        yield (
            f"{finding.rule_id:<{wide}} {finding.severity!s:<9} {finding.record_kind:<9} "
            f"{finding.record_id:<14} {finding.message}\n"
        )
    if len(result.findings) > len(shown):
        yield (
            f"... {len(result.findings) - len(shown):,} more not shown; --out FILE writes "
            "them all (.txt, .json, .csv or .parquet)\n"
        )


def _write_table(result: CheckResult, path: Path) -> None:
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8", newline="") as out:
        out.writelines(_table_lines(result, limit=None))


def _write_json(result: CheckResult, path: Path) -> None:
    result.write_json(path)  # atomically, a finding at a time


def _write_csv(result: CheckResult, path: Path) -> None:
    result.write_csv(path)  # atomically, a finding at a time


def _write_parquet(result: CheckResult, path: Path) -> None:
    result.write_parquet(path)  # atomically, a block of findings at a time


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


def add_findings_output(parser: argparse.ArgumentParser) -> None:
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


def findings_format(out: Path | None, given: str | None) -> _FindingsFormat:
    """The format to write findings in: ``--format``, or the one ``--out``'s extension names.

    Raises:
        UsageError: the two disagree, the extension is unknown and no ``--format`` says
            what to write, or a binary format would go to the terminal.
    """
    by_suffix = {item.suffix: item for item in FINDINGS_FORMATS.values()}
    if out is None:
        chosen = FINDINGS_FORMATS[given or "table"]
        if chosen.text is None:
            raise UsageError(f"--format {chosen.name} is binary: give --out FILE{chosen.suffix}")
        return chosen
    named = by_suffix.get(out.suffix.lower())
    if given is None:
        if named is None:
            known = ", ".join(f"{item.suffix} ({item.name})" for item in FINDINGS_FORMATS.values())
            extension = f"unknown extension {out.suffix!r}" if out.suffix else "no extension"
            raise UsageError(
                f"--out {out}: {extension}; use one of {known}, or say the format with --format"
            )
        return named
    if named is not None and named.name != given:
        raise UsageError(
            f"--format {given} does not match --out {out}, whose extension {out.suffix!r} "
            f"means {named.name}; drop --format or change the extension"
        )
    return FINDINGS_FORMATS[given]


def write_findings(result: CheckResult, out: Path | None, chosen: _FindingsFormat) -> None:
    """Every finding to ``out``, or the text of the format to stdout."""
    if out is None:
        assert chosen.text is not None  # findings_format refuses a binary format here
        sys.stdout.write(chosen.text(result))
        return
    chosen.write(result, out)
    more = sum(result.unlisted.values())
    unlisted = f"; {more:,} more counted, not listed (--max-findings-per-rule)" if more else ""
    print(
        f"{len(result.findings):,} findings written to {out} ({chosen.name}){unlisted}",
        file=sys.stdout,
    )
