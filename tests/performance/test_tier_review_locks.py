"""Tier reviews under concurrency (PostgreSQL): one evaluation at a time, an apply in progress is
waited for, and a lock that is not given up in time is "busy, try again", never a hang; nothing is
written then."""

import time

import pytest

from performance.models import TierReview, TierShortfall
from performance.services.tier_reviews import tier_review_apply, tier_reviews_evaluate
from prm.errors import Busy

from ..locking import held_elsewhere, postgresql_only
from .tier_data import Certifier, make_tiers, proposal, won

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]
LOCK_TIMEOUT = 1.0


@pytest.fixture(autouse=True)
def _short_lock_timeout(settings):
    settings.PRM_LOCK_TIMEOUT = LOCK_TIMEOUT


@pytest.fixture
def tiers(db):
    return make_tiers()


def test_a_second_evaluation_is_busy_while_one_runs(tiers, partner):
    won(partner, "212400.00")
    Certifier()(partner, 3)
    running = "LOCK TABLE performance_tiershortfall IN SHARE ROW EXCLUSIVE MODE"
    with held_elsewhere(running):
        started = time.monotonic()
        with pytest.raises(Busy, match="Another tier review is running. Try again later."):
            tier_reviews_evaluate()
        assert time.monotonic() - started < LOCK_TIMEOUT + 2
    assert not TierReview.objects.exists()
    assert len(tier_reviews_evaluate().proposed) == 1


def test_the_evaluation_waits_no_longer_than_the_timeout_for_an_apply_in_progress(tiers, partner, rival):
    review = proposal(partner, tiers["Gold"])  # no longer earned: the evaluation would supersede it
    TierShortfall.objects.create(partner=rival, tier=rival.tier, since="2026-01-01")
    with held_elsewhere("SELECT id FROM performance_tierreview WHERE id = %s FOR UPDATE", [review.pk]):
        with pytest.raises(Busy):
            tier_reviews_evaluate()
    assert TierReview.objects.get(pk=review.pk).status == "proposed"
    assert TierShortfall.objects.filter(partner=rival).exists()  # nothing written: one transaction


def test_applying_a_review_another_request_holds_is_busy(tiers, partner, manager):
    review = proposal(partner, tiers["Gold"])
    with held_elsewhere("SELECT id FROM performance_tierreview WHERE id = %s FOR UPDATE", [review.pk]):
        started = time.monotonic()
        with pytest.raises(Busy, match="Try again in a moment"):
            tier_review_apply(review=review, by=manager)
        assert time.monotonic() - started < LOCK_TIMEOUT + 2
    partner.refresh_from_db()
    assert partner.tier.name == "Silver"
    assert tier_review_apply(review=review, by=manager).status == "applied"
