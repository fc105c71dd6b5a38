"""The funds admin: allocations with their balance columns, allocating for a period, the ROI page,
requests approved partly or rejected by their actions, claims decided by finance under four
eyes, proofs downloadable by staff."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from marketing.models import FundAllocation, FundRequest, FundTierRule

from ..factories import DealFactory, PartnerFactory
from .funds import allocation, approved, claimed, submitted

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_the_allocation_list_shows_each_balance_in_a_constant_number_of_queries(
    client, manager, partner_admin, django_assert_max_num_queries
):
    allocation(partner_admin.partner, amount="10000.00")
    approved(partner_admin, manager, cost="2500.00", amount="2000.00")
    client.force_login(manager)
    url = reverse("admin:marketing_fundallocation_changelist")
    with django_assert_max_num_queries(40) as few:
        page = text(client.get(url))
    assert "10,000.00" in page and "2,000.00" in page and "8,000.00" in page and ">USD<" in page
    assert "Allocate for a period" in page
    assert "of which 0.00 claimed" in page and "of which 0.00 paid out" in page
    for _ in range(10):
        allocation(PartnerFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_allocating_for_a_period_from_the_admin(client, manager, partner):
    FundTierRule.objects.create(tier=partner.tier, amount=Decimal("8000"), currency="USD")
    client.force_login(manager)
    url = reverse("admin:marketing_fundallocation_allocate")
    assert "Silver: 8,000.00 USD a calendar year" in text(client.get(url))
    response = client.post(url, {"on": timezone.localdate().isoformat()}, follow=True)
    assert "1 allocation created." in text(response)
    assert FundAllocation.objects.get().allocated == Decimal("8000.00")


def test_finance_may_not_allocate(client, finance):
    client.force_login(finance)
    assert client.get(reverse("admin:marketing_fundallocation_allocate")).status_code == 403


def test_an_allocation_by_hand_goes_through_the_service(client, manager, partner):
    client.force_login(manager)
    year = timezone.localdate().year
    response = client.post(
        reverse("admin:marketing_fundallocation_add"),
        {
            "partner": partner.pk,
            "period_start": f"{year}-01-01",
            "period_end": f"{year}-12-31",
            "currency": "USD",
            "allocated": "3000",
            "note": "Launch support",
        },
        follow=True,
    )
    assert response.status_code == 200
    created = FundAllocation.objects.get()
    assert (created.currency, created.created_by, created.source) == ("USD", manager, "manual")


def test_a_manager_approves_a_request_partly_with_the_action(client, manager, partner_admin):
    allocation(partner_admin.partner)
    request = submitted(partner_admin, cost="3000.00")
    client.force_login(manager)
    response = client.post(
        reverse("admin:marketing_fundrequest_changelist"),
        {"action": "approve", "_selected_action": [request.pk], "amount": "1200.00"},
        follow=True,
    )
    assert "1 request approved." in text(response)
    assert FundRequest.objects.get(pk=request.pk).approved_amount == Decimal("1200.00")


def test_an_overspending_approval_is_refused_naming_what_is_available(client, manager, partner_admin):
    allocation(partner_admin.partner, amount="4000.00")
    request = submitted(partner_admin, cost="3000.00")
    approved(partner_admin, manager, cost="3000.00", title="Another")  # 1,000 left
    client.force_login(manager)
    response = client.post(
        reverse("admin:marketing_fundrequest_changelist"),
        {"action": "approve", "_selected_action": [request.pk], "amount": ""},
        follow=True,
    )
    assert "Only 1,000.00 USD is available on this allocation" in text(response)


def test_a_refused_decision_comes_back_to_the_decide_page_beside_its_field(client, manager, partner_admin):
    allocation(partner_admin.partner, amount="4000.00")
    request = submitted(partner_admin, cost="3000.00")
    approved(partner_admin, manager, cost="3000.00", title="Another")
    client.force_login(manager)
    url = reverse("admin:marketing_fundrequest_change", args=[request.pk])
    page = text(client.get(url))
    assert "Available on the allocation before this approval: <strong>1,000.00 USD</strong>" in page
    response = client.post(url, {"_decide": "approve", "amount": "2750.00"})
    assert response.status_code == 200  # the same page, not the change list
    page = text(response)
    assert 'value="2750.00"' in page  # what was typed is kept
    assert page.index("Only 1,000.00 USD is available on this allocation") > page.index(
        'name="_decide" value="approve"'
    )
    response = client.post(url, {"_decide": "reject", "reason": ""})
    assert response.status_code == 200 and "This field is required." in text(response)
    assert FundRequest.objects.get(pk=request.pk).status == "submitted"
    response = client.post(url, {"_decide": "approve", "amount": "900.00"}, follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "The request is approved" in text(response)
    assert FundRequest.objects.get(pk=request.pk).approved_amount == Decimal("900.00")


def test_finance_refusing_a_claim_without_a_reason_stays_on_the_claim_page(client, manager, finance, partner_admin):
    allocation(partner_admin.partner)
    claim = claimed(partner_admin, manager, cost="2000.00", claim_amount="1800.00")
    client.force_login(finance)
    url = reverse("admin:marketing_fundclaim_change", args=[claim.pk])
    page = text(client.get(url))
    assert "2,000.00 USD" in page and "1,800.00" in page  # the request's approved amount beside the claim
    assert page.count(claim.proofs.first().name) == 1  # each proof named once
    response = client.post(url, {"_decide": "reject", "reason": ""})
    assert response.status_code == 200 and "This field is required." in text(response)
    response = client.post(url, {"_decide": "reject", "reason": "Illegible invoice."}, follow=True)
    assert "The claim is refused" in text(response)


def test_the_request_page_is_read_only_and_shows_the_return(client, manager, partner_admin):
    allocation(partner_admin.partner)
    claim = claimed(partner_admin, manager, deals=[DealFactory(partner=partner_admin.partner, status="won")])
    client.force_login(manager)
    page = text(client.get(reverse("admin:marketing_fundrequest_change", args=[claim.request_id])))
    assert "12 leads; 1 deal registered, 1 won" in page
    assert 'name="title"' not in page


def test_the_manager_who_approved_cannot_pass_the_claim_and_finance_can(client, partner_admin, finance, finance2):
    from ..factories import StaffUserFactory

    admin = StaffUserFactory(role="admin", is_superuser=True, email="root@example.com")
    allocation(partner_admin.partner)
    claim = claimed(partner_admin, admin)
    url = reverse("admin:marketing_fundclaim_changelist")
    client.force_login(admin)
    response = client.post(url, {"action": "approve", "_selected_action": [claim.pk]}, follow=True)
    assert "You approved this fund request: another finance user decides its claim (four eyes)." in text(response)
    client.force_login(finance)
    response = client.post(url, {"action": "approve", "_selected_action": [claim.pk]}, follow=True)
    assert "1 claim approved; its reimbursement is booked." in text(response)


def test_finance_opens_the_claim_and_downloads_its_proofs(client, partner_admin, manager, finance):
    allocation(partner_admin.partner)
    claim = claimed(partner_admin, manager)
    client.force_login(finance)
    page = text(client.get(reverse("admin:marketing_fundclaim_change", args=[claim.pk])))
    proof = claim.proofs.get(kind="invoice")
    assert reverse("funds:proof", args=[proof.pk]) in page
    assert client.get(reverse("funds:proof", args=[proof.pk])).status_code == 200


def test_the_roi_page_lists_each_partner(client, manager, partner_admin):
    allocation(partner_admin.partner)
    claimed(
        partner_admin, manager, deals=[DealFactory(partner=partner_admin.partner, status="won", amount=Decimal("9000"))]
    )
    client.force_login(manager)
    page = text(client.get(reverse("admin:marketing_fundallocation_roi")))
    crumbs = page[page.index('class="breadcrumbs"') :].split("</div>")[0]
    assert reverse("admin:index") in crumbs and reverse("admin:marketing_fundallocation_changelist") in crumbs
    assert "Market development funds: return per partner" in crumbs
    assert partner_admin.partner.name in page and "9,000.00 USD" in page and "2,000.00 USD" in page


def test_the_request_page_offers_approve_and_reject_buttons_that_decide(client, manager, finance, partner_admin):
    allocation(partner_admin.partner)
    request = submitted(partner_admin, cost="3000.00")
    client.force_login(finance)
    assert "Reject with this reason" not in text(
        client.get(reverse("admin:marketing_fundrequest_change", args=[request.pk]))
    )
    client.force_login(manager)
    page = text(client.get(reverse("admin:marketing_fundrequest_change", args=[request.pk])))
    assert "Reject with this reason" in page and 'value="3000.00"' in page
    response = client.post(
        reverse("admin:marketing_fundrequest_changelist"),
        {"action": "reject", "_selected_action": [request.pk], "reason": "Not in the plan this year."},
        follow=True,
    )
    assert "1 request rejected." in text(response)
    assert FundRequest.objects.get(pk=request.pk).decision_reason == "Not in the plan this year."
    assert "Reject with this reason" not in text(
        client.get(reverse("admin:marketing_fundrequest_change", args=[request.pk]))
    )


def test_the_claim_page_warns_the_approver_of_four_eyes(client, partner_admin, finance):
    from ..factories import StaffUserFactory

    admin = StaffUserFactory(role="admin", is_superuser=True, email="root@example.com")
    allocation(partner_admin.partner)
    claim = claimed(partner_admin, admin)
    client.force_login(admin)
    page = text(client.get(reverse("admin:marketing_fundclaim_change", args=[claim.pk])))
    assert "another finance user decides its claim (four eyes)" in page
    client.force_login(finance)
    page = text(client.get(reverse("admin:marketing_fundclaim_change", args=[claim.pk])))
    assert "Approve and book the reimbursement" in page and "four eyes" not in page


def test_the_claim_page_shows_the_reimbursed_amount_as_money(client, partner_admin, manager, finance):
    from marketing.services import funds as services

    allocation(partner_admin.partner)
    claim = claimed(partner_admin, manager, claim_amount="1234.50")
    services.fund_claim_approve(claim=claim, by=finance)
    client.force_login(finance)
    page = text(client.get(reverse("admin:marketing_fundclaim_change", args=[claim.pk])))
    assert "1,234.50 USD" in page and "1234.50" not in page


def test_the_roi_page_pages_its_partners(client, manager, monkeypatch):
    from marketing.admin import funds as funds_admin

    from ..factories import PartnerUserFactory

    monkeypatch.setattr(funds_admin, "ROI_PER_PAGE", 2)
    for name in ("Alpha Partners", "Bravo Partners", "Charlie Partners"):
        user = PartnerUserFactory(partner=PartnerFactory(name=name))
        allocation(user.partner)
        approved(user, manager)
    client.force_login(manager)
    url = reverse("admin:marketing_fundallocation_roi")
    first, second = text(client.get(url)), text(client.get(url, {"page": 2}))
    assert "Alpha Partners" in first and "Bravo Partners" in first and "Charlie Partners" not in first
    assert "Page 1 of 2 (3 partners)" in first and "Charlie Partners" in second
