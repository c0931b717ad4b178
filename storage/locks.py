"""PostgreSQL advisory locks: the one piece of SQL behind the scheduler's leader election.

A session-level advisory lock belongs to the connection that took it and dies with it: a
replica that crashes, is killed or loses its connection releases the lock without running
any code, which is what lets another replica take over.  The lock is keyed by the schema
the connection works in (its ``search_path``), so two bots sharing one PostgreSQL server in
different schemas each have their own leader.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

# The first half of the two-key advisory lock: "the factorybot scheduler" (an arbitrary constant).
SCHEDULER_LOCK_CLASS = 0x0FAC7081


def hold_lock(engine: Engine) -> Connection | None:
    """A connection of its own holding the lock, or None when another connection holds it.

    The connection runs in autocommit, so holding it for hours keeps no transaction open;
    never waits for the lock."""
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        query = text("SELECT pg_try_advisory_lock(:lock_class, hashtext(current_schema()))")
        taken = bool(conn.execute(query, {"lock_class": SCHEDULER_LOCK_CLASS}).scalar())
    except BaseException:
        conn.close()
        raise
    if not taken:
        conn.close()
        return None
    return conn


def still_held(conn: Connection) -> bool:
    """False once the server has closed the lock's connection (and with it the lock)."""
    try:
        conn.execute(text("SELECT 1"))
    except DBAPIError:
        return False
    return True


def release(conn: Connection) -> None:
    """Close the lock's connection for good (not back to the pool, still locked): the lock goes with it."""
    conn.invalidate()
    conn.close()
