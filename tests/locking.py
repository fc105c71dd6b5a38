"""Another database session that holds locks while a test acts: what a slow request, a worker
or a finance user in another tab does to the rows a service wants."""

import time
from contextlib import contextmanager

import pytest
from django.db import connection

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks and lock_timeout are PostgreSQL's; SQLite locks the whole file"
)


def _connect():
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
    )


@contextmanager
def held_elsewhere(sql: str, params=()):
    """Run ``sql`` in a transaction of another session and keep its locks until the block ends."""
    other = _connect()
    try:
        other.execute(sql, params)
        yield other
    finally:
        other.rollback()
        other.close()


def sessions_waiting_for_locks() -> int:
    """How many sessions of the test database wait for a lock right now."""
    with _connect() as probe:
        return probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]


def wait_until(condition, timeout: float = 20.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False
