import time

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from ..factories import PASSWORD, PartnerFactory, PartnerUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def test_unauthenticated_call_is_401(api):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_login_returns_a_token_that_signs_in(api, partner_admin):
    response = api.post("/api/v1/auth/token/", {"email": partner_admin.email, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/").json()
    assert me == {
        "email": partner_admin.email,
        "role": "partner_admin",
        "partner": {"id": partner_admin.partner_id, "name": "Acme Cloud Partners", "tier": "Silver"},
    }


def test_token_login_accepts_the_email_in_any_case(api, partner_admin):
    response = api.post("/api/v1/auth/token/", {"email": partner_admin.email.upper(), "password": PASSWORD})
    assert response.status_code == 200
    assert Token.objects.get(key=response.json()["token"]).user == partner_admin


def test_wrong_password_is_400_and_writes_nothing(api, partner_admin):
    response = api.post("/api/v1/auth/token/", {"email": partner_admin.email, "password": "nope"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["E-mail or password is not correct."]}
    assert not Token.objects.exists()


def test_bad_input_names_each_field(api):
    response = api.post("/api/v1/auth/token/", {"email": "not-an-email"})
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"email", "password"}
    assert body["password"] == ["This field is required."]


def test_deactivated_user_gets_no_token(api, partner_admin):
    partner_admin.is_active = False
    partner_admin.save()
    response = api.post("/api/v1/auth/token/", {"email": partner_admin.email, "password": PASSWORD})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["E-mail or password is not correct."]}
    assert not Token.objects.exists()


def test_token_login_is_throttled_per_client(api, partner_admin, settings):
    for _ in range(10):
        api.post("/api/v1/auth/token/", {"email": partner_admin.email, "password": "wrong"})
    response = api.post("/api/v1/auth/token/", {"email": partner_admin.email, "password": PASSWORD})
    assert response.status_code == 429
    assert not Token.objects.exists()


@pytest.mark.parametrize("role", ["admin", "manager", "finance"])
def test_me_for_staff_has_no_partner(api, role):
    user = StaffUserFactory(role=role, is_superuser=role == "admin")
    api.force_authenticate(user)
    assert api.get("/api/v1/me/").json() == {"email": user.email, "role": role, "partner": None}


def test_me_for_partner_rep(api, partner):
    rep = PartnerUserFactory(partner=partner, role="partner_rep")
    api.force_authenticate(rep)
    assert api.get("/api/v1/me/").json()["role"] == "partner_rep"


def test_partner_list_for_partner_user_is_its_own_organization(partner_api, partner, rival):
    body = partner_api.get("/api/v1/partners/").json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "id": partner.pk,
        "name": "Acme Cloud Partners",
        "status": "active",
        "tier": "Silver",
        "partner_type": "reseller",
        "country": "DE",
        "website": partner.website,
        "onboarding": {"progress_percent": 100, "tasks": []},
    }


def test_partner_list_for_staff_is_paginated(manager_api):
    PartnerFactory.create_batch(5)
    body = manager_api.get("/api/v1/partners/?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert "page=2" in body["next"]
    assert body["previous"] is None


@pytest.mark.parametrize("size", ["201", "0", "x"])
def test_page_size_out_of_bounds_is_400_naming_the_parameter(manager_api, size):
    response = manager_api.get(f"/api/v1/partners/?page_size={size}")
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_partner_list_runs_a_constant_number_of_queries(manager_api):
    from partners.services import onboarding_start

    for partner in PartnerFactory.create_batch(2):
        onboarding_start(partner=partner)
    with CaptureQueriesContext(connection) as few:
        assert manager_api.get("/api/v1/partners/").status_code == 200
    for partner in PartnerFactory.create_batch(20):
        onboarding_start(partner=partner)
    with CaptureQueriesContext(connection) as many:
        assert manager_api.get("/api/v1/partners/").json()["count"] == 22
    assert len(many) == len(few)


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "https://" not in html and "http://" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200


def test_anonymous_endpoints_are_throttled_per_client(api):
    """Endpoints open to anonymous callers (here the schema) answer 429 past the anon rate."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    allowed = AnonRateThrottle().parse_rate(api_settings.DEFAULT_THROTTLE_RATES["anon"])[0]
    # The clock stands still: on a busy machine the schema's requests could outlast the window.
    with time_machine.travel(time.time(), tick=False):
        statuses = [api.get("/api/schema/").status_code for _ in range(allowed + 1)]
    assert statuses[:allowed] == [200] * allowed
    assert statuses[-1] == 429
