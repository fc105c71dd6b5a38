"""Row locks that cannot hang: primary-key order, a ``lock_timeout``, and ``Busy`` when it runs out.

Services that lock rows do it here (as pretix's ``lock_objects`` and saleor's locks by primary
key do), so two services never deadlock by locking the same rows in another order, and a row
held by a stuck request becomes "busy, try again" (409 in the API, a message on pages) after
``PRM_LOCK_TIMEOUT`` seconds instead of a request that never answers.

On PostgreSQL the timeout is ``SET LOCAL lock_timeout``: it holds until the transaction ends, so
every later lock the same service takes is bounded too. SQLite locks the whole database and
gives up after its own busy timeout; a "database is locked" error becomes ``Busy`` as well.
"""

from collections.abc import Iterable
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import Model, QuerySet

from .errors import Busy

# PostgreSQL's SQLSTATE for "lock_not_available" (lock_timeout, NOWAIT).
LOCK_NOT_AVAILABLE = "55P03"


def _timed_out(error: OperationalError) -> bool:
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE or getattr(cause, "pgcode", None) == LOCK_NOT_AVAILABLE:
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(error)


def set_lock_timeout(seconds: float | None = None) -> None:
    """Bound every lock wait until the current transaction ends (PostgreSQL; SQLite has its own)."""
    if not connection.in_atomic_block:
        raise RuntimeError("Locks are taken inside a transaction (transaction.atomic).")
    if connection.vendor == "postgresql":
        milliseconds = int((settings.PRM_LOCK_TIMEOUT if seconds is None else seconds) * 1000)
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {max(milliseconds, 1)}")


@contextmanager
def busy_on_timeout(message: str | None = None):
    """Turn a lock wait that ran out of time inside this block into ``Busy``."""
    try:
        yield
    except OperationalError as error:
        if _timed_out(error):
            raise (Busy(message) if message else Busy()) from error
        raise


def lock(queryset: QuerySet, *, message: str | None = None, of: Iterable[str] | None = ("self",)) -> list[Model]:
    """``SELECT ... FOR UPDATE`` the rows of ``queryset`` in primary-key order, within the timeout.

    ``of=("self",)`` locks only the queryset's own table when related rows are joined (PostgreSQL
    refuses FOR UPDATE on the nullable side of an outer join); pass ``of=None`` to lock them all.
    """
    set_lock_timeout()
    locking = queryset.select_for_update(of=tuple(of)) if of else queryset.select_for_update()
    with busy_on_timeout(message):
        return list(locking.order_by("pk"))


def lock_one(queryset: QuerySet, pk, *, message: str | None = None, of: Iterable[str] | None = ("self",)) -> Model:
    """Lock one row by primary key (``DoesNotExist`` when it is gone)."""
    rows = lock(queryset.filter(pk=pk), message=message, of=of)
    if not rows:
        raise queryset.model.DoesNotExist(f"{queryset.model.__name__} {pk} does not exist.")
    return rows[0]


def lock_if_free(queryset: QuerySet, pk, *, of: Iterable[str] | None = ("self",)) -> Model | None:
    """Lock one row unless another transaction holds it: ``None`` when it is held (or gone).

    For work that a live worker may be doing right now (``SKIP LOCKED``): a second worker, the
    watchdog or a restart leaves the row alone instead of waiting for it. SQLite has no row locks.
    """
    set_lock_timeout()
    locking = queryset.filter(pk=pk).select_for_update(skip_locked=True, **({"of": tuple(of)} if of else {}))
    with busy_on_timeout():
        return locking.first()


def lock_table(model: type[Model], mode: str, *, message: str | None = None) -> None:
    """``LOCK TABLE`` on PostgreSQL within the timeout (SQLite's writes are serialized anyway)."""
    if connection.vendor != "postgresql":
        return
    set_lock_timeout()
    with busy_on_timeout(message), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {connection.ops.quote_name(model._meta.db_table)} IN {mode} MODE")
