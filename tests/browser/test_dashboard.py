"""A manager opens the program dashboard from the admin index and sees every chart drawn by the
vendored Chart.js under the strict CSP (no console error), then the leaderboard, sorts it by
a column both ways and filters it; both pages pass axe-core on a desktop and on a phone."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partners.models import Partner

from ..factories import (
    ApplicationFactory,
    DealFactory,
    PartnerFactory,
    StaffUserFactory,
    TierFactory,
)
from .conftest import screenshot, wait_until
from .test_accessibility import violations
from .test_cases import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL_DRAWN = "Array.from(document.querySelectorAll('canvas[data-chart]')).every(c => c.chart && c.width > 0)"


@pytest.fixture
def program(db):
    """Three partners with a year of deals; applications; a manager."""
    today = timezone.localdate()
    gold = TierFactory(name="Gold", rank=3)
    acme = PartnerFactory(name="Acme Cloud Partners", partner_type="reseller", country="DE")
    globex = PartnerFactory(name="Globex Solutions", partner_type="msp", country="US", tier=gold)
    PartnerFactory(name="Initech Systems", partner_type="msp", country="CA")
    for months_ago in range(12):
        day = today - timedelta(days=30 * months_ago + 1)
        moment = timezone.now() - timedelta(days=30 * months_ago + 3)
        DealFactory(partner=acme, won=True, amount="12000.00", closed_on=day, submitted_at=moment, approved_at=moment)
        DealFactory(partner=globex, won=True, amount="8000.00", closed_on=day, submitted_at=moment, source="vendor")
        DealFactory(partner=globex, amount="30000.00", submitted_at=moment)
        ApplicationFactory(created_at=moment, status=["applied", "screening", "approved", "rejected"][months_ago % 4])
    return StaffUserFactory(email="manager@example.com", full_name="Morgan Manager")


def test_a_manager_reads_the_dashboard_then_sorts_and_filters_the_leaderboard(live_server, browser, program):
    context = browser.new_context(viewport={"width": 1366, "height": 900})  # the CSP applies
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, "manager@example.com")
    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="Program dashboard").click()
    expect(page.get_by_role("heading", name="Recruitment and onboarding")).to_be_visible()
    wait_until(page, ALL_DRAWN)
    assert page.locator("canvas[data-chart]").count() == 9
    # Each chart's table is its text alternative; its rows link to the list behind them.
    page.get_by_text("Figures of “Recruitment funnel").click()
    funnel = page.locator("#chart-funnel-title").locator("..")
    expect(funnel.get_by_role("link", name="Received")).to_be_visible()
    screenshot(page, "program-dashboard")

    page.get_by_role("link", name="Partner leaderboard").click()
    expect(page.get_by_role("heading", name="Partner leaderboard")).to_be_visible()
    expect(page.get_by_text("Figures as of")).to_be_visible()
    rows = page.locator(".performance-table tbody th")
    expect(rows).to_have_text(["Acme Cloud Partners", "Globex Solutions", "Initech Systems"])  # won revenue

    page.locator("th").filter(has_text="Pipeline").get_by_role("link").click()
    pipeline = page.locator("th").filter(has_text="Pipeline")
    expect(pipeline).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_have_text("Globex Solutions")
    pipeline.get_by_role("link").click()
    expect(page.locator("th").filter(has_text="Pipeline")).to_have_attribute("aria-sort", "ascending")
    expect(rows.first).not_to_have_text("Globex Solutions")

    page.get_by_label("Type").select_option("msp")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_text(["Initech Systems", "Globex Solutions"])  # still by pipeline, lowest first
    expect(page.get_by_label("Type")).to_have_value("msp")
    page.get_by_role("button", name="Recompute now").click()
    expect(page.get_by_text("The leaderboard is computed again")).to_be_visible()
    expect(rows).to_have_text(["Initech Systems", "Globex Solutions"])
    page.get_by_role("link", name="Globex Solutions").click()
    globex = Partner.objects.get(name="Globex Solutions")
    expect(page).to_have_url(f"{live_server.url}/admin/partners/partner/{globex.pk}/change/")
    assert errors == []
    context.close()


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_dashboard_and_the_leaderboard_pass_axe_and_fit_the_screen(live_server, browser, program, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, "manager@example.com")
    for name in ("dashboard", "leaderboard"):
        page.goto(f"{live_server.url}/admin/performance/{name}/")
        if name == "dashboard":
            wait_until(page, ALL_DRAWN)
            page.locator("details.chart-table").first.locator("summary").click()
        assert violations(page) == [], name
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1, name
        screenshot(page, f"program-{name}-{viewport[0]}")
    context.close()
