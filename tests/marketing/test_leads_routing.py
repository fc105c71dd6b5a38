"""Lead routing: each rule condition, capacity, round-robin fairness, the win-rate preference,
the reasons in words, and a constant number of queries whatever the number of partners."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketing.models import Lead, LeadOffer, LocatorProfile
from marketing.services.leads import lead_create, lead_offer, lead_route
from partners.models import Partner

from ..factories import DealFactory, PartnerFactory, PartnerUserFactory, StaffUserFactory, TierFactory
from .leads import lead_data, make_lead, make_rule

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(timezone.datetime(2026, 6, 10, 9, 0))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def gold():
    return TierFactory(name="Gold", rank=3)


@pytest.fixture
def silver():
    return TierFactory(name="Silver", rank=2)


def routed(**fields) -> Lead:
    lead = make_lead(**fields)
    lead_route(lead=lead)
    lead.refresh_from_db()
    return lead


def test_country_condition(silver):
    german = PartnerFactory(name="Berlin IT", tier=silver)
    make_rule(name="DACH", countries=["DE", "AT", "CH"])
    assert routed(country="DE").partner == german
    lead = routed(country="FR")
    assert (lead.status, lead.partner) == ("returned", None)
    assert "No active partner matches" in lead.return_reason


def test_product_interest_condition_ignores_case(silver):
    partner = PartnerFactory(tier=silver)
    make_rule(product_interests=["Firewall"])
    assert routed(product_interest="firewall").partner == partner
    assert routed(product_interest="Backup").status == "returned"


def test_partner_type_condition(silver):
    PartnerFactory(name="Referrer", partner_type="referral", tier=silver)
    reseller = PartnerFactory(name="Reseller", partner_type="reseller", tier=silver)
    make_rule(partner_types=["reseller"])
    assert routed().partner == reseller


def test_specialization_condition_any_of_them(silver):
    PartnerFactory(name="Cloud only", specializations=["cloud"], tier=silver)
    secure = PartnerFactory(name="Secure", specializations=["Security", "network"], tier=silver)
    make_rule(specializations=["security", "identity"])
    lead = routed()
    assert lead.partner == secure
    assert "specialization Security" in lead.offers.get().reasons


def test_minimum_tier_condition(silver, gold):
    PartnerFactory(name="Silver one", tier=silver)
    PartnerFactory(name="No tier", tier=None)
    top = PartnerFactory(name="Gold one", tier=gold)
    make_rule(minimum_tier=gold)
    assert routed().partner == top


def test_only_active_partners(silver):
    PartnerFactory(name="Suspended", status=Partner.Status.SUSPENDED, tier=silver)
    PartnerFactory(name="Onboarding", status=Partner.Status.ONBOARDING, tier=silver)
    make_rule()
    assert routed().status == "returned"


def test_inactive_rule_is_skipped_and_rules_are_tried_in_order(silver):
    first = PartnerFactory(name="First", partner_type="msp", tier=silver)
    second = PartnerFactory(name="Second", partner_type="reseller", tier=silver)
    make_rule(name="Off", order=1, active=False, partner_types=["msp"])
    make_rule(name="Resellers", order=5, partner_types=["reseller"])
    make_rule(name="MSPs", order=9, partner_types=["msp"])
    lead = routed()
    assert lead.partner == second
    assert lead.offers.get().rule.name == "Resellers"
    assert first.pk  # the MSP rule comes later: never reached


def test_a_rule_without_a_qualified_partner_falls_through_to_the_next(silver):
    anyone = PartnerFactory(name="Anyone", tier=silver)
    make_rule(name="Gold security", order=1, specializations=["security"])
    make_rule(name="Catch-all", order=99)
    lead = routed()
    assert lead.partner == anyone
    assert lead.offers.get().reasons.startswith("Rule “Catch-all”")


def test_capacity_per_partner_per_calendar_month(silver):
    busy = PartnerFactory(name="Busy", tier=silver)
    free = PartnerFactory(name="Free", tier=silver)
    make_rule(monthly_capacity=2, prefer_win_rate=False)
    for _ in range(2):
        lead_offer(lead=make_lead(), partner=busy, rule=None, reasons="by hand")
    # Last month's offers do not count.
    old = lead_offer(lead=make_lead(), partner=free, rule=None, reasons="by hand")
    LeadOffer.objects.filter(pk=old.pk).update(offered_at=NOW - timedelta(days=40))
    assert routed().partner == free
    assert routed().partner == free  # free: 1 this month, busy: 2 of 2
    assert routed().status == "returned"  # both are full


def test_round_robin_six_leads_over_three_equal_partners(silver):
    partners = [PartnerFactory(name=f"Equal {n}", tier=silver) for n in range(3)]
    make_rule(prefer_win_rate=False)
    counts = {p.pk: 0 for p in partners}
    for minute in range(6):
        with time_machine.travel(NOW + timedelta(minutes=minute), tick=False):
            counts[routed().partner_id] += 1
    assert list(counts.values()) == [2, 2, 2]


def test_round_robin_offers_the_one_never_offered_first_then_the_oldest(silver):
    a = PartnerFactory(name="A", tier=silver)
    b = PartnerFactory(name="B", tier=silver)
    c = PartnerFactory(name="C", tier=silver)
    make_rule(prefer_win_rate=False)
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        lead_offer(lead=make_lead(), partner=a, rule=None, reasons="by hand")
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        lead_offer(lead=make_lead(), partner=b, rule=None, reasons="by hand")
    lead = routed()
    assert lead.partner == c
    assert "never offered a lead before" in lead.offers.get().reasons
    assert routed().partner == b  # offered 3 days ago, before A


def test_higher_win_rate_first(silver):
    weak = PartnerFactory(name="Weak", tier=silver)
    strong = PartnerFactory(name="Strong", tier=silver)
    PartnerFactory(name="Unproven", tier=silver)  # no closed deals: counts as 0 %
    DealFactory.create_batch(1, partner=weak, won=True)
    DealFactory.create_batch(3, partner=weak, lost=True)
    DealFactory.create_batch(2, partner=strong, won=True)
    DealFactory.create_batch(1, partner=strong, lost=True)
    # Closed more than 12 months ago: not counted.
    DealFactory.create_batch(5, partner=weak, won=True, closed_on=timezone.localdate() - timedelta(days=400))
    make_rule(name="Security", countries=["DE"])
    lead = routed()
    assert lead.partner == strong
    assert lead.offers.get().reasons == (
        "Rule “Security”; in DE; Silver; 1 of 10 leads this month; highest win rate among 3 (67%)"
    )


def test_reasons_in_words_name_country_specialization_tier_capacity_and_choice(gold):
    one = PartnerFactory(name="One", tier=gold, specializations=["security"])
    two = PartnerFactory(name="Two", tier=gold, specializations=["security"])
    DealFactory.create_batch(16, partner=one, won=True)
    DealFactory.create_batch(9, partner=one, lost=True)
    DealFactory(partner=two, lost=True)
    for _ in range(2):
        lead_offer(lead=make_lead(), partner=one, rule=None, reasons="by hand")
    make_rule(name="DACH security", countries=["DE", "AT"], specializations=["security"], minimum_tier=gold)
    lead = routed()
    assert lead.partner == one
    assert lead.offers.get().reasons == (
        "Rule “DACH security”; in DE; specialization security; Gold; 3 of 10 leads this month; "
        "highest win rate among 2 (64%)"
    )


def test_equal_win_rates_go_in_turn(silver):
    a = PartnerFactory(name="A", tier=silver)
    b = PartnerFactory(name="B", tier=silver)
    make_rule()
    first = routed()
    assert first.partner == a  # equal (0 %), never offered, lower id
    assert "win rate 0% shared by 2 of 2; in turn: never offered a lead before" in first.offers.get().reasons
    assert routed().partner == b


def test_a_partner_already_offered_the_lead_is_never_a_candidate(silver):
    a = PartnerFactory(name="A", tier=silver)
    b = PartnerFactory(name="B", tier=silver)
    make_rule(prefer_win_rate=False)
    lead = make_lead()
    lead_offer(lead=lead, partner=a, rule=None, reasons="by hand")
    LeadOffer.objects.filter(lead=lead).update(status="declined")
    assert lead_route(lead=lead).partner == b


def test_locator_lead_goes_to_the_requested_partner_first(silver):
    PartnerFactory(name="Router's choice", tier=silver)
    asked = PartnerFactory(name="Asked for", tier=silver)
    make_rule()
    lead = lead_create(data=lead_data(), by=None, source=Lead.Source.LOCATOR, requested_partner=asked)
    offer = lead.offers.get()
    assert (offer.partner, offer.reasons) == (asked, "Asked for by name on the partner locator")


def test_partner_admins_are_mailed_an_offer(silver, mailoutbox, django_capture_on_commit_callbacks):
    partner = PartnerFactory(tier=silver)
    admin = PartnerUserFactory(partner=partner)
    PartnerUserFactory(partner=partner, role="partner_rep")
    make_rule()
    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_create(data=lead_data(), by=StaffUserFactory(), source=Lead.Source.ADMIN)
    assert [m.to for m in mailoutbox] == [[admin.email]]
    assert lead.company in mailoutbox[0].subject
    assert lead.contact_email not in mailoutbox[0].body  # contact details only after accepting


def test_the_routing_takes_a_constant_number_of_queries(silver, gold, django_assert_num_queries):
    make_rule(name="Gold security", order=1, specializations=["security"], minimum_tier=gold)
    make_rule(name="Catch-all", order=2)

    def count_for(partners: int) -> int:
        for n in range(partners):
            p = PartnerFactory(tier=silver if n % 2 else gold, specializations=["security"] if n % 3 else [])
            DealFactory(partner=p, won=True)
            lead_offer(lead=make_lead(), partner=p, rule=None, reasons="by hand")
        lead = make_lead()
        with CaptureQueriesContext(connection) as queries:
            lead_route(lead=lead)
        assert lead.offers.count() == 1
        return len(queries)

    small = count_for(2)
    large = count_for(20)
    assert small == large
    # The rules, the offered partners, the candidates, the offer and its lead, the table lock
    # (PostgreSQL) and the savepoints of the two services.
    assert large <= 14


def test_only_partners_in_or_serving_the_lead_country_qualify(silver):
    """A DACH rule never sends a German lead to a partner in the United States."""
    american = PartnerFactory(name="Acme", country="US", tier=silver)
    LocatorProfile.objects.create(partner=american, slug="acme", regions=["CA", "MX"])
    make_rule(name="DACH", countries=["DE", "AT", "CH"])
    lead = routed(country="DE")
    assert (lead.status, lead.partner) == ("returned", None)
    austrian = PartnerFactory(name="Vienna IT", country="AT", tier=silver)
    LocatorProfile.objects.create(partner=austrian, slug="vienna-it", regions=["DE", "HU"])
    lead = routed(country="DE")
    assert lead.partner == austrian
    assert lead.offers.get().reasons.startswith("Rule “DACH”; serves DE; Silver;")
    assert routed(country="AT").offers.get().reasons.startswith("Rule “DACH”; in AT; Silver;")
    # A partner without a locator profile serves its own country only.
    swiss = PartnerFactory(name="Zurich IT", country="CH", tier=silver)
    assert routed(country="CH").partner == swiss


def test_a_rule_may_take_partners_anywhere(silver):
    american = PartnerFactory(name="Acme", country="US", tier=silver)
    make_rule(name="Anywhere", partner_in_lead_country=False)
    lead = routed(country="DE")
    assert lead.partner == american
    assert lead.offers.get().reasons.startswith("Rule “Anywhere”; DE; Silver;")
