"""Long work that survives a dead worker: a heartbeat on the row, and a watchdog that restarts it.

Late acks and reject-on-worker-lost give a task back to the queue when its worker *process*
dies, but when the whole worker (main process and children) is killed, Redis hands the task out
again only after its visibility timeout (hours). Long work therefore leaves a sign of life on the
row it works on, and a beat task (``prm.tasks.restart_stale_work``, every
``PRM_WORK_WATCHDOG_SECONDS``) enqueues again the work whose sign of life is older than
``PRM_WORK_STALE_SECONDS``.

A kind of long work (a payout run's calculation, its statement PDFs, a newsletter send) is:

- a model with a ``heartbeat_at`` column (``LongWork``), stamped with ``beat()`` when the work is
  enqueued and while a worker does it (outside any long transaction, or nobody sees the stamp);
- ``unfinished``: the rows whose work is not done yet;
- the Celery task that does or resumes the work of one row, given its id. It must be safe to run
  twice: it locks the row while it works (a live worker's lock is how the watchdog tells it from a
  dead one: a row held by a transaction is never restarted) and does only what is not done yet.

Register each kind once, in its app's ``AppConfig.ready()``: ``work.register(WorkKind(...))``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from .locks import lock_if_free


class LongWork(models.Model):
    """A row whose work is done by a worker: it carries the worker's last sign of life."""

    heartbeat_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Last sign of life of the worker doing this row's long work."
    )

    class Meta:
        abstract = True


@dataclass(frozen=True)
class WorkKind:
    name: str  # what people read: "payout calculation"
    model: str  # "app_label.Model", a LongWork
    unfinished: Callable[[QuerySet], QuerySet]  # the rows of the model whose work is not done yet
    task: str  # dotted path of the Celery task that does or resumes one row's work: task(pk)

    def rows(self) -> QuerySet:
        return self.unfinished(apps.get_model(self.model)._base_manager.all())

    def enqueue(self, pk) -> None:
        import_string(self.task).delay(pk)


_kinds: dict[str, WorkKind] = {}


def register(kind: WorkKind) -> WorkKind:
    _kinds[kind.name] = kind
    return kind


def kinds() -> list[WorkKind]:
    return list(_kinds.values())


def kinds_of(model: type[models.Model]) -> list[WorkKind]:
    return [kind for kind in _kinds.values() if apps.get_model(kind.model) is model]


def stale_before(now: datetime | None = None) -> datetime:
    """A sign of life older than this is the sign of a dead worker."""
    return (now or timezone.now()) - timedelta(seconds=settings.PRM_WORK_STALE_SECONDS)


def _stale(queryset: QuerySet, now: datetime | None = None) -> QuerySet:
    return queryset.filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale_before(now)))


def is_stale(row: LongWork, now: datetime | None = None) -> bool:
    return row.heartbeat_at is None or row.heartbeat_at < stale_before(now)


def beat(row: LongWork) -> bool:
    """Record a sign of life of the work on ``row`` (committed at once outside a transaction).

    Never waits: a row another transaction holds is being worked on, and that lock is its sign of
    life. Returns whether the heartbeat was written.
    """
    with transaction.atomic():
        if lock_if_free(type(row)._base_manager.all(), row.pk) is None:
            return False
        row.heartbeat_at = timezone.now()
        type(row)._base_manager.filter(pk=row.pk).update(heartbeat_at=row.heartbeat_at)
    return True


def restart(kind: WorkKind, pk, *, now: datetime | None = None) -> bool:
    """Enqueue the work of one row again if it is unfinished, its heartbeat is stale and no live
    transaction holds the row. Returns whether it was enqueued (after commit)."""
    with transaction.atomic():
        row = lock_if_free(kind.rows(), pk)
        if row is None or not is_stale(row, now):
            return False
        beat(row)  # the restarted work has until the next stale limit to show a sign of life
        transaction.on_commit(lambda: kind.enqueue(pk))
    return True


def restart_stale(*, now: datetime | None = None, limit: int = 100) -> dict[str, list]:
    """Restart every kind's stale work (at most ``limit`` rows of each per call)."""
    restarted = {}
    for kind in kinds():
        candidates = list(_stale(kind.rows(), now).order_by("pk").values_list("pk", flat=True)[:limit])
        done = [pk for pk in candidates if restart(kind, pk, now=now)]
        if done:
            restarted[kind.name] = done
    return restarted
