"""Accept, decline and the timeout race safely on the lead's row lock (PostgreSQL): while a
partner's answer holds the lead, the expiry task leaves it for its next run instead of waiting, an
answer that meets a held lead is "busy" within the timeout, and an answer after the timeout ran
is a conflict in words."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.utils import timezone

from marketing.models import Lead, LeadOffer
from marketing.services import leads as services
from prm.errors import Busy, StateConflict

from ..factories import PartnerFactory
from ..locking import held_elsewhere, postgresql_only
from .leads import make_lead, make_rule

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]
LOCK_TIMEOUT = 1.0
ACCEPT = {"amount": Decimal("1000.00"), "currency": "USD", "expected_close_date": "2099-01-01"}


@pytest.fixture(autouse=True)
def _short_lock_timeout(settings):
    settings.PRM_LOCK_TIMEOUT = LOCK_TIMEOUT


@pytest.fixture
def offered(partner, partner_admin):
    PartnerFactory(name="Next in line")
    make_rule(prefer_win_rate=False)
    lead = make_lead()
    services.lead_offer(lead=lead, partner=partner, rule=None, reasons="by hand")
    return lead


def held(lead):
    return held_elsewhere("SELECT id FROM marketing_lead WHERE id = %s FOR UPDATE", [lead.pk])


def test_the_timeout_leaves_a_lead_being_answered_for_its_next_run(offered):
    later = timezone.now() + timedelta(hours=49)
    with held(offered):
        started = time.monotonic()
        assert services.lead_offers_expire(now=later) == 0
        assert time.monotonic() - started < LOCK_TIMEOUT + 2
    assert LeadOffer.objects.get(lead=offered).status == "pending"
    assert services.lead_offers_expire(now=later) == 1


def test_an_answer_meeting_a_held_lead_is_busy_within_the_timeout(offered, partner_admin):
    with held(offered):
        started = time.monotonic()
        with pytest.raises(Busy):
            services.lead_accept(lead=offered, by=partner_admin, data=ACCEPT)
        assert time.monotonic() - started < LOCK_TIMEOUT + 2
    assert Lead.objects.get(pk=offered.pk).status == "offered"


def test_accept_and_timeout_at_once_one_wins_and_the_other_changes_nothing(offered, partner_admin, settings):
    """The partner accepts in the last moment while the expiry task runs (as of the accept-by
    time): whichever locks the lead first decides; the other finds it answered."""
    settings.PRM_LOCK_TIMEOUT = 10
    accept_by = LeadOffer.objects.get(lead=offered).accept_by
    results = {}
    barrier = threading.Barrier(2)

    def accept():
        try:
            barrier.wait()
            results["accept"] = services.lead_accept(lead=offered, by=partner_admin, data=ACCEPT).pk
        except StateConflict as error:
            results["accept"] = error
        finally:
            connection.close()

    def expire():
        try:
            barrier.wait()
            with transaction.atomic():
                results["expire"] = services.lead_offers_expire(now=accept_by)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept), threading.Thread(target=expire)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    offer = LeadOffer.objects.get(lead=offered, partner=offered.partner)
    lead = Lead.objects.get(pk=offered.pk)
    if isinstance(results["accept"], int):
        assert results["expire"] == 0
        assert (offer.status, lead.status, lead.deal_id) == ("accepted", "accepted", results["accept"])
    else:
        assert results["expire"] == 1
        assert "already answered: timed out" in str(results["accept"])
        assert offer.status == "expired" and lead.deal_id is None
    assert LeadOffer.objects.filter(lead=offered, status="pending").count() <= 1
