"""Demo data of the partners app: tiers, the ideal partner profile, onboarding checklists, the
agreement, the demo organizations and accounts, an application pipeline at every stage, and a
year of recruitment: partners of every type who applied, were approved and onboarded month after
month (some quickly, some slowly), a few still onboarding, tier upgrades and one suspension."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from prm.demo_story import documents_on_demand, moment
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
    StatusChange,
    Tier,
    TierChange,
    User,
)
from .tasks import render_signed_agreement

DEMO_PASSWORD = "prm-demo-2026"

# The story the demo tells, in days before today: the program and its staff exist for two years
# and its agreement was published then; Acme and Globex joined 450 days ago (so a full year of
# their business lies behind them) and finished onboarding in their first ten days; the partners
# of YEAR_PARTNERS joined over the last fourteen months; Initech applied 20 days ago, was approved
# 12 days ago and has not moved for 9 days (so the stalled-onboarding reminder has someone to remind).
PROGRAM_DAYS = 730
ESTABLISHED_PARTNER_DAYS = 450
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

# Colleagues the partner admins invited later: e-mail, role, full name, organization, invited by,
# joined (days before today).
MORE_PEOPLE = [
    ("erin@acme.demo.test", Role.PARTNER_REP, "Erin Evans", "Acme Cloud Partners", "alice@acme.demo.test", 320),
    ("greta@globex.demo.test", Role.PARTNER_REP, "Greta Braun", "Globex Solutions", "bob@globex.demo.test", 280),
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


# When the applications of APPLICATIONS arrived and were decided, in days before today (Initech's
# dates are the INITECH_* ones).
APPLICATION_DAYS = {
    # company: (applied, screened or decided)
    "Northwind Traders": (2, None),
    "Umbrella Analytics": (5, None),
    "Tiny Referrals": (8, None),
    "Acme Cloud Partners EMEA": (1, None),
    "Stark Systems": (18, 15),
    "Hooli Resellers": (50, 44),
}


@dataclass(frozen=True)
class YearPartner:
    """A partner that joined over the last fourteen months through the application pipeline."""

    company: str
    website: str
    country: str
    partner_type: str
    employees: int
    revenue: str
    specializations: list[str]
    admin: tuple[str, str]  # full name, e-mail: the applicant, invited as partner admin
    rep: tuple[str, str] | None  # the colleague the admin invites during onboarding
    city: str
    postal_code: str
    phone: str
    description: str
    payout_currency: str
    applied_days: int  # days before today
    decided_after: int  # days from the application to its approval
    # Days from the approval to the end of onboarding (the partner becomes active); None: still
    # onboarding, with the steps of ``steps_done_days`` done (days before today, in checklist order:
    # invitation accepted and agreement signed, profile, payout details).
    onboard_days: int | None = None
    steps_done_days: tuple[int, ...] = ()


YEAR_PARTNERS = [
    YearPartner(
        "Soylent Networks",
        "https://www.soylent-networks.co.uk",
        "GB",
        PartnerType.RESELLER,
        150,
        RevenueBand.FROM_10M,
        ["cloud", "security"],
        ("Sofia Lindqvist", "sofia@soylent.demo.test"),
        ("Omar Haddad", "omar@soylent.demo.test"),
        "London",
        "EC2A 4NE",
        "+44 20 7946 0101",
        "Cloud and security reseller for UK retailers.",
        "GBP",
        applied_days=430,
        decided_after=6,
        onboard_days=9,
    ),
    YearPartner(
        "Litware Systems",
        "https://www.litware-systems.com",
        "US",
        PartnerType.TECHNOLOGY,
        90,
        RevenueBand.FROM_10M,
        ["data", "security"],
        ("Priya Raman", "priya@litware.demo.test"),
        ("Jake Morales", "jake@litware.demo.test"),
        "Austin",
        "78701",
        "+1 512 555 0142",
        "Data platform vendor integrating Cloud Suite.",
        "USD",
        applied_days=400,
        decided_after=10,
        onboard_days=14,
    ),
    YearPartner(
        "Relecloud Services",
        "https://www.relecloud-services.nl",
        "NL",
        PartnerType.MSP,
        60,
        RevenueBand.FROM_1M,
        ["managed services", "cloud"],
        ("Daan de Vries", "daan@relecloud.demo.test"),
        ("Eva Bakker", "eva@relecloud.demo.test"),
        "Utrecht",
        "3511 AB",
        "+31 30 555 0177",
        "Managed cloud services for Dutch municipalities.",
        "EUR",
        applied_days=375,
        decided_after=5,
        onboard_days=21,
    ),
    YearPartner(
        "VanArsdel IT",
        "https://www.vanarsdel-it.fr",
        "FR",
        PartnerType.RESELLER,
        40,
        RevenueBand.FROM_1M,
        ["cloud"],
        ("Camille Laurent", "camille@vanarsdel.demo.test"),
        ("Louis Martin", "louis@vanarsdel.demo.test"),
        "Lyon",
        "69002",
        "+33 4 72 55 01 23",
        "Cloud reseller for small and mid-sized companies.",
        "EUR",
        applied_days=345,
        decided_after=8,
        onboard_days=6,
    ),
    YearPartner(
        "Lucerne Systems",
        "https://www.lucerne-systems.ch",
        "CH",
        PartnerType.RESELLER,
        25,
        RevenueBand.FROM_1M,
        ["security"],
        ("Luca Meier", "luca@lucerne.demo.test"),
        ("Nina Keller", "nina@lucerne.demo.test"),
        "Lucerne",
        "6003",
        "+41 41 555 01 88",
        "Security reseller in central Switzerland.",
        "EUR",
        applied_days=330,
        decided_after=12,
        onboard_days=30,
    ),
    YearPartner(
        "Woodgrove Consulting",
        "https://www.woodgrove-consulting.at",
        "AT",
        PartnerType.MSP,
        70,
        RevenueBand.FROM_10M,
        ["managed services", "security"],
        ("Anna Huber", "anna@woodgrove.demo.test"),
        ("Felix Gruber", "felix@woodgrove.demo.test"),
        "Vienna",
        "1010",
        "+43 1 555 0133",
        "Managed security services for Austrian banks.",
        "EUR",
        applied_days=300,
        decided_after=7,
        onboard_days=11,
    ),
    YearPartner(
        "Alpine Cloud Services",
        "https://www.alpinecloud-services.ch",
        "CH",
        PartnerType.MSP,
        35,
        RevenueBand.FROM_1M,
        ["cloud", "managed services"],
        ("Marco Rossi", "marco@alpinecloud.demo.test"),
        ("Lea Brunner", "lea@alpinecloud.demo.test"),
        "Zurich",
        "8001",
        "+41 44 555 01 64",
        "Hosting and managed cloud for Swiss manufacturers.",
        "EUR",
        applied_days=265,
        decided_after=4,
        onboard_days=40,
    ),
    YearPartner(
        "Coho Data",
        "https://www.coho-data.de",
        "DE",
        PartnerType.TECHNOLOGY,
        55,
        RevenueBand.FROM_1M,
        ["data", "cloud"],
        ("Jonas Weber", "jonas@coho.demo.test"),
        ("Mia Schulz", "mia@coho.demo.test"),
        "Hamburg",
        "20095",
        "+49 40 555 0119",
        "Analytics software with a Cloud Suite connector.",
        "EUR",
        applied_days=225,
        decided_after=9,
        onboard_days=12,
    ),
    YearPartner(
        "Blue Yonder Integrators",
        "https://www.blueyonder-integrators.com",
        "US",
        PartnerType.RESELLER,
        200,
        RevenueBand.FROM_10M,
        ["cloud", "security", "data"],
        ("Grace Kim", "grace@blueyonder.demo.test"),
        ("Ethan Brooks", "ethan@blueyonder.demo.test"),
        "Seattle",
        "98101",
        "+1 206 555 0175",
        "Systems integrator for logistics companies.",
        "USD",
        applied_days=165,
        decided_after=3,
        onboard_days=5,
    ),
    YearPartner(
        "Trey Research",
        "https://www.trey-research.ca",
        "CA",
        PartnerType.TECHNOLOGY,
        30,
        RevenueBand.FROM_1M,
        ["data"],
        ("Olivia Tremblay", "olivia@trey.demo.test"),
        ("Noah Gagnon", "noah@trey.demo.test"),
        "Montreal",
        "H2Y 1C6",
        "+1 514 555 0156",
        "Research data tools for universities.",
        "USD",
        applied_days=105,
        decided_after=6,
        onboard_days=18,
    ),
    # Still onboarding: signed and profile done, payout details added three days ago.
    YearPartner(
        "Wingtip Cloud",
        "https://www.wingtip-cloud.co.uk",
        "GB",
        PartnerType.RESELLER,
        20,
        RevenueBand.FROM_1M,
        ["cloud"],
        ("Harriet Cole", "harriet@wingtip.demo.test"),
        None,
        "Manchester",
        "M1 1AE",
        "+44 161 555 0148",
        "Cloud reseller for schools.",
        "GBP",
        applied_days=30,
        decided_after=12,
        steps_done_days=(16, 9, 3),
    ),
    # Approved five days ago: the invitation waits for its contact.
    YearPartner(
        "Humongous Hosting",
        "https://www.humongous-hosting.com",
        "US",
        PartnerType.MSP,
        15,
        RevenueBand.FROM_1M,
        ["cloud", "managed services"],
        ("Ray Ortiz", "ray@humongous.demo.test"),
        None,
        "Denver",
        "80202",
        "+1 303 555 0190",
        "Hosting for regional retailers.",
        "USD",
        applied_days=14,
        decided_after=9,
    ),
]

# Applications turned down over the year: company, website, country, type, employees, revenue,
# specializations, contact, e-mail, applied (days before today), decided after (days), reason.
REJECTED_OVER_THE_YEAR = [
    (
        "Quickstep Software",
        "https://www.quickstep-software.com",
        "US",
        PartnerType.RESELLER,
        4,
        RevenueBand.UNDER_1M,
        ["mobile"],
        "Kim Novak",
        "kim@quickstep-software.com",
        392,
        9,
        "We look for teams of 10 or more with cloud or security practice.",
    ),
    (
        "Brightside Media",
        "https://www.brightside-media.de",
        "DE",
        PartnerType.REFERRAL,
        6,
        RevenueBand.UNDER_1M,
        [],
        "Lena Fischer",
        "lena@brightside-media.de",
        318,
        6,
        "We do not recruit referral partners this year.",
    ),
    (
        "Nimbus Hardware",
        "https://www.nimbus-hardware.fr",
        "FR",
        PartnerType.RESELLER,
        300,
        RevenueBand.FROM_10M,
        ["hardware"],
        "Paul Girard",
        "paul@nimbus-hardware.fr",
        236,
        11,
        "Your practice is hardware; our program is for cloud software resellers.",
    ),
    (
        "Cascade Telecom",
        "https://www.cascade-telecom.com",
        "US",
        PartnerType.MSP,
        2000,
        RevenueBand.FROM_50M,
        ["telecom"],
        "Dana Whitfield",
        "dana.whitfield@cascade-telecom.com",
        171,
        14,
        "A direct account team already covers your company as a customer.",
    ),
    (
        "Harbor Digital",
        "https://www.harbor-digital.ca",
        "CA",
        PartnerType.REFERRAL,
        3,
        RevenueBand.UNDER_1M,
        [],
        "Sam Lee",
        "sam@harbor-digital.ca",
        83,
        5,
        "We do not recruit referral partners this year.",
    ),
]

# Tier changes a manager made over the year: partner, tier, days before today, reason.
TIER_UPGRADES = [
    (
        "Woodgrove Consulting",
        "Silver",
        150,
        "Strategic partner for Austrian banks: Silver ahead of its requirements.",
    ),
    (
        "Litware Systems",
        "Silver",
        140,
        "Quarterly review: over 100,000 USD of won revenue and a certified solutions engineer.",
    ),
    (
        "Soylent Networks",
        "Silver",
        95,
        "Quarterly review: over 100,000 USD of won revenue and a certified sales engineer.",
    ),
]

# Suspended after its last deals (the deals demo suspends it once they are registered): partner,
# days before today, reason.
SUSPENSIONS = [
    ("Lucerne Systems", 40, "Compliance review: the reseller licence for Switzerland lapsed."),
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
        StatusChange.objects.filter(partner=partner, to_status=Partner.Status.ACTIVE).update(changed_at=done_at)


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
        if company in APPLICATION_DAYS:
            applied_days, decided_days = APPLICATION_DAYS[company]
            Application.objects.filter(pk=application.pk).update(created_at=_days_ago(applied_days))
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
            Application.objects.filter(pk=application.pk).update(decided_at=_days_ago(decided_days))


def _initech_progress(agreement: Agreement, password: str) -> None:
    partner = Partner.objects.filter(name="Initech Systems").first()
    if partner is None or User.objects.filter(email="dana@initech.demo.test").exists():
        return
    dana = services.partner_user_create(
        partner=partner,
        email="dana@initech.demo.test",
        role=Role.PARTNER_ADMIN,
        password=None,
        full_name="Dana Diaz",
    )
    # Dana joined through the invitation the approval sent her (its link was never mailed).
    joined = _days_ago(INITECH_JOINED_DAYS)
    User.objects.filter(pk=dana.pk).update(date_joined=joined, password=password)
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


# --- A year of recruitment ----------------------------------------------------------------------


def _at(when, **delta):
    return when + timedelta(**delta)


def _date_tasks(partner: Partner, done: dict[str, object]) -> None:
    """Each onboarding step that is done was done when ``done`` says (by event; "" is the kick-off)."""
    for event, when in done.items():
        OnboardingTask.objects.filter(partner=partner, event=event, done_at__isnull=False).update(done_at=when)
    last = max(done.values())
    Partner.objects.filter(pk=partner.pk).update(onboarding_progress_at=last)


def _accept_invitation(partner: Partner, name: str, email: str, role: str, joined, password: str) -> User:
    """The invited person joined on ``joined`` through the invitation's link (never mailed)."""
    user = services.partner_user_create(partner=partner, email=email, role=role, password=None, full_name=name)
    User.objects.filter(pk=user.pk).update(date_joined=joined, password=password)
    Invitation.objects.filter(partner=partner, email=email, accepted_at__isnull=True).update(
        accepted_at=joined, accepted_user=user
    )
    return user


