"""Onboarding: checklists, tasks closed by events, activation, stall reminders."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from prm.locks import lock_one
from prm.mail import send_templated_mail
from prm.roles import MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled

from ..models import (
    OnboardingTask,
    OnboardingTaskTemplate,
    Partner,
    User,
)
from ..selectors import partner_admin_emails
from .lifecycle import partner_status_change


def onboarding_start(*, partner: Partner) -> None:
    """Give the partner its own copy of the checklist of its partner type (idempotent)."""
    templates = OnboardingTaskTemplate.objects.filter(partner_type=partner.partner_type)
    with scopes_disabled():
        existing = set(OnboardingTask.objects.filter(partner=partner).values_list("key", flat=True))
        bulk_create_with_history(
            [
                OnboardingTask(
                    partner=partner,
                    key=t.key,
                    title=t.title,
                    description=t.description,
                    event=t.event,
                    required=t.required,
                    order=t.order,
                )
                for t in templates
                if t.key not in existing
            ],
            OnboardingTask,
        )


def _activate_if_complete(partner: Partner) -> bool:
    """An onboarding partner whose required tasks are all done becomes active (through the
    status table of partners.services.lifecycle)."""
    with scopes_disabled():
        partner = lock_one(Partner.objects.all(), partner.pk)
        if partner.status != Partner.Status.ONBOARDING:
            return False
        tasks = OnboardingTask.objects.filter(partner=partner, required=True)
        if not tasks.exists() or tasks.filter(done_at__isnull=True).exists():
            return False
    partner_status_change(
        partner=partner, status=Partner.Status.ACTIVE, by=None, reason="All required onboarding tasks are done"
    )
    return True


@transaction.atomic
def onboarding_event_record(*, partner: Partner, event: str, by: User | None = None) -> int:
    """Close the partner's open tasks that wait for ``event``; activate when all are done.

    Returns how many tasks it closed. Other stages call this with their own events.
    """
    now = timezone.now()
    with scopes_disabled():
        open_tasks = list(OnboardingTask.objects.filter(partner=partner, event=event, done_at__isnull=True))
    for task in open_tasks:  # saved one by one, so that each lands in the audit history
        task.done_at, task.done_by = now, by
        task.save(update_fields=["done_at", "done_by"])
    closed = len(open_tasks)
    if closed:
        with scopes_disabled():
            Partner.objects.filter(pk=partner.pk).update(onboarding_progress_at=now)
        _activate_if_complete(partner)
    return closed


@transaction.atomic
def onboarding_task_complete(*, task: OnboardingTask, by: User) -> OnboardingTask:
    """A manager ticks off a step that no event closes (a kick-off call, say)."""
    require_role(by, *MANAGER_ROLES, action="tick off onboarding tasks")
    if task.done_at is None:
        task.done_at = timezone.now()
        task.done_by = by
        task.save(update_fields=["done_at", "done_by"])
        with scopes_disabled():
            Partner.objects.filter(pk=task.partner_id).update(onboarding_progress_at=task.done_at)
        _activate_if_complete(task.partner)
    return task


def _remind(partners: list[Partner], now) -> None:
    """E-mail each partner's admins the open steps of its checklist; note when."""
    admins = partner_admin_emails(p.pk for p in partners)
    for partner in partners:
        open_tasks = [t for t in partner.onboarding_tasks.all() if t.done_at is None]
        recipients = admins.get(partner.pk)
        if recipients:
            send_templated_mail(
                to=recipients,
                template="partners/email/onboarding_stalled",
                context={
                    "partner": partner,
                    "open_tasks": open_tasks,
                    "link": settings.SITE_URL + "/portal/onboarding/",
                },
            )
    with scopes_disabled():
        Partner.objects.filter(pk__in=[p.pk for p in partners]).update(onboarding_reminded_at=now)


def onboarding_stalled_remind(*, now=None) -> int:
    """Remind partners whose onboarding made no progress for PRM_ONBOARDING_STALL_DAYS, once per stall.

    A stall starts at the last progress (or at creation); a reminder is sent when none was sent
    since then. Returns how many partners were reminded.
    """
    from django.db.models import F
    from django.db.models.functions import Coalesce

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PRM_ONBOARDING_STALL_DAYS)
    with scopes_disabled():
        stalled = list(
            Partner.objects.filter(status=Partner.Status.ONBOARDING)
            .annotate(last_progress=Coalesce("onboarding_progress_at", "created_at"))
            .filter(last_progress__lt=cutoff)
            .filter(Q(onboarding_reminded_at__isnull=True) | Q(onboarding_reminded_at__lt=F("last_progress")))
            .prefetch_related("onboarding_tasks")
        )
    _remind(stalled, now)
    return len(stalled)


def onboarding_remind(*, partner_ids: list[int], by: User) -> int:
    """A manager reminds the chosen partners now, stalled or not: those still onboarding (the
    others have nothing to do) get the reminder. Returns how many were reminded; the daily
    reminder counts the stall from now on."""
    require_role(by, *MANAGER_ROLES, action="remind partners of their onboarding")
    with scopes_disabled():
        partners = list(
            Partner.objects.filter(pk__in=partner_ids, status=Partner.Status.ONBOARDING)
            .prefetch_related("onboarding_tasks")
            .order_by("pk")
        )
    _remind(partners, timezone.now())
    return len(partners)
