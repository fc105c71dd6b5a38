"""The demo data tells one consistent story: dates follow each other, timelines agree with the
fields they summarize, invitations of people who joined are accepted, and onboarding steps that
need the agreement come after its signature."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from deals.models import ConflictMatch, DealRegistration, ExtensionRequest
from deals.selectors import deal_timeline
from incentives.models import CommissionLine, PayoutRun
from partners.models import (
    AgreementSignature,
    Application,
    Invitation,
    OnboardingEvent,
    OnboardingTask,
    Partner,
    TierChange,
    User,
)

pytestmark = pytest.mark.django_db

Status = DealRegistration.Status
CLOSED = (Status.WON, Status.LOST)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """seed_demo loaded once for the module (it renders PDFs: too slow to repeat per test), and
    removed after it."""
    folder = tmp_path_factory.mktemp("demo")
    files = override_settings(
        DEBUG=True,
        PRIVATE_MEDIA_ROOT=folder / "private",
        MEDIA_ROOT=folder / "media",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    with django_db_blocker.unblock(), files:
        call_command("seed_demo", stdout=io.StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def deals(demo):
    return list(DealRegistration.objects.select_related("partner__tier"))


def test_every_deal_was_registered_before_it_was_decided(deals):
    now = timezone.now()
    assert len(deals) == 11
    for deal in deals:
        assert deal.created_at <= deal.submitted_at <= now, deal
        if deal.decided_at:
            assert deal.submitted_at <= deal.decided_at <= now, deal


def test_closed_deals_close_when_they_were_expected_to_and_when_they_were_decided(deals):
    closed = [d for d in deals if d.status in CLOSED]
    assert {d.customer_name for d in closed} >= {
        "Contoso Retail Ltd",
        "Wide World Importers",
        "Fourth Coffee GmbH",
        "Proseware AG",
    }
    for deal in closed:
        assert deal.closed_on is not None
        assert timezone.localdate(deal.decided_at) == deal.closed_on, deal
        assert abs((deal.expected_close_date - deal.closed_on).days) <= 31, deal
        assert deal.expected_close_date >= timezone.localdate(deal.submitted_at), deal
        assert deal.closed_on >= timezone.localdate(deal.submitted_at), deal


def test_open_deals_expect_to_close_after_they_were_registered(deals):
    today = timezone.localdate()
    for deal in deals:
        if deal.status in (Status.SUBMITTED, Status.APPROVED):
            assert deal.expected_close_date >= today, deal
        assert deal.expected_close_date >= timezone.localdate(deal.submitted_at), deal


def test_protection_follows_the_approval_and_expired_deals_have_lapsed(deals):
    today = timezone.localdate()
    for deal in deals:
        if deal.status == Status.APPROVED:
            assert deal.protected_until >= today, deal
        if deal.status == Status.EXPIRED:
            assert deal.protected_until < today, deal
        if deal.protected_until:
            approved = next(
                r.history_date for r in deal.history.order_by("history_date") if r.status == Status.APPROVED
            )
            days = deal.partner.tier.protection_days
            assert deal.protected_until == timezone.localdate(approved) + timedelta(days=days), deal


def test_timelines_agree_with_the_deal(deals):
    now = timezone.now()
    for deal in deals:
        timeline = deal_timeline(deal)
        dates = [step["at"] for step in timeline]
        assert dates == sorted(dates), deal
        assert all(at <= now for at in dates), deal
        assert timeline[0]["status"] == Status.SUBMITTED
        assert abs(timeline[0]["at"] - deal.submitted_at) < timedelta(minutes=1), deal
        assert timeline[-1]["status"] == deal.status, deal
        if deal.status in CLOSED:
            assert timezone.localdate(timeline[-1]["at"]) == deal.closed_on, deal


def test_conflicts_and_extensions_follow_the_deals_they_concern(demo):
    for match in ConflictMatch.objects.select_related("deal", "other"):
        assert match.found_at >= match.deal.submitted_at - timedelta(seconds=1)
        assert match.other.submitted_at <= match.deal.submitted_at
    for request in ExtensionRequest.objects.select_related("deal"):
        assert request.requested_at >= request.deal.decided_at


def test_no_invitation_of_someone_who_joined_is_pending(demo):
    members = set(User.objects.values_list("email", flat=True))
    for invitation in Invitation.objects.all():
        if invitation.email in members:
            assert invitation.accepted_at is not None, invitation
            assert invitation.accepted_user.email == invitation.email
        if invitation.accepted_at:
            assert invitation.created_at <= invitation.accepted_at <= invitation.expires_at, invitation


def test_onboarding_steps_come_after_the_agreement_they_depend_on(demo):
    signatures = {s.partner_id: s for s in AgreementSignature.objects.select_related("agreement", "partner")}
    assert len(signatures) == 3
    for signature in signatures.values():
        assert signature.agreement.published_at <= signature.signed_at
        assert signature.partner.created_at <= signature.signed_at <= timezone.now()
    for task in OnboardingTask.objects.filter(done_at__isnull=False).select_related("partner"):
        signed_at = signatures[task.partner_id].signed_at
        if task.event == OnboardingEvent.AGREEMENT_SIGNED:
            assert abs(task.done_at - signed_at) < timedelta(seconds=1), task
        else:
            assert task.done_at >= signed_at, task
    for partner in Partner.objects.filter(status=Partner.Status.ACTIVE):
        last_required = max(partner.onboarding_tasks.filter(required=True).values_list("done_at", flat=True))
        assert partner.created_at <= last_required <= partner.activated_at


def test_the_stalled_partner_has_not_moved_for_a_week(demo):
    initech = Partner.objects.get(name="Initech Systems")
    assert initech.status == Partner.Status.ONBOARDING
    assert initech.onboarding_progress_at <= timezone.now() - timedelta(days=7)
    application = Application.objects.get(company_name="Initech Systems")
    assert application.created_at <= application.decided_at <= initech.created_at + timedelta(seconds=1)


def test_partners_sign_before_they_register_deals(deals):
    signatures = dict(AgreementSignature.objects.values_list("partner_id", "signed_at"))
    for deal in deals:
        assert deal.partner.activated_at <= deal.submitted_at, deal
        assert signatures[deal.partner_id] <= deal.submitted_at, deal


def test_people_and_tiers_predate_what_they_did(demo):
    for change in TierChange.objects.select_related("partner"):
        assert change.changed_at >= change.partner.created_at - timedelta(seconds=1)
    manager = User.objects.get(email="manager@demo.test")
    first_decision = DealRegistration.objects.exclude(decided_at=None).order_by("decided_at").first().decided_at
    assert manager.date_joined <= first_decision
    for user in User.objects.exclude(partner=None).select_related("partner"):
        assert user.date_joined >= user.partner.created_at


def test_commission_is_booked_after_the_win_and_runs_after_their_period(demo):
    for line in CommissionLine.objects.filter(kind="accrual").select_related("deal"):
        assert line.booked_on >= line.deal.closed_on, line
    runs = list(PayoutRun.objects.all())
    assert {run.status for run in runs} == {"approved", "paid"}
    for run in runs:
        assert timezone.localdate(run.created_at) > run.period_end
        assert run.created_at <= run.approved_at <= timezone.now()
        if run.paid_at:
            assert run.approved_at <= run.paid_at <= timezone.now()


def test_announcements_are_current_and_reach_the_active_partners(demo):
    from enablement.models import Announcement
    from enablement.selectors import announcements_for

    now = timezone.now()
    manager = User.objects.get(email="manager@demo.test")
    announcements = list(Announcement.objects.all())
    assert len(announcements) == 2
    for a in announcements:
        assert manager.date_joined <= a.created_at <= a.publish_at <= now < a.expires_at
        assert a.created_by == manager
    seen = {
        user.email: [a.title for a in announcements_for(user)]
        for user in User.objects.exclude(partner=None).select_related("partner")
    }
    assert seen == {
        "alice@acme.demo.test": ["Q1 SPIF on the security bundle", "Partner summit 2026: registration is open"],
        "carol@acme.demo.test": ["Q1 SPIF on the security bundle"],  # the summit is for partner admins
        "bob@globex.demo.test": ["Q1 SPIF on the security bundle", "Partner summit 2026: registration is open"],
        "dana@initech.demo.test": [],  # still onboarding
    }
