"""A partner requests marketing funds in the portal, a manager approves part of them, and after
the activity the partner claims them with an invoice upload and the deal it brought; the funds
pages pass axe-core on a desktop and on a phone."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketing.models import ClaimProof, FundRequest
from marketing.services import funds as services

from ..factories import DealFactory, PartnerFactory, PartnerUserFactory, StaffUserFactory
from ..marketing.funds import PDF, activity_dates, allocation, ended
from .conftest import screenshot
from .test_accessibility import violations
from .test_cases import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(db):
    acme = PartnerFactory(name="Acme Cloud Partners")
    alice = PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")
    allocation(acme, amount="20000.00")
    DealFactory(partner=acme, registered_by=alice, customer_name="Contoso Retail Ltd", status="won")
    manager = StaffUserFactory(email="manager@example.com", full_name="Morgan Manager")
    return alice, manager


def test_a_partner_requests_funds_and_claims_them_with_proof(live_server, browser, people, tmp_path):
    alice, manager = people
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, alice.email)
    page.goto(live_server.url + "/portal/funds/")
    expect(page.get_by_text("20,000.00 USD available")).to_be_visible()
    expect(page.get_by_text("No requests yet")).to_be_visible()
    assert violations(page) == []
    page.get_by_role("link", name="Request funds").click()
    starts, ends = activity_dates()
    page.get_by_label("Activity").select_option("event")
    page.get_by_label("Title").fill("Customer summit: hybrid cloud")
    page.get_by_label("First day").fill(starts.isoformat())
    page.get_by_label("Last day").fill(ends.isoformat())
    page.get_by_label("Planned cost").fill("4000.00")
    page.get_by_label("Leads you expect").fill("40")
    page.get_by_label("What will you do?").fill("A half-day summit with two customer talks.")
    assert violations(page) == []
    screenshot(page, "funds-new")
    page.get_by_role("button", name="Submit the request").click()

    request = FundRequest.objects.get()
    expect(page).to_have_url(f"{live_server.url}/portal/funds/{request.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Customer summit: hybrid cloud")
    expect(page.get_by_text("Submitted").first).to_be_visible()

    services.fund_request_approve(request=request, amount=Decimal("3500.00"), by=manager)
    page.reload()
    expect(page.get_by_text("Approved: 3,500.00 USD")).to_be_visible()
    expect(page.get_by_role("link", name="Claim the funds")).to_have_count(0)  # the summit is ahead

    ended(request)  # the summit took place
    page.reload()
    page.get_by_role("link", name="Claim the funds").click()
    page.get_by_label("Actual cost to reimburse").fill("3380.00")
    page.get_by_label("Leads generated").fill("37")
    page.get_by_label("Results").fill("96 attendees from 41 companies; 37 leads.")
    invoice = tmp_path / "invoice-summit.pdf"
    invoice.write_bytes(PDF)
    page.get_by_label("Proof of performance").set_input_files(str(invoice))
    page.get_by_label("Contoso Retail Ltd").check()
    assert violations(page) == []
    screenshot(page, "funds-claim")
    page.get_by_role("button", name="Submit the claim").click()

    expect(page).to_have_url(f"{live_server.url}/portal/funds/{request.pk}/")
    expect(page.get_by_text("Your claim is submitted. Finance will review it.")).to_be_visible()
    expect(page.get_by_role("link", name="invoice-summit.pdf")).to_be_visible()
    expect(page.get_by_role("link", name="Contoso Retail Ltd")).to_be_visible()
    assert FundRequest.objects.get(pk=request.pk).status == "claimed"
    assert ClaimProof.objects.get().name == "invoice-summit.pdf"
    assert violations(page) == []
    screenshot(page, "funds-detail")

    phone = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    small = phone.new_page()
    sign_in(small, live_server, alice.email)
    small.goto(live_server.url + "/portal/funds/")
    expect(small.get_by_text("Customer summit: hybrid cloud")).to_be_visible()
    assert violations(small) == []
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(small, "funds-home-phone")
    phone.close()
    context.close()
