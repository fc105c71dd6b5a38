"""A team member's access and role change through one set of services, from the portal's team
page and from the admin alike: deactivation ends API tokens and every session."""

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from rest_framework.authtoken.models import Token

from partners import services
from partners.models import SignedInSession, User

from ..admin_forms import admin_form_data
from ..factories import PASSWORD, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def program_admin(db):
    return StaffUserFactory(role="admin", is_superuser=True, email="root@example.com")


def signed_in(user) -> Client:
    """A browser in which ``user`` signed in with e-mail and password (the real login page)."""
    browser = Client()
    response = browser.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert browser.get("/portal/").status_code == 200
    return browser


def api_token(user) -> str:
    response = Client().post(
        "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def assert_locked_out(user, browser: Client, token: str) -> None:
    user.refresh_from_db()
    assert not user.is_active
    assert not SignedInSession.objects.filter(user=user).exists()
    assert not Token.objects.filter(user=user).exists()
    assert (
        browser.session.session_key is None
        or not Session.objects.filter(session_key=browser.session.session_key).exists()
    )
    assert browser.get("/portal/").status_code == 302  # back to the sign-in page
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401


def test_signing_in_records_the_session_and_signing_out_forgets_it(rep):
    browser = signed_in(rep)
    key = browser.session.session_key
    assert SignedInSession.objects.filter(user=rep, session_key=key).exists()
    browser.post("/accounts/logout/")
    assert not SignedInSession.objects.filter(session_key=key).exists()


def test_deactivation_in_the_portal_ends_tokens_and_sessions(client, partner_admin, rep):
    rep_browser, other_browser = signed_in(rep), signed_in(rep)  # two devices
    token = api_token(rep)
    admin_session_key = signed_in(partner_admin).session.session_key

    client.force_login(partner_admin)
    response = client.post(f"/portal/team/{rep.pk}/deactivate/")
    assert response.status_code == 302

    assert_locked_out(rep, rep_browser, token)
    assert other_browser.get("/portal/").status_code == 302
    assert Session.objects.filter(session_key=admin_session_key).exists()  # nobody else is signed out


def test_deactivation_in_the_admin_goes_through_the_same_service(client, program_admin, rep):
    rep_browser = signed_in(rep)
    token = api_token(rep)
    client.force_login(program_admin)
    url = f"/admin/partners/user/{rep.pk}/change/"
    page = client.get(url)
    assert "partner" not in page.context["adminform"].form.fields  # the organization never changes here
    response = client.post(url, admin_form_data(page, is_active=False))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert_locked_out(rep, rep_browser, token)
    latest = User.history.filter(id=rep.pk).latest("history_date")
    assert (latest.is_active, latest.history_user) == (False, program_admin)


def test_the_admin_reactivates_a_member(client, program_admin, partner_admin, rep):
    services.team_member_deactivate(member=rep, by=partner_admin)
    client.force_login(program_admin)
    url = f"/admin/partners/user/{rep.pk}/change/"
    page = client.get(url)
    response = client.post(url, {**admin_form_data(page), "is_active": "on"})
    assert response.status_code == 302
    rep.refresh_from_db()
    assert rep.is_active


def test_the_admin_changes_a_role_through_the_service(client, program_admin, partner_admin, rep):
    client.force_login(program_admin)
    url = f"/admin/partners/user/{rep.pk}/change/"
    page = client.get(url)
    choices = [value for value, _ in page.context["adminform"].form.fields["role"].choices]
    assert set(choices) - {""} == {"partner_admin", "partner_rep"}  # no staff role for a partner user
    assert client.post(url, admin_form_data(page, role="partner_admin")).status_code == 302
    rep.refresh_from_db()
    assert rep.role == "partner_admin"


def test_the_last_partner_admin_stays_one(client, program_admin, partner_admin):
    client.force_login(program_admin)
    url = f"/admin/partners/user/{partner_admin.pk}/change/"
    response = client.post(url, admin_form_data(client.get(url), role="partner_rep", full_name="Alice A."), follow=True)
    assert "last partner admin" in response.content.decode()
    partner_admin.refresh_from_db()
    assert (partner_admin.role, partner_admin.full_name) != ("partner_rep", "Alice A.")  # nothing of the post is saved
    assert partner_admin.role == "partner_admin"


@pytest.mark.parametrize("who", ["manager", "rep", "rival_admin"])
def test_only_the_partners_admins_and_program_admins_change_members(who, rep, partner_admin, manager, rival_admin):
    actor = {"manager": manager, "rep": rep, "rival_admin": rival_admin}[who]
    target = partner_admin if who == "rep" else rep
    with pytest.raises(PermissionDenied):
        services.team_member_deactivate(member=target, by=actor)
    with pytest.raises(PermissionDenied):
        services.team_member_set_role(member=target, by=actor, role="partner_admin" if target == rep else "partner_rep")
    target.refresh_from_db()
    assert target.is_active


def test_a_role_must_be_a_partner_role(partner_admin, rep):
    with pytest.raises(ValidationError) as refused:
        services.team_member_set_role(member=rep, by=partner_admin, role="manager")
    assert "role" in refused.value.message_dict
    rep.refresh_from_db()
    assert rep.role == "partner_rep"


def test_a_partner_admin_promotes_a_rep_then_steps_down(partner_admin, rep):
    services.team_member_set_role(member=rep, by=partner_admin, role="partner_admin")
    services.team_member_set_role(member=partner_admin, by=partner_admin, role="partner_rep")
    assert set(User.objects.values_list("email", "role").filter(partner=rep.partner)) == {
        (rep.email, "partner_admin"),
        (partner_admin.email, "partner_rep"),
    }


def test_a_password_change_keeps_the_new_session_revocable(partner_admin, rep):
    browser = signed_in(rep)
    response = browser.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "an-Other-pass-42", "password2": "an-Other-pass-42"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SignedInSession.objects.filter(user=rep, session_key=browser.session.session_key).exists()
    services.team_member_deactivate(member=rep, by=partner_admin)
    assert not Session.objects.filter(session_key=browser.session.session_key).exists()


def test_a_staff_account_deactivated_in_the_admin_is_signed_out(client, program_admin, finance):
    browser = Client()
    browser.force_login(finance)
    Token.objects.create(user=finance)
    client.force_login(program_admin)
    url = f"/admin/partners/user/{finance.pk}/change/"
    response = client.post(url, admin_form_data(client.get(url), is_active=False))
    assert response.status_code == 302, response.content.decode()[:3000]
    finance.refresh_from_db()
    assert not finance.is_active
    assert not Token.objects.filter(user=finance).exists()
    assert not Session.objects.filter(session_key=browser.session.session_key).exists()
