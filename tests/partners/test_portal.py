import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import User

from ..factories import PASSWORD, PartnerUserFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_root_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


@pytest.mark.parametrize("role", ["admin", "manager", "finance"])
def test_root_sends_staff_to_the_admin(client, role):
    client.force_login(StaffUserFactory(role=role, is_superuser=role == "admin"))
    assert client.get("/")["Location"] == "/admin/"


@pytest.mark.parametrize("role", ["partner_admin", "partner_rep"])
def test_root_sends_partner_users_to_the_portal(client, partner, role):
    client.force_login(PartnerUserFactory(partner=partner, role=role))
    assert client.get("/")["Location"] == "/portal/"


def test_sign_in_with_email_lands_partner_in_the_portal(client, partner_admin):
    response = client.post("/accounts/login/", {"login": partner_admin.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert b"Acme Cloud Partners" in response.content


def test_staff_sign_in_at_the_same_place_and_land_in_the_admin(client, manager):
    response = client.post("/accounts/login/", {"login": manager.email, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"


def test_unverified_partner_user_must_verify_the_email_first(client, partner):
    from allauth.account.models import EmailAddress

    user = PartnerUserFactory(partner=partner)
    EmailAddress.objects.filter(user=user).update(verified=False)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/portal/").status_code == 302  # not signed in


def test_login_is_rate_limited_after_repeated_failures(client, partner_admin):
    for _ in range(5):
        client.post("/accounts/login/", {"login": partner_admin.email, "password": "wrong"})
    response = client.post("/accounts/login/", {"login": partner_admin.email, "password": PASSWORD})
    assert b"Too many failed login attempts" in response.content
    assert client.get("/portal/").status_code == 302  # the right password did not sign in


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_partner_user_cannot_enter_the_admin(client, partner_admin):
    client.force_login(partner_admin)
    response = client.get("/admin/")
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert client.get("/admin/login/").status_code == 403


def test_signup_is_closed(client):
    response = client.post(
        "/accounts/signup/", {"email": "x@example.com", "password1": "Sunny-Meadow-42", "password2": "Sunny-Meadow-42"}
    )
    assert b"Sign Up Closed" in response.content
    assert not User.objects.filter(email="x@example.com").exists()


def test_portal_home_shows_the_organization_and_its_team_only(client, partner_admin, rival_admin):
    colleague = PartnerUserFactory(partner=partner_admin.partner, role="partner_rep", full_name="Carol Chen")
    client.force_login(partner_admin)
    response = client.get("/portal/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Cloud Partners" in html
    assert colleague.email in html
    assert "Globex" not in html
    assert rival_admin.email not in html


def test_portal_home_runs_a_constant_number_of_queries(client, partner_admin):
    client.force_login(partner_admin)
    with CaptureQueriesContext(connection) as few:
        client.get("/portal/")
    PartnerUserFactory.create_batch(15, partner=partner_admin.partner, role="partner_rep")
    with CaptureQueriesContext(connection) as many:
        client.get("/portal/")
    assert len(many) == len(few)


def test_portal_requires_sign_in(client):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/portal/")


def test_staff_visiting_the_portal_are_sent_to_the_admin(client, manager):
    client.force_login(manager)
    assert client.get("/portal/")["Location"] == "/admin/"


def test_user_without_organization_or_role_gets_403(client):
    client.force_login(UserFactory())
    assert client.get("/portal/").status_code == 403


def test_unknown_page_is_the_styled_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_pages_carry_a_strict_content_security_policy(client, partner_admin):
    client.force_login(partner_admin)
    policy = client.get("/portal/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("url", ["/portal/", "/accounts/login/", "/accounts/password/reset/", "/no-such-page/"])
def test_pages_load_no_asset_from_the_network(client, partner_admin, url):
    if url == "/portal/":
        client.force_login(partner_admin)
    html = client.get(url).content.decode()
    assert not re.search(r'src="(https?:)?//', html)
    assert not re.search(r'<link[^>]+href="(https?:)?//', html)


def test_password_reset_mails_a_link_that_sets_a_new_password(client, partner_admin):
    from django.core import mail

    response = client.post("/accounts/password/reset/", {"email": partner_admin.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/key/\S+", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else "/" + path
    response = client.post(form_url, {"password1": "New-Sunny-Meadow-42", "password2": "New-Sunny-Meadow-42"})
    assert response.status_code == 302
    partner_admin.refresh_from_db()
    assert partner_admin.check_password("New-Sunny-Meadow-42")
