"""The funds API: allocations with their balance exactly as API.md says, requests submitted,
decided and claimed (multipart with proof files), claims decided by finance under four eyes;
partners see their own only, lists take a constant number of queries."""

from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import ActivityDeal, ClaimProof, FundRequest

from ..clients import api_client_for
from ..factories import DealFactory, PartnerFactory, PartnerUserFactory
from .funds import activity_dates, allocation, approved, claimed, ended, pdf, png, submitted

pytestmark = pytest.mark.django_db
ALLOCATION_FIELDS = {
    "id",
    "partner",
    "period_start",
    "period_end",
    "currency",
    "allocated",
    "requested",
    "approved",
    "claimed",
    "reimbursed",
    "paid",
    "available",
}


def test_allocations_list_the_documented_fields_with_money_as_strings(partner_admin, manager, rival):
    funds = allocation(partner_admin.partner, amount="10000.00")
    allocation(rival, amount="5000.00")
    submitted(partner_admin, cost="1000.00")
    approved(partner_admin, manager, cost="2500.00", amount="2000.00")
    mine = api_client_for(partner_admin).get("/api/v1/fund-allocations/").json()["results"]
    assert mine == [
        {
            "id": funds.pk,
            "partner": partner_admin.partner_id,
            "period_start": funds.period_start.isoformat(),
            "period_end": funds.period_end.isoformat(),
            "currency": "USD",
            "allocated": "10000.00",
            "requested": "1000.00",
            "approved": "2000.00",
            "claimed": "0.00",
            "reimbursed": "0.00",
            "paid": "0.00",
            "available": "8000.00",
        }
    ]
    everything = api_client_for(manager).get("/api/v1/fund-allocations/").json()["results"]
    assert len(everything) == 2 and all(set(row) == ALLOCATION_FIELDS for row in everything)


