import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from partners import services
from partners.models import Agreement

from ..factories import PartnerFactory, StaffUserFactory
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invitation_link(checklist):
    manager = StaffUserFactory()
    services.agreement_publish(
        agreement=Agreement.objects.create(
            version=1, body_markdown="# Partner agreement\n\nWe pay commissions on won deals."
        ),
        by=manager,
    )
    partner = PartnerFactory(name="Initech Systems", status="onboarding")
    services.onboarding_start(partner=partner)
    services.invitation_send(
        partner=partner, email="dana@initech.com", role="partner_admin", full_name="Dana Diaz", invited_by=manager
    )
    return re.search(r"http://\S+/accounts/invitation/\S+", mail.outbox[-1].body).group(0)


def test_invited_partner_admin_sets_a_password_signs_and_onboarding_moves(live_server, page, invitation_link):
    path = invitation_link.split("/accounts/", 1)[1]
    page.goto(f"{live_server.url}/accounts/{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Initech Systems")
    page.get_by_label("Your full name").fill("Dana Diaz")
    page.get_by_label("Choose a password").fill("Sunny-Meadow-42")
    page.get_by_label("Repeat the password").fill("Sunny-Meadow-42")
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_url(f"{live_server.url}/portal/onboarding/")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_text("0 of 5")).to_be_visible()
    screenshot(page, "onboarding-start")

    page.get_by_role("link", name="Read and sign the agreement").first.click()
    expect(page.get_by_role("heading", name="Partner program agreement", level=2)).to_be_visible()
    page.get_by_label("Type your full name to sign").fill("Dana Diaz")
    page.get_by_label("I have read this agreement").check()
    screenshot(page, "agreement-sign")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.get_by_role("status").first).to_contain_text("is signed")
    expect(page.get_by_role("link", name="Download the signed PDF")).to_be_visible()

    page.get_by_role("button", name="Organization").click()  # the organization's pages are in a menu
    page.get_by_role("link", name="Onboarding").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "20")
    expect(page.get_by_text("1 of 5")).to_be_visible()
    screenshot(page, "onboarding-progress")
