"""The locator's contact form: a valid message becomes a lead offered to that partner; bad input
names its fields and writes nothing; the honeypot and the rate limit per address."""

import pytest
from django.urls import reverse

from marketing.models import Lead, LeadOffer

from ..factories import PartnerFactory
from .locator_helpers import profile_of

pytestmark = pytest.mark.django_db

GOOD = {
    "company": "Initrode",
    "domain": "https://www.initrode.com/about",
    "contact_name": "Pat Lee",
    "contact_email": "Pat@Initrode.com",
    "contact_phone": "+1 555 0199",
    "country": "US",
    "product_interest": "Cloud Suite",
    "size": "50-249",
    "message": "We need help moving 40 servers.",
}


@pytest.fixture
def listed(partner):
    return profile_of(partner)


def _url(profile, name="contact"):
    return reverse(f"locator_public:{name}", args=[profile.slug])


def test_a_message_becomes_a_lead_offered_to_that_partner(client, listed, partner, rival):
    profile_of(rival)
    response = client.post(_url(listed), GOOD)

    assert response.status_code == 302 and response["Location"] == _url(listed, "thanks")
    lead = Lead.objects.get()
    assert lead.source == Lead.Source.LOCATOR
    assert lead.requested_partner == partner and lead.partner == partner
    assert lead.status == Lead.Status.OFFERED
    assert (lead.company, lead.domain, lead.contact_email, lead.country.code, lead.size) == (
        "Initrode",
        "initrode.com",
        "pat@initrode.com",
        "US",
        "50-249",
    )
    assert lead.created_by is None
    offer = LeadOffer.objects.get()
    assert offer.lead == lead and offer.partner == partner and offer.status == LeadOffer.Status.PENDING
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you" in thanks and partner.name in thanks and "48 hours" in thanks


def test_the_form_and_the_thanks_say_who_reads_the_message_and_what_happens_next(client, listed, partner):
    for name in ("detail", "thanks"):
        body = client.get(_url(listed, name)).content.decode()
        assert f"<strong>Who reads it:</strong> {partner.name} and, if they cannot take it, our partner team." in body
        assert "sent to no other partner" in body
        assert f"<strong>What happens next:</strong> {partner.name} is asked to take it up within 48 hours" in body
        assert "If they cannot, our partner team answers you." in body
        assert "finds another partner" not in body


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("domain", "not a domain!!", "Enter the company&#x27;s web domain, e.g. company.com."),
        ("contact_phone", "abc", "phone"),
    ],
)
def test_a_bad_website_or_phone_is_refused_beside_its_field(client, listed, field, value, message):
    """``lead_validated`` refuses them (the leads part's checks); the form shows the refusal on the field."""
    response = client.post(_url(listed), {**GOOD, field: value})

    assert response.status_code == 200
    assert field in response.context["form"].errors
    body = response.content.decode()
    error = body[body.index(f'id="id_{field}_error"') :][:400]
    assert message.lower() in error.lower()
    assert not Lead.objects.exists()


def test_the_service_thanks_a_bot_and_counts_it(listed, partner, settings):
    from marketing.services.locator import HONEYPOT, TooManyMessages, locator_contact

    settings.PRM_LOCATOR_CONTACTS_PER_HOUR = 1
    assert locator_contact(partner=partner, data={**GOOD, HONEYPOT: "x"}, client_ip="192.0.2.1") is None
    with pytest.raises(TooManyMessages):
        locator_contact(partner=partner, data=GOOD, client_ip="192.0.2.1")
    assert not Lead.objects.exists()
    lead = locator_contact(partner=partner, data=GOOD, client_ip="192.0.2.2")
    assert lead.requested_partner == partner and lead.partner == partner


def test_bad_input_names_every_field_and_writes_nothing(client, listed):
    data = {**GOOD, "company": "", "contact_email": "not-an-email", "country": "XX", "message": ""}
    response = client.post(_url(listed), data)

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"company", "contact_email", "country", "message"}
    body = response.content.decode()
    assert "Please correct these 4 fields" in body
    assert 'href="#id_company">Your company</a>' in body
    assert 'value="Pat Lee"' in body  # what was typed stays
    assert not Lead.objects.exists() and not LeadOffer.objects.exists()


