"""Findings found by a 64-bit hash of their key, with their case on their row; a run's
findings kept ten thousand to a compressed row (``run_blocks``) instead of a row each.

Recording wrote three rows per new finding (``findings``, ``run_findings`` and
``case_findings``, each indexed by a 64-character key) and updated one per finding seen
again. It now writes one row per new finding, indexed by a 64-bit integer, and one row per
ten thousand findings of a run: two to four times the findings a second, in a smaller
store (``docs/performance.md``). The upgrade and the downgrade carry every run, finding and
case over.

* ``findings``: ``finding_id`` (its row), ``key_hash``, ``case_id`` added; ``last_run``
  dropped (a run now finds the findings it did not see by their ids).
* ``run_findings`` becomes ``run_blocks`` (:mod:`regkit.store.blocks`).
* ``case_findings`` goes: a finding joins one case, when it is new (``findings.case_id``),
  and the case's ``opened``/``joined`` events list its findings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from regkit.store.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BLOCK = 10_000
# The columns both layouts of ``findings`` share.
SHARED = ("finding_key", "rule_id", "record_kind", "record_id", "group_key", "episode_start",
          "account_id", "severity", "at", "state", "first_run", "gone_run")  # fmt: skip


def _described(*extra: sa.Column[Any]) -> list[sa.Column[Any]]:
    """The columns of ``findings`` from ``record_kind`` to ``gone_run``, then ``extra``."""
    return [
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("record_kind", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(400), nullable=False),
        sa.Column("group_key", sa.Text(), nullable=True),
        sa.Column("episode_start", sa.String(400), nullable=True),
        sa.Column("account_id", sa.String(200), nullable=True),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        *extra,
    ]


def _key_hash(key: str) -> int:
    return int.from_bytes(bytes.fromhex(key[:16]), "big", signed=True)


def _rows(query: str) -> Iterator[sa.Row[Any]]:
    """A query's rows, read a block at a time (a server-side cursor on PostgreSQL)."""
    yield from op.get_bind().execute(sa.text(query).execution_options(yield_per=BLOCK))


def _insert(table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        op.get_bind().execute(table.insert(), list(rows))


def _in_blocks(table: sa.Table, rows: Iterator[dict[str, Any]]) -> None:
    block: list[dict[str, Any]] = []
    for row in rows:
        block.append(row)
        if len(block) == BLOCK:
            _insert(table, block)
            block = []
    _insert(table, block)


def _rename(old: str, new: str) -> None:
    """Rename a table, with (on PostgreSQL) the constraints and sequence named after it."""
    op.rename_table(old, new)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    names = bind.execute(
        sa.text("SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"),
        {"t": new},
    ).scalars()
    for name in list(names):
        if name.startswith(f"{old}_"):
            renamed = new + name[len(old) :]
            op.execute(f'ALTER TABLE "{new}" RENAME CONSTRAINT "{name}" TO "{renamed}"')
    if new != "findings" or old.endswith("0003"):
        return
    sequence = bind.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'finding_id')"), {"t": new})
    if sequence is not None:
        op.execute(f"ALTER SEQUENCE {sequence} RENAME TO {new}_finding_id_seq")


