"""Onboarding: tasks close themselves on events, the partner becomes active, stalls are reminded."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from partners import services
from partners.models import OnboardingEvent, OnboardingTask, Partner

from ..factories import PartnerFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def onboarding_partner(checklist):
    partner = PartnerFactory(name="Initech", status="onboarding")
    services.onboarding_start(partner=partner)
    return partner


def done_keys(partner):
    return set(OnboardingTask.objects.filter(partner=partner, done_at__isnull=False).values_list("key", flat=True))


def test_each_partner_gets_its_own_copy_of_the_checklist_once(onboarding_partner, checklist):
    services.onboarding_start(partner=onboarding_partner)
    tasks = OnboardingTask.objects.filter(partner=onboarding_partner)
    assert [t.key for t in tasks] == [
        "agreement_signed",
        "profile_completed",
        "payout_details_added",
        "first_user_invited",
        "kick-off-call",
    ]


def test_an_event_closes_its_task_and_records_progress(onboarding_partner):
    assert services.onboarding_event_record(partner=onboarding_partner, event=OnboardingEvent.PROFILE_COMPLETED) == 1
    assert done_keys(onboarding_partner) == {"profile_completed"}
    onboarding_partner.refresh_from_db()
    assert onboarding_partner.onboarding_progress_at is not None
    # The same event again changes nothing.
    assert services.onboarding_event_record(partner=onboarding_partner, event=OnboardingEvent.PROFILE_COMPLETED) == 0


def test_partner_becomes_active_when_every_required_task_is_done(onboarding_partner):
    for event in [
        OnboardingEvent.AGREEMENT_SIGNED,
        OnboardingEvent.PROFILE_COMPLETED,
        OnboardingEvent.PAYOUT_DETAILS_ADDED,
    ]:
        services.onboarding_event_record(partner=onboarding_partner, event=event)
        onboarding_partner.refresh_from_db()
        assert onboarding_partner.status == "onboarding"
    services.onboarding_event_record(partner=onboarding_partner, event=OnboardingEvent.FIRST_USER_INVITED)
    onboarding_partner.refresh_from_db()
    assert onboarding_partner.status == "active"  # the optional kick-off call does not hold it back
    assert onboarding_partner.activated_at is not None
    statuses = list(
        Partner.history.filter(id=onboarding_partner.pk).order_by("history_date").values_list("status", flat=True)
    )
    assert statuses[0] == "onboarding" and statuses[-1] == "active"


def test_a_manager_ticks_off_a_manual_task(onboarding_partner, manager):
    task = OnboardingTask.objects.get(partner=onboarding_partner, key="kick-off-call")
    services.onboarding_task_complete(task=task, by=manager)
    task.refresh_from_db()
    assert (task.done, task.done_by) == (True, manager)


def test_partner_users_cannot_tick_off_tasks(onboarding_partner):
    from django.core.exceptions import PermissionDenied

    task = OnboardingTask.objects.get(partner=onboarding_partner, key="kick-off-call")
    with pytest.raises(PermissionDenied):
        services.onboarding_task_complete(task=task, by=PartnerUserFactory(partner=onboarding_partner))


def test_stalled_onboarding_is_reminded_once_per_stall(onboarding_partner, commit, settings):
    settings.PRM_ONBOARDING_STALL_DAYS = 7
    PartnerUserFactory(partner=onboarding_partner, email="admin@initech.com")
    PartnerUserFactory(partner=onboarding_partner, email="rep@initech.com", role="partner_rep")
    start = timezone.now()
    Partner.objects.filter(pk=onboarding_partner.pk).update(created_at=start - timedelta(days=10))

    with commit():
        assert services.onboarding_stalled_remind(now=start) == 1
        assert services.onboarding_stalled_remind(now=start + timedelta(days=1)) == 0  # same stall
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["admin@initech.com"]  # partner admins only
    assert "Add payout details" in mail.outbox[0].body

    # Progress, then a new stall: one more reminder.
    services.onboarding_event_record(partner=onboarding_partner, event=OnboardingEvent.PROFILE_COMPLETED)
    Partner.objects.filter(pk=onboarding_partner.pk).update(onboarding_progress_at=start + timedelta(days=2))
    assert services.onboarding_stalled_remind(now=start + timedelta(days=5)) == 0  # not stalled long enough
    assert services.onboarding_stalled_remind(now=start + timedelta(days=10)) == 1


def test_active_partners_are_never_reminded(onboarding_partner):
    Partner.objects.filter(pk=onboarding_partner.pk).update(
        status="active", created_at=timezone.now() - timedelta(days=90)
    )
    assert services.onboarding_stalled_remind() == 0


def test_the_daily_reminder_task_is_scheduled(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["remind-stalled-onboarding"]
    assert schedule["task"] == "partners.tasks.remind_stalled_onboarding"
    from partners.tasks import remind_stalled_onboarding

    assert remind_stalled_onboarding.delay().get() == 0


def test_portal_onboarding_page_shows_progress_and_what_is_next(client, onboarding_partner):
    admin = PartnerUserFactory(partner=onboarding_partner)
    services.onboarding_event_record(partner=onboarding_partner, event=OnboardingEvent.AGREEMENT_SIGNED)
    client.force_login(admin)
    response = client.get("/portal/onboarding/")
    html = response.content.decode()
    assert response.context["progress"] == 20
    assert "1 of 5" in html
    assert response.context["next_task"].key == "profile_completed"
    assert 'href="/portal/profile/"' in html


def test_partners_api_reports_onboarding(partner_api, partner_admin, checklist):
    services.onboarding_start(partner=partner_admin.partner)
    services.onboarding_event_record(partner=partner_admin.partner, event=OnboardingEvent.AGREEMENT_SIGNED)
    body = partner_api.get(f"/api/v1/partners/{partner_admin.partner_id}/").json()
    assert body["onboarding"]["progress_percent"] == 20
    assert body["onboarding"]["tasks"][0] == {
        "key": "agreement_signed",
        "title": "Sign the partner agreement",
        "done": True,
    }


def test_admin_partner_list_shows_progress_and_time_to_onboard(client, manager, onboarding_partner):
    services.onboarding_event_record(partner=onboarding_partner, event=OnboardingEvent.AGREEMENT_SIGNED)
    done = PartnerFactory(name="Done Co", status="active")
    Partner.objects.filter(pk=done.pk).update(
        created_at=timezone.now() - timedelta(days=30), activated_at=timezone.now()
    )
    client.force_login(manager)
    html = client.get("/admin/partners/partner/").content.decode()
    assert "20% (1/5)" in html
    assert "30 days" in html


def test_tasks_closed_by_events_are_in_the_audit_history(onboarding_partner, partner_admin):
    services.onboarding_event_record(
        partner=onboarding_partner, event=OnboardingEvent.PROFILE_COMPLETED, by=partner_admin
    )
    task = OnboardingTask.objects.get(partner=onboarding_partner, key="profile_completed")
    latest = task.history.latest("history_date")
    assert latest.done_at is not None and latest.prev_record.done_at is None
