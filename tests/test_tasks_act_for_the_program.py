"""Celery tasks and management commands act for the program: they must disable partner scoping
themselves, not rely on the test suite's program scope. Run each inside a bare scope, as a
worker process starts: any forgotten `scopes_disabled()` raises ScopeError here."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from deals.tasks import expire_lapsed_deals
from enablement.services import quiz_attempt_submit
from enablement.tasks import remind_and_expire_certifications, render_certificate_pdf
from incentives.models import PayoutRun
from incentives.tasks import calculate_payout_run, render_statement_pdfs
from partners.tasks import remind_stalled_onboarding, rescore_applications
from prm.scoping import scope

from .factories import (
    DealFactory,
    PartnerFactory,
    PartnerUserFactory,
    StaffUserFactory,
    course_with_quiz,
    right_answers,
)
from .incentives.conftest import book_line

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(checklist):
    from partners.services import onboarding_start

    partner = PartnerFactory(status="onboarding")
    onboarding_start(partner=partner)
    DealFactory(partner=partner, status="approved", protected_until=timezone.localdate() - timedelta(days=1))
    book_line(partner, "100.00")
    return partner


def test_tasks_run_outside_any_partner_scope(world, settings):
    settings.DEBUG = True
    run = PayoutRun.objects.create(period_end=timezone.localdate() - timedelta(days=1), created_by=StaffUserFactory(role="finance"))
    with scope():
        assert expire_lapsed_deals.delay().get() == 1
        remind_stalled_onboarding.delay().get()
        rescore_applications.delay().get()
        calculate_payout_run.delay(run.pk).get()
        render_statement_pdfs.delay(run.pk).get()
    run.refresh_from_db()
    assert run.status == "calculated" and run.pdfs_rendered == 1


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