def _join(spec: YearPartner, manager: User, agreement: Agreement, password: str) -> None:
    """One partner's way in, through the services, then dated: applied, screened and approved; its
    admin accepted the invitation and went through the checklist in ``onboard_days``."""
    today = timezone.localdate()
    application = services.application_submit(
        data=dict(
            company_name=spec.company,
            website=spec.website,
            country=spec.country,
            partner_type=spec.partner_type,
            employees=spec.employees,
            annual_revenue=spec.revenue,
            specializations=spec.specializations,
            contact_name=spec.admin[0],
            contact_email=spec.admin[1],
            message="We would like to join the program.",
        )
    )
    services.application_screen(application=application, by=manager)
    partner = services.application_approve(application=application, by=manager)
    applied = moment(today - timedelta(days=spec.applied_days), 9, 30)
    approved = moment(today - timedelta(days=spec.applied_days - spec.decided_after), 15)
    Application.objects.filter(pk=application.pk).update(created_at=applied, decided_at=approved)
    Partner.objects.filter(pk=partner.pk).update(created_at=approved)
    TierChange.objects.filter(partner=partner).update(changed_at=approved)
    Invitation.objects.filter(partner=partner).update(
        created_at=approved, expires_at=approved + timedelta(days=settings.PRM_INVITATION_DAYS)
    )
    partner.refresh_from_db()  # the services below save it: with its date
    if spec.onboard_days is None and not spec.steps_done_days:
        return  # the invitation waits for its contact
    days = spec.onboard_days
    if days is not None:  # the whole checklist, spread over ``days``
        accepted = _at(approved, hours=min(days * 2.4, 6 * 24))
        steps = [accepted, _at(approved, days=days * 0.4), _at(approved, days=days * 0.7), _at(approved, days=days)]
    else:  # the steps done so far
        steps = [moment(today - timedelta(days=d), 11 + i) for i, d in enumerate(spec.steps_done_days)]
        accepted = steps[0]
    admin = _accept_invitation(partner, *spec.admin, Role.PARTNER_ADMIN, accepted, password)
    services.agreement_sign(
        partner=partner,
        user=admin,
        agreement=agreement,
        signer_name=admin.full_name,
        consent=True,
        ip="203.0.113.40",
        user_agent="seed_demo",
    )
    signed = _at(accepted, hours=1)
    _backdate_signature(partner, signed)
    done = {OnboardingEvent.AGREEMENT_SIGNED: signed}
    if len(steps) > 1:
        services.partner_profile_update(
            partner=partner,
            by=admin,
            data=dict(
                legal_name=spec.company,
                address_line="1 High Street",
                postal_code=spec.postal_code,
                city=spec.city,
                phone=spec.phone,
                description=spec.description,
            ),
        )
        done[OnboardingEvent.PROFILE_COMPLETED] = steps[1]
    if len(steps) > 2:
        services.payout_details_save(
            partner=partner,
            by=admin,
            data=dict(
                method=PayoutDetails.Method.PAYPAL,
                currency=spec.payout_currency,
                account_holder=spec.company,
                paypal_email=f"payouts@{registrable_domain(spec.website)}",
            ),
        )
        PayoutDetails.objects.filter(partner=partner).update(updated_at=steps[2])
        done[OnboardingEvent.PAYOUT_DETAILS_ADDED] = steps[2]
    if len(steps) > 3 and spec.rep:
        invited = steps[3]
        services.team_invite(partner=partner, by=admin, email=spec.rep[1], role=Role.PARTNER_REP, full_name=spec.rep[0])
        Invitation.objects.filter(partner=partner, email=spec.rep[1]).update(
            created_at=invited, expires_at=invited + timedelta(days=settings.PRM_INVITATION_DAYS)
        )
        _accept_invitation(partner, *spec.rep, Role.PARTNER_REP, _at(invited, days=1), password)
        done[OnboardingEvent.FIRST_USER_INVITED] = invited
        # The manager's kick-off call came a few days into onboarding.
        kickoff = OnboardingTask.objects.get(partner=partner, event="")
        services.onboarding_task_complete(task=kickoff, by=manager)
        done[""] = _at(approved, days=days * 0.5)
    _date_tasks(partner, done)
    partner.refresh_from_db()
    if partner.status == Partner.Status.ACTIVE:
        activated = done[OnboardingEvent.FIRST_USER_INVITED]
        Partner.objects.filter(pk=partner.pk).update(activated_at=activated, onboarding_progress_at=activated)
        StatusChange.objects.filter(partner=partner, to_status=Partner.Status.ACTIVE).update(changed_at=activated)


