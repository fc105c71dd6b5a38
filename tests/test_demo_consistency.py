"""The demo data tells one consistent story: dates follow each other, timelines agree with the
fields they summarize, invitations of people who joined are accepted, and onboarding steps that
need the agreement come after its signature. It holds a year of activity: every month of the
trends has registrations and won revenue, and nobody did anything before they were there."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from conflicts.models import Case, CaseParticipant
from deals.models import ConflictMatch, DealRegistration, ExtensionRequest
from deals.selectors import deal_timeline
from enablement.models import Certification, ContentDownload, QuizAttempt, SurveyResponse
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


@pytest.fixture
def demo(committed_demo):
    """The demo, loaded once for the module (tests/conftest.py)."""


@pytest.fixture
def deals(demo):
    return list(DealRegistration.objects.select_related("partner__tier"))


def test_every_deal_was_registered_before_it_was_decided(deals):
    now = timezone.now()
    assert len(deals) > 150  # the story's eleven and a year of registrations
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
            days = tier_at(deal.partner, approved).protection_days
            assert deal.protected_until == timezone.localdate(approved) + timedelta(days=days), deal


def tier_at(partner, when):
    """The tier the partner held at ``when``, from its tier history."""
    change = TierChange.objects.filter(partner=partner, changed_at__lte=when).order_by("-changed_at", "-id").first()
    return change.to_tier


def test_timelines_agree_with_the_deal(deals):
    from marketing.models import Lead

    now = timezone.now()
    from_leads = set(Lead.objects.filter(deal__isnull=False).values_list("deal_id", flat=True))
    for deal in deals:
        timeline = deal_timeline(deal)
        dates = [step["at"] for step in timeline]
        assert dates == sorted(dates), deal
        assert all(at <= now for at in dates), deal
        # A lead a partner accepted (marketing: leads) is registered approved.
        assert timeline[0]["status"] == (Status.APPROVED if deal.pk in from_leads else Status.SUBMITTED), deal
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
    assert set(Partner.objects.filter(activated_at__isnull=False).values_list("id", flat=True)) <= set(signatures)
    assert len(signatures) == Partner.objects.count() - 1  # one approved partner's admin has not signed in yet
    for signature in signatures.values():
        assert signature.agreement.published_at <= signature.signed_at
        assert signature.partner.created_at <= signature.signed_at <= timezone.now()
    for task in OnboardingTask.objects.filter(done_at__isnull=False).select_related("partner"):
        signed_at = signatures[task.partner_id].signed_at
        if task.event == OnboardingEvent.AGREEMENT_SIGNED:
            assert abs(task.done_at - signed_at) < timedelta(seconds=1), task
        else:
            assert task.done_at >= signed_at, task
    for partner in Partner.objects.filter(activated_at__isnull=False):
        last_required = max(partner.onboarding_tasks.filter(required=True).values_list("done_at", flat=True))
        assert partner.created_at <= last_required <= partner.activated_at, partner
        activation = partner.status_changes.get(to_status=Partner.Status.ACTIVE)
        assert abs(activation.changed_at - partner.activated_at) < timedelta(seconds=1), partner


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
    runs = list(PayoutRun.objects.order_by("period_end"))
    assert {run.status for run in runs} == {"approved", "paid"}
    for run in runs:
        assert timezone.localdate(run.created_at) > run.period_end
        assert run.created_at <= run.approved_at <= timezone.now()
        assert run.approved_by_id != run.created_by_id, run  # four eyes
        if run.paid_at:
            assert run.approved_at <= run.paid_at <= timezone.now()
            assert timezone.localdate(run.paid_at) > run.period_end
    # A run at every month's end of the year, paid the month after, but last month's.
    ends = [run.period_end for run in runs]
    assert len(ends) == 12 and all((b - a).days <= 31 and b.day >= 28 for a, b in zip(ends, ends[1:], strict=False))
    assert [run.status for run in runs] == ["paid"] * 11 + ["approved"]


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
        for user in User.objects.exclude(partner=None).select_related("partner__tier")
    }
    assert {email: seen[email] for email in DEMO_PARTNER_USERS} == {
        "alice@acme.demo.test": ["Q1 SPIF on the security bundle", "Partner summit 2026: registration is open"],
        "carol@acme.demo.test": ["Q1 SPIF on the security bundle"],  # the summit is for partner admins
        "bob@globex.demo.test": ["Q1 SPIF on the security bundle", "Partner summit 2026: registration is open"],
        "dana@initech.demo.test": [],  # still onboarding
    }
    # Everyone else by the same rules: the SPIF for Gold and Silver, the summit for partner admins,
    # both for active partners only.
    for user in User.objects.exclude(partner=None).select_related("partner__tier"):
        active = user.partner.status == Partner.Status.ACTIVE
        expected = []
        if active and user.partner.tier.name in ("Gold", "Silver"):
            expected.append("Q1 SPIF on the security bundle")
        if active and user.role == "partner_admin":
            expected.append("Partner summit 2026: registration is open")
        assert seen[user.email] == expected, user.email


DEMO_PARTNER_USERS = ["alice@acme.demo.test", "carol@acme.demo.test", "bob@globex.demo.test", "dana@initech.demo.test"]


# --- The year of activity -------------------------------------------------------------------------


def test_deals_are_approved_after_they_were_submitted_and_closed_after_their_approval(deals):
    approved_states = (Status.APPROVED, Status.WON, Status.LOST, Status.EXPIRED)
    for deal in deals:
        if deal.status in approved_states:
            assert deal.submitted_at <= deal.approved_at <= deal.decided_at <= timezone.now(), deal
        elif deal.status == Status.SUBMITTED:
            assert deal.approved_at is None, deal
        if deal.status in CLOSED:
            assert deal.approved_at < timezone.make_aware(datetime.combine(deal.closed_on, time.max)), deal
    assert {Status.SUBMITTED, Status.APPROVED, Status.REJECTED, Status.WON, Status.LOST, Status.EXPIRED} == {
        d.status for d in deals
    }
    assert {"USD", "EUR"} <= {d.currency for d in deals if d.status == Status.WON}
    assert {"partner", "vendor"} == {d.source for d in deals}


def test_nobody_acted_for_a_partner_before_it_existed(deals):
    created = dict(Partner.objects.values_list("id", "created_at"))
    activated = dict(Partner.objects.values_list("id", "activated_at"))
    joined = dict(User.objects.values_list("id", "date_joined"))
    for partner in Partner.objects.all():
        assert partner.activated_at is None or partner.created_at <= partner.activated_at, partner
        for change in partner.status_changes.all():
            assert change.changed_at >= partner.created_at, change
    for deal in deals:
        assert deal.submitted_at >= activated[deal.partner_id], deal
        assert deal.submitted_at >= joined[deal.registered_by_id], deal
    for day, partner_id in CommissionLine.objects.values_list("booked_on", "partner_id"):
        assert day >= timezone.localdate(activated[partner_id]), (day, partner_id)
    for attempt in QuizAttempt.objects.all():
        assert attempt.submitted_at >= joined[attempt.user_id], attempt
    for certification in Certification.objects.all():
        assert certification.issued_on >= timezone.localdate(joined[certification.user_id]), certification
    for download in ContentDownload.objects.select_related("asset"):
        assert download.downloaded_at >= max(joined[download.user_id], download.asset.created_at), download
        assert download.downloaded_at <= timezone.now()
    for response in SurveyResponse.objects.select_related("invitation", "survey"):
        assert joined[response.user_id] <= response.survey.sent_at <= response.answered_at, response
        assert response.answered_at <= timezone.now()
        assert activated[response.partner_id] <= response.survey.sent_at, response
    for participant in CaseParticipant.objects.select_related("case"):
        assert participant.case.opened_at >= created[participant.partner_id], participant
    for application in Application.objects.exclude(decided_at=None):
        assert application.created_at <= application.decided_at, application
        if application.partner_id:
            assert abs(created[application.partner_id] - application.decided_at) < timedelta(seconds=1)


def test_applications_arrived_month_after_month_and_were_decided(demo):
    months = {timezone.localdate(at).replace(day=1) for at in Application.objects.values_list("created_at", flat=True)}
    assert len(months) >= 10
    assert set(Application.objects.values_list("status", flat=True)) == {"applied", "screening", "approved", "rejected"}
    onboarding_days = [
        (p.activated_at - p.created_at).days
        for p in Partner.objects.filter(applications__status="approved")
        if p.activated_at
    ]
    assert len(onboarding_days) >= 8 and max(onboarding_days) - min(onboarding_days) >= 20  # time to onboard varies
    statuses = set(Partner.objects.values_list("status", flat=True))
    assert statuses == {"active", "onboarding", "suspended"}
    assert {"reseller", "msp", "technology"} <= set(Partner.objects.values_list("partner_type", flat=True))
    assert {"Registered", "Silver", "Gold"} <= set(Partner.objects.values_list("tier__name", flat=True))


def test_the_suspended_partner_registered_nothing_after_its_suspension(deals):
    partner = Partner.objects.get(status=Partner.Status.SUSPENDED)
    suspended = partner.status_changes.get(to_status=Partner.Status.SUSPENDED).changed_at
    mine = [d for d in deals if d.partner_id == partner.pk]
    assert mine and all(d.submitted_at < suspended for d in mine)


def test_tier_upgrades_on_the_requirements_were_earned_when_they_were_made(demo):
    from performance.selectors import scorecard

    for change in TierChange.objects.filter(reason__startswith="Quarterly review").select_related("to_tier"):
        day = timezone.localdate(change.changed_at)
        card = scorecard(partner=change.partner_id, start=day - timedelta(days=364), end=day)
        assert card.won_revenue_total >= change.to_tier.min_won_revenue_12m, change
        assert card.certified_users >= change.to_tier.min_certified_users, change


def test_the_tiers_give_the_tier_review_something_to_propose(demo):
    from performance.selectors import standings

    standing = {Partner.objects.get(pk=pk).name: s for pk, s in standings().items()}
    assert standing["Acme Cloud Partners"].meets_current  # Gold, as the contract says
    assert standing["Globex Solutions"].meets_current  # Silver
    assert standing["VanArsdel IT"].earned.name == "Silver"  # Registered, earns an upgrade
    assert not standing["Woodgrove Consulting"].meets_current  # Silver ahead of its revenue
    assert "to reach Gold" in standing["Globex Solutions"].to_next()


def test_tier_reviews_were_proposed_on_the_day_of_their_evaluation(demo):
    from performance.models import TierReview

    reviews = list(TierReview.objects.all())
    assert {r.evaluated_on for r in reviews} != {timezone.localdate()}  # months of evaluations
    for review in reviews:
        assert timezone.localdate(review.proposed_at) == review.evaluated_on, review
        assert review.decided_at is None or review.proposed_at <= review.decided_at <= timezone.now(), review
        history = list(review.history.order_by("history_date", "history_id"))
        assert history[0].history_date == review.proposed_at, review
        assert history[-1].history_date <= timezone.now(), review
        if review.status == "superseded":
            assert history[-1].history_date == review.decided_at, review


def test_cases_were_answered_and_resolved_some_after_their_sla_escalated_them(demo):
    resolved = Case.objects.filter(status="resolved")
    assert resolved.count() >= 20
    late = 0
    for case in resolved:
        assert case.opened_at <= case.first_response_at <= case.resolved_at <= timezone.now(), case
        if case.first_response_escalated_at:
            late += 1
            assert case.first_response_due < case.first_response_escalated_at < case.first_response_at, case
        messages = list(case.messages.order_by("id").values_list("created_at", flat=True))
        assert messages == sorted(messages) and messages[0] >= case.opened_at - timedelta(seconds=1), case
    assert late >= 2
    opened = {timezone.localdate(at).replace(day=1) for at in resolved.values_list("opened_at", flat=True)}
    assert len(opened) >= 10


def test_every_month_of_the_year_has_registrations_and_won_revenue(demo):
    from performance.selectors import monthly_trend

    today = timezone.localdate()
    months = monthly_trend(partner_ids=None, end=today)
    assert len(months) == 12
    for month in months:
        assert month.registrations > 0, month
        assert month.won_revenue_total and month.won_revenue_total > 0, month
        assert month.commission_earned, month
    # The program grows: more registrations and more won revenue in the last quarter than in the first.
    assert sum(m.registrations for m in months[-3:]) > 1.5 * sum(m.registrations for m in months[:3])
    assert sum(m.won_revenue_total for m in months[-3:]) > sum(m.won_revenue_total for m in months[:3])
    acme = Partner.objects.get(name="Acme Cloud Partners")
    mine = monthly_trend(partner_ids=[acme.pk], end=today)
    assert all(m.registrations > 0 for m in mine[:-1])
    assert sum(1 for m in mine if m.won_revenue_total) >= 8


def test_every_month_has_certifications_downloads_and_answers_to_show(demo):
    today = timezone.localdate()
    first = (today.replace(day=1) - timedelta(days=330)).replace(day=1)
    downloads = {
        timezone.localdate(at).replace(day=1)
        for at in ContentDownload.objects.filter(downloaded_at__date__gte=first).values_list("downloaded_at", flat=True)
    }
    assert len(downloads) >= 11
    assert Certification.objects.filter(status="expired").count() >= 2
    issued = {day.replace(day=1) for day in Certification.objects.values_list("issued_on", flat=True)}
    assert len(issued) >= 8
    answered = SurveyResponse.objects.values_list("answered_at", flat=True)
    assert len({(timezone.localdate(at).year, (timezone.localdate(at).month - 1) // 3) for at in answered}) >= 4


def test_targets_and_program_costs_cover_the_quarters_of_the_year(demo):
    from performance.models import ProgramCost, Target, quarter_end, quarter_start

    this_quarter = quarter_start(timezone.localdate())
    for name in ("Acme Cloud Partners", "Globex Solutions"):
        targets = list(Target.objects.filter(partner__name=name).order_by("period_start"))
        assert len(targets) == 5 and targets[-1].period_start == this_quarter
        for target in targets:
            assert target.period_start == quarter_start(target.period_start)
            assert target.period_end == quarter_end(target.period_start)
            assert target.set_by.email == "manager@demo.test"
            assert target.partner.created_at <= target.set_at <= timezone.now()
            assert target.won_revenue and target.new_deals and target.certified_users
    quarters = sorted(set(ProgramCost.objects.values_list("quarter", flat=True)))
    assert len(quarters) == 5 and quarters[-1] == this_quarter
    for cost in ProgramCost.objects.all():
        assert cost.quarter == quarter_start(cost.quarter)
        assert timezone.localdate(cost.entered_at) >= cost.quarter and cost.entered_at <= timezone.now()
    assert {"USD", "EUR"} <= set(ProgramCost.objects.values_list("currency", flat=True))


def test_exchange_rates_cover_every_day_that_needs_a_conversion(demo):
    from performance.selectors import exchange_rates

    oldest = DealRegistration.objects.filter(status=Status.WON).order_by("closed_on").first().closed_on
    assert set(exchange_rates(oldest)) >= {"USD", "EUR", "GBP"}


def test_only_the_story_deals_are_in_conflict(demo):
    assert set(ConflictMatch.objects.values_list("deal__customer_name", flat=True)) <= {
        "FABRIKAM, Incorporated",
        "Northwind Traders Ltd",
    }
