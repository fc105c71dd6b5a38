"""A deal that another request holds locked answers "busy, try again" within PRM_LOCK_TIMEOUT,
in the service and in the API, instead of hanging; nothing is written."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from deals import services
from deals.models import DealRegistration
from prm.errors import Busy

from ..clients import api_client_for
from ..factories import DealFactory
from ..locking import held_elsewhere, postgresql_only

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]
LOCK_TIMEOUT = 1.0


@pytest.fixture(autouse=True)
def _short_lock_timeout(settings):
    settings.PRM_LOCK_TIMEOUT = LOCK_TIMEOUT


@pytest.fixture
def deal(partner):
    return DealFactory(partner=partner, status="approved", protected_until=timezone.localdate() + timedelta(days=60))


def held(deal):
    """Another request is in the middle of changing the deal."""
    return held_elsewhere("SELECT id FROM deals_dealregistration WHERE id = %s FOR UPDATE", [deal.pk])


def test_closing_a_deal_held_by_another_request_is_busy_within_the_timeout(deal, manager):
    with held(deal):
        started = time.monotonic()
        with pytest.raises(Busy, match="Someone else is changing this deal right now"):
            services.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("5000.00"))
        elapsed = time.monotonic() - started
    assert LOCK_TIMEOUT * 0.9 <= elapsed < LOCK_TIMEOUT + 2
    deal.refresh_from_db()
    assert (deal.status, deal.final_amount) == ("approved", None)


def test_the_api_answers_409_within_the_timeout_and_the_close_works_once_the_lock_is_gone(deal, manager):
    api = api_client_for(manager)
    with held(deal):
        started = time.monotonic()
        response = api.post(f"/api/v1/deals/{deal.pk}/close/", {"outcome": "won", "amount": "5000.00"}, format="json")
        elapsed = time.monotonic() - started
    assert response.status_code == 409
    assert "Try again in a moment" in response.json()["detail"]
    assert elapsed < LOCK_TIMEOUT + 2
    assert DealRegistration.objects.get(pk=deal.pk).status == "approved"

    response = api.post(f"/api/v1/deals/{deal.pk}/close/", {"outcome": "won", "amount": "5000.00"}, format="json")
    assert response.status_code == 200, response.content
    assert DealRegistration.objects.get(pk=deal.pk).status == "won"


def test_expiry_waits_for_no_one_longer_than_the_timeout(partner):
    lapsed = DealFactory(partner=partner, status="approved", protected_until=timezone.localdate() - timedelta(days=1))
    with held(lapsed):
        started = time.monotonic()
        with pytest.raises(Busy):
            services.deals_expire()
        assert time.monotonic() - started < LOCK_TIMEOUT + 2
    assert services.deals_expire() == 1
