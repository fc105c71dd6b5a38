"""Token sign-in (`POST /api/v1/auth/token/`) limits failed attempts the way allauth limits its
login page: per account and client address, and (looser) per address. Good sign-ins never count,
so colleagues behind one office address are not refused because someone mistyped, or attacked
another account."""

import pytest
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from ..factories import PASSWORD, PartnerUserFactory

pytestmark = pytest.mark.django_db

OFFICE = "198.51.100.7"
TOKEN_URL = "/api/v1/auth/token/"


def per_account_limit() -> int:
    return int(api_settings.DEFAULT_THROTTLE_RATES["login"].split("/")[0])


def sign_in(email, password, address=OFFICE):
    return APIClient().post(TOKEN_URL, {"email": email, "password": password}, format="json", REMOTE_ADDR=address)


def test_the_attacked_account_is_refused_but_a_colleague_signs_in(partner_admin, partner):
    colleague = PartnerUserFactory(partner=partner, role="partner_rep")
    limit = per_account_limit()
    assert limit == 10
    for _ in range(limit):
        assert sign_in(partner_admin.email, "wrong").status_code == 400
    refused = sign_in(partner_admin.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins for this account from your address" in refused.json()["detail"]
    assert "Retry-After" in refused
    welcome = sign_in(colleague.email, PASSWORD)
    assert welcome.status_code == 200
    assert welcome.json()["token"]


def test_the_same_account_still_signs_in_from_another_address(partner_admin):
    for _ in range(per_account_limit()):
        sign_in(partner_admin.email, "wrong")
    assert sign_in(partner_admin.email, PASSWORD).status_code == 429
    assert sign_in(partner_admin.email, PASSWORD, address="203.0.113.80").status_code == 200


def test_good_sign_ins_are_never_counted(partner_admin):
    for _ in range(per_account_limit() * 3):
        assert sign_in(partner_admin.email, PASSWORD).status_code == 200


def test_a_typo_between_good_sign_ins_does_not_add_up(partner_admin):
    for _ in range(per_account_limit() - 1):
        sign_in(partner_admin.email, "wrong")
    assert sign_in(partner_admin.email, PASSWORD).status_code == 200
    assert sign_in(partner_admin.email, "wrong").status_code == 400  # the tenth failure is still allowed
    assert sign_in(partner_admin.email, PASSWORD).status_code == 429


def test_one_address_trying_many_accounts_hits_the_looser_address_cap(settings, partner):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "login": "10/min", "login_address": "15/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    victims = PartnerUserFactory.create_batch(3, partner=partner, role="partner_rep")
    statuses = [sign_in(victim.email, "wrong").status_code for victim in victims for _ in range(5)]
    assert statuses == [400] * 15
    refused = sign_in(victims[0].email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed sign-ins from your address" in refused.json()["detail"]
    assert sign_in(victims[0].email, PASSWORD, address="203.0.113.80").status_code == 200
