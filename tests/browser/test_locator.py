"""The public partner locator in a browser: axe-core finds no serious violation on the list, a
partner page, its contact form with errors and the thank-you page, nor on the portal's locator
profile; nothing scrolls sideways on a phone; a prospect's message reaches the partner."""

import pytest

from marketing.models import LeadOffer

from ..factories import PASSWORD, PartnerFactory, PartnerUserFactory
from ..marketing.locator_helpers import profile_of
from .conftest import screenshot
from .test_accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listed(db):
    acme = PartnerFactory(name="Acme Cloud Partners", specializations=["cloud", "security"])
    admin = PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")
    profile_of(acme, summary="Cloud migrations for mid-sized firms.", description="What we do.", logo=True)
    for n in range(3):
        profile_of(PartnerFactory(name=f"Partner with a rather long name {n}"), regions=["FR"])
    return admin


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_locator_pages_have_no_serious_accessibility_violations(live_server, browser, listed, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    found = {}

    def check(name):
        found[name] = violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1, name

    page.goto(live_server.url + "/partners/")
    check("list")
    page.goto(live_server.url + "/partners/?q=nothing&country=FR")
    check("empty")
    page.goto(live_server.url + "/partners/acme-cloud-partners/")
    check("detail")
    page.get_by_role("button", name="Send to Acme Cloud Partners").click()
    check("contact with errors")
    assert page.evaluate("document.activeElement.classList.contains('form-error-summary')")
    screenshot(page, f"locator-errors-{viewport[0]}")
    page.get_by_label("Your company").fill("Initrode")
    page.get_by_label("Your name").fill("Pat Lee")
    page.get_by_label("Your work e-mail").fill("pat@initrode.example.com")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("Your message").fill("We need help with a migration.")
    page.get_by_role("button", name="Send to Acme Cloud Partners").click()
    assert "Thank you" in page.inner_text("h1")
    check("thanks")

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(listed.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/portal/locator/")
    check("portal")
    page.get_by_label("Summary").fill("")
    page.get_by_role("button", name="Save the locator profile").click()
    check("portal with errors")
    context.close()
    assert {name: v for name, v in found.items() if v} == {}
    assert LeadOffer.objects.get().partner == listed.partner
