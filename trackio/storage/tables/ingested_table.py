"""The `ingested_batches` table: ids of the batches a team server stored."""

from __future__ import annotations

from trackio.storage.tables.sql import Connection


def record(conn: Connection, batch_id: str, received_at: float) -> bool:
    """Note that batch `batch_id` is being stored; False if it was stored before. Call
    inside the write transaction that stores the batch."""
    cursor = conn.execute(
        "INSERT INTO ingested_batches (id, received_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
        (batch_id, received_at),
    )
    return cursor.rowcount == 1


def contains(conn: Connection, batch_id: str) -> bool:
    """Whether batch `batch_id` was stored."""
    return (
        conn.execute("SELECT 1 FROM ingested_batches WHERE id = ?", (batch_id,)).fetchone()
        is not None
    )
