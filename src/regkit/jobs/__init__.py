"""The workflows of regkit as Python calls: what each ``regkit`` command does, with the
same arguments, for a service, a scheduler or a notebook. The command line is a thin layer
over these (it parses arguments, shows progress and prints results); the jobs print nothing
and tell their progress to a callback.

- :func:`load_firm`: the reporting firm from its TOML or JSON file.
- :func:`record_files`, :func:`read_files`: the record files of a folder; the records of
  given files, scoped by period and account.
- :func:`check_files`: check record files against a policy (``regkit check``).
- :func:`report`: write one report's regulator files (``regkit report NAME``), for any
  report of :data:`regkit.reports.registry.REPORTS`.
- :func:`pack`: read, scope, check, render and write an audit pack (``regkit pack``).
- :func:`pack_from_store`: the audit pack of a past period from a history store, with
  its runs and the timeline of each case (``regkit pack --store``).
- :func:`record_check`: keep a check of record files in a history store, each finding
  with its account, the run covering the days of the files' records (:func:`span_of`;
  ``regkit check --store``).
- :func:`report` with ``store``: the files numbered by the store's submissions ledger and
  recorded in it; with ``resubmit``, what the ledger calls for sending again.
- :func:`ingest_feedback`: regulator feedback (auth.031, auth.092) into the ledger
  (``regkit feedback ingest``); :func:`submission_status`: where each transaction stands
  (``regkit status``), with :func:`expected_transactions` for the trades not reported;
  :func:`compare_trade_state`: a trade state report (auth.107) against the ledger;
  :func:`with_reported`: ``MIFIR-LATE`` and ``EMIR-LATE`` given the ledger's reports.
- :func:`samples`: write a synthetic brokerage (``regkit samples``).
- :func:`demo` and :data:`DEMO_STEPS`: the demo, step by step (``regkit demo``).

Bad input raises :class:`JobError` (a missing file, bad rows: each one in its
``record_errors``); an argument of the wrong type raises :class:`TypeError` naming it.

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> manifest = samples(folder, trades=20, format="csv")
    >>> sorted(record_files(folder))
    ['accounts', 'movements', 'snapshots', 'trades']
    >>> load_firm(folder / "firm.json").lei
    '529900RKSAMPLEFIRM88'
"""

from __future__ import annotations

from regkit.jobs._check import PolicyArgument, check_files, samples
from regkit.jobs._common import JobError, Progress
from regkit.jobs._demo import DEMO_STEPS, DemoContext, DemoStep, demo, sample_lines
from regkit.jobs._history import pack_from_store
from regkit.jobs._inputs import load_firm, read_files, record_files
from regkit.jobs._ledger import (
    Resubmission,
    Resubmitted,
    compare_trade_state,
    expected_transactions,
    ingest_feedback,
    submission_status,
    with_reported,
)
from regkit.jobs._pack import PackResult, pack
from regkit.jobs._report import report
from regkit.jobs._store import accounts_of, record_check, span_of

__all__ = [
    "DEMO_STEPS",
    "DemoContext",
    "DemoStep",
    "JobError",
    "PackResult",
    "PolicyArgument",
    "Progress",
    "Resubmission",
    "Resubmitted",
    "accounts_of",
    "check_files",
    "compare_trade_state",
    "demo",
    "expected_transactions",
    "ingest_feedback",
    "load_firm",
    "pack",
    "pack_from_store",
    "read_files",
    "record_check",
    "record_files",
    "report",
    "sample_lines",
    "samples",
    "span_of",
    "submission_status",
    "with_reported",
]
