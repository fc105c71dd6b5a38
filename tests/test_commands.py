from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.utils import timezone

from conflicts.models import Case, CaseOutcome, EvidenceAnswer
from deals.models import DealRegistration
from enablement.models import (
    Announcement,
    Certification,
    ContentAsset,
    ContentDownload,
    Course,
    LearningPath,
    QuizAttempt,
    SurveyResponse,
)
from incentives.models import CommissionLine, CommissionPlan, PayoutRun, PayoutStatement
from partners.models import AgreementSignature, Application, OnboardingTask, Partner, Tier, User
from performance.models import ProgramCost, Target

pytestmark = pytest.mark.django_db

DEMO_ACCOUNTS = {
    "admin@demo.test": ("admin", None),
    "manager@demo.test": ("manager", None),
    "finance@demo.test": ("finance", None),
    "finance2@demo.test": ("finance", None),
    "alice@acme.demo.test": ("partner_admin", "Acme Cloud Partners"),
    "carol@acme.demo.test": ("partner_rep", "Acme Cloud Partners"),
    "bob@globex.demo.test": ("partner_admin", "Globex Solutions"),
}
# Beyond the contract: the admin of a partner part-way through onboarding, colleagues invited
# later, and the people of the partners that joined over the year.
EXTRA_ACCOUNTS = {
    "dana@initech.demo.test": ("partner_admin", "Initech Systems"),
    "erin@acme.demo.test": ("partner_rep", "Acme Cloud Partners"),
    "greta@globex.demo.test": ("partner_rep", "Globex Solutions"),
    "sofia@soylent.demo.test": ("partner_admin", "Soylent Networks"),
    "omar@soylent.demo.test": ("partner_rep", "Soylent Networks"),
    "priya@litware.demo.test": ("partner_admin", "Litware Systems"),
    "jake@litware.demo.test": ("partner_rep", "Litware Systems"),
    "daan@relecloud.demo.test": ("partner_admin", "Relecloud Services"),
    "eva@relecloud.demo.test": ("partner_rep", "Relecloud Services"),
    "camille@vanarsdel.demo.test": ("partner_admin", "VanArsdel IT"),
    "louis@vanarsdel.demo.test": ("partner_rep", "VanArsdel IT"),
    "luca@lucerne.demo.test": ("partner_admin", "Lucerne Systems"),
    "nina@lucerne.demo.test": ("partner_rep", "Lucerne Systems"),
    "anna@woodgrove.demo.test": ("partner_admin", "Woodgrove Consulting"),
    "felix@woodgrove.demo.test": ("partner_rep", "Woodgrove Consulting"),
    "marco@alpinecloud.demo.test": ("partner_admin", "Alpine Cloud Services"),
    "lea@alpinecloud.demo.test": ("partner_rep", "Alpine Cloud Services"),
    "jonas@coho.demo.test": ("partner_admin", "Coho Data"),
    "mia@coho.demo.test": ("partner_rep", "Coho Data"),
    "grace@blueyonder.demo.test": ("partner_admin", "Blue Yonder Integrators"),
    "ethan@blueyonder.demo.test": ("partner_rep", "Blue Yonder Integrators"),
    "olivia@trey.demo.test": ("partner_admin", "Trey Research"),
    "noah@trey.demo.test": ("partner_rep", "Trey Research"),
    "harriet@wingtip.demo.test": ("partner_admin", "Wingtip Cloud"),
}
# Every demo organization: tier and status (the first two are the contract's).
DEMO_PARTNERS = {
    "Acme Cloud Partners": ("Gold", "active"),
    "Globex Solutions": ("Silver", "active"),
    "Initech Systems": ("Registered", "onboarding"),
    "Soylent Networks": ("Silver", "active"),
    "Litware Systems": ("Silver", "active"),
    "Relecloud Services": ("Registered", "active"),
    "VanArsdel IT": ("Registered", "active"),
    "Lucerne Systems": ("Registered", "suspended"),
    "Woodgrove Consulting": ("Silver", "active"),
    "Alpine Cloud Services": ("Registered", "active"),
    "Coho Data": ("Registered", "active"),
    "Blue Yonder Integrators": ("Registered", "active"),
    "Trey Research": ("Registered", "active"),
    "Wingtip Cloud": ("Registered", "onboarding"),
    "Humongous Hosting": ("Registered", "onboarding"),
}


