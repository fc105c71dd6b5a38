"""Two leads routed at once never both take a partner's last monthly slot (nor the same turn):
routing is serialized by a lock on the offers' table, so the second routing sees the first offer."""

import threading
import time

import pytest
from django.db import connection, connections

from marketing.models import Lead, LeadOffer
from marketing.services import leads as services
from prm.errors import Busy
from prm.scoping import scopes_disabled

from ..factories import PartnerFactory
from ..locking import held_elsewhere, postgresql_only
from .leads import make_lead, make_rule

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]


def test_two_leads_routed_at_once_take_a_last_slot_once(monkeypatch):
    partner = PartnerFactory(name="Only one")
    make_rule(name="One a month", monthly_capacity=1)
    leads = [make_lead(), make_lead()]
    decide = services.route_decision

    def slow_decision(*, lead):
        decision = decide(lead=lead)
        time.sleep(0.3)  # both routings have chosen before either offer is written, unless serialized
        return decision

    monkeypatch.setattr(services, "route_decision", slow_decision)
    barrier = threading.Barrier(2)
    failures = []

    def route(lead):
        try:
            with scopes_disabled():
                barrier.wait()
                services.lead_route(lead=Lead.objects.get(pk=lead.pk))
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=route, args=(lead,)) for lead in leads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert LeadOffer.objects.filter(partner=partner).count() == 1
    assert sorted(Lead.objects.values_list("status", flat=True)) == ["offered", "returned"]


def test_a_routing_that_meets_a_held_lock_answers_busy(settings):
    settings.PRM_LOCK_TIMEOUT = 0.5
    PartnerFactory()
    make_rule()
    lead = make_lead()
    with held_elsewhere(f"LOCK TABLE {LeadOffer._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"):
        with pytest.raises(Busy, match="Leads are being routed right now"):
            services.lead_route(lead=lead)
    assert Lead.objects.get(pk=lead.pk).status == "new"
    assert connection.vendor == "postgresql"
