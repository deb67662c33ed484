"""Cases, the findings each holds, and the append-only log of every change to them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from regkit.store.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("case_group", sa.Text(), nullable=False),
        sa.Column("account_id", sa.String(200), nullable=True),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("resolution", sa.String(20), nullable=True),
        sa.Column("assignee", sa.String(200), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("snoozed_until", UtcDateTime(), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("opened_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=True),
    )
    op.create_index("cases_status", "cases", ["status", "rule_id", "case_group"])
    op.create_index("cases_account_status", "cases", ["account_id", "status"])
    op.create_table(
        "case_findings",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.case_id"), primary_key=True),
        sa.Column(
            "finding_key", sa.String(64), sa.ForeignKey("findings.finding_key"), primary_key=True
        ),
        sa.Column("added_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=True),
    )
    op.create_index("case_findings_key", "case_findings", ["finding_key"])
    op.create_table(
        "case_events",
        sa.Column("event_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("previous", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("case_events_case", "case_events", ["case_id", "event_id"])
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


#: The database itself refuses to change or delete an event (the chain of digests still
#: finds it if someone drops these first).
APPEND_ONLY = {
    "sqlite": [
        f"CREATE TRIGGER case_events_no_{verb.lower()} BEFORE {verb} ON case_events "
        "BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END"
        for verb in ("UPDATE", "DELETE")
    ],
    "postgresql": [
        "CREATE FUNCTION regkit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'case_events is append-only'; END $$",
        "CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events "
        "FOR EACH ROW EXECUTE FUNCTION regkit_append_only()",
    ],
}


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION regkit_append_only() CASCADE")
    for table in ("case_events", "case_findings", "cases"):
        op.drop_table(table)