def _snapshot():
    return (
        sorted(User.objects.values_list("email", "role", "partner__name", "password")),
        sorted(Partner.objects.values_list("name", "tier__name", "status")),
        sorted(Tier.objects.values_list("name", "rank")),
        sorted(Application.objects.values_list("company_name", "status", "fit_score")),
        sorted(AgreementSignature.objects.values_list("partner__name", "agreement__version")),
        sorted(OnboardingTask.objects.values_list("partner__name", "key", "done_at")),
        sorted(DealRegistration.objects.values_list("customer_name", "status", "protected_until")),
        sorted(CommissionLine.objects.values_list("id", "amount", "booked_on")),
        sorted(PayoutStatement.objects.values_list("id", "total", "last_line_id")),
        sorted(Case.objects.values_list("id", "kind", "status", "priority")),
        sorted(CaseOutcome.objects.values_list("id", "outcome")),
        sorted(ContentAsset.objects.values_list("title", "version", "file", "min_tier__name", "partner_types")),
        sorted(Course.objects.values_list("title", "published")),
        sorted(QuizAttempt.objects.values_list("id", "score", "passed")),
        sorted(Certification.objects.values_list("verification_code", "status", "expires_on")),
        sorted(Announcement.objects.values_list("title", "pinned", "publish_at", "expires_at", "created_at")),
        sorted(ContentDownload.objects.values_list("id", "downloaded_at")),
        sorted(SurveyResponse.objects.values_list("id", "nps_score", "answered_at")),
        sorted(Target.objects.values_list("partner__name", "period_start", "won_revenue")),
        sorted(ProgramCost.objects.values_list("quarter", "category", "amount", "currency")),
    )


