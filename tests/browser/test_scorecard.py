"""The portal scorecard in Chromium, on a desktop and on a phone: the charts draw under the strict
CSP with nothing in the console, the period picker works by keyboard, nothing scrolls sideways, and
axe-core finds no serious violation, with a year of activity and for a new partner."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partners.models import Tier
from performance.models import Target, quarter_end, quarter_start

from ..factories import (
    PASSWORD,
    CommissionLineFactory,
    DealFactory,
    PartnerFactory,
    PartnerUserFactory,
    TierFactory,
)
from .conftest import screenshot, wait_until
from .test_accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIEWPORTS = {"desktop": (1366, 900), "phone": (390, 844)}


def sign_in(page, live_server, email):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/portal/")


@pytest.fixture
def tiers(db):
    Tier.objects.filter(name="Silver").delete()
    silver = TierFactory(name="Silver", rank=2, min_won_revenue_12m=Decimal("50000"), min_certified_users=0)
    TierFactory(name="Gold", rank=3, min_won_revenue_12m=Decimal("500000"), min_certified_users=2)
    return silver


@pytest.fixture
def alice(tiers):
    """A year of activity: a deal won and one registered every month, commission on each win."""
    acme = PartnerFactory(name="Acme Cloud Partners", tier=tiers)
    alice = PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")
    today = timezone.localdate()
    now = timezone.now()
    for months_ago in range(11, -1, -1):
        closed = today - timedelta(days=30 * months_ago)
        DealFactory(
            partner=acme,
            won=True,
            amount=Decimal(8000 + 1000 * (11 - months_ago)),
            submitted_at=now - timedelta(days=30 * months_ago + 20),
            closed_on=closed,
        )
        DealFactory(partner=acme, submitted_at=now - timedelta(days=30 * months_ago))
        CommissionLineFactory(partner=acme, amount=str(800 + 100 * (11 - months_ago)), booked_on=closed)
    first = quarter_start(today)
    Target.objects.create(
        partner=acme, period_start=first, period_end=quarter_end(first), won_revenue=Decimal("60000"), new_deals=5
    )
    return alice


@pytest.fixture
def newcomer(tiers):
    return PartnerUserFactory(
        partner=PartnerFactory(name="Brand New Partners", tier=tiers), email="nora@new.example.com"
    )


DRAWN = "[...document.querySelectorAll('canvas[data-chart]')].every(c => c.chart && c.width > 0 && c.height > 0)"


def csp_context(browser, viewport):
    """A browser that keeps the app's CSP and reports every console error and page error."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


@pytest.mark.parametrize("device", sorted(VIEWPORTS))
def test_the_scorecard_draws_its_charts_under_the_csp_and_passes_axe(live_server, browser, alice, device):
    viewport = VIEWPORTS[device]
    context, page, errors = csp_context(browser, viewport)
    sign_in(page, live_server, alice.email)
    if device == "phone":
        page.get_by_role("button", name="Show navigation").click()
    else:
        # Fourteen sections, the user's name and "Sign out" on one line inside the container.
        inside = page.evaluate(
            "document.querySelector('nav .navbar-nav.ms-auto').getBoundingClientRect().right"
            " <= document.querySelector('nav .container').getBoundingClientRect().right"
        )
        assert inside and page.locator("nav.navbar").bounding_box()["height"] < 70
    page.get_by_role("link", name="Scorecard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scorecard")
    expect(page.get_by_role("heading", name="Your tier")).to_be_visible()
    expect(page.get_by_text("to reach Gold")).to_be_visible()
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(3)
    wait_until(page, DRAWN)
    drawn = page.evaluate(
        "[...document.querySelectorAll('canvas[data-chart]')].map(c => "
        "({w: c.getBoundingClientRect().width, h: c.getBoundingClientRect().height, "
        "points: c.chart.data.datasets[0].data.length}))"
    )
    assert all(d["w"] > 100 and d["h"] > 100 and d["points"] == 12 for d in drawn), drawn
    # Targets and tier requirements are named progress bars.
    expect(page.get_by_role("progressbar", name="Won revenue").first).to_be_visible()
    # Nothing scrolls the whole page sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1
    screenshot(page, f"scorecard-{device}")

    # The period picker by keyboard: focus it, choose "Last year", submit with Enter.
    page.get_by_label("Period", exact=True).focus()
    assert page.evaluate("document.activeElement.id") == "id_period"
    page.get_by_label("Period", exact=True).select_option("last_year")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Show"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus is visible
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/portal/scorecard/?period=last_year")
    expect(page.get_by_role("heading", name=f"Figures for {timezone.localdate().year - 1}")).to_be_visible()
    assert errors == []  # the CSP let the scripts run and Chart.js drew without a complaint
    context.close()

    # axe is injected as a script: this page lets it past the CSP (the app's pages keep theirs).
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, alice.email)
    page.goto(live_server.url + "/portal/scorecard/")
    wait_until(page, DRAWN)
    found = {"scorecard": violations(page)}
    page.locator("details.chart-table summary").first.click()
    found["scorecard with a chart's table open"] = violations(page)
    page.goto(live_server.url + "/portal/scorecard/?period=nope")
    expect(page.get_by_text("That period is not one of the choices")).to_be_visible()
    found["scorecard after an unknown period"] = violations(page)
    context.close()
    assert {name: v for name, v in found.items() if v} == {}


@pytest.mark.parametrize("device", sorted(VIEWPORTS))
def test_a_new_partner_sees_empty_states_and_no_chart_library(live_server, browser, newcomer, device):
    viewport = VIEWPORTS[device]
    context, page, errors = csp_context(browser, viewport)
    sign_in(page, live_server, newcomer.email)
    page.goto(live_server.url + "/portal/scorecard/")
    expect(page.get_by_text("No activity in these 12 months")).to_be_visible()
    expect(page.get_by_role("link", name="Register your first deal")).to_have_count(1)
    expect(page.locator("canvas")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1
    screenshot(page, f"scorecard-empty-{device}")
    page.get_by_role("link", name="Register your first deal").click()
    expect(page).to_have_url(live_server.url + "/portal/deals/new/")
    assert errors == []
    context.close()

    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, newcomer.email)
    page.goto(live_server.url + "/portal/scorecard/")
    assert violations(page) == []
    context.close()
