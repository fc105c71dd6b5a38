"""Two managers resolving the same case at once: it acts once, the second gets a 409."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from conflicts.models import CaseOutcome
from incentives.models import CommissionLine
from prm.scoping import scopes_disabled

from ..clients import api_client_for
from .conftest import dispute

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"),
]


def test_two_managers_resolving_at_once_act_once(partner_admin, manager, manager2):
    case = dispute(partner_admin)
    barrier = threading.Barrier(2)
    answers = []

    def resolve(user, amount):
        try:
            with scopes_disabled():
                client = api_client_for(user)
                barrier.wait()
                answers.append(
                    client.post(
                        f"/api/v1/cases/{case.pk}/resolve/",
                        {"outcome": "adjust_commission", "amount": amount, "currency": "USD", "note": "Goodwill."},
                    )
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=resolve, args=(u, a)) for u, a in ((manager, "10.00"), (manager2, "20.00"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert "already resolved" in refused.json()["detail"]
    assert CaseOutcome.objects.count() == 1
    assert CommissionLine.objects.count() == 1 and CommissionLine.objects.get().amount in (
        Decimal("10.00"),
        Decimal("20.00"),
    )
