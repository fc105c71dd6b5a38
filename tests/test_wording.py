"""What people read: counts agree with their nouns, objects are named in words (admin inlines,
lists, history), and the site has an icon."""

from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings

from deals.models import ConflictMatch, DealRegistration, ExtensionRequest
from incentives.models import CommissionLine, CommissionRule, ExchangeRate, PayoutRun, PayoutStatement
from partners.models import AgreementSignature, Invitation, Tier, TierChange
from prm.admin import counted

from .factories import AgreementFactory, DealFactory, PartnerFactory, SignatureFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    ("count", "sentence"), [(0, "0 deals approved."), (1, "1 deal approved."), (2, "2 deals approved.")]
)
def test_counted_agrees_with_the_count(count, sentence):
    assert counted(("{count} deal approved.", "{count} deals approved."), count) == sentence


@pytest.mark.parametrize(("selected", "message"), [(1, "1 deal approved."), (2, "2 deals approved.")])
def test_bulk_approval_says_deal_or_deals(client, manager, partner, selected, message):
    deals = DealFactory.create_batch(selected, partner=partner)
    client.force_login(manager)
    response = client.post(
        "/admin/deals/dealregistration/", {"action": "approve", "_selected_action": [d.pk for d in deals]}
    )
    assert messages_of(response) == [message]
    assert DealRegistration.objects.filter(status="approved").count() == selected


@pytest.mark.parametrize(("selected", "message"), [(1, "1 deal rejected."), (2, "2 deals rejected.")])
def test_bulk_rejection_with_a_reason_says_deal_or_deals(client, manager, partner, selected, message):
    deals = DealFactory.create_batch(selected, partner=partner)
    client.force_login(manager)
    response = client.post(
        "/admin/deals/dealregistration/",
        {"action": "reject", "_selected_action": [d.pk for d in deals], "reason": "Direct account."},
    )
    assert messages_of(response) == [message]


def test_onboarding_time_of_one_day_is_singular(client, manager):
    from partners.admin import PartnerAdmin
    from partners.models import Partner

    created = datetime(2026, 3, 2, 9, tzinfo=dt_timezone.utc)
    one_day = PartnerFactory.build(created_at=created, activated_at=datetime(2026, 3, 3, 10, tzinfo=dt_timezone.utc))
    two_days = PartnerFactory.build(created_at=created, activated_at=datetime(2026, 3, 4, 10, tzinfo=dt_timezone.utc))
    admin = PartnerAdmin(Partner, None)
    assert (admin.time_to_onboard(one_day), admin.time_to_onboard(two_days)) == ("1 day", "2 days")


# --- Names of objects ----------------------------------------------------------------------------


@override_settings(TIME_ZONE="UTC")
def test_tier_change_reads_from_to_on_a_day(partner):
    silver, gold = Tier.objects.get(name="Silver"), Tier.objects.create(name="Gold", rank=3)
    change = TierChange.objects.create(
        partner=partner,
        from_tier=silver,
        to_tier=gold,
        reason="Revenue",
        changed_at=datetime(2026, 3, 3, 12, tzinfo=dt_timezone.utc),
    )
    assert str(change) == "Silver → Gold on 3 Mar 2026"
    first = TierChange.objects.create(
        partner=partner,
        from_tier=None,
        to_tier=silver,
        reason="Start",
        changed_at=datetime(2026, 1, 9, 12, tzinfo=dt_timezone.utc),
    )
    assert str(first) == "No tier → Silver on 9 Jan 2026"


def test_payout_statement_names_its_run_partner_and_total(finance):
    partner = PartnerFactory(name="Acme Cloud Partners")
    run = PayoutRun.objects.create(period_end=date(2026, 3, 31), created_by=finance, status="calculated")
    statement = PayoutStatement.objects.create(
        run=run,
        partner=partner,
        currency="USD",
        total=Decimal("1500.00"),
        line_count=3,
        after_line_id=0,
        last_line_id=3,
    )
    assert str(statement) == f"Statement PR-20260331-{run.pk} · Acme Cloud Partners · 1,500.00 USD"
    assert str(run) == f"Payout run to 31 Mar 2026 (PR-20260331-{run.pk})"


