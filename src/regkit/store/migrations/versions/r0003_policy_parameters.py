"""The parameter overrides each policy of a run ran with (``--parameters``), so that the
policy that ran can be read back from the store exactly.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("run_policies", sa.Column("parameters", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_policies") as table:
        table.drop_column("parameters")