def _rejections(manager: User) -> None:
    today = timezone.localdate()
    for (
        company,
        website,
        country,
        ptype,
        employees,
        revenue,
        specs,
        contact,
        email,
        days,
        after,
        reason,
    ) in REJECTED_OVER_THE_YEAR:
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
        services.application_screen(application=application, by=manager)
        services.application_reject(application=application, by=manager, reason=reason)
        Application.objects.filter(pk=application.pk).update(
            created_at=moment(today - timedelta(days=days), 11),
            decided_at=moment(today - timedelta(days=days - after), 16),
        )


def _tier_upgrades(manager: User, tiers: dict[str, Tier]) -> None:
    today = timezone.localdate()
    for name, tier, days, reason in TIER_UPGRADES:
        partner = Partner.objects.filter(name=name).first()
        if partner is None or partner.tier_id == tiers[tier].pk:
            continue
        services.partner_tier_set(partner=partner, tier=tiers[tier], by=manager, reason=reason)
        TierChange.objects.filter(partner=partner, to_tier=tiers[tier]).update(
            changed_at=moment(today - timedelta(days=days), 14)
        )


def suspend_after_their_deals(manager: User) -> None:
    """Suspend the partners of SUSPENSIONS on their day (the deals demo calls this once their deals
    are registered: a suspended partner registers none)."""
    today = timezone.localdate()
    for name, days, reason in SUSPENSIONS:
        partner = Partner.objects.filter(name=name, status=Partner.Status.ACTIVE).first()
        if partner is None:
            continue
        services.partner_set_status(partner=partner, status=Partner.Status.SUSPENDED, by=manager, reason=reason)
        StatusChange.objects.filter(partner=partner, to_status=Partner.Status.SUSPENDED).update(
            changed_at=moment(today - timedelta(days=days), 10)
        )


