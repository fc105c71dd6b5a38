"""Writes for partners, users and invitations. Each function states the rule it implements."""

import hashlib
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from prm.domains import email_domain, registrable_domain
from prm.mail import send_templated_mail
from prm.roles import GROUP_ROLES, PARTNER_ROLES, STAFF_ROLES, Role, require_role
from prm.scoping import scopes_disabled
from prm.transitions import check_transition

from .models import (
    Agreement,
    AgreementSignature,
    Application,
    FitCriterion,
    Invitation,
    OnboardingEvent,
    OnboardingTask,
    OnboardingTaskTemplate,
    Partner,
    PayoutDetails,
    Tier,
    TierChange,
    User,
    hash_token,
)
from .scoring import normalize_specializations, score_application

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)


def _mark_email_verified(user: User) -> None:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


@transaction.atomic
def staff_user_save(*, email: str, role: str, password: str | None = None, full_name: str = "") -> User:
    """Create or update a staff user with exactly one staff role.

    ``admin`` is a superuser; ``manager`` and ``finance`` get their role's group. The e-mail is
    verified: staff accounts are made by someone who knows the person.
    """
    if role not in STAFF_ROLES:
        raise ValidationError({"role": f"Choose one of: {', '.join(sorted(STAFF_ROLES))}."})
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is not None and user.partner_id is not None:
        raise ValidationError({"email": "This e-mail belongs to a partner user; staff need their own."})
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
def partner_user_create(
    *, partner: Partner, email: str, role: str, password: str | None, full_name: str = ""
) -> User:
    """Make a member of ``partner`` with a partner role; a person belongs to one organization."""
    if role not in PARTNER_ROLES:
        raise ValidationError({"role": f"Choose one of: {', '.join(sorted(PARTNER_ROLES))}."})
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "A user with this e-mail already exists."})
    user = User(email=email, partner=partner, role=role, full_name=full_name)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    _mark_email_verified(user)
    return user


def invitation_check(*, email: str, role: str) -> None:
    """An invitation goes to someone without an account, for a partner role."""
    errors = {}
    if role not in PARTNER_ROLES:
        errors["role"] = f"Choose one of: {', '.join(sorted(PARTNER_ROLES))}."
    if User.objects.filter(email=User.objects.normalize_email(email).lower()).exists():
        errors["email"] = "This person already has an account."
    if errors:
        raise ValidationError(errors)


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
        invitation = (
            Invitation.objects.select_for_update(of=("self",)).select_related("partner").filter(token_hash=hash_token(token)).first()
        )
    if invitation is None or not invitation.is_usable:
        raise ValidationError("This invitation link is no longer valid. Ask for a new one.")
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


# --- Recruitment -------------------------------------------------------------------------------

APPLICATION_TRANSITIONS = {
    Application.Status.APPLIED: {Application.Status.SCREENING, Application.Status.APPROVED, Application.Status.REJECTED},
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
        changed, ["fit_score", "score_breakdown", "disqualified", "disqualification_reason", "scored_at"], batch_size=500
    )
    return len(changed)


@transaction.atomic
def application_screen(*, application: Application, by: User, owner: User | None = None) -> Application:
    """A manager takes an application into screening, optionally naming its owner."""
    require_role(by, *MANAGER_ROLES, action="screen applications")
    application = Application.objects.select_for_update().get(pk=application.pk)
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
    application = Application.objects.select_for_update().get(pk=application.pk)
    check_transition(APPLICATION_TRANSITIONS, application.status, Application.Status.APPROVED, what="application")
    with scopes_disabled():
        if Partner.objects.filter(name__iexact=application.company_name).exists():
            raise ValidationError({"company_name": f"A partner named {application.company_name} already exists."})
    invitation_check(email=application.contact_email, role=Role.PARTNER_ADMIN)
    partner = Partner.objects.create(
        name=application.company_name,
        status=Partner.Status.ONBOARDING,
        tier=Tier.objects.order_by("rank").first(),
        partner_type=application.partner_type,
        country=application.country,
        website=application.website,
        domain=application.website_domain,
        specializations=application.specializations,
    )
    if partner.tier_id:
        TierChange.objects.create(partner=partner, to_tier=partner.tier, changed_by=by, reason="Entry tier on approval")
    onboarding_start(partner=partner)
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
        raise ValidationError({"reason": "Say why the application is rejected; the applicant is told."})
    application = Application.objects.select_for_update().get(pk=application.pk)
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


# --- Onboarding --------------------------------------------------------------------------------


def onboarding_start(*, partner: Partner) -> None:
    """Give the partner its own copy of the checklist of its partner type (idempotent)."""
    templates = OnboardingTaskTemplate.objects.filter(partner_type=partner.partner_type)
    with scopes_disabled():
        existing = set(OnboardingTask.objects.filter(partner=partner).values_list("key", flat=True))
        bulk_create_with_history(
            [
                OnboardingTask(
                    partner=partner,
                    key=t.key,
                    title=t.title,
                    description=t.description,
                    event=t.event,
                    required=t.required,
                    order=t.order,
                )
                for t in templates
                if t.key not in existing
            ],
            OnboardingTask,
        )