def test_seed_demo_creates_the_demo_accounts_and_organizations(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    users = {u.email: (u.role, u.partner.name if u.partner else None) for u in User.objects.select_related("partner")}
    assert users == DEMO_ACCOUNTS | EXTRA_ACCOUNTS
    partners = {
        name: (tier, status) for name, tier, status in Partner.objects.values_list("name", "tier__name", "status")
    }
    assert partners == DEMO_PARTNERS
    # A pipeline at every stage, scored, with a duplicate and a disqualified application.
    assert set(Application.objects.values_list("status", flat=True)) == {"applied", "screening", "approved", "rejected"}
    assert not Application.objects.filter(fit_score__isnull=True).exists()
    assert Application.objects.filter(duplicate_partner__name="Acme Cloud Partners").exists()
    assert Application.objects.filter(disqualified=True).exists()
    assert AgreementSignature.objects.filter(partner__name="Acme Cloud Partners", agreement__version=1).exists()
    # Deals at every stage, and one in conflict review with the other partner's.
    assert {"submitted", "approved", "won", "lost", "expired", "rejected"} <= set(
        DealRegistration.objects.values_list("status", flat=True)
    )
    conflicted = DealRegistration.objects.get(in_conflict_review=True)
    assert conflicted.conflicts.get().other.partner.name != conflicted.partner.name
    # A plan for every tier, booked lines, a paid and an approved run with their statements.
    assert set(CommissionPlan.objects.values_list("tier__name", flat=True)) == set(
        Tier.objects.values_list("name", flat=True)
    )
    assert CommissionLine.objects.filter(kind="accrual").exists()
    assert set(PayoutRun.objects.values_list("status", flat=True)) == {"paid", "approved"}
    assert PayoutStatement.objects.filter(run__status="paid").count() >= 2
    # Cases of every kind, open, escalated and resolved; outcomes of every kind; one in mediation.
    assert set(Case.objects.values_list("kind", flat=True)) == {
        "channel_conflict",
        "commission_dispute",
        "deal_dispute",
        "other",
    }
    assert {"open", "investigating", "escalated", "resolved"} <= set(Case.objects.values_list("status", flat=True))
    assert set(CaseOutcome.objects.values_list("outcome", flat=True)) == {
        "award_deal",
        "adjust_commission",
        "no_action",
    }
    assert EvidenceAnswer.objects.exists() and Case.objects.filter(evidence_requests__status="requested").exists()
    # Enablement: content in every category, visible to different tiers; two learning paths over
    # three courses with quizzes; certifications, one ending within 30 days and one expired.
    assert set(ContentAsset.objects.values_list("category", flat=True)) == set(ContentAsset.Category.values)
    assert {None, "Silver", "Gold", "Platinum"} <= set(ContentAsset.objects.values_list("min_tier__name", flat=True))
    assert {p.title: p.steps.count() for p in LearningPath.objects.all()} == {
        "Sales foundations": 2,
        "Technical pre-sales": 2,
    }
    assert Course.objects.count() == 3 and not Course.objects.filter(questions__isnull=True).exists()
    today = timezone.localdate()
    assert Certification.objects.filter(
        status="current", expires_on__lte=today + timedelta(days=30), user__email="carol@acme.demo.test"
    ).exists()
    assert Certification.objects.filter(status="expired", user__email="bob@globex.demo.test").exists()
    assert OnboardingTask.objects.get(partner__name="Acme Cloud Partners", key="course_passed").done
    # Announcements: one pinned, one with a link.
    assert Announcement.objects.filter(pinned=True, title="Q1 SPIF on the security bundle").exists()
    assert Announcement.objects.filter(pinned=False).exclude(link="").count() == 1
    alice = User.objects.get(email="alice@acme.demo.test")
    assert alice.check_password("prm-demo-2026")
    assert EmailAddress.objects.get(user=alice).verified
    assert User.objects.get(email="admin@demo.test").is_superuser


def test_seed_demo_twice_changes_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    before = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == before


def test_seed_demo_refuses_in_production_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo")
    assert not User.objects.exists()
    call_command("seed_demo", "--force")
    assert User.objects.count() == len(DEMO_ACCOUNTS) + len(EXTRA_ACCOUNTS)


def test_seed_demo_if_empty_leaves_a_used_database_alone(settings, manager):
    settings.DEBUG = True
    call_command("seed_demo", "--if-empty")
    assert list(User.objects.values_list("email", flat=True)) == [manager.email]


def test_create_staff_user_creates_then_updates_the_role():
    call_command(
        "create_staff_user", "--email", "Finn@Example.com", "--role", "finance", "--password", "pw-Finance-2026"
    )
    user = User.objects.get(email="finn@example.com")
    assert (user.role, user.is_staff, user.is_superuser) == ("finance", True, False)
    assert list(user.groups.values_list("name", flat=True)) == ["finance"]
    assert user.check_password("pw-Finance-2026")

    call_command("create_staff_user", "--email", "finn@example.com", "--role", "admin")
    user.refresh_from_db()
    assert (user.role, user.is_superuser) == ("admin", True)
    assert not user.groups.exists()
    assert user.check_password("pw-Finance-2026")  # unchanged without --password


def test_create_staff_user_refuses_a_partner_users_email(partner_admin):
    with pytest.raises(CommandError, match="partner user"):
        call_command(
            "create_staff_user", "--email", partner_admin.email, "--role", "manager", "--password", "x-Y-z-12345"
        )
    partner_admin.refresh_from_db()
    assert partner_admin.role == "partner_admin"


def test_create_staff_user_refuses_an_unknown_role():
    with pytest.raises(CommandError):
        call_command("create_staff_user", "--email", "x@example.com", "--role", "partner_admin")
    assert not User.objects.exists()


def test_staff_groups_carry_the_permissions_the_apps_declare():
    manager = set(Group.objects.get(name="manager").permissions.values_list("codename", flat=True))
    finance = set(Group.objects.get(name="finance").permissions.values_list("codename", flat=True))
    assert {"change_partner", "add_invitation", "view_user"} <= manager
    assert "change_partner" not in finance and "view_partner" in finance


def test_seed_demo_mails_nobody(settings, commit):
    from django.core import mail

    settings.DEBUG = True
    with commit():
        call_command("seed_demo")
    assert mail.outbox == []
