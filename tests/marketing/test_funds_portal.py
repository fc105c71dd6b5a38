"""The funds pages of the portal: balances as cards, requests paginated, a request with its
timeline and ROI, requesting, withdrawing, claiming with proofs and deals, proof downloads;
lists take a constant number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketing.models import ActivityDeal, FundRequest
from marketing.services import funds as services

from ..factories import DealFactory
from .funds import PDF, activity_dates, allocation, approved, claimed, ended, png, submitted

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_the_funds_page_says_when_nothing_is_allocated(client, partner_admin):
    client.force_login(partner_admin)
    page = text(client.get(reverse("funds:home")))
    assert "No funds allocated yet" in page and "No requests yet" in page
    assert reverse("funds:new") not in page


def test_the_funds_page_shows_each_allocations_balance_and_the_requests(client, partner_admin, manager):
    allocation(partner_admin.partner, amount="10000.00")
    approved(partner_admin, manager, cost="2500.00", amount="2000.00")
    submitted(partner_admin, title="Webinar", cost="700.00")
    client.force_login(partner_admin)
    page = text(client.get(reverse("funds:home")))
    assert "8,000.00 USD" in page  # available
    assert "700.00 USD" in page and "2,000.00 USD" in page
    assert "Security summit booth" in page and "Webinar" in page
    assert "Return on your funded activities" in page


def test_the_funds_page_takes_the_same_queries_for_many(client, partner_admin, manager, django_assert_max_num_queries):
    allocation(partner_admin.partner, amount="100000")
    claimed(partner_admin, manager, deals=[DealFactory(partner=partner_admin.partner)])
    client.force_login(partner_admin)
    with django_assert_max_num_queries(30) as few:
        assert client.get(reverse("funds:home")).status_code == 200
    allocation(partner_admin.partner, currency="EUR")
    for _ in range(8):
        claimed(partner_admin, manager, deals=[DealFactory(partner=partner_admin.partner, status="won")])
        submitted(partner_admin)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("funds:home")).status_code == 200


def test_a_request_is_submitted_from_the_portal(client, rep):
    funds = allocation(rep.partner)
    starts, ends = activity_dates()
    client.force_login(rep)
    response = client.post(
        reverse("funds:new"),
        {
            "activity_type": "event",
            "title": "Roadshow",
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "planned_cost": "1500.00",
            "expected_leads": "10",
            "description": "Two cities.",
        },
        follow=True,
    )
    created = FundRequest.objects.get()
    assert response.redirect_chain[-1][0] == reverse("funds:detail", args=[created.pk])
    assert (created.allocation, created.submitted_by, created.planned_cost) == (funds, rep, Decimal("1500.00"))
    assert "is submitted" in text(response) and "Withdraw the request" in text(response)


def test_the_request_form_shows_what_each_allocation_has_available_and_refuses_more(client, partner_admin, manager):
    funds = allocation(partner_admin.partner, amount="10000.00")
    approved(partner_admin, manager, cost="4420.00")
    client.force_login(partner_admin)
    form = text(client.get(reverse("funds:new")))
    assert f"{funds.period_start:%-d %b %Y} – {funds.period_end:%-d %b %Y}" in form
    assert "5,580.00 USD available" in form
    starts, ends = activity_dates()
    response = client.post(
        reverse("funds:new"),
        {
            "activity_type": "event",
            "title": "Roadshow",
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "planned_cost": "50000.00",
            "expected_leads": "10",
            "description": "Two cities.",
        },
    )
    assert "Your allocation has 5,580.00 USD available: ask for at most that." in text(response)
    assert FundRequest.objects.count() == 1


def test_after_a_refused_claim_the_claim_form_shows_the_deals_already_linked(client, partner_admin, manager, finance):
    allocation(partner_admin.partner)
    deal = DealFactory(partner=partner_admin.partner, customer_name="Linked Co")
    claim = claimed(partner_admin, manager, deals=[deal])
    services.fund_claim_reject(claim=claim, reason="Illegible invoice.", by=finance)
    client.force_login(partner_admin)
    page = text(client.get(reverse("funds:claim", args=[claim.request_id])))
    assert "Already linked to this activity" in page and "Linked Co" in page
    assert f'value="{deal.pk}"' not in page  # not offered as a new link
    assert 'Proof of performance <span class="text-danger" aria-hidden="true">*</span>' in page


def test_a_request_outside_any_allocation_is_refused_on_the_form(client, partner_admin):
    client.force_login(partner_admin)
    starts, ends = activity_dates()
    response = client.post(
        reverse("funds:new"),
        {
            "activity_type": "event",
            "title": "Roadshow",
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
            "planned_cost": "1500.00",
            "expected_leads": "10",
            "description": "Two cities.",
        },
    )
    assert "No fund allocation of your organization covers these dates." in text(response)
    assert not FundRequest.objects.exists()


def test_withdrawing_a_waiting_request(client, partner_admin):
    allocation(partner_admin.partner)
    request = submitted(partner_admin)
    client.force_login(partner_admin)
    url = reverse("funds:withdraw", args=[request.pk])
    assert f'href="{url}"' in text(client.get(reverse("funds:detail", args=[request.pk])))
    confirm = text(client.get(url))  # asks first, changes nothing
    assert "Withdraw this request?" in confirm and "Keep it" in confirm
    assert FundRequest.objects.get(pk=request.pk).status == "submitted"
    response = client.post(reverse("funds:withdraw", args=[request.pk]), follow=True)
    assert "The request is withdrawn." in text(response)
    assert FundRequest.objects.get(pk=request.pk).status == "withdrawn"


def test_the_claim_form_is_offered_after_the_activity_and_takes_files_and_deals(client, partner_admin, manager, rival):
    allocation(partner_admin.partner)
    request = approved(partner_admin, manager, cost="900.00")
    client.force_login(partner_admin)
    assert "Claim the funds" not in text(client.get(reverse("funds:detail", args=[request.pk])))
    request = ended(request)
    assert "Claim the funds" in text(client.get(reverse("funds:detail", args=[request.pk])))
    ours = DealFactory(partner=partner_admin.partner, customer_name="Contoso Retail Ltd")
    theirs = DealFactory(partner=rival, customer_name="Northwind Secret Deal")
    form = text(client.get(reverse("funds:claim", args=[request.pk])))
    assert "Contoso Retail Ltd" in form and "Northwind Secret Deal" not in form
    assert "At most the approved 900.00 USD." in form
    response = client.post(
        reverse("funds:claim", args=[request.pk]),
        {
            "amount": "880.00",
            "leads_generated": "9",
            "results": "Forty visitors.",
            "proofs": [SimpleUploadedFile("invoice.pdf", PDF), png()],
            "deals": [str(ours.pk)],
        },
        follow=True,
    )
    assert "Your claim is submitted" in text(response)
    assert "invoice.pdf" in text(response) and "Contoso Retail Ltd" in text(response)
    assert FundRequest.objects.get(pk=request.pk).status == "claimed"
    assert list(ActivityDeal.objects.values_list("deal_id", flat=True)) == [ours.pk]
    refused = client.post(
        reverse("funds:claim", args=[request.pk]),
        {"amount": "1", "leads_generated": "1", "results": "x", "deals": [str(theirs.pk)]},
    )
    assert "Select a valid choice" in text(refused)


def test_a_claim_without_proof_says_so_on_the_form(client, partner_admin, manager):
    allocation(partner_admin.partner)
    request = ended(approved(partner_admin, manager))
    client.force_login(partner_admin)
    response = client.post(
        reverse("funds:claim", args=[request.pk]), {"amount": "100", "leads_generated": "1", "results": "Done."}
    )
    assert "Add at least one proof: an invoice, photos or the attendee list." in text(response)


def test_the_request_page_shows_the_timeline_and_the_return(client, partner_admin, manager, finance):
    allocation(partner_admin.partner)
    won = DealFactory(partner=partner_admin.partner, status="won", amount=Decimal("30000"), currency="USD")
    claim = claimed(partner_admin, manager, claim_amount="1500.00", deals=[won])
    services.fund_claim_approve(claim=claim, by=finance)
    client.force_login(partner_admin)
    page = text(client.get(reverse("funds:detail", args=[claim.request_id])))
    for step in ("Submitted", "Approved", "Claim submitted", "Claim approved: reimbursed with the next payout"):
        assert step in page
    assert "1,500.00 USD" in page  # cost: the reimbursed amount
    assert "125.00 USD" in page  # cost per lead: 1,500 / 12 leads
    assert "30,000.00 USD" in page  # revenue won
    assert "20.00×" in page


def test_a_proof_downloads_as_an_attachment_never_rendered(client, partner_admin, manager):
    allocation(partner_admin.partner)
    claim = claimed(partner_admin, manager)
    proof = claim.proofs.get(kind="invoice")
    client.force_login(partner_admin)
    response = client.get(reverse("funds:proof", args=[proof.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_staff_are_sent_to_the_admin(client, manager):
    client.force_login(manager)
    assert client.get(reverse("funds:home")).status_code == 302


def test_expired_requests_say_the_funds_are_back(client, partner_admin, manager):
    allocation(partner_admin.partner)
    request = approved(partner_admin, manager)
    FundRequest.objects.filter(pk=request.pk).update(
        claim_deadline=timezone.localdate() - timedelta(days=1),
        ends_on=timezone.localdate() - timedelta(days=1),
        starts_on=timezone.localdate() - timedelta(days=2),
    )
    services.fund_requests_expire()
    client.force_login(partner_admin)
    page = text(client.get(reverse("funds:detail", args=[request.pk])))
    assert "The approved amount is back in your balance." in page


def test_the_claim_page_of_a_request_with_nothing_to_claim_says_so(client, partner_admin):
    allocation(partner_admin.partner)
    request = submitted(partner_admin)
    client.force_login(partner_admin)
    response = client.get(reverse("funds:claim", args=[request.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("funds:detail", args=[request.pk])
    assert "This request is submitted: there is nothing to claim." in text(response)