def upgrade() -> None:
    op.drop_index("findings_rule_state", table_name="findings")
    op.drop_index("findings_account_state", table_name="findings")
    op.drop_index("run_findings_key", table_name="run_findings")
    op.drop_index("case_findings_key", table_name="case_findings")
    new = op.create_table(
        "findings_0004",
        sa.Column(
            "finding_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("key_hash", sa.BigInteger(), nullable=False),
        sa.Column("finding_key", sa.String(64), nullable=False),
        *_described(
            sa.Column("first_run", sa.String(64), nullable=False),
            sa.Column("gone_run", sa.String(64), nullable=True),
            sa.Column("case_id", sa.Integer(), nullable=True),
        ),
    )
    assert new is not None
    _in_blocks(new, _findings_up())
    blocks = op.create_table(
        "run_blocks",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("block", sa.Integer(), primary_key=True),
        sa.Column("first_position", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    assert blocks is not None
    _in_blocks(blocks, _blocks_up())
    op.create_table(
        "run_gone_0004",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("finding_key", sa.String(64), primary_key=True),
    )
    op.execute("INSERT INTO run_gone_0004 (run_id, finding_key) "
               "SELECT run_id, finding_key FROM run_gone")  # fmt: skip
    for table in ("run_findings", "case_findings", "run_gone", "findings"):
        op.drop_table(table)
    _rename("findings_0004", "findings")
    _rename("run_gone_0004", "run_gone")
    op.create_index("findings_key_hash", "findings", ["key_hash"])
    op.create_index("findings_rule_state", "findings", ["rule_id", "state"])


def _findings_up() -> Iterator[dict[str, Any]]:
    columns = ", ".join(f"f.{name}" for name in SHARED)
    query = (
        f"SELECT {columns}, (SELECT MIN(c.case_id) FROM case_findings c "
        "WHERE c.finding_key = f.finding_key) AS case_id "
        "FROM findings f JOIN runs r ON r.run_id = f.first_run "
        "ORDER BY r.recorded_at, r.run_id, f.finding_key"
    )
    for row in _rows(query):
        values = dict(row._mapping)
        values["at"] = _aware(values["at"])
        yield {"key_hash": _key_hash(values["finding_key"]), **values}


def _aware(value: Any) -> Any:
    """A time read by a text query (SQLite gives text, PostgreSQL an aware time) as
    ``UtcDateTime`` takes it."""
    if value is None or not isinstance(value, str):
        return value
    from datetime import UTC, datetime

    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _blocks_up() -> Iterator[dict[str, Any]]:
    query = ("SELECT run_id, position, finding_key, state, content FROM run_findings "
             "ORDER BY run_id, position")  # fmt: skip
    run, first, number = None, 0, 0
    lines: list[str] = []
    for row in _rows(query):
        if lines and (row.run_id != run or len(lines) == BLOCK):
            yield _block(run, number, first, lines)
            number, lines = (number + 1 if row.run_id == run else 0), []
        if not lines:
            run, first = row.run_id, row.position
        lines.append(f"{row.finding_key}\t{row.state}\t{row.content}\n")
    if lines:
        yield _block(run, number, first, lines)


def _block(run: Any, number: int, first: int, lines: list[str]) -> dict[str, Any]:
    data = zlib.compress("".join(lines).encode(), 1)
    return {"run_id": run, "block": number, "first_position": first, "findings": len(lines),
            "data": data}  # fmt: skip


def downgrade() -> None:
    old = op.create_table(
        "findings_0003",
        sa.Column("finding_key", sa.String(64), primary_key=True),
        *_described(
            sa.Column("first_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
            sa.Column("last_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=False),
            sa.Column("gone_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=True),
        ),
    )
    assert old is not None
    columns = ", ".join(SHARED)
    rows = _rows(f"SELECT {columns} FROM findings ORDER BY finding_id")
    _in_blocks(old, ({**row._mapping, "at": _aware(row.at), "last_run": row.first_run}
                     for row in rows))  # fmt: skip
    _down_cases()
    _down_blocks()
    op.create_table(
        "run_gone_0003",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column(
            "finding_key",
            sa.String(64),
            sa.ForeignKey("findings_0003.finding_key"),
            primary_key=True,
        ),
    )
    op.execute("INSERT INTO run_gone_0003 (run_id, finding_key) "
               "SELECT run_id, finding_key FROM run_gone")  # fmt: skip
    op.drop_table("run_gone")
    op.drop_table("run_blocks")
    op.drop_table("findings")
    _rename("findings_0003", "findings")
    _rename("run_gone_0003", "run_gone")
    op.create_index("findings_rule_state", "findings", ["rule_id", "state"])
    op.create_index("findings_account_state", "findings", ["account_id", "state"])
    op.create_index("run_findings_key", "run_findings", ["finding_key"])
    op.create_index("case_findings_key", "case_findings", ["finding_key"])


def _down_cases() -> None:
    table = op.create_table(
        "case_findings",
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.case_id"), primary_key=True),
        sa.Column(
            "finding_key",
            sa.String(64),
            sa.ForeignKey("findings_0003.finding_key"),
            primary_key=True,
        ),
        sa.Column("added_run", sa.String(64), sa.ForeignKey("runs.run_id"), nullable=True),
    )
    assert table is not None
    query = ("SELECT case_id, finding_key, first_run AS added_run FROM findings "
             "WHERE case_id IS NOT NULL ORDER BY finding_id")  # fmt: skip
    _in_blocks(table, (dict(row._mapping) for row in _rows(query)))


def _down_blocks() -> None:
    table = op.create_table(
        "run_findings",
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column(
            "finding_key", sa.String(64), sa.ForeignKey("findings_0003.finding_key"), nullable=False
        ),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
    )
    assert table is not None
    query = "SELECT run_id, first_position, data FROM run_blocks ORDER BY run_id, block"
    _in_blocks(table, _lines_down(_rows(query)))


def _lines_down(blocks: Iterator[sa.Row[Any]]) -> Iterator[dict[str, Any]]:
    for row in blocks:
        text = zlib.decompress(row.data).decode()
        for offset, line in enumerate(text.split("\n")[:-1]):
            key, state, content = line.split("\t", 2)
            yield {"run_id": row.run_id, "position": row.first_position + offset,
                   "finding_key": key, "state": state, "content": content}  # fmt: skip
