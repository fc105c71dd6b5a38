import pytest
from playwright.sync_api import expect

from ..factories import PASSWORD, PartnerFactory, PartnerUserFactory
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def alice(db):
    acme = PartnerFactory(name="Acme Cloud Partners")
    PartnerFactory(name="Globex Solutions")
    PartnerUserFactory(partner=acme, role="partner_rep", email="carol@acme.example.com", full_name="Carol Chen")
    return PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")


def test_alice_signs_in_and_sees_her_organization(live_server, page, alice):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "login")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(live_server.url + "/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Cloud Partners")
    expect(page.get_by_role("table")).to_contain_text("carol@acme.example.com")
    expect(page.locator("body")).not_to_contain_text("Globex")
    screenshot(page, "portal-home")


def test_portal_is_usable_by_keyboard_and_on_a_phone(live_server, browser, alice):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(alice.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + "/portal/")
    # On a narrow screen the navigation folds behind a labelled toggle.
    toggle = page.get_by_role("button", name="Show navigation")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "portal-home-phone")
    context.close()


def test_wrong_password_shows_a_clear_message(live_server, page, alice):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
    expect(page).to_have_url(live_server.url + "/accounts/login/")
