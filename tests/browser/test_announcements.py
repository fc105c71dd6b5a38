"""A partner admin finds the program's announcements at the top of the portal home, follows the
link, dismisses one with the keyboard and reads it again under Announcements; axe finds nothing
serious, on a desktop and on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enablement import services

from ..factories import PartnerFactory, PartnerUserFactory, StaffUserFactory, TierFactory
from .conftest import screenshot
from .test_accessibility import violations
from .test_deals import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPIF = "Q1 SPIF on the security bundle"
SUMMIT = "Partner summit 2026: registration is open"


@pytest.fixture
def alice(db):
    gold = TierFactory(name="Gold", rank=3)
    acme = PartnerFactory(name="Acme Cloud Partners", tier=gold, country="US")
    alice = PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")
    manager = StaffUserFactory(email="manager@example.com")
    now = timezone.now()
    services.announcement_save(
        by=manager,
        data={
            "title": SPIF,
            "body_markdown": "Every **won** deal with the Security Add-on earns a **500 USD** bonus.\n\n"
            "- Register the deal first\n- Close it by the quarter's end",
            "pinned": True,
            "publish_at": now - timedelta(days=3),
            "expires_at": now + timedelta(days=60),
            "tiers": [gold],
        },
    )
    services.announcement_save(
        by=manager,
        data={
            "title": SUMMIT,
            "body_markdown": "Two days of product road map, sales plays and certification sessions.",
            "link": "https://example.com/partner-summit-2026",
            "link_text": "Register for the summit",
            "publish_at": now - timedelta(days=1),
            "recipients": "admins",
        },
    )
    return alice


@pytest.mark.parametrize("width", [1366, 390], ids=["desktop", "phone"])
def test_announcements_are_read_and_dismissed_by_keyboard(live_server, browser, alice, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found = {}
    sign_in(page, live_server, alice.email)
    panel = page.get_by_role("region", name="Announcements")
    expect(panel).to_be_visible()
    articles = panel.get_by_role("article")
    expect(articles).to_have_count(2)
    expect(articles.first).to_contain_text("Pinned")  # the pinned one comes first
    expect(articles.first.get_by_role("heading", level=3)).to_have_text(SPIF)
    expect(panel.get_by_role("link", name="Register for the summit")).to_have_attribute(
        "href", "https://example.com/partner-summit-2026"
    )
    # The announcements come before the page's other cards.
    first_h2 = page.locator("main h2").first
    expect(first_h2).to_have_text("Announcements")
    found["home"] = violations(page)
    screenshot(page, f"announcements-home-{width}")

    # Keyboard only: tab to the button, press Enter.
    dismiss = page.get_by_role("button", name=f"Dismiss {SPIF}")
    for _ in range(60):
        page.keyboard.press("Tab")
        if dismiss.evaluate("b => b === document.activeElement"):
            break
    else:
        pytest.fail("The dismiss button cannot be reached with the Tab key")
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/portal/")
    expect(page.get_by_role("status").first).to_contain_text(f"“{SPIF}” is dismissed.")
    # The focus is on what happened, not back at the top of the page (static/js/app.js).
    expect(page.get_by_role("status").first).to_be_focused()
    expect(panel.get_by_role("article")).to_have_count(1)
    expect(panel).not_to_contain_text(SPIF)
    found["home after dismissing"] = violations(page)
    screenshot(page, f"announcements-dismissed-{width}")

    panel.get_by_role("link", name="All announcements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Announcements")
    expect(page.get_by_role("heading", level=2, name=SPIF)).to_be_visible()
    expect(page.locator("main")).to_contain_text("dismissed")
    found["list"] = violations(page)
    screenshot(page, f"announcements-list-{width}")
    context.close()
    assert found == {name: [] for name in found}
