"""Waiting for a real worker: poll a condition until it holds or time runs out, and act on the
database while the worker writes to it."""

import time

from django.db import OperationalError

# On SQLite the in-process worker thread shares the test database, and a statement that meets the
# worker's write transaction fails at once ("database table is locked") instead of waiting. A user
# would try again a moment later; so do these helpers. Any other database error is raised.


def _is_lock(error: OperationalError) -> bool:
    return "locked" in str(error)


def wait_for(condition, timeout: float = 30.0, interval: float = 0.05) -> bool:
    """True once ``condition()`` holds, False after ``timeout`` seconds; a read that meets the
    worker's lock is tried again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError as error:
            if not _is_lock(error):
                raise
        time.sleep(interval)
    return False


def unlocked(action, timeout: float = 30.0, interval: float = 0.05):
    """``action()``'s result, tried again while it meets the worker's lock; after ``timeout``
    seconds the lock error is raised. Anything else ``action`` raises (a refusal the test
    expects, say) goes straight to the caller."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except OperationalError as error:
            if not _is_lock(error) or time.monotonic() >= deadline:
                raise
        time.sleep(interval)
