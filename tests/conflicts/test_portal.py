"""Portal pages of cases: list with empty state and pagination, open a dispute, read the
thread, reply with files, answer evidence, reopen, download attachments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from conflicts import services
from conflicts.models import Case, CaseAttachment, EvidenceAnswer
from incentives.models import CommissionLine

from ..factories import DealFactory
from .conftest import dispute, pdf_file, text_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, partner_admin):
    client.force_login(partner_admin)
    return client


def test_the_list_has_an_empty_state_and_a_nav_entry(signed_in):
    html = signed_in.get("/portal/cases/").content.decode()
    assert "No cases yet" in html and 'href="/portal/cases/"' in html and ">Cases<" in html


def test_the_list_paginates_at_a_constant_number_of_queries(signed_in, partner_admin, django_assert_max_num_queries):
    for i in range(3):
        dispute(partner_admin, subject=f"Question {i}")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        signed_in.get("/portal/cases/")
    for i in range(22):
        dispute(partner_admin, subject=f"More {i}")
    with CaptureQueriesContext(connection) as many:
        html = signed_in.get("/portal/cases/").content.decode()
    assert len(many) == len(few)
    assert "Page 1 of 2" in html


def test_a_partner_opens_a_dispute_about_a_commission_line(signed_in, partner):
    line = CommissionLine.objects.create(
        partner=partner, kind="accrual", amount=Decimal("80"), currency="USD", explanation="Q1"
    )
    form = signed_in.get(f"/portal/cases/new/?line={line.pk}").content.decode()
    assert f'value="{line.pk}" selected' in form
    response = signed_in.post(
        "/portal/cases/new/",
        {
            "kind": "commission_dispute",
            "subject": "Q1 line",
            "body": "Too low.",
            "commission_line": line.pk,
            "attachments": [pdf_file()],
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/portal/cases/{case.pk}/"
    assert case.commission_line == line and CaseAttachment.objects.get().name == "quote.pdf"


def test_a_bad_file_is_an_error_on_its_field(signed_in):
    response = signed_in.post(
        "/portal/cases/new/",
        {"kind": "other", "subject": "x", "body": "y", "attachments": [text_file("page.pdf", b"<html><script>")]},
    )
    assert response.status_code == 200
    assert "its content is not a PDF" in response.content.decode() and not Case.objects.exists()


def test_the_partner_reads_the_thread_and_replies(signed_in, partner_admin, manager):
    case = dispute(partner_admin)
    services.case_post_message(case=case, by=manager, body="Which quarter?")
    html = signed_in.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "Which quarter?" in html and "(partner manager)" in html
    response = signed_in.post(f"/portal/cases/{case.pk}/reply/", {"body": "Q3.", "attachments": [text_file()]})
    assert response.status_code == 302
    assert case.messages.order_by("-id").first().body == "Q3."


def test_an_empty_reply_shows_the_error_on_the_page(signed_in, partner_admin):
    case = dispute(partner_admin)
    response = signed_in.post(f"/portal/cases/{case.pk}/reply/", {"body": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()


def test_the_partner_answers_an_evidence_request(signed_in, partner_admin, manager, clash):
    case, *_ = clash
    request = services.evidence_request(
        case=case,
        partner=partner_admin.partner,
        by=manager,
        due_on=timezone.localdate() + timedelta(days=2),
        instructions="Your first meeting?",
    )
    html = signed_in.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "Your first meeting?" in html and "Send the evidence" in html
    prefix = f"evidence-{request.pk}"
    response = signed_in.post(
        f"/portal/cases/{case.pk}/evidence/{request.pk}/",
        {
            f"{prefix}-first_contact_on": (timezone.localdate() - timedelta(days=30)).isoformat(),
            f"{prefix}-activities": "Demo and quote.",
            f"{prefix}-customer_contact": "Jordan",
            f"{prefix}-attachments": [text_file()],
        },
    )
    assert response.status_code == 302
    answer = EvidenceAnswer.objects.get()
    assert answer.customer_contact == "Jordan" and answer.attachments.get().partner is None
    html = signed_in.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "Send the evidence" not in html and "Demo and quote." not in html


def test_evidence_in_the_future_is_refused_on_its_field(signed_in, partner_admin, manager, clash):
    case, *_ = clash
    request = services.evidence_request(
        case=case, partner=partner_admin.partner, by=manager, due_on=timezone.localdate()
    )
    prefix = f"evidence-{request.pk}"
    response = signed_in.post(
        f"/portal/cases/{case.pk}/evidence/{request.pk}/",
        {
            f"{prefix}-first_contact_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
            f"{prefix}-activities": "x",
            f"{prefix}-customer_contact": "y",
        },
    )
    assert response.status_code == 200 and "cannot be in the future" in response.content.decode()
    assert not EvidenceAnswer.objects.exists()


def test_the_partner_reads_the_outcome_and_reopens(signed_in, partner_admin, manager):
    case = dispute(partner_admin)
    services.case_resolve(case=case, by=manager, outcome="no_action", note="We paid this in March.")
    html = signed_in.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "We paid this in March." in html and "Reopen the case" in html
    assert signed_in.post(f"/portal/cases/{case.pk}/reopen/", {"reason": "Not in my statement."}).status_code == 302
    case.refresh_from_db()
    assert case.status == "open"
    html = signed_in.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "Reopen the case" not in html


def test_a_second_reopen_is_a_message_not_an_error_page(signed_in, partner_admin, manager):
    case = dispute(partner_admin)
    services.case_resolve(case=case, by=manager, outcome="no_action", note="x")
    services.case_reopen(case=case, by=partner_admin, reason="y")
    services.case_resolve(case=case, by=manager, outcome="no_action", note="z")
    response = signed_in.post(f"/portal/cases/{case.pk}/reopen/", {"reason": "again"}, follow=True)
    assert response.status_code == 200 and "reopened once already" in response.content.decode()


def test_attachments_download_as_attachments_with_nosniff(signed_in, partner_admin):
    dispute(partner_admin, files=[text_file("my notes.txt")])
    attachment = CaseAttachment.objects.get()
    response = signed_in.get(f"/portal/cases/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"].startswith("attachment;") and "my_notes.txt" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"Meeting notes")


def test_staff_download_any_attachment_and_partners_are_sent_to_sign_in(client, partner_admin, manager):
    dispute(partner_admin, files=[text_file()])
    url = f"/portal/cases/attachments/{CaseAttachment.objects.get().pk}/"
    assert client.get(url).status_code == 302
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_a_rep_sees_the_organizations_cases(client, rep, partner_admin):
    case = dispute(partner_admin)
    client.force_login(rep)
    assert f"#{case.pk} A question" in client.get("/portal/cases/").content.decode()


def test_the_deal_picker_offers_only_the_partners_own_deals(signed_in, partner, rival):
    mine, theirs = (
        DealFactory(partner=partner, customer_name="Mine Inc"),
        DealFactory(partner=rival, customer_name="Theirs Inc"),
    )
    html = signed_in.get("/portal/cases/new/").content.decode()
    assert "Mine Inc" in html and "Theirs Inc" not in html
    response = signed_in.post(
        "/portal/cases/new/", {"kind": "deal_dispute", "subject": "x", "body": "y", "deal": theirs.pk}
    )
    assert response.status_code == 200 and not Case.objects.exists() and mine


def test_the_split_partner_reads_its_share_and_nobodys_name(client, rival_admin, clash, manager, partner, rival):
    case, ours, theirs = clash
    services.case_resolve(
        case=case,
        by=manager,
        outcome="award_deal",
        deal=ours,
        note="The first registration leads.",
        split_percent=Decimal("20"),
        split_partner=rival,
    )
    client.force_login(rival_admin)
    html = client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "yours is rejected" in html and "You receive 20% of its commission" in html
    assert partner.name not in html


def test_files_are_stored_privately_under_a_name_of_ours(partner_admin, settings):
    case = dispute(partner_admin, files=[text_file("../../evil name.txt")])
    attachment = CaseAttachment.objects.get()
    assert attachment.file.name.startswith(f"cases/{case.pk}/") and "evil" not in attachment.file.name
    assert attachment.name == "evil_name.txt"
    assert str(settings.PRIVATE_MEDIA_ROOT) in attachment.file.path
