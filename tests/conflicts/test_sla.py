"""SLA due times per kind and priority (calendar hours from settings), and escalation by the
beat task: once per breach, priority up, owner and escalation contacts told."""

from datetime import datetime, timedelta
from datetime import timezone as tz

import pytest
from django.core import mail

from conflicts import services
from conflicts.models import Case
from conflicts.tasks import escalate_breached_cases
from prm.scoping import scope

from .conftest import dispute

pytestmark = pytest.mark.django_db
FROZEN = datetime(2026, 3, 2, 9, 0, tzinfo=tz.utc)


def test_due_times_are_calendar_hours_per_kind_and_priority(settings):
    settings.PRM_CASE_SLA_HOURS = {
        **settings.PRM_CASE_SLA_HOURS,
        "deal_dispute": {"normal": [24, 120], "urgent": [2, 8]},
    }
    first, resolution = services.sla_due_times(kind="deal_dispute", priority="normal", start=FROZEN)
    assert first == datetime(2026, 3, 3, 9, 0, tzinfo=tz.utc)  # a weekend or night counts like any hour
    assert resolution == datetime(2026, 3, 7, 9, 0, tzinfo=tz.utc)
    assert services.sla_due_times(kind="deal_dispute", priority="urgent", start=FROZEN)[1] == FROZEN + timedelta(
        hours=8
    )


def test_a_dispute_gets_its_due_times_from_the_settings(partner_admin, settings):
    settings.PRM_CASE_SLA_HOURS = {**settings.PRM_CASE_SLA_HOURS, "other": {"normal": [3, 10]}}
    case = dispute(partner_admin)
    assert case.first_response_due - case.opened_at == timedelta(hours=3)
    assert case.resolution_due - case.opened_at == timedelta(hours=10)


@pytest.fixture
def late_case(partner_admin, manager):
    case = dispute(partner_admin)
    services.case_assign(case=case, owner=manager, by=manager)
    return case


def test_a_breached_first_response_escalates_once(late_case, manager, settings, commit):
    settings.PRM_CASE_ESCALATION_CONTACTS = ["head-of-partners@example.com"]
    mail.outbox.clear()
    at = late_case.first_response_due + timedelta(minutes=1)
    with commit():
        assert services.cases_escalate(now=at) == 1
    late_case.refresh_from_db()
    assert late_case.status == "escalated" and late_case.priority == "high"
    assert late_case.first_response_escalated_at == at
    (message,) = mail.outbox
    assert set(message.to) == {manager.email, "head-of-partners@example.com"} and "escalated" in message.subject
    # The beat runs again and again: the same breach never escalates twice.
    with commit():
        assert services.cases_escalate(now=at + timedelta(minutes=5)) == 0
    late_case.refresh_from_db()
    assert late_case.priority == "high" and len(mail.outbox) == 1


def test_a_later_resolution_breach_escalates_again(late_case):
    services.cases_escalate(now=late_case.first_response_due + timedelta(minutes=1))
    assert services.cases_escalate(now=late_case.resolution_due + timedelta(minutes=1)) == 1
    late_case.refresh_from_db()
    assert late_case.priority == "urgent" and late_case.resolution_escalated_at is not None


def test_an_answered_case_does_not_escalate_for_its_first_response(late_case, manager):
    services.case_post_message(case=late_case, by=manager, body="Looking into it.")
    assert services.cases_escalate(now=late_case.first_response_due + timedelta(hours=1)) == 0
    late_case.refresh_from_db()
    assert late_case.status == "investigating"


def test_resolved_cases_never_escalate(late_case, manager):
    services.case_resolve(case=late_case, by=manager, outcome="no_action", note="Answered.")
    assert services.cases_escalate(now=late_case.resolution_due + timedelta(days=1)) == 0


def test_the_beat_task_acts_for_the_program(partner_admin):
    case = dispute(partner_admin)
    Case.objects.filter(pk=case.pk).update(first_response_due=FROZEN, resolution_due=FROZEN + timedelta(hours=1))
    with scope():  # as a worker starts: no scope; the task disables scoping itself
        assert escalate_breached_cases.delay().get() == 2
    assert Case.objects.get(pk=case.pk).status == "escalated"


def test_the_escalation_is_scheduled_by_beat(settings):
    assert any(e["task"] == "conflicts.tasks.escalate_breached_cases" for e in settings.CELERY_BEAT_SCHEDULE.values())