def _activate_if_complete(partner: Partner) -> bool:
    """An onboarding partner whose required tasks are all done becomes active."""
    with scopes_disabled():
        partner = Partner.objects.select_for_update().get(pk=partner.pk)
        if partner.status != Partner.Status.ONBOARDING:
            return False
        tasks = OnboardingTask.objects.filter(partner=partner, required=True)
        if not tasks.exists() or tasks.filter(done_at__isnull=True).exists():
            return False
    partner.status = Partner.Status.ACTIVE
    partner.activated_at = timezone.now()
    partner._change_reason = "All required onboarding tasks are done"
    partner.save(update_fields=["status", "activated_at"])
    return True


@transaction.atomic
def onboarding_event_record(*, partner: Partner, event: str, by: User | None = None) -> int:
    """Close the partner's open tasks that wait for ``event``; activate when all are done.

    Returns how many tasks it closed. Other stages call this with their own events.
    """
    now = timezone.now()
    with scopes_disabled():
        open_tasks = list(OnboardingTask.objects.filter(partner=partner, event=event, done_at__isnull=True))
    for task in open_tasks:  # saved one by one, so that each lands in the audit history
        task.done_at, task.done_by = now, by
        task.save(update_fields=["done_at", "done_by"])
    closed = len(open_tasks)
    if closed:
        with scopes_disabled():
            Partner.objects.filter(pk=partner.pk).update(onboarding_progress_at=now)
        _activate_if_complete(partner)
    return closed


@transaction.atomic
def onboarding_task_complete(*, task: OnboardingTask, by: User) -> OnboardingTask:
    """A manager ticks off a step that no event closes (a kick-off call, say)."""
    require_role(by, *MANAGER_ROLES, action="tick off onboarding tasks")
    if task.done_at is None:
        task.done_at = timezone.now()
        task.done_by = by
        task.save(update_fields=["done_at", "done_by"])
        with scopes_disabled():
            Partner.objects.filter(pk=task.partner_id).update(onboarding_progress_at=task.done_at)
        _activate_if_complete(task.partner)
    return task


def onboarding_stalled_remind(*, now=None) -> int:
    """Remind partners whose onboarding made no progress for PRM_ONBOARDING_STALL_DAYS, once per stall.

    A stall starts at the last progress (or at creation); a reminder is sent when none was sent
    since then. Returns how many partners were reminded.
    """
    from django.db.models import F
    from django.db.models.functions import Coalesce

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PRM_ONBOARDING_STALL_DAYS)
    with scopes_disabled():
        stalled = list(
            Partner.objects.filter(status=Partner.Status.ONBOARDING)
            .annotate(last_progress=Coalesce("onboarding_progress_at", "created_at"))
            .filter(last_progress__lt=cutoff)
            .filter(Q(onboarding_reminded_at__isnull=True) | Q(onboarding_reminded_at__lt=F("last_progress")))
            .prefetch_related("onboarding_tasks")
        )
        admins = {}
        for user in User.objects.filter(partner__in=stalled, role=Role.PARTNER_ADMIN, is_active=True):
            admins.setdefault(user.partner_id, []).append(user.email)
    for partner in stalled:
        open_tasks = [t for t in partner.onboarding_tasks.all() if t.done_at is None]
        recipients = admins.get(partner.pk)
        if recipients:
            send_templated_mail(
                to=recipients,
                template="partners/email/onboarding_stalled",
                context={"partner": partner, "open_tasks": open_tasks, "link": settings.SITE_URL + "/portal/onboarding/"},
            )
    with scopes_disabled():
        Partner.objects.filter(pk__in=[p.pk for p in stalled]).update(onboarding_reminded_at=now)
    return len(stalled)


# --- Agreement ---------------------------------------------------------------------------------


def agreement_text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def agreement_current() -> Agreement | None:
    return Agreement.objects.filter(published_at__isnull=False).order_by("-version").first()


@transaction.atomic
def agreement_publish(*, agreement: Agreement, by: User) -> Agreement:
    """Publish a version: its text is fixed (hashed) and every partner is asked to sign it."""
    require_role(by, *MANAGER_ROLES, action="publish agreements")
    if agreement.is_published:
        raise ValidationError("This version is already published; write a new version to change the text.")
    newest = agreement_current()
    if newest and agreement.version <= newest.version:
        raise ValidationError({"version": f"Use a version above {newest.version}, the newest published one."})
    agreement.text_sha256 = agreement_text_sha256(agreement.body_markdown)
    agreement.published_at = timezone.now()
    agreement.save(update_fields=["text_sha256", "published_at"])
    return agreement


def agreement_needs_signature(partner: Partner) -> Agreement | None:
    """The current agreement if the partner has not signed it yet."""
    current = agreement_current()
    if current is None:
        return None
    with scopes_disabled():
        signed = AgreementSignature.objects.filter(partner=partner, agreement=current).exists()
    return None if signed else current


