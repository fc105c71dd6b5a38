"""Tier reviews: the evaluation proposes upgrades at once and downgrades after the grace period,
with the reasons in words per requirement; a manager applies (the tier changes with history and
the partner's admins are told) or dismisses (with a reason); the monthly task runs it for the
program, in a real worker too."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incentives.models import ExchangeRate
from partners.models import Partner, TierChange
from partners.services import partner_tier_set
from performance.models import TierReview, TierShortfall
from performance.services.tier_reviews import tier_review_apply, tier_review_dismiss, tier_reviews_evaluate
from performance.tasks import review_tiers
from prm.errors import RuleViolation, StateConflict
from prm.scoping import scope

from ..factories import PartnerFactory, PartnerUserFactory
from .tier_data import START, Certifier, at, make_tiers, won

pytestmark = pytest.mark.django_db

GRACE = "grace period 60 days"


@pytest.fixture
def tiers(db):
    return make_tiers()


@pytest.fixture
def certify(db):
    return Certifier()


@pytest.fixture
def september(tiers):
    """Today is START."""
    with at(START):
        yield START


def gold_partner(tiers, **fields):
    return PartnerFactory(tier=tiers["Gold"], **fields)


def reviews_of(partner):
    return list(TierReview.objects.filter(partner=partner).order_by("id"))


def open_review(partner) -> TierReview:
    return TierReview.objects.get(partner=partner, status="proposed")


# --- Upgrades ------------------------------------------------------------------------------------


def test_an_upgrade_is_proposed_with_each_requirement_in_words(september, tiers, partner, certify):
    won(partner, "200000.00")
    won(partner, "12400.00")
    certify(partner, 3)
    summary = tier_reviews_evaluate()
    review = open_review(partner)
    assert summary.proposed == [review.pk]
    assert (review.current_tier, review.proposed_tier, review.direction) == (tiers["Silver"], tiers["Gold"], "upgrade")
    assert review.reasons == [
        "won revenue 12 months 212,400.00 USD >= 200,000.00 USD",
        "certified users 3 >= 3",
    ]
    assert review.figures["won_revenue_12m"] == "212400.00"
    assert review.figures["certified_users"] == 3
    assert review.evaluated_on == START
    assert not TierShortfall.objects.exists()


def test_an_upgrade_skips_levels_to_the_highest_tier_earned(september, tiers, partner, certify):
    won(partner, "612000.00")
    certify(partner, 5)
    tier_reviews_evaluate()
    review = open_review(partner)
    assert (review.current_tier.name, review.proposed_tier.name) == ("Silver", "Platinum")
    assert review.reasons == [
        "won revenue 12 months 612,000.00 USD >= 500,000.00 USD",
        "certified users 5 >= 5",
    ]


def test_meeting_one_requirement_of_the_next_tier_is_not_enough(september, partner, certify):
    won(partner, "900000.00")
    certify(partner, 2)  # Gold needs 3
    assert tier_reviews_evaluate().proposed == []
    assert not TierReview.objects.exists()


def test_revenue_in_another_currency_counts_at_finances_rate(september, partner, certify):
    ExchangeRate.objects.create(date=START - timedelta(days=3), from_currency="EUR", to_currency="USD", rate="1.2")
    won(partner, "180000.00", currency="EUR")  # 216,000.00 USD
    certify(partner, 3)
    tier_reviews_evaluate()
    assert open_review(partner).reasons[0] == "won revenue 12 months 216,000.00 USD >= 200,000.00 USD"


# --- Downgrades: per requirement, only after the grace period --------------------------------------


@pytest.mark.parametrize(
    ("revenue", "certified", "reasons"),
    [
        ("150000.00", 3, ["won revenue 12 months 150,000.00 USD < 200,000.00 USD"]),
        ("212400.00", 2, ["certified users 2 < 3"]),
        ("150000.00", 2, ["won revenue 12 months 150,000.00 USD < 200,000.00 USD", "certified users 2 < 3"]),
    ],
    ids=["revenue alone", "certified users alone", "both"],
)
def test_a_downgrade_is_proposed_only_once_the_shortfall_outlasts_the_grace_period(
    tiers, certify, revenue, certified, reasons
):
    with at(START):
        partner = gold_partner(tiers)
        won(partner, revenue)
        certify(partner, certified)
        summary = tier_reviews_evaluate()
    assert (summary.proposed, summary.shortfalls_started) == ([], 1)
    shortfall = TierShortfall.objects.get(partner=partner)
    assert (shortfall.tier, shortfall.since) == (tiers["Gold"], START)

    with at(START + timedelta(days=59)):
        assert tier_reviews_evaluate().proposed == []
    assert TierShortfall.objects.get(partner=partner).since == START  # kept, not restarted

    with at(START + timedelta(days=60)):
        tier_reviews_evaluate()
    review = open_review(partner)
    assert (review.current_tier.name, review.proposed_tier.name, review.direction) == ("Gold", "Silver", "downgrade")
    assert review.reasons == [*reasons, f"short since 2 September 2026 ({GRACE})"]
    assert review.figures["short_since"] == "2026-09-02"


def test_the_grace_period_is_a_setting(tiers, certify, settings):
    settings.PRM_TIER_DOWNGRADE_GRACE_DAYS = 10
    with at(START):
        partner = gold_partner(tiers)
        won(partner, "150000.00")
        certify(partner, 3)
        tier_reviews_evaluate()
    with at(START + timedelta(days=10)):
        tier_reviews_evaluate()
    assert open_review(partner).reasons[-1] == "short since 2 September 2026 (grace period 10 days)"


def test_a_downgrade_goes_to_the_entry_tier_when_no_tier_is_met(tiers):
    with at(START):
        partner = gold_partner(tiers)  # nothing won, nobody certified
        tier_reviews_evaluate()
    with at(START + timedelta(days=61)):
        tier_reviews_evaluate()
    review = open_review(partner)
    assert review.proposed_tier.name == "Registered"
    assert review.reasons == [
        "won revenue 12 months 0.00 USD < 200,000.00 USD",
        "certified users 0 < 3",
        f"short since 2 September 2026 ({GRACE})",
    ]


def test_the_entry_tier_is_never_downgraded(tiers):
    tiers["Registered"].min_certified_users = 1
    tiers["Registered"].save()
    with at(START):
        partner = PartnerFactory(tier=tiers["Registered"])
        tier_reviews_evaluate()
    with at(START + timedelta(days=90)):
        tier_reviews_evaluate()
    assert not TierReview.objects.filter(partner=partner).exists()


def test_meeting_the_requirements_again_ends_the_shortfall_and_a_new_one_starts_afresh(tiers, certify):
    with at(START):
        partner = gold_partner(tiers)
        won(partner, "150000.00")
        reps = certify(partner, 3)
        tier_reviews_evaluate()
    assert TierShortfall.objects.filter(partner=partner).exists()

    with at(START + timedelta(days=30)):
        won(partner, "60000.00", closed_on=START + timedelta(days=25))
        summary = tier_reviews_evaluate()
    assert summary.shortfalls_ended == 1
    assert not TierShortfall.objects.filter(partner=partner).exists()

    october_12 = START + timedelta(days=40)
    with at(october_12):
        reps[0].is_active = False  # a certified user leaves: 2 < 3
        reps[0].save()
        tier_reviews_evaluate()
    assert TierShortfall.objects.get(partner=partner).since == october_12
    with at(october_12 + timedelta(days=59)):
        assert tier_reviews_evaluate().proposed == []
    with at(october_12 + timedelta(days=60)):
        tier_reviews_evaluate()
    assert open_review(partner).reasons == ["certified users 2 < 3", f"short since 12 October 2026 ({GRACE})"]


def test_recovery_withdraws_an_open_downgrade(tiers, certify):
    with at(START):
        partner = gold_partner(tiers)
        won(partner, "150000.00")
        certify(partner, 3)
        tier_reviews_evaluate()
    with at(START + timedelta(days=60)):
        tier_reviews_evaluate()
    review = open_review(partner)
    with at(START + timedelta(days=61)):
        won(partner, "50000.00", closed_on=START + timedelta(days=61))
        summary = tier_reviews_evaluate()
    review.refresh_from_db()
    assert (review.status, summary.superseded, summary.proposed) == ("superseded", 1, [])
    assert review.decision_note == "The evaluation of 2 November 2026 no longer proposes this change."
    assert not TierShortfall.objects.filter(partner=partner).exists()


# --- A missing exchange rate never proposes a downgrade ----------------------------------------------


def test_a_missing_exchange_rate_holds_the_partner_and_says_why(tiers, certify):
    with at(START):
        partner = gold_partner(tiers)
        won(partner, "190000.00", currency="EUR")  # no EUR rate: unknown, not zero
        certify(partner, 3)
        TierShortfall.objects.create(partner=partner, tier=tiers["Gold"], since=START - timedelta(days=90))
        summary = tier_reviews_evaluate()
    assert not TierReview.objects.exists()
    assert summary.held == {
        partner.pk: [
            "won revenue 12 months unknown (no exchange rate) < 200,000.00 USD",
            "no exchange rate into USD for EUR on 2 September 2026: no downgrade is proposed until finance enters it",
        ]
    }
    assert TierShortfall.objects.get(partner=partner).since == START - timedelta(days=90)  # neither ends nor moves

    with at(START):
        ExchangeRate.objects.create(date=START, from_currency="EUR", to_currency="USD", rate="1.1")  # 209,000 USD
        summary = tier_reviews_evaluate()
    assert summary.held == {}
    assert not TierShortfall.objects.filter(partner=partner).exists()


def test_a_held_partner_keeps_its_open_proposal(tiers, partner, certify):
    with at(START):
        won(partner, "212400.00")
        certify(partner, 3)
        tier_reviews_evaluate()
        review = open_review(partner)
        won(partner, "1000.00", currency="JPY")
        summary = tier_reviews_evaluate()
    assert partner.pk in summary.held
    review.refresh_from_db()
    assert review.status == "proposed"


# --- Who is evaluated --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["onboarding", "suspended", "terminated"])
def test_only_active_partners_are_evaluated(september, tiers, certify, status):
    partner = PartnerFactory(status=status)
    won(partner, "900000.00")
    certify(partner, 5)
    gold = gold_partner(tiers, status=status)
    TierShortfall.objects.create(partner=gold, tier=tiers["Gold"], since=START - timedelta(days=90))
    summary = tier_reviews_evaluate()
    assert summary.evaluated == 0
    assert not TierReview.objects.exists()
    # Out of the program's review, a shortfall is forgotten: its grace starts afresh on return.
    assert not TierShortfall.objects.exists()


# --- Idempotence and superseding ---------------------------------------------------------------------


def test_evaluating_twice_writes_nothing_new(tiers, partner, certify):
    with at(START):
        won(partner, "212400.00")
        certify(partner, 3)
        short = gold_partner(tiers)
        tier_reviews_evaluate()
    with at(START + timedelta(days=60)):
        tier_reviews_evaluate()
        before = (
            list(TierReview.objects.values_list("id", "status", "reasons").order_by("id")),
            TierReview.history.count(),
            list(TierShortfall.objects.values_list("id", "partner_id", "since").order_by("id")),
        )
        with CaptureQueriesContext(connection) as queries:
            summary = tier_reviews_evaluate()
    after = (
        list(TierReview.objects.values_list("id", "status", "reasons").order_by("id")),
        TierReview.history.count(),
        list(TierShortfall.objects.values_list("id", "partner_id", "since").order_by("id")),
    )
    assert after == before
    assert (summary.proposed, summary.kept, summary.superseded) == ([], 2, 0)
    assert {r.partner_id for r in TierReview.objects.filter(status="proposed")} == {partner.pk, short.pk}
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []


def test_a_different_change_supersedes_the_open_proposal(september, tiers, partner, certify):
    won(partner, "212400.00")
    certify(partner, 3)
    tier_reviews_evaluate()
    first = open_review(partner)
    won(partner, "400000.00")
    certify(partner, 2)
    summary = tier_reviews_evaluate()
    first.refresh_from_db()
    second = open_review(partner)
    assert first.status == "superseded" and first.decided_at is not None
    assert first.decision_note == "Replaced by the evaluation of 2 September 2026."
    assert (second.proposed_tier.name, summary.proposed, summary.superseded) == ("Platinum", [second.pk], 1)


def test_a_tier_changed_by_hand_supersedes_the_proposal_made_for_the_old_tier(
    september, tiers, partner, certify, manager
):
    won(partner, "212400.00")
    certify(partner, 3)
    tier_reviews_evaluate()
    review = open_review(partner)
    partner_tier_set(partner=partner, tier=tiers["Gold"], by=manager, reason="Strategic account")
    tier_reviews_evaluate()
    review.refresh_from_db()
    assert review.status == "superseded"
    assert not TierReview.objects.filter(status="proposed").exists()  # at Gold, meeting Gold: nothing due


def test_a_dismissed_change_is_not_proposed_again_on_the_same_outcome(september, tiers, partner, certify, manager):
    won(partner, "212400.00")
    certify(partner, 3)
    tier_reviews_evaluate()
    tier_review_dismiss(review=open_review(partner), by=manager, reason="Waiting for their Q4 plan")
    assert tier_reviews_evaluate().proposed == []
    won(partner, "1000.00")  # more revenue, still Gold earned: the decision holds
    assert tier_reviews_evaluate().proposed == []
    assert [r.status for r in reviews_of(partner)] == ["dismissed"]


def test_a_dismissed_upgrade_holds_a_month_on_while_the_partner_earns_the_same_tier(tiers, partner, certify, manager):
    with at(START):
        won(partner, "212400.00")
        certify(partner, 3)
        tier_reviews_evaluate()
        tier_review_dismiss(review=open_review(partner), by=manager, reason="Waiting for their Q4 plan")
    october = START + timedelta(days=30)
    with at(october):
        won(partner, "4321.09", closed_on=october - timedelta(days=2))  # the trailing year moved on
        assert tier_reviews_evaluate().proposed == []
    november = START + timedelta(days=61)
    with at(november):
        won(partner, "300000.00", closed_on=november - timedelta(days=2))
        certify(partner, 2)  # 516,721.09 USD and 5 certified users: Platinum earned
        summary = tier_reviews_evaluate()
    review = open_review(partner)
    assert summary.proposed == [review.pk]
    assert (review.current_tier.name, review.proposed_tier.name) == ("Silver", "Platinum")


def test_a_dismissed_downgrade_is_proposed_again_once_another_requirement_fails(tiers, certify, manager):
    with at(START):
        partner = gold_partner(tiers)
        won(partner, "150000.00")
        reps = certify(partner, 3)
        tier_reviews_evaluate()
    with at(START + timedelta(days=60)):
        tier_reviews_evaluate()
        tier_review_dismiss(review=open_review(partner), by=manager, reason="Big deal closing next week")
    with at(START + timedelta(days=90)):
        won(partner, "10000.00", closed_on=START + timedelta(days=80))  # still short of revenue alone
        assert tier_reviews_evaluate().proposed == []
    with at(START + timedelta(days=100)):
        reps[0].is_active = False  # now short of certified users too, still Silver earned
        reps[0].save()
        summary = tier_reviews_evaluate()
    review = open_review(partner)
    assert summary.proposed == [review.pk]
    assert (review.proposed_tier.name, review.direction) == ("Silver", "downgrade")
    assert review.reasons[:2] == ["won revenue 12 months 160,000.00 USD < 200,000.00 USD", "certified users 2 < 3"]
    assert review.figures["requirements"] == {
        "current": {"won_revenue_12m": False, "certified_users": False},
        "proposed": {"won_revenue_12m": True, "certified_users": True},
    }


# --- Set-based: the same queries for 3 partners as for 30 ---------------------------------------------


def _program_of(size: int, tiers, certify):
    """A third earn an upgrade, a third fall short of Gold (past the grace), a third stand still."""
    for i in range(size):
        kind = i % 3
        partner = PartnerFactory(tier=tiers["Gold"] if kind == 1 else tiers["Silver"])
        if kind == 0:
            won(partner, "212400.00")
            certify(partner, 3)
        elif kind == 1:
            won(partner, "100000.00")
            certify(partner, 3)
            TierShortfall.objects.create(partner=partner, tier=tiers["Gold"], since=START - timedelta(days=90))
        else:
            won(partner, "60000.00")
            certify(partner, 1)
        PartnerUserFactory(partner=partner)


def _count_evaluation() -> int:
    with CaptureQueriesContext(connection) as queries:
        summary = tier_reviews_evaluate()
    assert summary.proposed
    return len(queries.captured_queries)


def test_the_evaluation_runs_the_same_queries_for_3_partners_as_for_30(september, tiers, certify):
    _program_of(3, tiers, certify)
    few = _count_evaluation()
    TierReview.objects.all().delete()
    TierShortfall.objects.all().delete()
    Partner.objects.filter(status="active").update(status="terminated")
    _program_of(30, tiers, certify)
    many = _count_evaluation()
    assert TierReview.objects.filter(status="proposed").count() == 20
    assert few == many


# --- Apply -----------------------------------------------------------------------------------------


@pytest.fixture
def upgrade(september, tiers, partner, certify):
    """Acme (Silver) earns Gold: the open proposal."""
    won(partner, "212400.00")
    certify(partner, 3)
    tier_reviews_evaluate()
    return open_review(partner)


def test_applying_changes_the_tier_with_history_and_tells_the_partners_admins_only(
    upgrade, partner, partner_admin, rep, rival_admin, manager, commit
):
    second_admin = PartnerUserFactory(partner=partner, email="dora@acme.example.com")
    PartnerUserFactory(partner=partner, email="gone@acme.example.com", is_active=False)
    mail.outbox.clear()
    with commit():
        review = tier_review_apply(review=upgrade, by=manager, note="Well done this year.")
    partner.refresh_from_db()
    assert partner.tier.name == "Gold"
    assert (review.status, review.decided_by, review.decision_note) == ("applied", manager, "Well done this year.")
    assert review.decided_at is not None
    change = TierChange.objects.get(partner=partner)
    assert (change.from_tier.name, change.to_tier.name, change.changed_by) == ("Silver", "Gold", manager)
    assert change.reason == (
        f"Tier review #{review.pk}: won revenue 12 months 212,400.00 USD >= 200,000.00 USD; certified users 3 >= 3"
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == sorted([partner_admin.email, second_admin.email])  # not the rep, not the rival
    assert message.subject == "Acme Cloud Partners is now Gold in the partner program"
    assert "moves up from Silver to Gold" in message.body
    assert "- won revenue 12 months 212,400.00 USD >= 200,000.00 USD" in message.body
    assert "- certified users 3 >= 3" in message.body
    assert "Well done this year." in message.body
    assert "/portal/scorecard/" in message.body
    assert rival_admin.email not in message.to and rep.email not in message.to


def test_nothing_is_mailed_when_applying_rolls_back(upgrade, partner_admin, manager, commit):
    from django.db import transaction

    mail.outbox.clear()
    with commit(), pytest.raises(RuntimeError), transaction.atomic():
        tier_review_apply(review=upgrade, by=manager)
        raise RuntimeError
    assert mail.outbox == []
    assert TierReview.objects.get(pk=upgrade.pk).status == "proposed"


def test_applying_twice_is_refused(upgrade, partner, manager, commit):
    with commit():
        tier_review_apply(review=upgrade, by=manager)
    mail.outbox.clear()
    with pytest.raises(StateConflict, match="This review is already applied."):
        tier_review_apply(review=upgrade, by=manager)
    assert TierChange.objects.filter(partner=partner).count() == 1
    assert mail.outbox == []


def test_applying_after_the_tier_changed_asks_to_review_again(upgrade, tiers, partner, manager):
    partner_tier_set(partner=partner, tier=tiers["Platinum"], by=manager, reason="Acquired a Platinum partner")
    changed = r"tier changed since this review was proposed \(Silver then, Platinum now\): review the tiers again"
    with pytest.raises(StateConflict, match=changed):
        tier_review_apply(review=upgrade, by=manager)
    partner.refresh_from_db()
    assert partner.tier.name == "Platinum"
    assert TierReview.objects.get(pk=upgrade.pk).status == "proposed"


def test_a_suspended_partners_review_is_not_applied(upgrade, partner, manager):
    Partner.objects.filter(pk=partner.pk).update(status="suspended")
    with pytest.raises(StateConflict, match="Acme Cloud Partners is suspended"):
        tier_review_apply(review=upgrade, by=manager)


@pytest.mark.parametrize("who", ["finance", "partner_admin", "rep"])
def test_only_managers_decide(request, upgrade, partner, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        tier_review_apply(review=upgrade, by=user)
    with pytest.raises(PermissionDenied):
        tier_review_dismiss(review=upgrade, by=user, reason="No")
    upgrade.refresh_from_db()
    partner.refresh_from_db()
    assert (upgrade.status, partner.tier.name) == ("proposed", "Silver")


def test_the_program_admin_decides_too(upgrade):
    from ..factories import StaffUserFactory

    admin = StaffUserFactory(role="admin", is_superuser=True)
    assert tier_review_apply(review=upgrade, by=admin).status == "applied"


def test_a_long_list_of_reasons_fits_the_tier_history(upgrade, manager):
    TierReview.objects.filter(pk=upgrade.pk).update(reasons=[f"reason number {i} " + "x" * 40 for i in range(10)])
    upgrade.refresh_from_db()
    tier_review_apply(review=upgrade, by=manager)
    reason = TierChange.objects.get().reason
    assert len(reason) == 300 and reason.startswith(f"Tier review #{upgrade.pk}: reason number 0") and reason[-1] == "…"
    assert len(TierReview.objects.get(pk=upgrade.pk).reasons) == 10  # the review keeps them all


# --- Dismiss ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_dismissing_needs_a_reason(upgrade, manager, reason):
    with pytest.raises(RuleViolation) as refused:
        tier_review_dismiss(review=upgrade, by=manager, reason=reason)
    assert list(refused.value.message_dict) == ["reason"]
    assert TierReview.objects.get(pk=upgrade.pk).status == "proposed"


def test_dismissing_keeps_the_reason_and_tells_nobody(upgrade, partner, manager, commit):
    mail.outbox.clear()
    with commit():
        review = tier_review_dismiss(review=upgrade, by=manager, reason="Waiting for their Q4 plan")
    assert (review.status, review.decision_note) == ("dismissed", "Waiting for their Q4 plan")
    assert review.decided_by == manager
    partner.refresh_from_db()
    assert partner.tier.name == "Silver"
    assert mail.outbox == []


def test_a_decided_review_is_not_decided_again(upgrade, manager):
    tier_review_dismiss(review=upgrade, by=manager, reason="Not now")
    with pytest.raises(StateConflict, match="This review is already dismissed."):
        tier_review_dismiss(review=upgrade, by=manager, reason="Not now")
    with pytest.raises(StateConflict, match="A review that is dismissed cannot become applied."):
        tier_review_apply(review=upgrade, by=manager)


def test_decisions_are_kept_in_the_reviews_history(upgrade, manager):
    tier_review_apply(review=upgrade, by=manager)
    statuses = list(TierReview.history.filter(id=upgrade.pk).order_by("history_date").values_list("status", flat=True))
    assert statuses == ["proposed", "applied"]


# --- The task ----------------------------------------------------------------------------------------


def test_the_task_runs_outside_any_partner_scope_and_twice_without_harm(september, partner, certify):
    won(partner, "212400.00")
    certify(partner, 3)
    with scope():  # a worker starts in no scope: the task disables scoping itself
        first = review_tiers.delay().get()
        second = review_tiers.delay().get()
    review = open_review(partner)
    assert first["proposed"] == [review.pk] and first["on"] == "2026-09-02"
    assert (second["proposed"], second["kept"]) == ([], 1)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reviews_the_tiers(celery_broker, tiers, partner, certify):
    from celery.contrib.testing.worker import start_worker
    from django.utils import timezone

    won(partner, "212400.00", closed_on=timezone.localdate() - timedelta(days=5))
    certify(partner, 3)
    celery_broker.control.purge()
    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
        review_tiers.delay()
        deadline = time.monotonic() + 30
        while not TierReview.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    review = TierReview.objects.get()
    assert (review.partner_id, review.proposed_tier.name, review.status) == (partner.pk, "Gold", "proposed")


def test_won_revenue_counts_deals_won_in_the_trailing_year_only(tiers, partner, certify):
    with at(START):
        won(partner, "150000.00", closed_on=START - timedelta(days=366))  # a year and a day ago
        won(partner, "62400.00")
        certify(partner, 3)
        tier_reviews_evaluate()
    assert not TierReview.objects.exists()
