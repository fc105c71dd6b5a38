"""Recruitment: applications, fit scoring, duplicates, the pipeline and approval."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from prm.domains import email_domain, is_free_mail, registrable_domain
from prm.errors import RuleViolation
from prm.locks import lock_one
from prm.mail import send_templated_mail
from prm.roles import MANAGER_ROLES, Role, require_role
from prm.scoping import scopes_disabled
from prm.text import REASON_MAX, check_text
from prm.transitions import check_transition

from ..models import (
    Application,
    FitCriterion,
    Partner,
    User,
)
from ..scoring import normalize_specializations, score_application
from .accounts import invitation_check, invitation_send
from .organization import partner_create

APPLICATION_TRANSITIONS = {
    Application.Status.APPLIED: {
        Application.Status.SCREENING,
        Application.Status.APPROVED,
        Application.Status.REJECTED,
    },
    Application.Status.SCREENING: {Application.Status.APPROVED, Application.Status.REJECTED},
}


def _active_criteria() -> list[FitCriterion]:
    return list(FitCriterion.objects.filter(active=True).order_by("order", "id"))


def _apply_fit(application: Application, criteria: list[FitCriterion]) -> None:
    fit = score_application(application, criteria)
    application.fit_score = fit.score
    application.score_breakdown = fit.breakdown
    application.disqualified = fit.disqualified
    application.disqualification_reason = fit.disqualification_reason
    application.scored_at = timezone.now()


def _find_duplicates(application: Application) -> None:
    """Point a second application of a company at its first application or at its partner,
    by the registrable domain of the website and of the contact e-mail (free mail ignored)."""
    domains = {d for d in (application.website_domain, application.email_domain) if d}
    first = (
        Application.objects.filter(Q(website_domain__in=domains) | Q(email_domain__in=domains))
        .exclude(pk=application.pk)
        .order_by("created_at", "id")
        .first()
    )
    application.duplicate_of = first
    with scopes_disabled():
        application.duplicate_partner = Partner.objects.filter(domain__in=domains).order_by("id").first()


@transaction.atomic
def application_submit(*, data: dict) -> Application:
    """Record an application to the program, score it, flag duplicates and confirm by e-mail.

    A contact e-mail at a free-mail provider is accepted but flagged (``free_mail_contact``) for
    the manager: it does not show that the person works for the company.

    Every field is validated (model validators); invalid input raises ValidationError naming the
    fields and writes nothing.
    """
    application = Application(**data)
    application.company_name = " ".join(application.company_name.split())
    application.contact_email = (application.contact_email or "").strip().lower()
    application.specializations = normalize_specializations(application.specializations)
    application.full_clean(exclude=["website_domain"])
    application.website_domain = registrable_domain(application.website)
    application.email_domain = email_domain(application.contact_email) or ""
    application.free_mail_contact = is_free_mail(application.contact_email)
    _find_duplicates(application)
    _apply_fit(application, _active_criteria())
    application.save()
    send_templated_mail(
        to=[application.contact_email],
        template="partners/email/application_received",
        context={"application": application},
    )
    return application


def applications_rescore(*, ids: list[int] | None = None) -> int:
    """Re-score open applications (or the given ones) after the profile changed. Returns how many."""
    criteria = _active_criteria()
    applications = Application.objects.filter(status__in=Application.OPEN_STATUSES)
    if ids is not None:
        applications = Application.objects.filter(pk__in=ids)
    changed = []
    for application in applications:
        _apply_fit(application, criteria)
        changed.append(application)
    Application.objects.bulk_update(
        changed,
        ["fit_score", "score_breakdown", "disqualified", "disqualification_reason", "scored_at"],
        batch_size=500,
    )
    return len(changed)


@transaction.atomic
def application_screen(*, application: Application, by: User, owner: User | None = None) -> Application:
    """A manager takes an application into screening, optionally naming its owner."""
    require_role(by, *MANAGER_ROLES, action="screen applications")
    application = lock_one(Application.objects.all(), application.pk)
    check_transition(APPLICATION_TRANSITIONS, application.status, Application.Status.SCREENING, what="application")
    application.status = Application.Status.SCREENING
    application.owner = owner or application.owner or by
    application.save(update_fields=["status", "owner"])
    return application


@transaction.atomic
def application_approve(*, application: Application, by: User) -> Partner:
    """Approve: create the partner organization (status onboarding) with its checklist, and
    invite the applicant's contact as partner admin by e-mail."""
    require_role(by, *MANAGER_ROLES, action="approve applications")
    application = lock_one(Application.objects.all(), application.pk)
    check_transition(APPLICATION_TRANSITIONS, application.status, Application.Status.APPROVED, what="application")
    invitation_check(email=application.contact_email, role=Role.PARTNER_ADMIN)
    try:
        partner = partner_create(
            data={
                "name": application.company_name,
                "partner_type": application.partner_type,
                "country": application.country,
                "website": application.website,
                "specializations": application.specializations,
            },
            by=by,
            reason="Entry tier on approval",
        )
    except ValidationError as error:
        if hasattr(error, "error_dict") and "name" in error.error_dict:
            raise RuleViolation({"company_name": error.message_dict["name"]}) from error
        raise
    application.status = Application.Status.APPROVED
    application.partner = partner
    application.decided_at = timezone.now()
    application.decided_by = by
    application.save(update_fields=["status", "partner", "decided_at", "decided_by"])
    invitation_send(
        partner=partner,
        email=application.contact_email,
        role=Role.PARTNER_ADMIN,
        full_name=application.contact_name,
        invited_by=by,
        template="partners/email/application_approved",
    )
    return partner


@transaction.atomic
def application_reject(*, application: Application, by: User, reason: str) -> Application:
    """Reject with a reason, which the applicant is told by e-mail."""
    require_role(by, *MANAGER_ROLES, action="reject applications")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why the application is rejected; the applicant is told."})
    check_text(field="reason", value=reason, limit=REASON_MAX)
    application = lock_one(Application.objects.all(), application.pk)
    check_transition(APPLICATION_TRANSITIONS, application.status, Application.Status.REJECTED, what="application")
    application.status = Application.Status.REJECTED
    application.rejection_reason = reason
    application.decided_at = timezone.now()
    application.decided_by = by
    application.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
    send_templated_mail(
        to=[application.contact_email],
        template="partners/email/application_rejected",
        context={"application": application},
    )
    return application
