"""The store's tables (SQLAlchemy Core), as the newest migration leaves them.

The migrations under ``regkit/store/migrations`` create and change the tables; this module
describes the result, for the queries. A test holds the two to each other (a new store's
tables, columns and indexes are these).

* ``runs``: one check run, immutable once written: when it ran, ``as_of``, the regkit
  that ran it, its scope and its counts. Its id is the SHA-256 of what identifies the
  result (policies, inputs, ``as_of``, start and end), so the same result recorded twice
  is one run.
* ``run_policies``: each policy (version) of a run, with its SHA-256, exact text and the
  parameter overrides it ran with (YAML; ``None``: none).
* ``run_inputs``: each input of a run: its fingerprint, record count, and where a kept copy
  is (``None``: fingerprinted only).
* ``findings``: one row per finding identity (:func:`regkit.store.finding_key`): the same
  breach found by tomorrow's run is the same row, found by ``key_hash`` (the key's first 64
  bits) and its full key. ``state`` is ``open`` while the latest run that covered it saw it,
  ``gone`` once one did not; ``case_id`` is the case it opened or joined when it was new.
* ``run_blocks``: what each run found, in its order, ten thousand findings a row: for each,
  its identity, whether it was ``new`` or ``seen`` again, and its full content as JSON
  (:mod:`regkit.store.blocks`).
* ``run_gone``: the findings a run no longer found.
* ``cases``: a case as it stands (:mod:`regkit.store.cases`): its rule and group, status,
  resolution, assignee, due day, snooze.
* ``case_events``: every change to a case, append-only, each event chained to the one
  before by SHA-256 (``previous``, ``digest``). A case's findings are those its ``opened``
  and ``joined`` events name.

The submissions ledger (:mod:`regkit.store.ledger`):

* ``sequences``: the last file sequence number handed out per regime, sender and day.
* ``submissions``: each regulator file written: regime, sender and recipient, name,
  message id, SHA-256, day and sequence number, creation time, record count, purpose.
* ``transmissions``: each record of a submission, in file order: its reference (MiFIR's
  transaction reference, EMIR's UTI), trade id, action, the SHA-256 of its content, the
  trade's execution time (the T+1 deadline's start), what it corrects, and (EMIR) the key
  fields a trade state report is compared on.
* ``feedback``: each regulator feedback file ingested, once (by its SHA-256).
* ``statuses``: each status a feedback gave, with the submission and transmission it was
  matched to (none: unmatched, kept and listed).

The big tables' references (a finding's runs and case) are not foreign keys: PostgreSQL
checks a foreign key row by row, which halves the speed of a run's ``COPY``. The store writes
them only with the run or case they name, in one transaction, and :meth:`Store.verify
<regkit.store.Store.verify>` checks that each one names a run or case that exists.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

__all__ = [
    "METADATA",
    "UtcDateTime",
    "case_events",
    "cases",
    "feedback",
    "findings",
    "run_blocks",
    "run_gone",
    "run_inputs",
    "run_policies",
    "runs",
    "sequences",
    "statuses",
    "submissions",
    "transmissions",
]


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC timestamp on every database: naive values are refused on the way in,
    and values come back aware in UTC (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"a naive timestamp cannot be stored: {value.isoformat()}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


METADATA = MetaData()

runs = Table(
    "runs",
    METADATA,
    Column("run_id", String(64), primary_key=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=False),
    Column("as_of", UtcDateTime(), nullable=True),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("regkit_version", String(40), nullable=False),
    Column("period_from", Date(), nullable=True),
    Column("period_to", Date(), nullable=True),
    Column("accounts", Text(), nullable=True),
    Column("rules", Text(), nullable=False),
    Column("records_checked", Text(), nullable=False),
    Column("unlisted", Text(), nullable=False),
    Column("findings", Integer(), nullable=False),
    Column("new", Integer(), nullable=False),
    Column("seen", Integer(), nullable=False),
    Column("gone", Integer(), nullable=False),
)
Index("runs_finished", runs.c.finished_at)

run_policies = Table(
    "run_policies",
    METADATA,
    Column("run_id", String(64), ForeignKey("runs.run_id"), primary_key=True),
    Column("position", Integer(), primary_key=True),
    Column("policy_id", String(200), nullable=False),
    Column("version", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("text", Text(), nullable=False),
    Column("parameters", Text(), nullable=True),
)

run_inputs = Table(
    "run_inputs",
    METADATA,
    Column("run_id", String(64), ForeignKey("runs.run_id"), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("records", Integer(), nullable=True),
    Column("kept", Text(), nullable=True),
)

findings = Table(
    "findings",
    METADATA,
    Column("finding_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("key_hash", BigInteger(), nullable=False),
    Column("finding_key", String(64), nullable=False),
    Column("rule_id", String(200), nullable=False),
    Column("record_kind", String(40), nullable=False),
    Column("record_id", String(400), nullable=False),
    Column("group_key", Text(), nullable=True),
    Column("episode_start", String(400), nullable=True),
    Column("account_id", String(200), nullable=True),
    Column("severity", String(10), nullable=False),
    Column("at", UtcDateTime(), nullable=True),
    Column("state", String(10), nullable=False),
    Column("first_run", String(64), nullable=False),
    Column("gone_run", String(64), nullable=True),
    Column("case_id", Integer(), nullable=True),
)  # fmt: skip
Index("findings_key_hash", findings.c.key_hash)
Index("findings_rule_state", findings.c.rule_id, findings.c.state)

run_blocks = Table(
    "run_blocks",
    METADATA,
    Column("run_id", String(64), ForeignKey("runs.run_id"), primary_key=True),
    Column("block", Integer(), primary_key=True),
    Column("first_position", Integer(), nullable=False),
    Column("findings", Integer(), nullable=False),
    Column("data", LargeBinary(), nullable=False),
)

run_gone = Table(
    "run_gone",
    METADATA,
    Column("run_id", String(64), ForeignKey("runs.run_id"), primary_key=True),
    Column("finding_key", String(64), primary_key=True),
)

cases = Table(
    "cases",
    METADATA,
    Column("case_id", Integer(), primary_key=True, autoincrement=True),
    Column("rule_id", String(200), nullable=False),
    Column("case_group", Text(), nullable=False),
    Column("account_id", String(200), nullable=True),
    Column("severity", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("resolution", String(20), nullable=True),
    Column("assignee", String(200), nullable=True),
    Column("due_on", Date(), nullable=True),
    Column("snoozed_until", UtcDateTime(), nullable=True),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("opened_run", String(64), ForeignKey("runs.run_id"), nullable=True),
)
Index("cases_status", cases.c.status, cases.c.rule_id, cases.c.case_group)
Index("cases_account_status", cases.c.account_id, cases.c.status)

case_events = Table(
    "case_events",
    METADATA,
    Column("event_id", Integer(), primary_key=True, autoincrement=True),
    Column("case_id", Integer(), ForeignKey("cases.case_id"), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("before", Text(), nullable=True),
    Column("after", Text(), nullable=True),
    Column("previous", String(64), nullable=False),
    Column("digest", String(64), nullable=False),
)
Index("case_events_case", case_events.c.case_id, case_events.c.event_id)

sequences = Table(
    "sequences",
    METADATA,
    Column("regime", String(10), primary_key=True),
    Column("sender", String(40), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("last", Integer(), nullable=False),
)

submissions = Table(
    "submissions",
    METADATA,
    Column("submission_id", Integer(), primary_key=True, autoincrement=True),
    Column("regime", String(10), nullable=False),
    Column("sender", String(40), nullable=False),
    Column("recipient", String(40), nullable=True),
    Column("day", Date(), nullable=False),
    Column("sequence", Integer(), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("message_id", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("records", Integer(), nullable=False),
    Column("purpose", String(20), nullable=False),
)
Index("submissions_number", submissions.c.regime, submissions.c.sender, submissions.c.day,
      submissions.c.sequence, unique=True)  # fmt: skip
Index("submissions_message", submissions.c.regime, submissions.c.message_id)
Index("submissions_sha256", submissions.c.sha256)

transmissions = Table(
    "transmissions",
    METADATA,
    Column("transmission_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("submission_id", Integer(), ForeignKey("submissions.submission_id"), nullable=False),
    Column("position", Integer(), nullable=False),
    Column("reference", String(100), nullable=False),
    Column("trade_id", String(200), nullable=True),
    Column("action", String(4), nullable=False),
    Column("record_hash", String(64), nullable=False),
    Column("traded_at", UtcDateTime(), nullable=True),
    Column("corrects", BigInteger(), nullable=True),
    Column("fields", Text(), nullable=True),
)  # fmt: skip
Index("transmissions_submission", transmissions.c.submission_id, transmissions.c.position)
Index("transmissions_reference", transmissions.c.reference)
Index("transmissions_trade", transmissions.c.trade_id)

feedback = Table(
    "feedback",
    METADATA,
    Column("feedback_id", Integer(), primary_key=True, autoincrement=True),
    Column("regime", String(10), nullable=False),
    Column("message", String(20), nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("message_id", String(300), nullable=True),
    Column("created_at", UtcDateTime(), nullable=True),
    Column("ingested_at", UtcDateTime(), nullable=False),
    Column("summary", Text(), nullable=False),
)
Index("feedback_sha256", feedback.c.sha256, unique=True)

statuses = Table(
    "statuses",
    METADATA,
    Column("status_id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
           autoincrement=True),
    Column("feedback_id", Integer(), ForeignKey("feedback.feedback_id"), nullable=False),
    Column("submission_id", Integer(), nullable=True),
    Column("transmission_id", BigInteger(), nullable=True),
    Column("reference", String(100), nullable=True),
    Column("message_id", String(300), nullable=True),
    Column("code", String(4), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("rules", Text(), nullable=False),
    Column("inferred", Integer(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=True),
)  # fmt: skip
Index("statuses_transmission", statuses.c.transmission_id)
Index("statuses_feedback", statuses.c.feedback_id)
