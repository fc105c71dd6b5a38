"""Waiting for a real worker: poll a condition until it holds or time runs out."""

import time

from django.db import OperationalError


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05) -> bool:
    """True once ``condition()`` holds, False after ``timeout`` seconds. On SQLite the test's
    read can meet the worker's write transaction on the shared test database ("database table is
    locked"): that read is tried again, as a user's would be, rather than failing the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError as error:
            if "locked" not in str(error):
                raise
        time.sleep(interval)
    return False
