"""A partner opens a dispute in the portal, a manager replies in the admin, the partner reads
the reply; the case pages pass axe-core on a desktop and on a phone."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from conflicts.models import Case
from incentives.models import CommissionLine

from ..factories import PASSWORD, PartnerFactory, PartnerUserFactory, StaffUserFactory
from .conftest import screenshot
from .test_accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture
def people(db):
    acme = PartnerFactory(name="Acme Cloud Partners")
    alice = PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")
    CommissionLine.objects.create(
        partner=acme, kind="accrual", amount=Decimal("480.00"), currency="USD", explanation="10% of Fabrikam Inc."
    )
    manager = StaffUserFactory(email="manager@example.com", full_name="Morgan Manager")
    return alice, manager


def test_a_partner_opens_a_dispute_a_manager_replies_the_partner_reads_it(live_server, browser, people, tmp_path):
    alice, manager = people
    partner_side = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = partner_side.new_page()
    sign_in(page, live_server, alice.email)
    page.get_by_role("link", name="Cases").click()
    expect(page.get_by_text("No cases yet")).to_be_visible()
    assert violations(page) == []
    page.get_by_role("link", name="Open a dispute").click()
    page.get_by_label("What is it about?").select_option("commission_dispute")
    page.get_by_label("Subject").fill("Rate on Fabrikam should be 12%")
    page.get_by_label("Commission line").select_option(index=1)
    page.get_by_label("What happened?").fill("Our Gold tier rate is 12%, the line says 10%.")
    notes = tmp_path / "agreement-extract.txt"
    notes.write_text("Gold tier: 12% on cloud deals.\n")
    page.get_by_label("Attachments").set_input_files(str(notes))
    assert violations(page) == []
    screenshot(page, "case-new")
    page.get_by_role("button", name="Open the dispute").click()

    case = Case.objects.get()
    expect(page).to_have_url(f"{live_server.url}/portal/cases/{case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rate on Fabrikam should be 12%")
    expect(page.get_by_role("link", name="agreement-extract.txt")).to_be_visible()
    assert violations(page) == []

    staff_side = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = staff_side.new_page()
    sign_in(admin, live_server, manager.email)
    admin.goto(f"{live_server.url}/admin/conflicts/case/")
    expect(admin.locator("#result_list")).to_contain_text("Rate on Fabrikam should be 12%")
    screenshot(admin, "case-admin-queue")
    admin.goto(f"{live_server.url}/admin/conflicts/case/{case.pk}/change/")
    admin.locator("#id_reply-body").fill("You are right: the Gold uplift was missing. We correct it this week.")
    admin.get_by_role("button", name="Send").click()
    expect(admin.locator(".messagelist")).to_contain_text("Your message is sent.")
    screenshot(admin, "case-admin-page")
    staff_side.close()

    page.reload()
    expect(page.locator(".case-thread")).to_contain_text("You are right: the Gold uplift was missing.")
    expect(page.locator(".case-thread")).to_contain_text("Morgan Manager (partner manager)")
    expect(page.get_by_text("Investigating").first).to_be_visible()
    assert violations(page) == []
    screenshot(page, "case-detail")
    page.get_by_role("link", name="All cases").click()
    expect(page.get_by_role("table")).to_contain_text("Rate on Fabrikam should be 12%")
    screenshot(page, "case-list")
    partner_side.close()


def test_case_pages_fit_a_phone_and_show_errors_accessibly(live_server, browser, people):
    alice, _ = people
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, alice.email)
    page.goto(live_server.url + "/portal/cases/new/")
    page.get_by_role("button", name="Open the dispute").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct these")
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 391
    screenshot(page, "case-new-errors-phone")
    context.close()


def test_a_channel_conflict_seen_by_the_manager_side_by_side_and_by_the_rival(live_server, browser, people, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from conflicts import services
    from deals import services as deal_services

    from ..factories import DealFactory

    alice, manager = people
    globex = PartnerFactory(name="Globex Solutions")
    bob = PartnerUserFactory(partner=globex, email="bob@globex.example.com", full_name="Bob Brown")
    DealFactory(
        partner=alice.partner,
        registered_by=alice,
        customer_name="Fabrikam",
        customer_domain="fabrikam.com",
        status="approved",
        protected_until=timezone.localdate() + timedelta(days=40),
    )
    theirs = deal_services.deal_submit(
        partner=globex,
        user=bob,
        data=dict(
            customer_name="Fabrikam, Inc.",
            customer_domain="fabrikam.com",
            customer_country="US",
            amount="52000",
            currency="USD",
            expected_close_date=timezone.localdate() + timedelta(days=30),
            products=["Cloud Suite"],
        ),
    )
    case = services.case_open_for_conflict(deal_id=theirs.pk)
    services.evidence_request(
        case=case,
        partner=globex,
        by=manager,
        due_on=timezone.localdate() + timedelta(days=3),
        instructions="When did you first meet Fabrikam?",
    )
    services.case_post_message(
        case=case, by=manager, internal=True, body="Acme holds protection; check Globex's claim."
    )

    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, bob.email)
    page.goto(f"{live_server.url}/portal/cases/{case.pk}/")
    expect(page.get_by_role("heading", name="Your evidence is requested")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Acme")
    assert violations(page) == []
    page.get_by_label("First contact with the customer").fill((timezone.localdate() - timedelta(days=20)).isoformat())
    page.get_by_label("What you did with the customer since").fill("Met their CFO at a trade fair; a demo last week.")
    page.get_by_label("Your contact at the customer").fill("Pat Fabrikam, CFO")
    page.get_by_role("button", name="Send the evidence").click()
    expect(page.get_by_role("status").first).to_contain_text("your evidence is sent")
    screenshot(page, "case-conflict-rival")
    context.close()

    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = staff.new_page()
    sign_in(admin, live_server, manager.email)
    admin.goto(f"{live_server.url}/admin/conflicts/case/{case.pk}/change/")
    expect(admin.locator(".case-registration")).to_have_count(2)
    expect(admin.locator(".case-side-by-side")).to_contain_text("Met their CFO at a trade fair")
    screenshot(admin, "case-conflict-admin")
    staff.close()