def _year_of_partners(manager: User, agreement: Agreement, tiers: dict[str, Tier], password: str) -> None:
    """The partners who joined over the year, the applications turned down, the tier upgrades."""
    with documents_on_demand():
        for spec in YEAR_PARTNERS:
            if not Application.objects.filter(company_name=spec.company).exists():
                _join(spec, manager, agreement, password)
    _rejections(manager)
    _tier_upgrades(manager, tiers)


def seed(*, stdout) -> None:
    """Create what is missing; leave what exists alone (running twice changes nothing)."""
    tiers = _tiers()
    _profile_and_checklists()
    existing = set(User.objects.values_list("email", flat=True))
    password = make_password(DEMO_PASSWORD)  # one hash for every demo account: hashing is slow on purpose
    for email, role, full_name in STAFF:
        if email not in existing:
            user = services.staff_user_save(email=email, role=role, password=None, full_name=full_name)
            User.objects.filter(pk=user.pk).update(date_joined=_days_ago(PROGRAM_DAYS + 1), password=password)
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
            user = services.partner_user_create(
                partner=partners[partner], email=email, role=role, password=None, full_name=full_name
            )
            User.objects.filter(pk=user.pk).update(password=password)
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

    today = timezone.localdate()
    for email, role, full_name, partner, invited_by, days in MORE_PEOPLE:
        if email not in existing:
            joined = moment(today - timedelta(days=days), 10)
            admin_user = User.objects.get(email=invited_by)
            services.team_invite(partner=partners[partner], by=admin_user, email=email, role=role, full_name=full_name)
            Invitation.objects.filter(email=email).update(
                created_at=joined - timedelta(days=1),
                expires_at=joined - timedelta(days=1) + timedelta(days=settings.PRM_INVITATION_DAYS),
            )
            _accept_invitation(partners[partner], full_name, email, role, joined, password)

    _pipeline(manager)
    _initech_progress(agreement, password)
    _year_of_partners(manager, agreement, tiers, password)
    stdout.write(
        f"partners: tiers, ideal partner profile, checklists, agreement v1, {Partner.objects.count()} partner "
        f"organizations, {Application.objects.count()} applications, {User.objects.count()} accounts"
    )
