"""Certifications: granted by passing, a certificate PDF rendered after commit, public
verification, reminders 30 and 7 days before the end (once each), expiry, and the hooks other
stages read (onboarding closes its course step; tiers count certified users)."""

import io
from datetime import date, datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from enablement import selectors, services
from enablement.models import Certification, Course
from enablement.tasks import render_certificate_pdf
from partners.models import OnboardingEvent, OnboardingTask, OnboardingTaskTemplate, Partner
from partners.services import onboarding_start

from ..factories import PartnerFactory, PartnerUserFactory, course_with_quiz, right_answers

pytestmark = pytest.mark.django_db


def pass_course(course, user, *, on: date | None = None):
    when = timezone.make_aware(datetime.combine(on, datetime.min.time().replace(hour=12))) if on else None
    return services.quiz_attempt_submit(course=course, user=user, answers=right_answers(course), now=when)


def test_passing_grants_a_certification_with_an_expiry_and_a_pdf_after_commit(api, partner_admin, course, commit):
    Course.objects.filter(pk=course.pk).update(validity_months=12)
    course.refresh_from_db()
    api.force_authenticate(partner_admin)
    with commit():
        response = api.post(f"/api/v1/courses/{course.pk}/attempts/", {"answers": right_answers(course)}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["passed"] and body["score"] == 100
    certification = Certification.objects.get(pk=body["certification"])
    today = timezone.localdate()
    assert certification.issued_on == today
    assert certification.expires_on == services.add_months(today, 12)
    assert (certification.holder_name, certification.partner_name, certification.course_title) == (
        partner_admin.full_name,
        "Acme Cloud Partners",
        "Product foundations",
    )
    assert certification.pdf
    text = PdfReader(io.BytesIO(certification.pdf.read())).pages[0].extract_text()
    for expected in (
        partner_admin.full_name,
        "Acme Cloud Partners",
        "Product foundations",
        certification.verification_code,
    ):
        assert expected in text


def test_the_pdf_is_being_prepared_until_a_worker_rendered_it(api, client, rep, course):
    attempt = pass_course(course, rep)  # no commit: the render task has not run
    certification = attempt.granted_certification
    api.force_authenticate(rep)
    response = api.get(f"/api/v1/certifications/{certification.pk}/pdf/")
    assert response.status_code == 202 and "being prepared" in response.json()["detail"]
    client.force_login(rep)
    page = client.get(f"/portal/training/certificates/{certification.pk}/pdf/")
    assert page.status_code == 202 and "being prepared" in page.content.decode()
    assert render_certificate_pdf.delay(certification.pk).get() is True
    assert render_certificate_pdf.delay(certification.pk).get() is False  # once only
    response = api.get(f"/api/v1/certifications/{certification.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    download = client.get(f"/portal/training/certificates/{certification.pk}/pdf/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")


def test_the_api_lists_the_organizations_certifications(api, partner_admin, rep, rival_admin, course, manager):
    pass_course(course, rep)
    pass_course(course, rival_admin)
    api.force_authenticate(partner_admin)
    rows = api.get("/api/v1/certifications/").json()["results"]
    assert [(r["user"], r["status"]) for r in rows] == [(rep.email, "current")]
    assert {"id", "user", "course", "issued_on", "expires_on", "status", "verification_code"} <= set(rows[0])
    api.force_authenticate(manager)
    assert api.get("/api/v1/certifications/").json()["count"] == 2


def test_someone_still_certified_keeps_it_and_renews_within_30_days(partner_admin, course):
    first = pass_course(course, partner_admin, on=date(2026, 1, 10)).granted_certification
    again = pass_course(course, partner_admin, on=date(2026, 6, 1)).granted_certification
    assert again.pk == first.pk and Certification.objects.count() == 1
    renewed = pass_course(course, partner_admin, on=date(2026, 12, 20)).granted_certification
    assert renewed.pk != first.pk
    assert (renewed.issued_on, renewed.expires_on) == (date(2026, 12, 20), date(2027, 12, 20))


def test_months_are_added_by_the_calendar():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_reminders_30_and_7_days_before_once_each_then_expiry(rep, partner_admin, course, commit):
    held = pass_course(course, rep, on=date(2026, 1, 15)).granted_certification  # ends 2027-01-15
    other = pass_course(course, partner_admin, on=date(2026, 3, 1)).granted_certification  # ends 2027-03-01
    mail.outbox.clear()

    with commit():
        assert services.certifications_remind_and_expire(today=date(2026, 12, 15))["reminded_30"] == 0  # 31 days left
    with commit():
        assert services.certifications_remind_and_expire(today=date(2026, 12, 16))["reminded_30"] == 1  # 30 days left
    assert [m.to for m in mail.outbox] == [[rep.email]]
    assert "30 days" in mail.outbox[0].subject and "Product foundations" in mail.outbox[0].subject
    with commit():
        services.certifications_remind_and_expire(today=date(2026, 12, 17))
        services.certifications_remind_and_expire(today=date(2027, 1, 7))  # 8 days left
    assert len(mail.outbox) == 1
    with commit():
        assert services.certifications_remind_and_expire(today=date(2027, 1, 8))["reminded_7"] == 1
        assert services.certifications_remind_and_expire(today=date(2027, 1, 9))["reminded_7"] == 0
    assert len(mail.outbox) == 2 and "7 days" in mail.outbox[1].subject

    assert services.certifications_remind_and_expire(today=date(2027, 1, 14))["expired"] == 0
    assert services.certifications_remind_and_expire(today=date(2027, 1, 15))["expired"] == 1
    held.refresh_from_db()
    other.refresh_from_db()
    assert (held.status, other.status) == ("expired", "current")


def test_a_short_certification_gets_only_the_7_day_reminder(rep, course, commit):
    pass_course(course, rep, on=date(2026, 1, 1))
    Certification.objects.update(expires_on=date(2026, 1, 6))
    mail.outbox.clear()
    with commit():
        done = services.certifications_remind_and_expire(today=date(2026, 1, 2))
        services.certifications_remind_and_expire(today=date(2026, 1, 3))
    assert (done["reminded_30"], done["reminded_7"], len(mail.outbox)) == (0, 1, 1)
    assert Certification.objects.get().reminded_30_at is not None


def test_a_renewed_certification_is_not_reminded(rep, course, commit):
    pass_course(course, rep, on=date(2026, 1, 15))
    pass_course(course, rep, on=date(2026, 12, 20))  # renewed before the reminder
    mail.outbox.clear()
    with commit():
        services.certifications_remind_and_expire(today=date(2026, 12, 21))
    assert mail.outbox == []


def test_the_daily_task_is_scheduled(settings):
    assert (
        settings.CELERY_BEAT_SCHEDULE["remind-and-expire-certifications"]["task"]
        == "enablement.tasks.remind_and_expire_certifications"
    )


# --- Public verification ---------------------------------------------------------------------------


def test_verification_confirms_a_current_certificate_without_login(client, rep, course):
    certification = pass_course(course, rep).granted_certification
    response = client.get(f"/certificates/{certification.verification_code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "genuine and current" in page
    for shown in (rep.full_name, "Acme Cloud Partners", "Product foundations", certification.verification_code):
        assert shown in page
    # Nothing beyond name, partner, course, dates and status.
    assert rep.email not in page and "score" not in page.lower()
    assert client.get(f"/certificates/{certification.verification_code.lower()}/").status_code == 200


def test_verification_says_an_expired_certificate_expired(client, rep, course):
    certification = pass_course(course, rep, on=date(2024, 1, 1)).granted_certification
    services.certifications_remind_and_expire()
    page = client.get(f"/certificates/{certification.verification_code}/").content.decode()
    assert "genuine but expired on 1 January 2025" in page and "genuine and current" not in page


def test_verification_of_an_unknown_code_is_404(client, db):
    response = client.get("/certificates/ABCDE-ABCDE-ABCDE-ABCDE/")
    assert response.status_code == 404 and "No certificate has the code" in response.content.decode()


# --- Hooks other stages read -----------------------------------------------------------------------


def test_passing_the_onboarding_course_closes_its_step(course):
    OnboardingTaskTemplate.objects.create(
        partner_type="reseller", title="Pass the foundations course", event=OnboardingEvent.COURSE_PASSED, required=True
    )
    partner = PartnerFactory(status="onboarding")
    onboarding_start(partner=partner)
    user = PartnerUserFactory(partner=partner, role="partner_rep")
    other = course_with_quiz(title="Advanced selling")
    pass_course(other, user)  # not tied to onboarding
    assert not OnboardingTask.objects.get(partner=partner).done
    Course.objects.filter(pk=course.pk).update(onboarding_event=OnboardingEvent.COURSE_PASSED)
    course.refresh_from_db()
    pass_course(course, user)
    task = OnboardingTask.objects.get(partner=partner)
    assert task.done and task.done_by == user
    partner.refresh_from_db()
    assert partner.status == Partner.Status.ACTIVE  # its only required step


def test_certified_users_count_people_with_a_current_certification(partner, rival, course, tiers):
    second = course_with_quiz(title="Second course")
    alice, carol, dave = (PartnerUserFactory(partner=partner) for _ in range(3))
    pass_course(course, alice)
    pass_course(second, alice)  # one person, two certifications: counted once
    pass_course(course, carol)
    pass_course(course, dave, on=date(2020, 1, 1))  # long expired
    inactive = PartnerUserFactory(partner=partner)
    pass_course(course, inactive)
    inactive.is_active = False
    inactive.save()
    assert selectors.certified_user_counts([partner.pk, rival.pk]) == {partner.pk: 2, rival.pk: 0}
    Partner.objects.filter(pk=partner.pk).update(tier=tiers["Gold"])
    partner.refresh_from_db()
    status = selectors.tier_certification_status(partner)
    assert (status["certified"], status["required"], status["next_tier"].name, status["required_next"]) == (
        2,
        2,
        "Platinum",
        5,
    )


def test_certified_user_counts_is_one_query(partner, rival, course, django_assert_num_queries):
    pass_course(course, PartnerUserFactory(partner=partner))
    with django_assert_num_queries(1):
        selectors.certified_user_counts([partner.pk, rival.pk])


def test_the_certification_list_takes_a_constant_number_of_queries(api, partner_admin, partner, course):
    api.force_authenticate(partner_admin)
    counts = []
    for n in (1, 5):
        for _ in range(n):
            pass_course(course, PartnerUserFactory(partner=partner))
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/certifications/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
