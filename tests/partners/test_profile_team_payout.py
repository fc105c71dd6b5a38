"""The partner admin's pages: company profile, team, payout details."""

import pytest
from django.core import mail

from partners.models import Invitation, OnboardingTask, PayoutDetails, User
from partners.services import onboarding_start

from ..factories import PartnerUserFactory

pytestmark = pytest.mark.django_db

PROFILE = {
    "legal_name": "Acme Cloud Partners Inc.",
    "website": "https://www.acme-cloud.com",
    "address_line": "1 Market Street",
    "postal_code": "94105",
    "city": "San Francisco",
    "country": "US",
    "phone": "+1 415 555 0100",
    "description": "Cloud reseller.",
    "specializations": "cloud, Security",
}


@pytest.fixture
def onboarding(partner_admin, checklist):
    onboarding_start(partner=partner_admin.partner)
    return partner_admin.partner


def task_done(partner, key):
    return OnboardingTask.objects.get(partner=partner, key=key).done


def test_completing_the_profile_closes_its_task(client, partner_admin, onboarding):
    client.force_login(partner_admin)
    response = client.post("/portal/profile/", PROFILE)
    assert response.status_code == 302
    onboarding.refresh_from_db()
    assert onboarding.specializations == ["cloud", "security"]
    assert onboarding.domain == "acme-cloud.com"
    assert task_done(onboarding, "profile_completed")


def test_an_incomplete_profile_names_the_missing_fields(client, partner_admin, onboarding):
    client.force_login(partner_admin)
    response = client.post("/portal/profile/", {**PROFILE, "phone": "", "website": "nope"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"phone", "website"}
    assert not task_done(onboarding, "profile_completed")


def test_reps_see_the_profile_but_cannot_change_it(client, partner):
    rep = PartnerUserFactory(partner=partner, role="partner_rep")
    client.force_login(rep)
    assert b"Only a partner admin can change the profile." in client.get("/portal/profile/").content
    assert client.post("/portal/profile/", PROFILE).status_code == 403


def test_inviting_a_colleague_sends_the_link_and_closes_its_task(client, partner_admin, onboarding, commit):
    client.force_login(partner_admin)
    with commit():
        response = client.post("/portal/team/", {"email": "dan@acme.com", "full_name": "Dan", "role": "partner_rep"})
    assert response.status_code == 302
    assert Invitation.objects.get().partner == onboarding
    assert mail.outbox[0].to == ["dan@acme.com"]
    assert task_done(onboarding, "first_user_invited")
    assert b"dan@acme.com" in client.get("/portal/team/").content


def test_inviting_someone_with_an_account_shows_the_error(client, partner_admin, rival_admin):
    client.force_login(partner_admin)
    response = client.post("/portal/team/", {"email": rival_admin.email, "role": "partner_rep"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["This person already has an account."]}


def test_reps_cannot_invite(client, partner):
    client.force_login(PartnerUserFactory(partner=partner, role="partner_rep"))
    assert client.post("/portal/team/", {"email": "x@acme.com", "role": "partner_rep"}).status_code == 403
    assert not Invitation.objects.exists()


def test_partner_admin_deactivates_a_colleague(client, partner_admin):
    from rest_framework.authtoken.models import Token

    colleague = PartnerUserFactory(partner=partner_admin.partner, role="partner_rep")
    Token.objects.create(user=colleague)
    client.force_login(partner_admin)
    response = client.post(f"/portal/team/{colleague.pk}/deactivate/")
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert not colleague.is_active
    assert not Token.objects.filter(user=colleague).exists()


def test_nobody_deactivates_themselves(client, partner_admin):
    client.force_login(partner_admin)
    response = client.post(f"/portal/team/{partner_admin.pk}/deactivate/", follow=True)
    assert b"cannot deactivate yourself" in response.content
    partner_admin.refresh_from_db()
    assert partner_admin.is_active


def test_reps_cannot_deactivate(client, partner_admin):
    rep = PartnerUserFactory(partner=partner_admin.partner, role="partner_rep")
    client.force_login(rep)
    assert client.post(f"/portal/team/{partner_admin.pk}/deactivate/").status_code == 403
    partner_admin.refresh_from_db()
    assert partner_admin.is_active


IBAN = {
    "method": "iban",
    "currency": "EUR",
    "account_holder": "Acme Cloud Partners",
    "iban": "DE89 3704 0044 0532 0130 00",
    "bic": "DEUTDEFF",
}


def test_valid_iban_payout_details_are_saved_and_close_the_task(client, partner_admin, onboarding):
    client.force_login(partner_admin)
    response = client.post("/portal/payout-details/", IBAN)
    assert response.status_code == 302
    details = PayoutDetails.objects.get(partner=onboarding)
    assert (details.iban, details.bic, details.currency) == ("DE89370400440532013000", "DEUTDEFF", "EUR")
    assert details.masked_account == details.account_hint == "DE89 •••• •••• 3000"
    assert task_done(onboarding, "payout_details_added")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"iban": "DE89 3704 0044 0532 0130 01"}, "iban"),  # check digits do not match
        ({"iban": ""}, "iban"),
        ({"bic": "NOTABIC"}, "bic"),
        ({"currency": "EURO"}, "currency"),
        ({"method": "us_ach", "routing_number": "011000016", "account_number": "12345678"}, "routing_number"),
        ({"method": "us_ach", "routing_number": "011000015", "account_number": "12ab"}, "account_number"),
        ({"method": "paypal", "paypal_email": ""}, "paypal_email"),
        ({"account_holder": ""}, "account_holder"),
    ],
)
def test_invalid_payout_details_name_the_field_and_save_nothing(client, partner_admin, onboarding, changes, field):
    client.force_login(partner_admin)
    response = client.post("/portal/payout-details/", {**IBAN, **changes})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not PayoutDetails.objects.exists()
    assert not task_done(onboarding, "payout_details_added")


def test_us_bank_details_keep_only_their_own_fields(client, partner_admin):
    client.force_login(partner_admin)
    client.post(
        "/portal/payout-details/",
        {**IBAN, "method": "us_ach", "currency": "USD", "routing_number": "011000015", "account_number": "1234-5678"},
    )
    details = PayoutDetails.objects.get()
    assert (details.routing_number, details.account_number, details.iban, details.currency) == (
        "011000015",
        "12345678",
        "",
        "USD",
    )


def test_reps_never_see_payout_details(client, partner):
    client.force_login(PartnerUserFactory(partner=partner, role="partner_rep"))
    assert client.get("/portal/payout-details/").status_code == 403
    assert client.post("/portal/payout-details/", {**IBAN}).status_code == 403
    assert not PayoutDetails.objects.exists()


def test_portal_pages_run_a_constant_number_of_queries(client, partner_admin, checklist):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    onboarding_start(partner=partner_admin.partner)
    client.force_login(partner_admin)
    pages = ["/portal/", "/portal/onboarding/", "/portal/team/", "/portal/agreement/"]
    counts = {}
    for url in pages:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[url] = len(queries)
    PartnerUserFactory.create_batch(10, partner=partner_admin.partner, role="partner_rep")
    for i in range(5):
        Invitation.objects.create(
            partner=partner_admin.partner, email=f"x{i}@acme.com", token_hash=f"h{i}", expires_at="2099-01-01T00:00Z"
        )
    for url in pages:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        assert len(queries) == counts[url], url
    assert User.objects.count() > 10
