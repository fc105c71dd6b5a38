"""Two managers approving on one allocation at once never overspend it: the allocation row is
locked and the balance computed under the lock, so the second approval sees the first. Two claims
linking one deal at once link it once: the deal rows are locked before the check."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from marketing.models import ActivityDeal, FundRequest
from marketing.selectors import funds as selectors
from prm.scoping import scopes_disabled

from ..clients import api_client_for
from ..factories import DealFactory, StaffUserFactory
from ..locking import held_elsewhere, postgresql_only
from .funds import allocation, approved, ended, pdf, submitted

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"),
]


def test_two_managers_approving_at_once_never_overspend(partner_admin, manager):
    funds = allocation(partner_admin.partner, amount="5000.00")
    first = submitted(partner_admin, cost="3000.00", title="Summit")
    second = submitted(partner_admin, cost="3000.00", title="Webinar series")
    other_manager = StaffUserFactory(email="manager2@example.com")
    barrier = threading.Barrier(2)
    answers = {}

    def approve(user, request):
        try:
            with scopes_disabled():
                client = api_client_for(user)
                barrier.wait()
                answers[request.pk] = client.post(f"/api/v1/fund-requests/{request.pk}/approve/", {}, format="json")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=approve, args=(user, request))
        for user, request in ((manager, first), (other_manager, second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers.values()) == [200, 400]
    refused = next(a for a in answers.values() if a.status_code == 400)
    assert refused.json() == {
        "amount": ["Only 2,000.00 USD is available on this allocation: approve that much at most."]
    }
    assert FundRequest.objects.filter(status="approved").count() == 1
    balance = selectors.balance_dict(selectors.allocation_balances().get(pk=funds.pk))
    assert (balance["approved"], balance["available"]) == (Decimal("3000.00"), Decimal("2000.00"))


@postgresql_only
def test_an_allocation_held_by_another_approval_answers_busy(partner_admin, manager, settings):
    settings.PRM_LOCK_TIMEOUT = 0.5
    funds = allocation(partner_admin.partner)
    request = submitted(partner_admin)
    with held_elsewhere("SELECT id FROM marketing_fundallocation WHERE id = %s FOR UPDATE", [funds.pk]):
        response = api_client_for(manager).post(f"/api/v1/fund-requests/{request.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    assert "Try again in a moment" in response.json()["detail"]
    assert FundRequest.objects.get(pk=request.pk).status == "submitted"


def test_two_claims_linking_one_deal_at_once_link_it_once_and_never_fail(partner_admin, manager):
    allocation(partner_admin.partner)
    requests = [ended(approved(partner_admin, manager, title=title)) for title in ("Summit", "Webinar")]
    deal = DealFactory(partner=partner_admin.partner, customer_name="Shared Co")
    barrier = threading.Barrier(2)
    answers = {}

    def claim(request):
        try:
            with scopes_disabled():
                client = api_client_for(partner_admin)
                barrier.wait()
                answers[request.pk] = client.post(
                    f"/api/v1/fund-requests/{request.pk}/claim/",
                    {"amount": "100.00", "leads_generated": 1, "results": "Ok.", "proofs": [pdf()], "deals": [deal.pk]},
                    format="multipart",
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers.values()) == [201, 400]
    refused = next(a for a in answers.values() if a.status_code == 400)
    assert refused.json() == {"deals": ["Shared Co is already linked to another activity."]}
    assert ActivityDeal.objects.filter(deal=deal).count() == 1
