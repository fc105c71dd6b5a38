"""A partner organization's status: one transition table, one place that changes it.

    onboarding -> active         the checklist is done (the system), or a manager activates it
                                 early with a reason (a partner moved from another program, say)
    active     -> suspended      a manager suspends it with a reason; its users still sign in and
                                 see their data, but register no deals (deals.services refuses
                                 partners that are not onboarding or active)
    suspended  -> active         a manager reactivates it with a reason
    onboarding | active | suspended -> terminated
                                 the partnership ends: its users lose access (accounts
                                 deactivated, API tokens and sessions ended), open invitations are
                                 withdrawn, and nobody can be invited again
    terminated                   final: nothing leaves it

Every change keeps a ``StatusChange`` row (from, to, who, why) and the reason in the audit
history; suspension, termination and reactivation are e-mailed to the partner's admins.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from prm.audit import change_reason
from prm.errors import RuleViolation
from prm.locks import lock, lock_one
from prm.mail import send_templated_mail
from prm.roles import MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled
from prm.transitions import check_transition

from ..models import Invitation, Partner, StatusChange, User
from ..selectors import partner_admin_emails
from .accounts import access_revoke

Status = Partner.Status

PARTNER_TRANSITIONS = {
    Status.ONBOARDING: {Status.ACTIVE, Status.TERMINATED},
    Status.ACTIVE: {Status.SUSPENDED, Status.TERMINATED},
    Status.SUSPENDED: {Status.ACTIVE, Status.TERMINATED},
    Status.TERMINATED: set(),
}

# Changes the partner's admins are told about by e-mail, with the subject line's verb.
NOTIFIED = {
    (Status.ACTIVE, Status.SUSPENDED): "suspended",
    (Status.SUSPENDED, Status.ACTIVE): "reactivated",
    (Status.ONBOARDING, Status.TERMINATED): "terminated",
    (Status.ACTIVE, Status.TERMINATED): "terminated",
    (Status.SUSPENDED, Status.TERMINATED): "terminated",
}


@transaction.atomic
def partner_status_change(*, partner: Partner, status: str, by: User | None, reason: str) -> Partner:
    """Move ``partner`` to ``status`` if the table allows it (``InvalidTransition`` otherwise),
    with its effects. ``by`` is None when the system acts (onboarding completed); callers check who may
    act. The partner row is locked for the change."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise RuleViolation({"reason": "Say why the partner's status changes."})
    if len(reason) > 300:
        raise RuleViolation({"reason": "Keep the reason under 300 characters."})
    if status not in Status.values:
        raise RuleViolation({"status": f"Choose one of: {', '.join(Status.values)}."})
    with scopes_disabled():
        locked = lock_one(Partner.objects, partner.pk)
    check_transition(PARTNER_TRANSITIONS, locked.status, status, what="partner")
    previous = locked.status
    now = timezone.now()
    locked.status = status
    fields = ["status"]
    if status == Status.ACTIVE and locked.activated_at is None:
        locked.activated_at = now
        fields.append("activated_at")
    locked._change_reason = change_reason(reason)
    locked.save(update_fields=fields)
    StatusChange.objects.create(
        partner=locked, from_status=previous, to_status=status, changed_at=now, changed_by=by, reason=reason
    )
    admins = partner_admin_emails([locked.pk]).get(locked.pk, [])
    verb = NOTIFIED.get((previous, status))
    if verb and admins:
        send_templated_mail(
            to=admins,
            template="partners/email/partner_status",
            context={"partner": locked, "verb": verb, "reason": reason, "link": settings.SITE_URL + "/portal/"},
        )
    if status == Status.TERMINATED:
        _end_access(locked, now)
    for field in fields:
        setattr(partner, field, getattr(locked, field))
    return locked


def _end_access(partner: Partner, now) -> None:
    with scopes_disabled():
        members = lock(User.objects.filter(partner=partner, is_active=True))
        for member in members:
            member.is_active = False
            member.save(update_fields=["is_active"])
            access_revoke(user=member)
        Invitation.objects.filter(partner=partner, accepted_at__isnull=True, expires_at__gt=now).update(expires_at=now)


@transaction.atomic
def partner_set_status(*, partner: Partner, status: str, by: User, reason: str) -> Partner:
    """A manager changes a partner's status with a reason, as PARTNER_TRANSITIONS allows
    (activation of an onboarding partner included: the checklist is then waived)."""
    require_role(by, *MANAGER_ROLES, action="change a partner's status")
    return partner_status_change(partner=partner, status=status, by=by, reason=reason)
