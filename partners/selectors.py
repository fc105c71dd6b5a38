"""Reads for partners. Scoped models are filtered by the active scope (prm.scoping)."""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from prm.roles import Role
from prm.scoping import scopes_disabled

from .models import AgreementSignature, Application, Invitation, OnboardingTask, Partner, PayoutDetails, User


def partner_list() -> QuerySet[Partner]:
    """Partner organizations the caller may see: all for staff, their own for partner users,
    with their onboarding tasks."""
    return (
        Partner.objects.select_related("tier")
        .prefetch_related(Prefetch("onboarding_tasks", queryset=OnboardingTask.objects.order_by("order", "id")))
        .order_by("name", "id")
    )


def partner_of(user) -> Partner:
    """The signed-in partner user's organization (one query), for every portal page."""
    return Partner.objects.select_related("tier").get(pk=user.partner_id)


def progress_percent(tasks) -> int:
    """Share of a partner's onboarding tasks that are done, 0-100 (100 with no tasks)."""
    tasks = list(tasks)
    if not tasks:
        return 100
    return round(100 * sum(1 for t in tasks if t.done) / len(tasks))


def onboarding_tasks(partner: Partner) -> list[OnboardingTask]:
    return list(OnboardingTask.objects.filter(partner=partner).order_by("order", "id"))


def application_list(*, user, status: str | None = None) -> QuerySet[Application]:
    """Applications are for staff only; partner users and anyone else see none."""
    if not (user.is_authenticated and user.is_staff):
        return Application.objects.none()
    applications = Application.objects.select_related("owner", "duplicate_of", "duplicate_partner", "partner")
    if status:
        applications = applications.filter(status=status)
    return applications.order_by("-created_at", "-id")


def agreement_signatures(partner: Partner) -> QuerySet[AgreementSignature]:
    return (
        AgreementSignature.objects.filter(partner=partner).select_related("agreement", "signer").order_by("-signed_at")
    )


def team_list(*, include_inactive: bool = False) -> QuerySet[User]:
    """Members of the caller's organization (active ones first)."""
    members = User.members.all()
    if not include_inactive:
        members = members.filter(is_active=True)
    return members.order_by("-is_active", "full_name", "email")


def open_invitations() -> QuerySet[Invitation]:
    """Invitations of the caller's organization that can still be accepted."""
    return Invitation.objects.filter(accepted_at__isnull=True, expires_at__gt=timezone.now()).order_by("-created_at")


def payout_details_of(partner: Partner) -> PayoutDetails | None:
    """The partner's payout details, if it gave them."""
    return PayoutDetails.objects.filter(partner=partner).first()


def partner_admin_emails(partner_ids) -> dict[int, list[str]]:
    """The e-mail addresses of the active partner admins of each partner (one query), for the
    mail that goes to an organization: reminders, status changes."""
    emails: dict[int, list[str]] = {}
    with scopes_disabled():
        rows = User.objects.filter(partner_id__in=list(partner_ids), role=Role.PARTNER_ADMIN, is_active=True).order_by(
            "email"
        )
        for partner_id, email in rows.values_list("partner_id", "email"):
            emails.setdefault(partner_id, []).append(email)
    return emails
