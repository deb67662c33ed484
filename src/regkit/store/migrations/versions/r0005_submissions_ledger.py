"""The submissions ledger: every regulator file written, each record in it, the feedback
ingested and each status it gave (:mod:`regkit.store.ledger`), and the file sequence
numbers handed out per regime, sender and day.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from regkit.store.schema import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sequences",
        sa.Column("regime", sa.String(10), primary_key=True),
        sa.Column("sender", sa.String(40), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    _submissions()
    _transmissions()
    _feedback()


def _submissions() -> None:
    op.create_table(
        "submissions",
        sa.Column("submission_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("regime", sa.String(10), nullable=False),
        sa.Column("sender", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(40), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
    )
    op.create_index("submissions_number", "submissions",
                    ["regime", "sender", "day", "sequence"], unique=True)  # fmt: skip
    op.create_index("submissions_message", "submissions", ["regime", "message_id"])
    op.create_index("submissions_sha256", "submissions", ["sha256"])


def _transmissions() -> None:
    op.create_table(
        "transmissions",
        sa.Column("transmission_id", _id(), primary_key=True, autoincrement=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.submission_id"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("trade_id", sa.String(200), nullable=True),
        sa.Column("action", sa.String(4), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.Column("traded_at", UtcDateTime(), nullable=True),
        sa.Column("corrects", sa.BigInteger(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=True),
    )  # fmt: skip
    op.create_index("transmissions_submission", "transmissions", ["submission_id", "position"])
    op.create_index("transmissions_reference", "transmissions", ["reference"])
    op.create_index("transmissions_trade", "transmissions", ["trade_id"])


def _feedback() -> None:
    op.create_table(
        "feedback",
        sa.Column("feedback_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("regime", sa.String(10), nullable=False),
        sa.Column("message", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("ingested_at", UtcDateTime(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
    )
    op.create_index("feedback_sha256", "feedback", ["sha256"], unique=True)
    op.create_table(
        "statuses",
        sa.Column("status_id", _id(), primary_key=True, autoincrement=True),
        sa.Column("feedback_id", sa.Integer(), sa.ForeignKey("feedback.feedback_id"),
                  nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("transmission_id", sa.BigInteger(), nullable=True),
        sa.Column("reference", sa.String(100), nullable=True),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.Column("code", sa.String(4), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("inferred", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=True),
    )  # fmt: skip
    op.create_index("statuses_transmission", "statuses", ["transmission_id"])
    op.create_index("statuses_feedback", "statuses", ["feedback_id"])


def downgrade() -> None:
    for table in ("statuses", "feedback", "transmissions", "submissions", "sequences"):
        op.drop_table(table)
