"""EMIR REFIT trade reports: auth.030 ``DerivsTradRpt`` files.

(The auth.092 feedback is read by :mod:`regkit.reports.emir.feedback`; the code lists and the
file sequence are the shared :mod:`regkit.reports.iso20022` layer's.)

:func:`render` turns trades into files of ``Document/DerivsTradRpt``: a ``RptHdr`` that
states the number of reports in the file (``NbRcrds``), then one ``TradData/Rpt`` per
trade, in the element of the action type (``New``, ``Mod``, ``Crrctn``, ``Termntn``,
``Err``, ``PosCmpnt``, ``ValtnUpd``). It does so in two steps, trade by trade:

1. **build**: :class:`~regkit.reports.emir.build.ReportBuilder` makes every decision (UTIs,
   counterparties, lifecycle, TERM links, valuations, client codes, amounts) and gives an
   :class:`~regkit.schemas.emir.EmirReport` record, or names the fields it cannot report
   (:mod:`regkit.reports.emir.build` explains the decisions);
2. **write**: :func:`~regkit.reports.emir.write.write_report` writes the record's ``Rpt``
   from the record alone.

See ``docs/emir.md`` for the field-by-field mapping (REFIT table and field, XML path,
regkit source).

Files. Each file is named ``{submitting LEI}_DATTAR_{YYYYMMDD}_{NNNNNN}.xml``: the report
submitting entity's LEI, ``DATTAR`` (ESMA's file type for auth.030 trade reports), the
creation date (UTC) and a six-digit sequence number from ``first_sequence``; trade
repositories set their own naming rules, and this one keeps names unique per submitter
and day when runs continue the numbering. A file holds at most ``max_records`` reports
(100,000 by default: 100-160 MB of XML at 1-1.6 KB a report; no trade repository limit was
found published, so lower it to the repository's); more go to the next sequence number.
The files are written by :func:`regkit.reports.writer.write_files` with
``count_records=True``: every chunk is validated against auth.030 (or ESMA's restricted
schema from ``REGKIT_XSD_DIR``) before it is written, ``NbRcrds`` is the number of
reports in the file, and files appear only when every trade was rendered and every chunk
validated. The same inputs and ``created_at`` give the same bytes.

Examples:
    >>> client_code("5493001KJTIIGC8Y1R12", "ACC-0001")
    '5493001KJTIIGC8Y1R12ACC0001LWSCVE43PQCG'
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from regkit.errors import RenderError
from regkit.reports.emir.build import (
    DEFAULT_EVENTS,
    EVENT_TYPES,
    Action,
    Event,
    ReportBuilder,
    Valuation,
    client_code,
    position_uti,
    uti_of,
)
from regkit.reports.emir.precheck import SPEC
from regkit.reports.emir.write import ACTIONS, write_report
from regkit.reports.iso20022.files import Numbering, dated_sequence, numbering
from regkit.reports.precheck import Gate, checked_writes, refusal_of
from regkit.reports.values import (
    Rendered,
    Skipped,
    creation_time,
)
from regkit.reports.writer import Envelope, Part, XmlWriter, write_files
from regkit.schemas.account import Account, AccountSnapshot
from regkit.schemas.firm import Firm
from regkit.schemas.identifiers import generate_uti
from regkit.schemas.trade import Trade

__all__ = [
    "ACTIONS",
    "DEFAULT_EVENTS",
    "DEFAULT_MAX_RECORDS",
    "EVENT_TYPES",
    "Action",
    "Event",
    "Rendered",
    "Skipped",
    "Valuation",
    "client_code",
    "file_name",
    "generate_uti",
    "position_uti",
    "render",
    "uti_of",
]

#: Reports in one file unless told otherwise.
DEFAULT_MAX_RECORDS: Final = 100_000

_AUTH030: Final = "urn:iso:std:iso:20022:tech:xsd:auth.030.001.03"


def _records(
    builder: ReportBuilder, trades: Iterable[Trade], check: Gate | None
) -> Iterator[tuple[str, bytes]]:
    """The ``Rpt`` of every trade that passes the check; raises once every trade was seen
    if any could not be reported, or (unless the check writes the passing reports) broke
    a validation rule."""
    yield from checked_writes(builder, trades, write_report, check)
    problem = refusal_of(builder.finish(), check)
    if problem is not None:
        raise problem


# --- files -----------------------------------------------------------------------------------


def file_name(firm: Firm, created_at: datetime, sequence: int) -> str:
    """The name of a report file: ``{submitting LEI}_DATTAR_{YYYYMMDD}_{NNNNNN}.xml``.

    Examples:
        >>> from datetime import UTC
        >>> firm = Firm(lei="5493001KJTIIGC8Y1R12", name="Example Markets Ltd", country="CY")
        >>> file_name(firm, datetime(2026, 11, 20, 18, 0, tzinfo=UTC), 1)
        '5493001KJTIIGC8Y1R12_DATTAR_20261120_000001.xml'
    """
    return f"{firm.reporting_lei}_DATTAR_{dated_sequence(created_at, sequence)}.xml"


def _envelope() -> Envelope:
    """``Document/DerivsTradRpt``: ``RptHdr/NbRcrds`` (the reports framed), ``TradData``."""

    @contextlib.contextmanager
    def envelope(xf: XmlWriter, part: Part) -> Iterator[None]:
        if part.records is None:  # never: render asks the writer to count
            raise RenderError("an auth.030 file states its number of reports")
        namespaces: Any = {None: _AUTH030}  # lxml-stubs does not allow the default namespace
        with xf.element(f"{{{_AUTH030}}}Document", nsmap=namespaces):
            xf.write("\n")
            with xf.element(f"{{{_AUTH030}}}DerivsTradRpt"):
                xf.write("\n")
                with xf.element(f"{{{_AUTH030}}}RptHdr"), xf.element(f"{{{_AUTH030}}}NbRcrds"):
                    xf.write(str(part.records))
                xf.write("\n")
                with xf.element(f"{{{_AUTH030}}}TradData"):
                    yield
                xf.write("\n")
            xf.write("\n")

    return envelope


def render(
    trades: Iterable[Trade],
    accounts: Iterable[Account],
    firm: Firm,
    out_dir: str | os.PathLike[str],
    *,
    created_at: datetime | None = None,
    action: Action = "NEWT",
    events: Mapping[str, str | Event] | None = None,
    valuations: Iterable[Valuation] = (),
    snapshots: Iterable[AccountSnapshot] = (),
    max_records: int | None = None,
    validate: bool = True,
    workers: int | None = None,
    first_sequence: Numbering = 1,
    check: bool = True,
    write_passing: bool = False,
    observe: Callable[[int, str, bytes], None] | None = None,
) -> Rendered:
    """Write the EMIR REFIT reports (auth.030) of a batch of trades, all of one action type.

    Every derivative trade becomes one report; spot trades (and, but for TERM, trades that
    close a position) are skipped and listed in the result. With TERM, each closing trade
    terminates the derivative its opening reported, under the opening's UTI, which the close
    carries in ``uti``; openings are skipped and listed, unless ``events`` names them with
    the time their position closed. Any trade that cannot be reported (no account, no
    client LEI, no valuation for VALU, a close whose opening's UTI is unknown ...) stops the
    batch: one :class:`~regkit.errors.RenderError` names every problem; no file is written.

    Args:
        trades: the trades, in any order (an iterator is read once; memory stays flat).
        accounts: the accounts the trades are on.
        firm: the reporting firm (counterparty 1, responsible; submitting: its reporting_lei).
        out_dir: the folder to write to (created if missing).
        created_at: the reporting timestamp and the files' date (default now, UTC); the
            same inputs and ``created_at`` give the same bytes.
        action: NEWT, MODI, CORR, TERM, EROR, POSC or VALU.
        events: trade id → event type, or an :class:`Event` (type, time, position UTI; by
            default :data:`DEFAULT_EVENTS`); with TERM, an opening named with
            ``Event(at=closing time)`` is terminated without its closing trade.
        valuations: the derivatives' values, one per trade id (required by VALU).
        snapshots: for VALU, a trade without a :class:`Valuation` is valued from its
            account's latest snapshot when that holds one open position.
        max_records: most reports in one file (default :data:`DEFAULT_MAX_RECORDS`).
        validate: validate every report against the schema.
        workers: chunks validated at once, in processes (1: inline; default 2 on 2 cores).
        first_sequence: the first file's number, or a function giving each file's number.
        check: run ESMA's validation rules (``emir-refit-vr``) on every report before it
            is written (:mod:`~regkit.reports.emir.precheck`); the same bytes when all pass.
        write_passing: with ``check``, write the reports that pass, the rest listed in
            ``content_check``, instead of refusing the batch.
        observe: told each report written (:func:`~regkit.reports.writer.write_files`).

    Returns:
        The files written with ``reported``, ``skipped`` and ``content_check`` (what the
        check found; None without it). ``docs/emir.md`` has a CFD's lifecycle.

    Raises:
        PreSubmissionError: reports that break a validation rule (all named).
        RenderError: bad records (all of them named), or bad arguments.
        XsdValidationError: a report does not validate (a regkit bug: please report it).
    """
    created = creation_time(created_at)
    number = numbering(first_sequence)
    checking = Gate.asked(SPEC, created, check=check, write_passing=write_passing)
    builder = ReportBuilder(accounts, firm, action=action, created_at=created, events=events,
                            valuations=valuations, snapshots=snapshots)  # fmt: skip
    paths = write_files(
        _records(builder, trades, checking), out_dir, envelope=_envelope(),
        name=lambda sequence: file_name(firm, created, number(sequence)), schema="auth.030",
        max_records=DEFAULT_MAX_RECORDS if max_records is None else max_records,
        validate=validate, workers=workers, count_records=True, observe=observe,
    )  # fmt: skip
    content = None if checking is None else checking.result()
    return Rendered(paths, reported=builder.reported, skipped=builder.skipped,
                    content_check=content)  # fmt: skip