def test_ledger_rate_and_rule_read_like_words(partner):
    line = CommissionLine.objects.create(
        partner=partner,
        kind="accrual",
        amount=Decimal("4800.00"),
        currency="USD",
        explanation="10% of 48,000.00 USD under Gold plan 2026",
    )
    assert str(line) == "Accrual of 4,800.00 USD: 10% of 48,000.00 USD under Gold plan 2026"
    rate = ExchangeRate.objects.create(
        date=date(2026, 3, 3), from_currency="EUR", to_currency="USD", rate=Decimal("1.08")
    )
    rate.refresh_from_db()
    assert str(rate) == "1 EUR = 1.08 USD on 3 Mar 2026"
    assert str(CommissionRule(kind="percentage", rate=Decimal("12.5000"))) == "Percentage of the deal amount: 12.5%"


@override_settings(TIME_ZONE="UTC")
def test_signature_invitation_conflict_and_extension_read_like_words(partner, partner_admin):
    signature = SignatureFactory(
        partner=partner,
        agreement=AgreementFactory(version=2),
        signer=partner_admin,
        signer_name="Alice Adams",
        signed_at=datetime(2026, 2, 1, 10, tzinfo=dt_timezone.utc),
    )
    assert str(AgreementSignature.objects.get(pk=signature.pk)) == "Version 2 signed by Alice Adams on 1 Feb 2026"
    invitation = Invitation(partner=partner, email="dana@acme.example.com", role="partner_rep")
    assert str(invitation) == "Invitation of dana@acme.example.com as partner rep"
    mine = DealFactory(partner=partner, customer_name="Fabrikam Inc")
    other = DealFactory(customer_name="Fabrikam")
    match = ConflictMatch.objects.create(deal=mine, other=other, kind="name", score=100, reason="Same name")
    assert str(ConflictMatch.objects.get(pk=match.pk)) == "Same customer name: Fabrikam (score 100)"
    extension = ExtensionRequest.objects.create(
        deal=mine, reason="Budget slipped", requested_at=datetime(2026, 3, 3, 9, tzinfo=dt_timezone.utc)
    )
    assert (
        str(ExtensionRequest.objects.get(pk=extension.pk)) == "Extension for Fabrikam Inc asked on 3 Mar 2026 (pending)"
    )


def test_no_admin_page_shows_a_debug_looking_name(client, partner, finance):
    """The partner page's inlines and the payout run's statements show words, not ids and arrows."""
    manager = StaffUserFactory(role="admin", is_superuser=True)
    gold = Tier.objects.create(name="Gold", rank=3)
    TierChange.objects.create(partner=partner, from_tier=partner.tier, to_tier=gold, reason="Revenue")
    run = PayoutRun.objects.create(period_end=date(2026, 3, 31), created_by=finance, status="calculated")
    PayoutStatement.objects.create(
        run=run,
        partner=partner,
        currency="USD",
        total=Decimal("1500.00"),
        line_count=1,
        after_line_id=0,
        last_line_id=1,
    )
    client.force_login(manager)
    page = client.get(f"/admin/partners/partner/{partner.pk}/change/").content.decode()
    assert "Silver → Gold on" in page
    assert " -&gt; " not in page
    page = client.get(f"/admin/incentives/payoutrun/{run.pk}/change/").content.decode()
    assert f"Statement PR-20260331-{run.pk} · {partner.name} · 1,500.00 USD" in page
    assert "Statement #" not in page


# --- The site's icon ---------------------------------------------------------------------------


def test_favicon_ico_answers_with_the_icon(client):
    from django.contrib.staticfiles import finders

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/img/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]
    for name in ("img/favicon.ico", "img/favicon.svg", "img/apple-touch-icon.png"):
        assert finders.find(name), name
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file


def test_every_layout_links_the_icon(client, partner_admin, manager):
    link = 'rel="icon" href="/static/img/favicon.ico"'
    assert link in client.get("/accounts/login/").content.decode()  # allauth
    assert link in client.get("/apply/").content.decode()
    client.force_login(partner_admin)
    assert link in client.get("/portal/").content.decode()
    client.force_login(manager)
    assert link in client.get("/admin/").content.decode()
    assert link in client.get("/admin/deals/dealregistration/").content.decode()
    assert link in client.get(f"/admin/partners/partner/{partner_admin.partner_id}/change/").content.decode()
