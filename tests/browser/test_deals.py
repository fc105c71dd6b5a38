from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import DealRegistration

from ..factories import PASSWORD, DealFactory, PartnerFactory, PartnerUserFactory
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/portal/")


def test_a_rep_registers_a_deal_that_lands_in_conflict_review(live_server, page):
    acme = PartnerFactory(name="Acme Cloud Partners")
    rival = PartnerFactory(name="Globex Solutions")
    DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com", approved=True)
    carol = PartnerUserFactory(partner=acme, role="partner_rep", email="carol@acme.example.com")

    sign_in(page, live_server, carol.email)
    page.get_by_role("link", name="Deals").click()
    expect(page.get_by_text("No deals registered yet")).to_be_visible()
    page.get_by_role("link", name="Register a deal").click()
    page.get_by_label("Customer company name").fill("Fabrikam, Inc.")
    page.get_by_label("Customer web domain").fill("www.fabrikam.com")
    page.get_by_label("Customer country").select_option("US")
    page.get_by_label("Expected amount").fill("48000")
    page.get_by_label("Currency").select_option("USD")
    page.get_by_label("Expected close date").fill((timezone.localdate() + timedelta(days=30)).isoformat())
    page.get_by_label("Products").fill("Cloud Suite, Backup")
    screenshot(page, "deal-new")
    page.get_by_role("button", name="Submit the registration").click()

    deal = DealRegistration.objects.get(partner=acme)
    expect(page).to_have_url(f"{live_server.url}/portal/deals/{deal.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Fabrikam, Inc.")
    expect(page.locator("main")).to_contain_text("in conflict review")
    expect(page.locator("body")).not_to_contain_text("Globex")
    screenshot(page, "deal-detail")

    page.get_by_role("link", name="All deals").click()
    expect(page.get_by_role("table")).to_contain_text("Fabrikam, Inc.")
    page.get_by_label("Status").select_option("approved")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No deals match")).to_be_visible()
    screenshot(page, "deal-list")
