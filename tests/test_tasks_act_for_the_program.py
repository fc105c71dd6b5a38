"""Celery tasks and management commands act for the program: they must disable partner scoping
themselves, not rely on the test suite's program scope. Run each inside a bare scope, as a
worker process starts: any forgotten `scopes_disabled()` raises ScopeError here."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from deals.models import DealRegistration
from deals.tasks import expire_lapsed_deals
from enablement.services import quiz_attempt_submit
from enablement.tasks import remind_and_expire_certifications, render_certificate_pdf
from incentives.models import PayoutRun
from incentives.tasks import calculate_payout_run, render_statement_pdfs
from partners.models import Application, Partner
from partners.tasks import remind_stalled_onboarding, rescore_applications
from prm.scoping import scope

from .factories import (
    ApplicationFactory,
    CommissionLineFactory,
    DealFactory,
    PartnerFactory,
    PartnerUserFactory,
    PayoutRunFactory,
    StaffUserFactory,
    course_with_quiz,
    right_answers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(checklist):
    from partners.services import onboarding_start

    partner = PartnerFactory(status="onboarding")
    onboarding_start(partner=partner)
    Partner.objects.filter(pk=partner.pk).update(created_at=timezone.now() - timedelta(days=60))  # stalled
    PartnerUserFactory(partner=partner)
    ApplicationFactory()
    DealFactory(partner=partner, approved=True, protected_until=timezone.localdate() - timedelta(days=1))
    CommissionLineFactory(partner=partner, amount="100.00")
    return partner


def test_tasks_run_outside_any_partner_scope(world, settings):
    settings.DEBUG = True
    run = PayoutRunFactory(
        period_end=timezone.localdate() - timedelta(days=1), created_by=StaffUserFactory(role="finance")
    )
    with scope():
        assert expire_lapsed_deals.delay().get() == 1
        assert remind_stalled_onboarding.delay().get() == 1
        assert rescore_applications.delay().get() == 1
        calculate_payout_run.delay(run.pk).get()
        assert render_statement_pdfs.delay(run.pk).get() == 0  # the calculation already rendered the one PDF
    run.refresh_from_db()
    assert run.status == "calculated" and run.pdfs_rendered == 1
    assert Application.objects.get().scored_at is not None


def test_enablement_tasks_run_outside_any_partner_scope(world):
    course = course_with_quiz()
    attempt = quiz_attempt_submit(course=course, user=PartnerUserFactory(partner=world), answers=right_answers(course))
    with scope():
        assert render_certificate_pdf.delay(attempt.granted_certification.pk).get() is True
        assert remind_and_expire_certifications.delay().get() == {"expired": 0, "reminded_30": 0, "reminded_7": 0}


def test_seed_demo_runs_outside_any_partner_scope(settings):
    settings.DEBUG = True
    with scope():
        call_command("seed_demo")
    assert {"Acme Cloud Partners", "Globex Solutions", "Initech Systems"} <= set(
        Partner.objects.values_list("name", flat=True)
    )
    assert Partner.objects.count() == 15
    assert DealRegistration.objects.count() == 213  # the story's, a year of registrations, two accepted leads
    assert PayoutRun.objects.count() == 12  # one at every month's end of the year
