"""Demo data of the partners app: tiers, the ideal partner profile, onboarding checklists, the
agreement, the demo organizations and accounts, and an application pipeline at every stage."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from prm.domains import registrable_domain
from prm.roles import Role

from . import services
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
    PartnerType,
    PayoutDetails,
    RevenueBand,
    Tier,
    TierChange,
    User,
)
from .tasks import render_signed_agreement

DEMO_PASSWORD = "prm-demo-2026"

# The story the demo tells, in days before today: the program and its staff exist for a year and
# its agreement was published then; Acme and Globex joined 200 days ago and finished onboarding
# in their first ten days; Initech applied 20 days ago, was approved 12 days ago and has not
# moved for 9 days (so the stalled-onboarding reminder has someone to remind).
PROGRAM_DAYS = 365
ESTABLISHED_PARTNER_DAYS = 200
INITECH_APPLIED_DAYS, INITECH_APPROVED_DAYS, INITECH_JOINED_DAYS, INITECH_LAST_STEP_DAYS = 20, 12, 11, 9

TIERS = [
    # name, rank, won revenue 12m, certified users, uplift %, protection days
    ("Registered", 1, Decimal("0"), 0, Decimal("0"), 60),
    ("Silver", 2, Decimal("100000"), 1, Decimal("1"), 90),
    ("Gold", 3, Decimal("500000"), 3, Decimal("2"), 120),
    ("Platinum", 4, Decimal("2000000"), 6, Decimal("3"), 180),
]

PARTNERS = [
    (
        "Acme Cloud Partners",
        "Gold",
        PartnerType.RESELLER,
        "US",
        "https://www.acmecloudpartners.com",
        ["cloud", "security"],
    ),
    (
        "Globex Solutions",
        "Silver",
        PartnerType.MSP,
        "DE",
        "https://www.globex-solutions.de",
        ["managed services", "cloud"],
    ),
]

STAFF = [
    ("admin@demo.test", Role.ADMIN, "Ada Admin"),
    ("manager@demo.test", Role.MANAGER, "Max Manager"),
    ("finance@demo.test", Role.FINANCE, "Fiona Finance"),
    ("finance2@demo.test", Role.FINANCE, "Felix Finance"),
]

PARTNER_USERS = [
    ("alice@acme.demo.test", Role.PARTNER_ADMIN, "Alice Anders", "Acme Cloud Partners"),
    ("carol@acme.demo.test", Role.PARTNER_REP, "Carol Chen", "Acme Cloud Partners"),
    ("bob@globex.demo.test", Role.PARTNER_ADMIN, "Bob Berger", "Globex Solutions"),
]

CRITERIA = [
    # name, kind, weight, must-have, parameters
    (
        "Target regions",
        FitCriterion.Kind.COUNTRY,
        25,
        False,
        {"values": ["US", "CA", "GB", "DE", "AT", "CH", "FR", "NL"]},
    ),
    (
        "Partner types we recruit",
        FitCriterion.Kind.PARTNER_TYPE,
        20,
        True,
        {"values": ["reseller", "msp", "technology"]},
    ),
    ("Company size", FitCriterion.Kind.EMPLOYEES, 15, False, {"min_employees": 10, "max_employees": 5000}),
    ("Revenue", FitCriterion.Kind.REVENUE, 15, False, {"min_revenue": RevenueBand.FROM_1M}),
    (
        "Specializations",
        FitCriterion.Kind.SPECIALIZATIONS,
        25,
        False,
        {"values": ["cloud", "security", "data", "managed services"], "min_matches": 2},
    ),
]

CHECKLIST = [
    # title, event, required, description
    (
        "Sign the partner agreement",
        OnboardingEvent.AGREEMENT_SIGNED,
        True,
        "Read the agreement and sign it for your company.",
    ),
    (
        "Complete the company profile",
        OnboardingEvent.PROFILE_COMPLETED,
        True,
        "Legal name, address, phone and what you do.",
    ),
    ("Add payout details", OnboardingEvent.PAYOUT_DETAILS_ADDED, True, "Where we pay your commissions."),
    (
        "Invite a colleague",
        OnboardingEvent.FIRST_USER_INVITED,
        True,
        "Bring in the sales reps who will register deals.",
    ),
    (
        "Kick-off call with your partner manager",
        "",
        False,
        "We walk you through the program; your manager ticks this off.",
    ),
    ("Win your first deal", OnboardingEvent.FIRST_DEAL_WON, False, "Register a deal, and we celebrate when it is won."),
    (
        "Pass the product foundations course",
        OnboardingEvent.COURSE_PASSED,
        False,
        "Learn what we sell: the course is under Training.",
    ),
]

AGREEMENT_TEXT = """# Partner program agreement

