"""The admin: the queue (due or late first, badges, health summary) and the case page (contested
registrations side by side with match reasons and evidence; reply, evidence, assign, resolve)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conflicts import services
from conflicts.models import Case, CaseMessage

from .conftest import dispute, text_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, manager):
    client.force_login(manager)
    return client


def test_the_queue_puts_late_cases_first_with_badges_and_the_health_summary(admin_client, partner_admin, manager):
    later = dispute(partner_admin, subject="Due later")
    late = dispute(partner_admin, subject="Already late")
    Case.objects.filter(pk=late.pk).update(first_response_due=timezone.now() - timedelta(hours=1))
    done = dispute(partner_admin, subject="Finished")
    services.case_resolve(case=done, by=manager, outcome="no_action", note="x")
    html = admin_client.get("/admin/conflicts/case/").content.decode()
    assert html.index("Already late") < html.index("Due later") < html.index("Finished")
    assert "late since" in html and "Relationship health" in html and "Cases per partner" in html
    assert later


def test_the_case_page_lines_up_registrations_with_reasons_and_evidence(
    admin_client, clash, manager, partner, partner_admin
):
    case, ours, theirs = clash
    request = services.evidence_request(
        case=case, partner=partner, by=manager, due_on=timezone.localdate() + timedelta(days=2)
    )
    services.evidence_answer(
        request=request,
        by=partner_admin,
        first_contact_on=timezone.localdate(),
        activities="Workshop in March.",
        customer_contact="Jordan",
        attachments=[text_file("ev.txt")],
    )
    html = admin_client.get(f"/admin/conflicts/case/{case.pk}/change/").content.decode()
    assert html.count('class="case-registration"') == 2
    assert "Same customer domain" in html and "Workshop in March." in html and "ev.txt" in html
    assert "Resolve the case" in html and "Request evidence" in html


def test_the_reply_form_keeps_an_internal_note(admin_client, clash):
    case, *_ = clash
    response = admin_client.post(
        f"/admin/conflicts/case/{case.pk}/act/reply/", {"reply-body": "Hmm.", "reply-internal": "on"}
    )
    assert response.status_code == 302
    assert CaseMessage.objects.get(body="Hmm.").internal


def test_the_resolve_form_awards_the_deal(admin_client, clash):
    case, ours, theirs = clash
    response = admin_client.post(
        f"/admin/conflicts/case/{case.pk}/act/resolve/",
        {"resolve-outcome": "award_deal", "resolve-deal": str(ours.pk), "resolve-note": "First."},
    )
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.status == "rejected"


def test_a_refused_resolution_comes_back_with_the_message(admin_client, clash):
    case, *_ = clash
    response = admin_client.post(
        f"/admin/conflicts/case/{case.pk}/act/resolve/", {"resolve-outcome": "adjust_commission", "resolve-note": "x"}
    )
    assert response.status_code == 200
    assert "Choose the involved partner" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "open"


def test_assign_sets_the_owner_and_investigates(admin_client, clash, manager):
    case, *_ = clash
    admin_client.post(
        f"/admin/conflicts/case/{case.pk}/act/assign/", {"assign-owner": manager.pk, "assign-priority": case.priority}
    )
    case.refresh_from_db()
    assert case.owner == manager and case.status == "investigating"


def test_a_new_priority_moves_the_sla_due_times(admin_client, clash, manager, settings):
    case, *_ = clash
    first, resolution = settings.PRM_CASE_SLA_HOURS[case.kind]["urgent"]
    admin_client.post(
        f"/admin/conflicts/case/{case.pk}/act/assign/", {"assign-owner": manager.pk, "assign-priority": "urgent"}
    )
    case.refresh_from_db()
    assert case.priority == "urgent"
    assert case.first_response_due == case.opened_at + timedelta(hours=first)
    assert case.resolution_due == case.opened_at + timedelta(hours=resolution)


def test_finance_reads_cases_but_cannot_act(client, finance, clash):
    case, *_ = clash
    client.force_login(finance)
    assert client.get(f"/admin/conflicts/case/{case.pk}/change/").status_code == 200
    assert (
        client.post(
            f"/admin/conflicts/case/{case.pk}/act/resolve/", {"resolve-outcome": "no_action", "resolve-note": "x"}
        ).status_code
        == 403
    )