def test_the_services_refusal_lands_on_the_field(client, listed):
    response = client.post(_url(listed), {**GOOD, "message": "Hello\u202eworld"})
    assert response.status_code == 200
    assert "message" in response.context["form"].errors
    assert not Lead.objects.exists()


def test_the_honeypot_is_hidden_from_people(client, listed):
    body = client.get(_url(listed, "detail")).content.decode()
    start = body.index('<div class="locator-hp" aria-hidden="true">')
    field = body[start : body.index("</div>", start)]
    assert 'name="homepage"' in field and 'tabindex="-1"' in field and 'autocomplete="off"' in field


def test_a_bot_that_fills_the_honeypot_is_thanked_and_nothing_is_written(client, listed):
    response = client.post(_url(listed), {**GOOD, "homepage": "http://spam.example"})
    assert response.status_code == 302 and response["Location"] == _url(listed, "thanks")
    assert not Lead.objects.exists() and not LeadOffer.objects.exists()


def test_too_many_messages_from_one_address_are_refused_with_429(client, listed, settings):
    settings.PRM_LOCATOR_CONTACTS_PER_HOUR = 3
    for n in range(3):
        response = client.post(_url(listed), {**GOOD, "company": f"Initrode {n}"}, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 302
    refused = client.post(_url(listed), {**GOOD, "company": "Initrode 3"}, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert "Too many messages were sent from your network" in refused.content.decode()
    assert Lead.objects.count() == 3
    other = client.post(_url(listed), {**GOOD, "company": "Other network"}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302
    assert Lead.objects.count() == 4


def test_bots_count_towards_the_limit(client, listed, settings):
    settings.PRM_LOCATOR_CONTACTS_PER_HOUR = 2
    for _ in range(2):
        client.post(_url(listed), {**GOOD, "homepage": "x"}, REMOTE_ADDR="198.51.100.8")
    assert client.post(_url(listed), GOOD, REMOTE_ADDR="198.51.100.8").status_code == 429
    assert not Lead.objects.exists()


def test_the_limit_is_per_hour(client, listed, settings, time_machine):
    settings.PRM_LOCATOR_CONTACTS_PER_HOUR = 1
    time_machine.move_to("2026-06-01 10:00:00+00:00", tick=False)
    assert client.post(_url(listed), GOOD, REMOTE_ADDR="198.51.100.9").status_code == 302
    assert client.post(_url(listed), GOOD, REMOTE_ADDR="198.51.100.9").status_code == 429
    time_machine.move_to("2026-06-01 11:00:01+00:00", tick=False)
    assert client.post(_url(listed), GOOD, REMOTE_ADDR="198.51.100.9").status_code == 302


def test_a_get_of_the_contact_url_goes_to_the_form(client, listed):
    response = client.get(_url(listed))
    assert response.status_code == 302 and response["Location"].endswith("#contact")


def test_a_partner_that_became_inactive_takes_no_more_messages(client, listed, partner):
    partner.status = "suspended"
    partner.save()
    assert client.post(_url(listed), GOOD).status_code == 404
    assert not Lead.objects.exists()


def test_the_form_names_fields_with_labels_and_marks_required_ones(client, listed):
    body = client.get(_url(listed, "detail")).content.decode()
    labels = (("company", "Your company"), ("contact_email", "Your work e-mail"), ("message", "Your message"))
    for field, label in labels:
        assert f'<label class="form-label" for="id_{field}">{label}' in body


def test_another_partners_lead_is_not_offered_to_the_requested_one(client, listed, rival):
    other = profile_of(PartnerFactory(name="Third Ltd"))
    client.post(_url(other), GOOD)
    assert LeadOffer.objects.get().partner.name == "Third Ltd"


def test_the_last_slot_is_taken_once_when_two_messages_arrive_at_once(client, listed, settings, monkeypatch):
    """Both requests passed the first look at the count; the one counted second writes nothing."""
    from marketing.services import locator as services

    settings.PRM_LOCATOR_CONTACTS_PER_HOUR = 2
    for _ in range(2):
        client.post(_url(listed), {**GOOD, "homepage": "x"}, REMOTE_ADDR="198.51.100.10")
    monkeypatch.setattr(services, "_sent_so_far", lambda key: 1)  # what it saw before the other one counted
    assert client.post(_url(listed), GOOD, REMOTE_ADDR="198.51.100.10").status_code == 429
    assert not Lead.objects.exists()
