"""Users and invitations: staff accounts, partner members, invitation links."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from prm.errors import RuleViolation, StateConflict
from prm.locks import lock
from prm.mail import send_templated_mail
from prm.roles import GROUP_ROLES, PARTNER_ROLES, STAFF_ROLES, Role
from prm.scoping import scopes_disabled

from ..models import (
    Invitation,
    Partner,
    User,
    hash_token,
)
from ..sessions import end_sessions


def _mark_email_verified(user: User) -> None:
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


@transaction.atomic
def staff_user_save(*, email: str, role: str, password: str | None = None, full_name: str = "") -> User:
    """Create or update a staff user with exactly one staff role.

    ``admin`` is a superuser; ``manager`` and ``finance`` get their role's group. The e-mail is
    verified: staff accounts are made by someone who knows the person.
    """
    if role not in STAFF_ROLES:
        raise RuleViolation({"role": f"Choose one of: {', '.join(sorted(STAFF_ROLES))}."})
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is not None and user.partner_id is not None:
        raise RuleViolation({"email": "This e-mail belongs to a partner user; staff need their own."})
    if user is None:
        user = User(email=email)
        if password is None:
            user.set_unusable_password()
    if password is not None:
        user.set_password(password)
    user.role = role
    user.is_staff = True
    user.is_superuser = role == Role.ADMIN
    if full_name:
        user.full_name = full_name
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name=role) if role in GROUP_ROLES else [])
    _mark_email_verified(user)
    return user


@transaction.atomic
def partner_user_create(*, partner: Partner, email: str, role: str, password: str | None, full_name: str = "") -> User:
    """Make a member of ``partner`` with a partner role; a person belongs to one organization."""
    if role not in PARTNER_ROLES:
        raise RuleViolation({"role": f"Choose one of: {', '.join(sorted(PARTNER_ROLES))}."})
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email=email).exists():
        raise RuleViolation({"email": "A user with this e-mail already exists."})
    user = User(email=email, partner=partner, role=role, full_name=full_name)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    _mark_email_verified(user)
    return user


def access_revoke(*, user: User) -> None:
    """Take every way in away from a user who may no longer act: API tokens are deleted and every
    session they signed in with is ended in the session store (the account itself stays)."""
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=user).delete()
    end_sessions(user)


def invitation_check(*, email: str, role: str) -> None:
    """An invitation goes to someone without an account, for a partner role."""
    errors = {}
    if role not in PARTNER_ROLES:
        errors["role"] = f"Choose one of: {', '.join(sorted(PARTNER_ROLES))}."
    if User.objects.filter(email=User.objects.normalize_email(email).lower()).exists():
        errors["email"] = "This person already has an account."
    if errors:
        raise RuleViolation(errors)


@transaction.atomic
def invitation_send(
    *,
    partner: Partner,
    email: str,
    role: str = Role.PARTNER_REP,
    full_name: str = "",
    invited_by: User | None,
    template: str = "partners/email/invitation",
) -> Invitation:
    """Invite a person to join ``partner`` by e-mail with a link valid for PRM_INVITATION_DAYS.

    An earlier open invitation of the same person to the same organization is withdrawn, so only
    the newest link works.
    """
    email = User.objects.normalize_email(email).lower()
    if partner.status == Partner.Status.TERMINATED:
        raise StateConflict(f"{partner.name} is terminated: nobody can be invited to join it.")
    invitation_check(email=email, role=role)
    now = timezone.now()
    with scopes_disabled():
        Invitation.objects.filter(partner=partner, email=email, accepted_at__isnull=True).update(expires_at=now)
    token = Invitation.new_token()
    invitation = Invitation(
        partner=partner,
        email=email,
        role=role,
        full_name=full_name,
        token_hash=hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=settings.PRM_INVITATION_DAYS),
    )
    invitation.full_clean(exclude=["token_hash"])
    invitation.save()
    link = settings.SITE_URL + reverse("invitation_accept", kwargs={"token": token})
    send_templated_mail(
        to=[email],
        template=template,
        context={"invitation": invitation, "partner": partner, "link": link, "invited_by": invited_by},
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link stands for. The token is the credential, so no partner scope applies."""
    with scopes_disabled():
        return Invitation.objects.select_related("partner").filter(token_hash=hash_token(token)).first()


@transaction.atomic
def invitation_accept(*, token: str, password: str, full_name: str) -> User:
    """Accept an open, unexpired invitation: the person becomes a member with a verified e-mail."""
    with scopes_disabled():
        invitation = next(
            iter(lock(Invitation.objects.select_related("partner").filter(token_hash=hash_token(token)))), None
        )
    if invitation is None or not invitation.is_usable:
        raise StateConflict("This invitation link is no longer valid. Ask for a new one.")
    user = partner_user_create(
        partner=invitation.partner,
        email=invitation.email,
        role=invitation.role,
        password=password,
        full_name=full_name or invitation.full_name,
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    return user
