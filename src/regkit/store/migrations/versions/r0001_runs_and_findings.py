"""Runs, their policies and inputs, and findings with an identity across runs.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from regkit.store.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=False),
        sa.Column("as_of", UtcDateTime(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("regkit_version", sa.String(40), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("accounts", sa.Text(), nullable=True),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("records_checked", sa.Text(), nullable=False),
        sa.Column("unlisted", sa.Text(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("gone", sa.Integer(), nullable=False),
    )
    op.create_index("runs_finished", "runs", ["finished_at"])
    op.create_table(
        "run_policies",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("policy_id", sa.String(200), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_table(
        "run_inputs",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=True),
        sa.Column("kept", sa.Text(), nullable=True),
    )
    op.create_table(
        "findings",
        sa.Column("finding_key", sa.String(64), primary_key=True),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("record_kind", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(400), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=True),
        sa.Column("episode_start", sa.String(400), nullable=True),
        sa.Column("account_id", sa.String(200), nullable=True),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("first_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("last_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
        sa.Column("gone_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=True),
    )
    op.create_index("findings_rule_state", "findings", ["rule_id", "state"])
    op.create_index("findings_account_state", "findings", ["account_id", "state"])
    op.create_table(
        "run_findings",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column(
            "finding_key", sa.String(64), sa.ForeignKey("findings.finding_key"), nullable=False
        ),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
    )
    op.create_index("run_findings_key", "run_findings", ["finding_key"])
    op.create_table(
        "run_gone",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column(
            "finding_key", sa.String(64), sa.ForeignKey("findings.finding_key"), primary_key=True
        ),
    )


def downgrade() -> None:
    for table in ("run_gone", "run_findings", "findings", "run_inputs", "run_policies", "runs"):
        op.drop_table(table)