def test_the_allocation_list_takes_the_same_queries_for_many(django_assert_max_num_queries, manager):
    client = api_client_for(manager)
    allocation(PartnerFactory())
    with django_assert_max_num_queries(6) as few:
        assert client.get("/api/v1/fund-allocations/").status_code == 200
    for _ in range(15):
        allocation(PartnerFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/fund-allocations/").json()["results"]) == 16


def test_the_request_list_takes_the_same_queries_for_many(django_assert_max_num_queries, partner_admin, manager):
    allocation(partner_admin.partner, amount="100000")
    client = api_client_for(partner_admin)
    claimed(partner_admin, manager)
    with django_assert_max_num_queries(12) as few:
        assert client.get("/api/v1/fund-requests/").status_code == 200
    for _ in range(6):
        claimed(partner_admin, manager, deals=[DealFactory(partner=partner_admin.partner)])
        submitted(partner_admin)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/fund-requests/").json()["results"]) == 13


def test_a_partner_requests_a_manager_approves_partly_and_the_partner_claims_with_files(
    partner_admin, manager, finance
):
    funds = allocation(partner_admin.partner)
    starts, ends = activity_dates()
    partner = api_client_for(partner_admin)
    created = partner.post(
        "/api/v1/fund-requests/",
        {
            "activity_type": "webinar",
            "title": "Zero trust webinar",
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "planned_cost": "1200.00",
            "expected_leads": 30,
            "description": "Three sessions.",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["allocation"], body["currency"], body["planned_cost"]) == (
        "submitted",
        funds.pk,
        "USD",
        "1200.00",
    )
    request_id = body["id"]
    assert partner.post(f"/api/v1/fund-requests/{request_id}/approve/", {}, format="json").status_code == 403
    decided = api_client_for(manager).post(
        f"/api/v1/fund-requests/{request_id}/approve/", {"amount": "1000.00"}, format="json"
    )
    assert decided.status_code == 200
    assert (decided.json()["status"], decided.json()["approved_amount"]) == ("approved", "1000.00")

    ended(FundRequest.objects.get(pk=request_id))
    deal = DealFactory(partner=partner_admin.partner)
    claim = partner.post(
        f"/api/v1/fund-requests/{request_id}/claim/",
        {
            "amount": "950.00",
            "leads_generated": 22,
            "results": "210 registrations, 95 attended.",
            "proofs": [pdf(), png()],
            "deals": [deal.pk],
        },
        format="multipart",
    )
    assert claim.status_code == 201, claim.content
    body = claim.json()
    assert body["status"] == "claimed" and body["deals"] == [deal.pk]
    waiting = partner.get("/api/v1/fund-allocations/").json()["results"][0]
    assert (waiting["approved"], waiting["claimed"], waiting["reimbursed"], waiting["available"]) == (
        "1000.00",
        "950.00",  # of the approved 1,000, waiting for finance
        "0.00",
        "9000.00",
    )
    [sent] = body["claims"]
    assert (sent["amount"], sent["status"], len(sent["proofs"])) == ("950.00", "submitted", 2)
    assert sent["proofs"][0]["url"] == f"/api/v1/fund-claims/{sent['id']}/proofs/{sent['proofs'][0]['id']}/"
    assert ClaimProof.objects.count() == 2 and ActivityDeal.objects.get().deal == deal

    four_eyes = api_client_for(manager).post(f"/api/v1/fund-claims/{sent['id']}/approve/")
    assert four_eyes.status_code == 403
    paid = api_client_for(finance).post(f"/api/v1/fund-claims/{sent['id']}/approve/")
    assert paid.status_code == 200, paid.content
    assert (paid.json()["status"], paid.json()["reimbursed_amount"]) == ("approved", "950.00")
    assert paid.json()["commission_line"] is not None
    balance = partner.get("/api/v1/fund-allocations/").json()["results"][0]
    assert (balance["approved"], balance["claimed"], balance["reimbursed"], balance["available"]) == (
        "0.00",
        "0.00",
        "950.00",
        "9050.00",
    )


def test_bad_input_names_the_fields(partner_admin):
    allocation(partner_admin.partner)
    response = api_client_for(partner_admin).post(
        "/api/v1/fund-requests/",
        {"activity_type": "party", "title": "", "planned_cost": "lots"},
        format="json",
    )
    assert response.status_code == 400
    assert {"activity_type", "title", "starts_on", "ends_on", "planned_cost", "description"} <= set(response.json())


def test_a_claim_after_the_deadline_is_a_409_naming_the_deadline(partner_admin, manager):
    allocation(partner_admin.partner)
    request = ended(approved(partner_admin, manager))
    FundRequest.objects.filter(pk=request.pk).update(claim_deadline=timezone.localdate() - timezone.timedelta(days=1))
    request.refresh_from_db()
    response = api_client_for(partner_admin).post(
        f"/api/v1/fund-requests/{request.pk}/claim/",
        {"amount": "10.00", "leads_generated": 1, "results": "Late.", "proofs": [pdf()]},
        format="multipart",
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"The claim deadline was {request.claim_deadline:%d %b %Y}: these funds can no longer be claimed."
    }


def test_four_eyes_is_said_in_words(partner_admin, finance):
    from ..factories import StaffUserFactory

    admin = StaffUserFactory(role="admin", is_superuser=True, email="root@example.com")
    allocation(partner_admin.partner)
    claim = claimed(partner_admin, admin)
    response = api_client_for(admin).post(f"/api/v1/fund-claims/{claim.pk}/approve/")
    assert response.status_code == 403
    assert "another finance user decides its claim (four eyes)" in response.json()["detail"]


def test_partners_see_only_their_own_requests_and_claims(partner_admin, manager, rival):
    allocation(partner_admin.partner)
    allocation(rival)
    mine = claimed(partner_admin, manager)
    theirs = claimed(PartnerUserFactory(partner=rival), manager)
    client = api_client_for(partner_admin)
    assert [r["id"] for r in client.get("/api/v1/fund-requests/").json()["results"]] == [mine.request_id]
    assert [c["id"] for c in client.get("/api/v1/fund-claims/").json()["results"]] == [mine.pk]
    assert client.get(f"/api/v1/fund-claims/{theirs.pk}/").status_code == 404
    assert len(api_client_for(manager).get("/api/v1/fund-claims/").json()["results"]) == 2
    assert Decimal(client.get(f"/api/v1/fund-claims/{mine.pk}/").json()["amount"]) == Decimal("2000.00")


def test_api_clients_download_proofs_and_read_one_allocation_with_their_token(partner_admin, manager, rival):
    funds = allocation(partner_admin.partner)
    allocation(rival)
    mine = claimed(partner_admin, manager)
    theirs = claimed(PartnerUserFactory(partner=rival), manager)
    client = api_client_for(partner_admin)
    proof = client.get(f"/api/v1/fund-claims/{mine.pk}/").json()["proofs"][0]
    response = client.get(proof["url"])
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment") and proof["name"] in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == mine.proofs.get(pk=proof["id"]).file.open("rb").read()
    their_proof = theirs.proofs.first()
    assert client.get(f"/api/v1/fund-claims/{theirs.pk}/proofs/{their_proof.pk}/").status_code == 404
    assert client.get(f"/api/v1/fund-claims/{mine.pk}/proofs/{their_proof.pk}/").status_code == 404
    one = client.get(f"/api/v1/fund-allocations/{funds.pk}/")
    assert one.status_code == 200 and one["Content-Type"] == "application/json"
    assert (one.json()["id"], one.json()["available"]) == (funds.pk, "8000.00")
    missing = client.get(f"/api/v1/fund-allocations/{theirs.request.allocation_id}/")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


def _claim_with(client, request, deals):
    return client.post(
        f"/api/v1/fund-requests/{request.pk}/claim/",
        {"amount": "500.00", "leads_generated": 3, "results": "Done.", "proofs": [pdf()], "deals": deals},
        format="multipart",
    )


def test_the_api_links_only_the_deals_the_portal_offers(partner_admin, manager):
    allocation(partner_admin.partner)
    request = ended(approved(partner_admin, manager))
    client = api_client_for(partner_admin)
    rejected = DealFactory(partner=partner_admin.partner, rejected=True, customer_name="Refused Co")
    response = _claim_with(client, request, [rejected.pk])
    assert response.status_code == 400
    assert response.json() == {"deals": ["Refused Co was rejected, so it cannot count for the activity."]}
    draft = DealFactory(partner=partner_admin.partner, draft=True, customer_name="Draft Co")
    response = _claim_with(client, request, [draft.pk])
    assert response.json() == {"deals": ["Draft Co is a draft: submit the registration before linking it."]}
    other = ended(approved(partner_admin, manager, title="Webinar"))
    taken = DealFactory(partner=partner_admin.partner, customer_name="Taken Co")
    assert _claim_with(client, other, [taken.pk]).status_code == 201
    response = _claim_with(client, request, [taken.pk])
    assert response.json() == {"deals": ["Taken Co is already linked to another activity."]}
    assert FundRequest.objects.get(pk=request.pk).status == "approved"
    assert not ActivityDeal.objects.filter(request=request).exists()
