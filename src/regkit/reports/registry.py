"""The reports regkit writes, by name: one table that the command line, the jobs and the
audit packs read instead of naming each report.

A report is declared once here (:data:`REPORTS`): its renderer, the XSD messages its files
hold, how its files are named, how many records one file holds, its help text, the policy
whose parameters it reads, and the options of its own (``--cancel``, ``--action`` ...).
Adding a regulator format is one entry here plus its renderer.

Examples:
    >>> list(REPORTS)
    ['mifir', 'emir']
    >>> report_type("emir").messages, report_type("emir").max_records
    (('auth.030',), 100000)
    >>> report_type("fatca")
    Traceback (most recent call last):
    ...
    regkit.errors.RenderError: unknown report 'fatca'; the reports are: mifir, emir
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from regkit.errors import RenderError
from regkit.reports import emir, mifir
from regkit.reports.values import Rendered
from regkit.rules.policy import load_policy
from regkit.schemas.account import AccountSnapshot
from regkit.schemas.base import Record
from regkit.schemas.firm import Firm

__all__ = ["REPORTS", "ReportOption", "ReportType", "report_type"]

#: What an option of a report holds: ``text`` (one value), ``texts`` (repeatable),
#: ``file`` (a path handed to the report as it is), ``records`` (a file of records of the
#: option's ``model``, read before the report is rendered), ``flag`` (True or False; its
#: CLI flag turns the default round: ``--write-passing``, or ``--no-check`` for a default
#: of True).
OptionKind = Literal["text", "texts", "file", "records", "flag"]


@dataclass(frozen=True)
class ReportOption:
    """An option of one report only (its CLI flag is ``--`` + the name, dashed).

    Attributes:
        name: the keyword of :func:`regkit.jobs.report` and the CLI option's dest.
        help: the option's help.
        kind: what the option holds (see :data:`OptionKind`).
        metavar: the CLI's name for its value.
        choices: the values allowed, when they are a fixed list.
        default: the value when not given (``texts``: none).
        model: for ``records``: the record class of the file.
    """

    name: str
    help: str
    kind: OptionKind = "text"
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    default: Any = None
    model: type[Record] | None = None

    @property
    def flag(self) -> str:
        """The command-line option: ``--first-sequence`` for ``first_sequence``;
        ``--no-check`` for a ``flag`` option ``check`` that is True by default."""
        negated = "no-" if self.kind == "flag" and self.default is True else ""
        return "--" + negated + self.name.replace("_", "-")


@dataclass(frozen=True)
class ReportType:
    """One report regkit writes.

    Attributes:
        name: the report's name (``regkit report NAME``, ``pack --with-reports NAME``).
        help: the one-line help of its command.
        description: the long help of its command.
        messages: the XSD messages (keys of :data:`regkit.reports.xml.SCHEMAS`) its files
            hold as their payload.
        render: the renderer: ``render(trades, accounts, firm, out_dir, *, created_at,
            max_records, validate, first_sequence, ...)`` returning the files written.
        file_name: a file's name from the firm, the creation time and its sequence number.
        max_records: records in one file unless told otherwise.
        per_file: what ``max_records`` counts, in words (``Tx per file``).
        policy: the built-in policy whose parameters the report reads, if any.
        options: the report's own options.
        keywords: the renderer's own keyword arguments from the values of ``options``
            (``records`` options already read into records).
    """

    name: str
    help: str
    description: str
    messages: tuple[str, ...]
    render: Callable[..., Rendered]
    file_name: Callable[[Firm, datetime, int], str]
    max_records: int
    per_file: str
    policy: str | None
    options: tuple[ReportOption, ...]
    keywords: Callable[[Mapping[str, Any]], dict[str, Any]]

    @property
    def max_records_help(self) -> str:
        """The help of ``--max-records``: ``Tx per file (500,000)``."""
        return f"{self.per_file} ({self.max_records:,})"


_MIFIR_POLICY = "mifir-data-quality"


def _checks(regulator: str, pack: str) -> tuple[ReportOption, ReportOption]:
    """The options of a report checked against the regulator's rules before it is written
    (:mod:`regkit.reports.precheck`): ``--no-check`` and ``--write-passing``."""
    return (
        ReportOption(
            "check",
            f"do not check the reports against {regulator} validation rules ({pack}) before "
            "writing them",
            kind="flag",
            default=True,
        ),
        ReportOption(
            "write_passing",
            "write the reports that pass the validation rules and list the rest, instead "
            "of writing nothing",
            kind="flag",
            default=False,
        ),
    )


def _check_keywords(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "check": options.get("check", True),
        "write_passing": options.get("write_passing", False),
    }


def _mifir_keywords(options: Mapping[str, Any]) -> dict[str, Any]:
    policy = load_policy(_MIFIR_POLICY, parameters=options.get("parameters"))
    return {
        "cancellations": options.get("cancel") or (),
        "reportability": mifir.Reportability.from_policy(policy),
        **_check_keywords(options),
    }


def _emir_keywords(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "action": options.get("action") or "NEWT",
        "snapshots": options.get("snapshots") or (),
        **_check_keywords(options),
    }


_MIFIR = ReportType(
    name="mifir",
    help="MiFIR RTS 22 transaction reports (auth.016 in the ESMA envelope)",
    description="Write MiFIR transaction reports: one Tx/New per reportable trade, split "
    "into files of at most --max-records, named by the competent authority's convention "
    "(SENDER_DATTRA_RECIPIENT_DATE_SEQ.xml by default), each validated against ESMA's "
    "schemas before it appears. Every report is checked against ESMA's MiFIR validation "
    "rules (the mifir-vr pack) before it is written. Exit 2, with nothing written, when a "
    "row or a trade cannot be reported (each one named) or a report breaks a validation "
    "rule (each trade, transaction reference, field and rule named), unless "
    "--write-passing.",
    messages=("auth.016",),
    render=mifir.render,
    file_name=mifir.file_name,
    max_records=mifir.DEFAULT_MAX_RECORDS,
    per_file="Tx per file",
    policy=_MIFIR_POLICY,
    options=(
        ReportOption(
            "cancel",
            "a transaction reference (or trade id) reported before, to cancel (repeatable)",
            kind="texts",
            metavar="REFERENCE",
        ),
        ReportOption(
            "parameters",
            "mifir-data-quality parameter overrides (reportable_products, "
            "fx_cfds_reportable, regime)",
            kind="file",
            metavar="FILE",
        ),
        *_checks("ESMA's MiFIR", "mifir-vr"),
    ),
    keywords=_mifir_keywords,
)

_EMIR = ReportType(
    name="emir",
    help="EMIR REFIT trade reports (auth.030)",
    description="Write EMIR REFIT trade reports: one report per reportable derivative "
    "(NEWT: the CFD openings, forwards, swaps, options), UTIs generated where trades have "
    "none, split into files of at most --max-records, each validated before it appears. "
    "TERM: each closing trade terminates the derivative its opening reported, under the "
    "opening's UTI, which the close carries in uti; openings are listed, not terminated. "
    "Every report is checked against ESMA's EMIR validation rules (the emir-refit-vr pack) "
    "before it is written. Exit 2, with nothing written, when a row or a trade cannot be "
    "reported (each one named, e.g. a close whose opening's UTI is unknown) or a report "
    "breaks a validation rule (each trade, UTI, field and VR id named), unless "
    "--write-passing.",
    messages=("auth.030",),
    render=emir.render,
    file_name=emir.file_name,
    max_records=emir.DEFAULT_MAX_RECORDS,
    per_file="reports per file",
    policy=None,
    options=(
        ReportOption(
            "snapshots",
            "for VALU reports",
            kind="records",
            metavar="FILE",
            model=AccountSnapshot,
        ),
        ReportOption(
            "action",
            "the action type of every report (default NEWT)",
            choices=tuple(emir.ACTIONS),
            default="NEWT",
        ),
        ReportOption(
            "cancel",
            "a trade id or UTI reported before, to cancel with an EROR report (with "
            "--resubmit and --store; repeatable)",
            kind="texts",
            metavar="ID",
        ),
        *_checks("ESMA's EMIR", "emir-refit-vr"),
    ),
    keywords=_emir_keywords,
)

#: Every report, by name, in the order lists show them.
REPORTS: Mapping[str, ReportType] = types.MappingProxyType(
    {report.name: report for report in (_MIFIR, _EMIR)}
)


def report_type(name: str) -> ReportType:
    """The report of this name.

    Raises:
        TypeError: ``name`` is not text.
        RenderError: no report has this name (the error lists the names there are).

    Examples:
        >>> report_type("mifir").file_name.__module__.startswith("regkit.reports.mifir")
        True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a report name (text), got {type(name).__name__}")
    found = REPORTS.get(name)
    if found is None:
        raise RenderError(f"unknown report {name!r}; the reports are: {', '.join(REPORTS)}")
    return found
