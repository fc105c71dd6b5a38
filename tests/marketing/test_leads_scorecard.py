"""Lead outcomes on the scorecard: leads offered, acceptance rate, average time to accept and
conversion (won deals from accepted leads), in the selector, the API and the portal page."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.services import deal_close
from marketing.services import leads as services
from performance.selectors.scorecards import scorecard, scorecards

from ..clients import api_client_for
from ..factories import PartnerFactory, StaffUserFactory
from .leads import make_lead

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(timezone.datetime(2026, 5, 4, 9, 0))
ACCEPT = {"amount": Decimal("1000.00"), "currency": "USD", "expected_close_date": "2026-08-01"}


@pytest.fixture
def outcomes(partner, partner_admin):
    """Four offers to Acme in May 2026: accepted after 2 h (then won), after 6 h, declined, timed out."""
    manager = StaffUserFactory()
    with time_machine.travel(NOW, tick=False) as traveller:
        leads = [make_lead() for _ in range(4)]
        for lead in leads:
            services.lead_offer(lead=lead, partner=partner, rule=None, reasons="by hand")
        traveller.shift(timedelta(hours=2))
        won = services.lead_accept(lead=leads[0], by=partner_admin, data=ACCEPT)
        deal_close(deal=won, by=manager, outcome="won", amount=Decimal("1000.00"))
        traveller.shift(timedelta(hours=4))
        services.lead_accept(lead=leads[1], by=partner_admin, data=ACCEPT)
        services.lead_decline(lead=leads[2], by=partner_admin, reason="Too small")
        traveller.shift(timedelta(hours=60))
        services.lead_offers_expire()
    return leads


def test_the_scorecard_counts_lead_outcomes(partner, outcomes):
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        card = scorecard(partner=partner, start=date(2026, 5, 1), end=date(2026, 5, 31))
        earlier = scorecard(partner=partner, start=date(2026, 4, 1), end=date(2026, 4, 30))
    assert (card.leads_offered, card.leads_accepted) == (4, 2)
    assert card.lead_acceptance_rate == Decimal("50.0")
    assert card.avg_hours_to_accept == Decimal("4.0")
    assert card.lead_conversion == Decimal("50.0")
    assert (earlier.leads_offered, earlier.lead_acceptance_rate, earlier.lead_conversion) == (0, None, None)


def test_the_api_and_the_portal_show_them(client, partner, partner_admin, outcomes):
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        body = (
            api_client_for(partner_admin)
            .get(f"/api/v1/partners/{partner.pk}/scorecard/?start=2026-05-01&end=2026-05-31")
            .json()
        )
        client.force_login(partner_admin)
        page = client.get("/portal/scorecard/?period=this_quarter").content.decode()
    assert (body["leads_offered"], body["lead_acceptance_rate"], body["avg_hours_to_accept"]) == (4, "50.0", "4.0")
    assert body["lead_conversion"] == "50.0"
    assert "Lead acceptance" in page and "2 of 4 answered" in page and "Lead conversion" in page


def test_withdrawn_offers_are_left_out_and_pending_ones_out_of_the_rate(partner, partner_admin):
    manager = StaffUserFactory()
    rival = PartnerFactory(name="Other")
    with time_machine.travel(NOW, tick=False):
        leads = [make_lead() for _ in range(4)]
        for lead in leads:
            services.lead_offer(lead=lead, partner=partner, rule=None, reasons="by hand")
        services.lead_accept(lead=leads[0], by=partner_admin, data=ACCEPT)
        services.lead_decline(lead=leads[1], by=partner_admin, reason="Too small")
        services.lead_offer_to(lead=leads[2], partner=rival, by=manager)  # withdrawn from the partner
        # leads[3] waits for an answer
        card = scorecard(partner=partner, start=date(2026, 5, 1), end=date(2026, 5, 31))
    assert (card.leads_offered, card.leads_accepted, card.leads_pending) == (3, 1, 1)
    assert card.lead_acceptance_rate == Decimal("50.0")


def test_lead_figures_take_one_query_whatever_the_number_of_offers(partner):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            scorecards(start=date(2026, 1, 1), end=date(2026, 12, 31))
        return len(captured)

    with time_machine.travel(NOW, tick=False):
        few = queries()
        for _ in range(10):
            other = PartnerFactory()
            services.lead_offer(lead=make_lead(), partner=other, rule=None, reasons="by hand")
        assert queries() == few
