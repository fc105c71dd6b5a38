"""axe-core (vendored, 4.14.1) finds no serious or critical accessibility violation on the
portal's pages, on a desktop and on a phone, including forms showing their errors."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from ..factories import PASSWORD, CommissionLineFactory, DealFactory, PartnerFactory, PartnerUserFactory
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run({resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def alice(db):
    acme = PartnerFactory(name="Acme Cloud Partners")
    alice = PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")
    PartnerUserFactory(partner=acme, role="partner_rep", email="carol.with.a.long.address@acme.example.com")
    for i in range(3):
        DealFactory(partner=acme, registered_by=alice, customer_name=f"Customer with a long name {i}")
    CommissionLineFactory(
        partner=acme,
        amount="12.50",
        booked_on=timezone.localdate() - timedelta(days=3),
        explanation="Marketing development funds for a campaign with a long explanation",
    )
    return alice


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_pages_have_no_serious_accessibility_violations(live_server, browser, alice, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    found = {}
    for url in ["/accounts/login/", "/apply/"]:
        page.goto(live_server.url + url)
        found[url] = violations(page)
    page.goto(live_server.url + "/apply/")
    page.get_by_role("button", name="Send the application").click()
    found["/apply/ with errors"] = violations(page)

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for url in [
        "/portal/",
        "/portal/deals/",
        "/portal/deals/new/",
        "/portal/statements/",
        "/portal/scorecard/",
        "/portal/team/",
        "/portal/profile/",
        "/portal/payout-details/",
        "/portal/onboarding/",
        "/portal/agreement/",
        "/portal/cases/",
        "/portal/cases/new/",
        "/portal/nope/",
    ]:
        page.goto(live_server.url + url)
        found[url] = violations(page)
        # Nothing scrolls the whole page sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1, url
    page.goto(live_server.url + "/portal/deals/new/")
    page.get_by_role("button", name="Submit the registration").click()
    found["/portal/deals/new/ with errors"] = violations(page)
    screenshot(page, f"deal-errors-{viewport[0]}")
    context.close()
    assert {url: v for url, v in found.items() if v} == {}


def test_form_errors_are_summarized_and_tied_to_their_inputs(live_server, page, alice):
    page.goto(live_server.url + "/apply/")
    page.get_by_role("button", name="Send the application").click()
    summary = page.get_by_role("alert")
    assert "Please correct these" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('form-error-summary')")
    summary.get_by_role("link", name="Company name").click()
    website = page.get_by_label("Website")
    assert website.get_attribute("aria-invalid") == "true"
    assert "id_website_error" in website.get_attribute("aria-describedby")