## 1. Scope
This agreement governs the participation of the partner in the partner program: registering
deals, reselling or referring our products, and earning commissions under the published plans.

## 2. Deal registration
The partner registers each opportunity before working it. An approved registration is protected
for the protection days of the partner's tier.

## 3. Commissions
Commissions accrue when a registered deal is won and are paid in payout runs according to the
commission plan in force. Reversals within the clawback window are deducted from later payouts.

## 4. Confidentiality
Each party keeps the other's confidential information confidential for three years after this
agreement ends.

## 5. Term
This agreement runs for one year and renews itself unless either party ends it with 30 days'
written notice.
"""

APPLICATIONS = [
    # company, website, country, type, employees, revenue, specializations, contact, email, status
    (
        "Northwind Traders",
        "https://www.northwind-traders.co.uk",
        "GB",
        PartnerType.RESELLER,
        120,
        RevenueBand.FROM_10M,
        ["cloud", "data"],
        "Nora West",
        "nora@northwind-traders.co.uk",
        Application.Status.APPLIED,
    ),
    (
        "Umbrella Analytics",
        "https://umbrella-analytics.fr",
        "FR",
        PartnerType.TECHNOLOGY,
        45,
        RevenueBand.FROM_1M,
        ["data"],
        "Hugo Marchand",
        "hugo@umbrella-analytics.fr",
        Application.Status.APPLIED,
    ),
    (
        "Tiny Referrals",
        "https://tinyreferrals.com.br",
        "BR",
        PartnerType.REFERRAL,
        3,
        RevenueBand.UNDER_1M,
        [],
        "Rita Souza",
        "rita.souza@gmail.com",
        Application.Status.APPLIED,
    ),
    (
        "Acme Cloud Partners EMEA",
        "https://emea.acmecloudpartners.com",
        "NL",
        PartnerType.RESELLER,
        60,
        RevenueBand.FROM_1M,
        ["cloud"],
        "Alex Jansen",
        "alex.jansen@acmecloudpartners.com",
        Application.Status.APPLIED,
    ),
    (
        "Stark Systems",
        "https://www.stark-systems.com",
        "US",
        PartnerType.MSP,
        800,
        RevenueBand.FROM_50M,
        ["managed services", "security"],
        "Tony Rhodes",
        "tony@stark-systems.com",
        Application.Status.SCREENING,
    ),
    (
        "Initech Systems",
        "https://www.initech-systems.ca",
        "CA",
        PartnerType.RESELLER,
        250,
        RevenueBand.FROM_10M,
        ["cloud", "security"],
        "Dana Diaz",
        "dana@initech.demo.test",
        Application.Status.APPROVED,
    ),
    (
        "Hooli Resellers",
        "https://hooli-resellers.com.au",
        "AU",
        PartnerType.RESELLER,
        8,
        RevenueBand.UNDER_1M,
        ["mobile"],
        "Gavin Bell",
        "gavin@hooli-resellers.com.au",
        Application.Status.REJECTED,
    ),
]


def _tiers() -> dict[str, Tier]:
    tiers = {}
    for name, rank, revenue, certified, uplift, days in TIERS:
        tiers[name], _ = Tier.objects.get_or_create(
            name=name,
            defaults=dict(
                rank=rank,
                min_won_revenue_12m=revenue,
                min_certified_users=certified,
                commission_uplift_percent=uplift,
                protection_days=days,
            ),
        )
    return tiers


def _profile_and_checklists() -> None:
    for order, (name, kind, weight, must_have, params) in enumerate(CRITERIA):
        FitCriterion.objects.get_or_create(
            name=name, defaults=dict(kind=kind, weight=weight, must_have=must_have, order=order, **params)
        )
    for partner_type in PartnerType.values:
        for order, (title, event, required, description) in enumerate(CHECKLIST):
            OnboardingTaskTemplate.objects.get_or_create(
                partner_type=partner_type,
                title=title,
                defaults=dict(event=event, required=required, order=order, description=description),
            )


def _days_ago(days: int, *, now=None):
    return (now or timezone.now()) - timedelta(days=days)


def _agreement(admin: User) -> Agreement:
    agreement, created = Agreement.objects.get_or_create(version=1, defaults={"body_markdown": AGREEMENT_TEXT})
    if not agreement.is_published:
        services.agreement_publish(agreement=agreement, by=admin)
        # Published when the program started, before any partner signed it.
        published = _days_ago(PROGRAM_DAYS)
        Agreement.objects.filter(pk=agreement.pk).update(created_at=published, published_at=published)
        agreement.refresh_from_db()
    return agreement


def _backdate_signature(partner: Partner, signed_at) -> None:
    """The signature happened at ``signed_at``: its record and its PDF say so."""
    signature = AgreementSignature.objects.select_related("agreement", "partner").get(partner=partner)
    AgreementSignature.objects.filter(pk=signature.pk).update(signed_at=signed_at)
    if signature.pdf:  # rendered before it was backdated: render it again, showing the right time
        signature.pdf.storage.delete(signature.pdf.name)
        AgreementSignature.objects.filter(pk=signature.pk).update(pdf="")
    # Documents render in a worker once the demo data is committed (never inside its transaction).
    render_signed_agreement.delay_on_commit(signature.pk)


def _backdate_onboarding(partner: Partner, *, signed_at, step_days: int = 1) -> None:
    """Onboarding steps were done in checklist order, the agreement first and the others after it."""
    done_at = signed_at
    for task in OnboardingTask.objects.filter(partner=partner, done_at__isnull=False).order_by("order", "id"):
        if task.event != OnboardingEvent.AGREEMENT_SIGNED:
            done_at = done_at + timedelta(days=step_days)
        OnboardingTask.objects.filter(pk=task.pk).update(
            done_at=signed_at if task.event == OnboardingEvent.AGREEMENT_SIGNED else done_at
        )
    Partner.objects.filter(pk=partner.pk).update(onboarding_progress_at=done_at)
    if partner.status == Partner.Status.ACTIVE:
        Partner.objects.filter(pk=partner.pk).update(activated_at=done_at)


def _complete_onboarding(partner: Partner, admin_user: User, agreement: Agreement, *, iban: str) -> None:
    """Walk an established demo partner through every onboarding step, as its admin would."""
    services.onboarding_start(partner=partner)
    if services.agreement_needs_signature(partner):
        services.agreement_sign(
            partner=partner,
            user=admin_user,
            agreement=agreement,
            signer_name=admin_user.full_name,
            consent=True,
            ip="203.0.113.10",
            user_agent="seed_demo",
        )
    if not partner.profile_complete:
        services.partner_profile_update(
            partner=partner,
            by=admin_user,
            data=dict(
                legal_name=f"{partner.name} Inc.",
                address_line="1 Market Street",
                postal_code="94105",
                city="San Francisco" if partner.country == "US" else "Berlin",
                phone="+1 415 555 0100",
                description="Cloud reseller and services partner.",
            ),
        )
    if not PayoutDetails.objects.filter(partner=partner).exists():
        services.payout_details_save(
            partner=partner,
            by=admin_user,
            data=dict(
                method=PayoutDetails.Method.IBAN,
                currency="EUR" if partner.country == "DE" else "USD",
                account_holder=partner.name,
                iban=iban,
                bic="DEUTDEFF",
            ),
        )
    services.onboarding_event_record(partner=partner, event=OnboardingEvent.FIRST_USER_INVITED, by=admin_user)
    for task in OnboardingTask.objects.filter(partner=partner, done_at__isnull=True, event=""):
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
    # All of it happened in the partner's first days, long before its first deals.
    joined = partner.created_at
    TierChange.objects.filter(partner=partner).update(changed_at=joined)
    User.objects.filter(partner=partner).update(date_joined=joined + timedelta(hours=2))
    signed_at = joined + timedelta(days=1)
    _backdate_signature(partner, signed_at)
    partner.refresh_from_db()
    _backdate_onboarding(partner, signed_at=signed_at)


def _pipeline(manager: User) -> None:
    for company, website, country, ptype, employees, revenue, specs, contact, email, status in APPLICATIONS:
        if Application.objects.filter(company_name=company).exists():
            continue
        application = services.application_submit(
            data=dict(
                company_name=company,
                website=website,
                country=country,
                partner_type=ptype,
                employees=employees,
                annual_revenue=revenue,
                specializations=specs,
                contact_name=contact,
                contact_email=email,
                message="We would like to join the program.",
            )
        )
        if status == Application.Status.SCREENING:
            services.application_screen(application=application, by=manager)
        elif status == Application.Status.APPROVED:
            partner = services.application_approve(application=application, by=manager)
            # Part-way through onboarding: the admin accepted, signed and completed the profile.
            applied, approved = _days_ago(INITECH_APPLIED_DAYS), _days_ago(INITECH_APPROVED_DAYS)
            Application.objects.filter(pk=application.pk).update(created_at=applied, decided_at=approved)
            Partner.objects.filter(pk=partner.pk).update(created_at=approved)
            TierChange.objects.filter(partner=partner).update(changed_at=approved)
            Invitation.objects.filter(partner=partner).update(
                created_at=approved, expires_at=approved + timedelta(days=settings.PRM_INVITATION_DAYS)
            )
        elif status == Application.Status.REJECTED:
            services.application_reject(
                application=application,
                by=manager,
                reason="We are not recruiting resellers in Australia this year and look for teams of 10 or more.",
            )


def _initech_progress(agreement: Agreement) -> None:
    partner = Partner.objects.filter(name="Initech Systems").first()
    if partner is None or User.objects.filter(email="dana@initech.demo.test").exists():
        return
    dana = services.partner_user_create(
        partner=partner,
        email="dana@initech.demo.test",
        role=Role.PARTNER_ADMIN,
        password=DEMO_PASSWORD,
        full_name="Dana Diaz",
    )
    # Dana joined through the invitation the approval sent her (its link was never mailed).
    joined = _days_ago(INITECH_JOINED_DAYS)
    User.objects.filter(pk=dana.pk).update(date_joined=joined)
    Invitation.objects.filter(partner=partner, email=dana.email, accepted_at__isnull=True).update(
        accepted_at=joined, accepted_user=dana
    )
    services.agreement_sign(
        partner=partner,
        user=dana,
        agreement=agreement,
        signer_name="Dana Diaz",
        consent=True,
        ip="198.51.100.7",
        user_agent="seed_demo",
    )
    services.partner_profile_update(
        partner=partner,
        by=dana,
        data=dict(
            legal_name="Initech Systems Ltd.",
            address_line="4120 Yonge Street",
            postal_code="M2P 2B8",
            city="Toronto",
            phone="+1 416 555 0199",
            description="Reseller for mid-market cloud security.",
        ),
    )
    # Signed the day she joined, completed the profile two days later; nothing since.
    signed_at = joined + timedelta(hours=1)
    _backdate_signature(partner, signed_at)
    partner.refresh_from_db()
    _backdate_onboarding(partner, signed_at=signed_at, step_days=INITECH_JOINED_DAYS - INITECH_LAST_STEP_DAYS)


def seed(*, stdout) -> None:
    """Create what is missing; leave what exists alone (running twice changes nothing)."""
    tiers = _tiers()
    _profile_and_checklists()
    existing = set(User.objects.values_list("email", flat=True))
    for email, role, full_name in STAFF:
        if email not in existing:
            user = services.staff_user_save(email=email, role=role, password=DEMO_PASSWORD, full_name=full_name)
            User.objects.filter(pk=user.pk).update(date_joined=_days_ago(PROGRAM_DAYS + 1))
    admin = User.objects.get(email="admin@demo.test")
    manager = User.objects.get(email="manager@demo.test")
    agreement = _agreement(admin)

    partners = {}
    for name, tier, partner_type, country, website, specs in PARTNERS:
        partners[name], created = Partner.objects.get_or_create(
            name=name,
            defaults=dict(
                tier=tiers[tier],
                partner_type=partner_type,
                country=country,
                website=website,
                domain=registrable_domain(website),
                status=Partner.Status.ONBOARDING,
                specializations=specs,
                created_at=_days_ago(ESTABLISHED_PARTNER_DAYS),
            ),
        )
        if created:
            TierChange.objects.create(
                partner=partners[name],
                to_tier=tiers[tier],
                reason="Tier agreed when the partner joined",
                changed_at=partners[name].created_at,
                changed_by=manager,
            )
    for email, role, full_name, partner in PARTNER_USERS:
        if email not in existing:
            services.partner_user_create(
                partner=partners[partner], email=email, role=role, password=DEMO_PASSWORD, full_name=full_name
            )
    for name, iban in [
        ("Acme Cloud Partners", "DE89370400440532013000"),
        ("Globex Solutions", "DE02120300000000202051"),
    ]:
        partner = partners[name]
        if partner.status == Partner.Status.ONBOARDING:
            admin_user = User.objects.get(
                partner=partner, role=Role.PARTNER_ADMIN, email__in=[u[0] for u in PARTNER_USERS]
            )
            _complete_onboarding(partner, admin_user, agreement, iban=iban)

    _pipeline(manager)
    _initech_progress(agreement)
    stdout.write(
        "partners: tiers, ideal partner profile, checklists, agreement v1, 3 partner organizations, "
        f"{Application.objects.count()} applications, {User.objects.count()} accounts"
    )
