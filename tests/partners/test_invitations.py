from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from partners import services
from partners.models import Invitation, User

from ..factories import PartnerUserFactory

pytestmark = pytest.mark.django_db


def _link(message) -> str:
    return next(line for line in message.body.splitlines() if "/accounts/invitation/" in line).strip()


def _path(link: str) -> str:
    return link[link.index("/accounts/") :]


@pytest.fixture
def invitation_path(partner, manager, commit):
    with commit():
        services.invitation_send(
            partner=partner, email="Dana@Acme.example.com", full_name="Dana Diaz", invited_by=manager
        )
    return _path(_link(mail.outbox[-1]))


def test_invitation_mails_an_expiring_link(partner, manager, settings, commit):
    with commit():
        invitation = services.invitation_send(partner=partner, email="dana@acme.example.com", invited_by=manager)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@acme.example.com"]
    assert _link(message).startswith(settings.SITE_URL + "/accounts/invitation/")
    assert invitation.expires_at - invitation.created_at == timedelta(days=settings.PRM_INVITATION_DAYS)
    # The link's token is not stored, only its hash.
    token = _link(message).rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash


def test_accepting_creates_a_verified_member_and_signs_in(client, partner, invitation_path):
    page = client.get(invitation_path)
    assert page.status_code == 200
    assert b"Join Acme Cloud Partners" in page.content
    response = client.post(
        invitation_path, {"full_name": "Dana Diaz", "password1": "Sunny-Meadow-42", "password2": "Sunny-Meadow-42"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    user = User.objects.get(email="dana@acme.example.com")
    assert (user.partner, user.role, user.full_name) == (partner, "partner_rep", "Dana Diaz")
    assert EmailAddress.objects.get(user=user).verified
    assert "Acme Cloud Partners" in client.get("/portal/").content.decode()  # signed in, in the organization
    # The link is spent.
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get(invitation_path).status_code == 404


def test_password_mismatch_names_the_field_and_writes_nothing(client, invitation_path):
    response = client.post(
        invitation_path, {"full_name": "Dana", "password1": "Sunny-Meadow-42", "password2": "Other-Meadow-42"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"password2": ["The two passwords differ."]}
    assert not User.objects.filter(email="dana@acme.example.com").exists()


def test_weak_password_is_refused(client, invitation_path):
    response = client.post(invitation_path, {"full_name": "Dana", "password1": "123", "password2": "123"})
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="dana@acme.example.com").exists()


def test_expired_link_is_refused(client, invitation_path):
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(invitation_path)
    assert response.status_code == 404
    assert b"expired" in response.content
    response = client.post(
        invitation_path, {"full_name": "D", "password1": "Sunny-Meadow-42", "password2": "Sunny-Meadow-42"}
    )
    assert response.status_code == 404
    assert not User.objects.filter(email="dana@acme.example.com").exists()


def test_unknown_token_is_404(client, db):
    assert client.get("/accounts/invitation/not-a-token/").status_code == 404


def test_a_new_invitation_withdraws_the_previous_link(client, partner, manager, invitation_path, commit):
    with commit():
        services.invitation_send(partner=partner, email="dana@acme.example.com", invited_by=manager)
    assert client.get(invitation_path).status_code == 404
    assert client.get(_path(_link(mail.outbox[-1]))).status_code == 200


def test_person_with_an_account_cannot_be_invited(partner, manager):
    PartnerUserFactory(partner=partner, email="dana@acme.example.com")
    with pytest.raises(ValidationError) as error:
        services.invitation_send(partner=partner, email="DANA@acme.example.com", invited_by=manager)
    assert "email" in error.value.message_dict
    assert not Invitation.objects.exists()


def test_staff_role_cannot_be_given_by_invitation(partner, manager):
    with pytest.raises(ValidationError) as error:
        services.invitation_send(partner=partner, email="x@acme.example.com", role="manager", invited_by=manager)
    assert "role" in error.value.message_dict
    assert mail.outbox == []


def test_manager_invites_from_the_admin(client, partner, manager, commit):
    client.force_login(manager)
    with commit():
        response = client.post(
            "/admin/partners/invitation/add/",
            {"partner": partner.pk, "email": "frank@acme.example.com", "full_name": "Frank", "role": "partner_admin"},
        )
    assert response.status_code == 302
    assert Invitation.objects.get().role == "partner_admin"
    assert mail.outbox[0].to == ["frank@acme.example.com"]


def test_admin_invitation_of_an_existing_user_shows_the_error(client, partner, manager, partner_admin):
    client.force_login(manager)
    response = client.post(
        "/admin/partners/invitation/add/",
        {"partner": partner.pk, "email": partner_admin.email, "role": "partner_rep"},
    )
    assert response.status_code == 200
    assert b"This person already has an account." in response.content
    assert not Invitation.objects.exists()
