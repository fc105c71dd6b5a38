"""The calendar the demo data is told on, shared by every app's ``demo.py``.

The demo is dated relative to today: its story happens in the days and months before the moment
``seed_demo`` runs. The apps call their real services (which stamp the present) and then date
what they wrote as the story says, so these helpers name those dates: whole months back,
moments on a given day that never lie ahead of now, and documents of the story's past that are
left to render when someone first opens them (each one takes a good part of a second, and a year
of history holds hundreds of them)."""

import calendar
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

# The tasks that render a document after commit. Every one of those documents is also rendered
# on first request (the portal, the admin and the API ask for it when it is missing).
DOCUMENT_TASKS = {
    "partners.tasks.render_signed_agreement",
    "incentives.tasks.render_statement_pdfs",
    "enablement.tasks.render_certificate_pdf",
}


def month_start(today: date, months_back: int = 0) -> date:
    """The first day of the calendar month ``months_back`` months before ``today``'s month."""
    index = today.year * 12 + today.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def month_last_day(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), on the month's last day when it has fewer days."""
    first = month_start(day, -months)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))


def moment(day: date, hour: int = 10, minute: int = 0, *, now: datetime | None = None) -> datetime:
    """``hour:minute`` local time on ``day``. Today, a time that has not come yet moves to the part
    of today already past, keeping the order of the times: what the story says happened today
    happened before now, in the order it says."""
    now = now or timezone.now()
    if day > timezone.localdate(now):
        raise ValueError(f"The demo story never happens after today ({day} is ahead).")
    start = timezone.make_aware(datetime.combine(day, time.min))
    at = start + timedelta(hours=hour, minutes=minute)
    if at < now:
        return at
    share = (hour * 60 + minute) / (24 * 60)
    return start + (now - start) * share


@contextmanager
def documents_on_demand():
    """The documents that services inside the block ask to render after commit (signed agreements,
    payout statements, certificates) are not rendered then, but when someone first opens them."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("documents_on_demand() works inside a transaction: demo data loads in one.")
    before = len(connection.run_on_commit)
    try:
        yield
    finally:
        added = connection.run_on_commit[before:]
        connection.run_on_commit[before:] = [entry for entry in added if not _renders_document(entry[1])]


def _renders_document(callback) -> bool:
    """Whether an on-commit callback is a ``task.delay_on_commit(...)`` of a document task."""
    if not isinstance(callback, partial):
        return False
    task = getattr(callback.func, "__self__", None)
    return getattr(task, "name", None) in DOCUMENT_TASKS
