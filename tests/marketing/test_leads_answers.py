"""A partner's answers to a lead offer: accept (an approved, protected, vendor-sourced deal),
decline with a reason, or let it time out (the next partner, or back to the managers after
PRM_LEAD_MAX_REFUSALS refusals); a second answer is refused in words; the manager actions."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from marketing.models import Lead, LeadOffer
from marketing.services import leads as services
from marketing.tasks import expire_lead_offers
from prm.errors import InvalidTransition, RuleViolation, StateConflict

from ..factories import PartnerFactory, PartnerUserFactory, StaffUserFactory, TierFactory
from .leads import lead_data, make_rule

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(timezone.datetime(2026, 6, 10, 9, 0))
ACCEPT = {
    "amount": Decimal("25000.00"),
    "currency": "EUR",
    "expected_close_date": "2026-09-30",
    "products": ["Firewall"],
}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def chain(settings):
    """Three equal active partners, each with an admin, and a catch-all rule taking them in turn."""
    settings.PRM_LEAD_ACCEPT_HOURS = 48
    settings.PRM_LEAD_MAX_REFUSALS = 3
    silver = TierFactory(name="Silver", rank=2)
    partners = [PartnerFactory(name=f"Partner {n}", tier=silver) for n in range(4)]
    admins = [PartnerUserFactory(partner=p) for p in partners]
    make_rule(name="Catch-all", prefer_win_rate=False)
    return partners, admins


def new_lead(**fields) -> Lead:
    return services.lead_create(data=lead_data(**fields), by=StaffUserFactory(), source=Lead.Source.ADMIN)


def test_accept_makes_an_approved_protected_vendor_sourced_registration(chain):
    partners, admins = chain
    lead = new_lead()
    assert lead.partner == partners[0]
    deal = services.lead_accept(lead=lead, by=admins[0], data=ACCEPT)
    assert (deal.status, deal.source, deal.partner) == ("approved", "vendor", partners[0])
    assert deal.protected_until > timezone.localdate()
    assert (deal.customer_name, deal.customer_domain, deal.customer_country) == (lead.company, lead.domain, "DE")
    assert (deal.customer_contact_email, deal.amount, deal.currency) == (lead.contact_email, Decimal("25000.00"), "EUR")
    lead.refresh_from_db()
    assert (lead.status, lead.deal, lead.partner) == ("accepted", deal, partners[0])
    offer = lead.offers.get()
    assert (offer.status, offer.responded_by) == ("accepted", admins[0])


def test_accept_with_bad_fields_names_them_and_changes_nothing(chain):
    partners, admins = chain
    lead = new_lead()
    with pytest.raises(RuleViolation) as refused:
        services.lead_accept(
            lead=lead, by=admins[0], data={**ACCEPT, "currency": "ZZZ", "expected_close_date": "2020-01-01"}
        )
    assert set(refused.value.message_dict) == {"currency", "expected_close_date"}
    lead.refresh_from_db()
    assert lead.status == "offered" and lead.deal is None


def test_a_second_answer_is_refused_in_words(chain):
    partners, admins = chain
    lead = new_lead()
    services.lead_accept(lead=lead, by=admins[0], data=ACCEPT)
    with pytest.raises(StateConflict, match="already answered: accepted on 10 Jun 2026"):
        services.lead_accept(lead=lead, by=admins[0], data=ACCEPT)
    with pytest.raises(StateConflict, match="already answered"):
        services.lead_decline(lead=lead, by=admins[0], reason="Changed our minds")


def test_another_partner_cannot_answer(chain):
    partners, admins = chain
    lead = new_lead()
    with pytest.raises(StateConflict, match="no longer offered to your organization"):
        services.lead_accept(lead=lead, by=admins[1], data=ACCEPT)


def test_staff_do_not_answer_for_partners(chain):
    lead = new_lead()
    with pytest.raises(PermissionDenied):
        services.lead_decline(lead=lead, by=StaffUserFactory(), reason="no")


def test_decline_needs_a_reason_and_offers_the_next_partner(chain):
    partners, admins = chain
    lead = new_lead()
    with pytest.raises(RuleViolation) as refused:
        services.lead_decline(lead=lead, by=admins[0], reason="  ")
    assert "reason" in refused.value.message_dict
    services.lead_decline(lead=lead, by=admins[0], reason="Outside our region")
    lead.refresh_from_db()
    assert (lead.partner, lead.refusals, lead.status) == (partners[1], 1, "offered")
    declined = LeadOffer.objects.get(lead=lead, partner=partners[0])
    assert (declined.status, declined.decline_reason) == ("declined", "Outside our region")
    # The declining partner no longer sees the lead.
    assert not Lead.objects.filter(partner=partners[0]).exists()


def test_the_timeout_chain_with_time_frozen(chain, _frozen, django_capture_on_commit_callbacks, mailoutbox):
    partners, admins = chain
    lead = new_lead()
    offer = lead.offers.get()
    assert offer.accept_by == NOW + timedelta(hours=48)
    _frozen.move_to(NOW + timedelta(hours=47, minutes=59))
    assert expire_lead_offers() == 0
    _frozen.move_to(NOW + timedelta(hours=48))
    assert expire_lead_offers() == 1
    lead.refresh_from_db()
    assert (lead.partner, lead.refusals) == (partners[1], 1)
    assert LeadOffer.objects.get(pk=offer.pk).status == "expired"
    second = lead.offers.get(status="pending")
    assert second.accept_by == NOW + timedelta(hours=96)
    # Accepting after the time ran out (the task has not run yet) is refused in words.
    _frozen.move_to(NOW + timedelta(hours=97))
    with pytest.raises(StateConflict, match="The time to accept this lead ran out on 14 Jun 2026"):
        services.lead_accept(lead=lead, by=admins[1], data=ACCEPT)
    assert expire_lead_offers() == 1
    _frozen.move_to(NOW + timedelta(hours=200))
    with django_capture_on_commit_callbacks(execute=True):
        manager = StaffUserFactory(email="boss@example.com")
        assert expire_lead_offers() == 1  # third refusal: back to the managers
    lead.refresh_from_db()
    assert (lead.status, lead.partner, lead.refusals) == ("returned", None, 3)
    assert lead.return_reason == "Refused 3 times (declined or timed out); the routing stops after 3."
    assert partners[3] not in [o.partner for o in lead.offers.all()]
    assert any(manager.email in m.to and lead.company in m.subject for m in mailoutbox)


def test_a_late_accept_after_the_timeout_ran_is_a_conflict(chain, _frozen):
    partners, admins = chain
    lead = new_lead()
    _frozen.move_to(NOW + timedelta(hours=49))
    expire_lead_offers()
    with pytest.raises(StateConflict, match="already answered: timed out"):
        services.lead_accept(lead=lead, by=admins[0], data=ACCEPT)


def test_declines_and_timeouts_count_together(chain, _frozen):
    partners, admins = chain
    lead = new_lead()
    services.lead_decline(lead=lead, by=admins[0], reason="Too small")
    services.lead_decline(lead=lead, by=admins[1], reason="Too far")
    _frozen.move_to(NOW + timedelta(hours=49))
    expire_lead_offers()
    lead.refresh_from_db()
    assert (lead.status, lead.refusals) == ("returned", 3)


def test_no_partner_left_returns_it_with_the_reason(chain):
    partners, admins = chain
    lead = new_lead(country="DE")
    for p in partners[1:]:
        p.status = "suspended"
        p.save()
    services.lead_decline(lead=lead, by=admins[0], reason="Not for us")
    lead.refresh_from_db()
    assert lead.status == "returned"
    assert lead.return_reason == (
        "No active partner matches a routing rule with capacity left this month (besides the 1 already offered it)."
    )


def test_managers_route_again_offer_to_a_chosen_partner_and_close(chain):
    partners, admins = chain
    manager = StaffUserFactory()
    lead = new_lead()
    services.lead_reroute(lead=lead, by=manager)
    lead.refresh_from_db()
    assert lead.partner == partners[1]
    assert LeadOffer.objects.get(lead=lead, partner=partners[0]).status == "withdrawn"
    services.lead_offer_to(lead=lead, partner=partners[3], by=manager)
    offer = lead.offers.get(status="pending")
    assert offer.partner == partners[3] and offer.reasons.startswith("Chosen by ")
    with pytest.raises(RuleViolation, match="already offered"):
        services.lead_offer_to(lead=lead, partner=partners[0], by=manager)
    services.lead_close(lead=lead, by=manager, reason="Duplicate")
    lead.refresh_from_db()
    assert (lead.status, lead.partner, lead.return_reason) == ("closed", None, "Duplicate")
    with pytest.raises(StateConflict, match="closed"):
        services.lead_reroute(lead=lead, by=manager)
    with pytest.raises(PermissionDenied):
        services.lead_close(lead=new_lead(), by=admins[0], reason="no")


def test_a_lead_needs_a_domain_or_a_company_address(chain):
    lead = new_lead(domain="", contact_email="jo@bigcorp.co.uk")
    assert lead.domain == "bigcorp.co.uk"
    with pytest.raises(RuleViolation) as refused:
        new_lead(domain="", contact_email="jo@gmail.com")
    assert "free-mail" in refused.value.message_dict["domain"][0]


@pytest.mark.parametrize("domain", ["localhost", "not a domain", "com", "acme.invalidtld", "10.0.0.1"])
def test_a_domain_must_be_a_registrable_web_domain(chain, domain):
    with pytest.raises(RuleViolation) as refused:
        new_lead(domain=domain)
    assert refused.value.message_dict == {"domain": ["Enter the company's web domain, e.g. company.com."]}


@pytest.mark.parametrize("phone", ["12345", "call me maybe", "+49 30 <b>1234</b>", "1" * 41])
def test_a_phone_has_digits_spaces_and_plus_minus_brackets_dots(chain, phone):
    with pytest.raises(RuleViolation) as refused:
        new_lead(contact_phone=phone)
    assert list(refused.value.message_dict) == ["contact_phone"]
    assert "digits, spaces and + - ( ) . only" in refused.value.message_dict["contact_phone"][0]


def test_a_good_phone_and_domain_pass(chain):
    lead = new_lead(contact_phone="+1 (415) 555-0100", domain="https://www.shop.acme.co.uk/x")
    assert (lead.contact_phone, lead.domain) == ("+1 (415) 555-0100", "shop.acme.co.uk")


def test_an_address_at_a_domain_that_is_not_a_web_domain_asks_for_the_domain(chain):
    with pytest.raises(RuleViolation) as refused:
        new_lead(domain="", contact_email="tom@tailspin.example")
    message = refused.value.message_dict["domain"][0]
    assert message.startswith("Give the company's web domain") and "free-mail" not in message


def test_a_locator_lead_declined_by_the_partner_asked_for_returns_to_the_managers(chain):
    """The prospect chose that partner: the routing never passes the lead to another one."""
    partners, admins = chain
    lead = services.lead_create(data=lead_data(), by=None, source=Lead.Source.LOCATOR, requested_partner=partners[2])
    assert lead.partner == partners[2]
    services.lead_decline(lead=lead, by=admins[2], reason="Booked out")
    lead.refresh_from_db()
    assert (lead.status, lead.partner) == ("returned", None)
    assert lead.return_reason == "The prospect asked for Partner 2 on the partner locator; Partner 2 declined."
    assert list(lead.offers.values_list("partner", flat=True)) == [partners[2].pk]
    # The managers may pass it on by hand.
    services.lead_offer_to(lead=lead, partner=partners[0], by=StaffUserFactory())
    lead.refresh_from_db()
    assert (lead.status, lead.partner) == ("offered", partners[0])


def test_a_locator_lead_the_partner_asked_for_lets_time_out_returns_to_the_managers(chain, _frozen):
    partners, admins = chain
    lead = services.lead_create(data=lead_data(), by=None, source=Lead.Source.LOCATOR, requested_partner=partners[1])
    _frozen.shift(timedelta(hours=49))
    assert services.lead_offers_expire() == 1
    lead.refresh_from_db()
    assert (lead.status, lead.partner, lead.offers.count()) == ("returned", None, 1)
    assert lead.return_reason == (
        "The prospect asked for Partner 1 on the partner locator; Partner 1 did not answer in time."
    )


def test_lead_statuses_change_only_as_the_transitions_allow(chain):
    partners, admins = chain
    lead = new_lead()
    services.lead_accept(lead=lead, by=admins[0], data=ACCEPT)
    lead.refresh_from_db()
    with pytest.raises(InvalidTransition, match="A lead that is accepted cannot become offered."):
        services.lead_offer(lead=lead, partner=partners[1], rule=None, reasons="by hand")
    assert set(services.LEAD_TRANSITIONS[Lead.Status.ACCEPTED]) == set()
    assert lead.offers.count() == 1
