"""The cases API: partners open disputes and write; managers reply and resolve; lists are
paginated at a constant number of queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conflicts import services
from conflicts.models import Case, CaseMessage
from incentives.models import CommissionLine

from ..factories import DealFactory
from .conftest import dispute, text_file

pytestmark = pytest.mark.django_db


def test_a_partner_opens_a_dispute(partner_api, partner):
    deal = DealFactory(partner=partner, status="rejected")
    response = partner_api.post(
        "/api/v1/cases/",
        {"kind": "deal_dispute", "subject": "Rejected unfairly", "body": "We met them first.", "deal": deal.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "deal_dispute" and body["status"] == "open" and body["deal"] == deal.pk
    assert body["first_response_due"] and body["resolution_due"]
    assert [m["body"] for m in body["messages"]] == ["We met them first."]


def test_a_dispute_with_files_in_multipart(partner_api, partner):
    line = CommissionLine.objects.create(
        partner=partner, kind="accrual", amount=Decimal("5"), currency="USD", explanation="x"
    )
    response = partner_api.post(
        "/api/v1/cases/",
        {
            "kind": "commission_dispute",
            "subject": "Line",
            "body": "Wrong.",
            "commission_line": line.pk,
            "attachments": [text_file()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    (attachment,) = response.json()["messages"][0]["attachments"]
    assert attachment["name"] == "notes.txt" and attachment["url"] == f"/portal/cases/attachments/{attachment['id']}/"


def test_a_rivals_deal_is_a_field_error_that_does_not_reveal_it(partner_api, rival):
    deal = DealFactory(partner=rival)
    response = partner_api.post(
        "/api/v1/cases/", {"kind": "deal_dispute", "subject": "x", "body": "y", "deal": deal.pk}
    )
    assert response.status_code == 400 and set(response.json()) == {"deal"}
    assert rival.name not in response.content.decode()
    assert not Case.objects.exists()


def test_bad_input_is_400_naming_each_field(partner_api):
    response = partner_api.post("/api/v1/cases/", {"kind": "channel_conflict", "subject": "x" * 201})
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "subject", "body"}


def test_staff_do_not_open_disputes(manager_api):
    assert manager_api.post("/api/v1/cases/", {"kind": "other", "subject": "x", "body": "y"}).status_code == 403


def test_a_manager_replies_and_the_partner_reads_it(partner_api, manager_api, partner_admin):
    case = dispute(partner_admin)
    response = manager_api.post(f"/api/v1/cases/{case.pk}/messages/", {"body": "We are checking the rate."})
    assert response.status_code == 201
    messages = partner_api.get(f"/api/v1/cases/{case.pk}/").json()["messages"]
    assert messages[-1]["body"] == "We are checking the rate." and messages[-1]["from_staff"]
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == "investigating"


def test_a_partner_writes_but_a_resolved_case_answers_409(partner_api, partner_admin, manager):
    case = dispute(partner_admin)
    assert partner_api.post(f"/api/v1/cases/{case.pk}/messages/", {"body": "More detail."}).status_code == 201
    services.case_resolve(case=case, by=manager, outcome="no_action", note="Done.")
    response = partner_api.post(f"/api/v1/cases/{case.pk}/messages/", {"body": "Still here."})
    assert response.status_code == 409 and "reopen" in response.json()["detail"]
    assert not CaseMessage.objects.filter(body="Still here.").exists()


def test_a_message_longer_than_the_limit_is_refused(partner_api, partner_admin):
    case = dispute(partner_admin)
    response = partner_api.post(f"/api/v1/cases/{case.pk}/messages/", {"body": "x" * 5001})
    assert response.status_code == 400 and set(response.json()) == {"body"}


def test_resolve_through_the_api(manager_api, partner_api, partner_admin):
    case = dispute(partner_admin)
    response = manager_api.post(
        f"/api/v1/cases/{case.pk}/resolve/",
        {"outcome": "adjust_commission", "amount": "25.00", "currency": "USD", "note": "Goodwill."},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    line = CommissionLine.objects.get()
    assert response.json()["outcomes"][0]["commission_line"] == line.pk
    seen = partner_api.get(f"/api/v1/cases/{case.pk}/").json()
    assert seen["outcome"] == {
        "outcome": "adjust_commission",
        "note": "Goodwill.",
        "decided_at": seen["outcome"]["decided_at"],
        "awarded_to_you": None,
    }
    assert (
        manager_api.post(f"/api/v1/cases/{case.pk}/resolve/", {"outcome": "no_action", "note": "x"}).status_code == 409
    )


def test_resolve_with_bad_input_names_the_fields(manager_api, partner_admin):
    case = dispute(partner_admin)
    response = manager_api.post(
        f"/api/v1/cases/{case.pk}/resolve/", {"outcome": "award_deal", "note": "x", "deal": 999999}
    )
    assert response.status_code == 400 and set(response.json()) == {"deal"}
    response = manager_api.post(f"/api/v1/cases/{case.pk}/resolve/", {"outcome": "close_it"})
    assert response.status_code == 400 and set(response.json()) == {"outcome", "note"}


def test_partners_may_not_resolve_their_own_case(partner_api, partner_admin):
    case = dispute(partner_admin)
    assert (
        partner_api.post(f"/api/v1/cases/{case.pk}/resolve/", {"outcome": "no_action", "note": "x"}).status_code == 403
    )


def _count_list(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["partner", "staff"])
def test_the_list_is_a_constant_number_of_queries(partner_api, manager_api, partner_admin, manager, who):
    client = partner_api if who == "partner" else manager_api
    case = dispute(partner_admin, files=[text_file()])
    services.case_post_message(case=case, by=manager, body="One.")
    few = _count_list(client, "/api/v1/cases/")
    for i in range(4):
        case = dispute(partner_admin, files=[text_file()])
        services.case_post_message(case=case, by=manager, internal=True, body="Note.")
        services.case_post_message(case=case, by=manager, body=f"Reply {i}.")
    assert _count_list(client, "/api/v1/cases/") == few


def test_filters_by_status_and_kind(manager_api, partner_admin, manager):
    dispute(partner_admin)
    services.case_resolve(case=dispute(partner_admin, kind="other"), by=manager, outcome="no_action", note="x")
    assert manager_api.get("/api/v1/cases/?status=resolved").json()["count"] == 1
    assert manager_api.get("/api/v1/cases/?kind=channel_conflict").json()["count"] == 0


def test_a_subject_with_a_direction_override_is_refused_naming_the_field(partner_api):
    response = partner_api.post(
        "/api/v1/cases/", {"kind": "other", "subject": "Acme\u202eevil", "body": "Hello\u200fthere"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"subject", "body"}
    assert not Case.objects.exists()