@transaction.atomic
def agreement_sign(
    *, partner: Partner, user: User, agreement: Agreement, signer_name: str, consent: bool, ip: str, user_agent: str = ""
) -> AgreementSignature:
    """A partner admin signs the current agreement version by typing their full name and consenting.

    Records the version, the SHA-256 of the exact text, the signer, the time and the IP, and
    renders the signed PDF that both sides keep.
    """
    if not (user.partner_id == partner.pk and user.role == Role.PARTNER_ADMIN):
        raise PermissionDenied("Only a partner admin of this organization may sign the agreement.")
    errors = {}
    signer_name = " ".join((signer_name or "").split())
    if len(signer_name) < 3 or "@" in signer_name:
        errors["signer_name"] = "Type your full name to sign."
    if not consent:
        errors["consent"] = "Confirm that you have read the agreement and accept it on behalf of your company."
    if errors:
        raise ValidationError(errors)
    current = agreement_current()
    if current is None or agreement.pk != current.pk:
        raise ValidationError("A newer version of the agreement exists: read and sign that one.")
    digest = agreement_text_sha256(agreement.body_markdown)
    if digest != agreement.text_sha256:
        raise ValidationError("The agreement text does not match its published fingerprint; contact your manager.")
    with scopes_disabled():
        if AgreementSignature.objects.filter(partner=partner, agreement=agreement).exists():
            raise ValidationError("Your organization has already signed this version.")
    signature = AgreementSignature.objects.create(
        partner=partner,
        agreement=agreement,
        signer=user,
        signer_name=signer_name,
        signer_email=user.email,
        text_sha256=digest,
        signed_at=timezone.now(),
        ip_address=ip,
        user_agent=(user_agent or "")[:300],
    )
    from .pdf import agreement_signed_pdf

    signature.pdf.save(f"agreement-v{agreement.version}-partner-{partner.pk}.pdf", agreement_signed_pdf(signature), save=True)
    onboarding_event_record(partner=partner, event=OnboardingEvent.AGREEMENT_SIGNED, by=user)
    return signature


# --- Profile, team, payout details ----------------------------------------------------------------


def _require_partner_admin(user: User, partner: Partner, action: str) -> None:
    if not (user.is_active and user.partner_id == partner.pk and user.role == Role.PARTNER_ADMIN):
        raise PermissionDenied(f"Only a partner admin of {partner.name} may {action}.")


@transaction.atomic
def partner_profile_update(*, partner: Partner, by: User, data: dict) -> Partner:
    """A partner admin keeps the company profile; a complete profile closes its onboarding task."""
    _require_partner_admin(by, partner, "edit the company profile")
    for field, value in data.items():
        setattr(partner, field, value)
    if "specializations" in data:
        partner.specializations = normalize_specializations(partner.specializations)
    partner.domain = registrable_domain(partner.website) or ""
    partner.full_clean()
    partner.save()
    if partner.profile_complete:
        onboarding_event_record(partner=partner, event=OnboardingEvent.PROFILE_COMPLETED, by=by)
    return partner


@transaction.atomic
def team_invite(*, partner: Partner, by: User, email: str, role: str, full_name: str = "") -> Invitation:
    """A partner admin invites a colleague; the first one closes the onboarding task."""
    _require_partner_admin(by, partner, "invite colleagues")
    invitation = invitation_send(partner=partner, email=email, role=role, full_name=full_name, invited_by=by)
    onboarding_event_record(partner=partner, event=OnboardingEvent.FIRST_USER_INVITED, by=by)
    return invitation


@transaction.atomic
def team_member_deactivate(*, member: User, by: User) -> User:
    """A partner admin removes a colleague's access (the account and its history stay)."""
    _require_partner_admin(by, member.partner, "deactivate colleagues")
    if member.pk == by.pk:
        raise ValidationError("You cannot deactivate yourself; ask another partner admin.")
    member.is_active = False
    member.save(update_fields=["is_active"])
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=member).delete()
    return member


@transaction.atomic
def payout_details_save(*, partner: Partner, by: User, data: dict) -> PayoutDetails:
    """A partner admin sets where commissions are paid; the first time closes the onboarding task."""
    if not (by.is_staff and by.role in (Role.FINANCE, Role.ADMIN)):
        _require_partner_admin(by, partner, "change payout details")
    with scopes_disabled():
        details = PayoutDetails.objects.filter(partner=partner).first() or PayoutDetails(partner=partner)
    for field, value in data.items():
        setattr(details, field, value)
    details.updated_at = timezone.now()
    details.updated_by = by
    details.full_clean()
    details.save()
    onboarding_event_record(partner=partner, event=OnboardingEvent.PAYOUT_DETAILS_ADDED, by=by)
    return details


# --- Tiers -------------------------------------------------------------------------------------


@transaction.atomic
def partner_tier_set(*, partner: Partner, tier: Tier | None, by: User, reason: str) -> Partner:
    """Change a partner's tier and keep the history with who and why."""
    require_role(by, *MANAGER_ROLES, action="change tiers")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the tier changes."})
    if partner.tier_id == (tier.pk if tier else None):
        return partner
    TierChange.objects.create(partner=partner, from_tier_id=partner.tier_id, to_tier=tier, changed_by=by, reason=reason)
    partner.tier = tier
    partner._change_reason = reason
    partner.save(update_fields=["tier"])
    return partner
