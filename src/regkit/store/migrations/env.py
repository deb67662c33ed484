"""Alembic's environment for the store: migrations run on the connection regkit hands over
(``config.attributes["connection"]``), inside its transaction."""

from __future__ import annotations

from alembic import context

from regkit.store.schema import METADATA

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
