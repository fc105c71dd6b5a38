"""Relationship health, from the data: time to first response and to resolution per kind,
open and escalated cases per partner, outcome counts."""

from datetime import timedelta

import pytest

from conflicts import selectors, services
from conflicts.models import Case

from .conftest import dispute

pytestmark = pytest.mark.django_db


def test_health_figures(partner_admin, rival_admin, manager):
    answered = dispute(partner_admin, kind="other")
    Case.objects.filter(pk=answered.pk).update(opened_at=answered.opened_at - timedelta(hours=6))
    services.case_post_message(case=answered, by=manager, body="Hello.")
    services.case_resolve(case=answered, by=manager, outcome="no_action", note="x")
    escalated = dispute(rival_admin, kind="other")
    services.cases_escalate(now=escalated.first_response_due + timedelta(minutes=1))
    dispute(rival_admin, kind="other")

    first = selectors.time_to_first_response()["other"]
    assert first["cases"] == 1 and 5.9 <= first["hours"] <= 6.1
    assert selectors.time_to_resolution()["other"]["cases"] == 1
    per_partner = {row["name"]: row for row in selectors.cases_per_partner()}
    assert (per_partner["Globex Solutions"]["open"], per_partner["Globex Solutions"]["escalated"]) == (2, 1)
    assert (per_partner["Acme Cloud Partners"]["open"], per_partner["Acme Cloud Partners"]["total"]) == (0, 1)
    assert selectors.outcome_counts() == {"no_action": 1}
    assert selectors.open_cases_of(rival_admin.partner_id) == 2
    health = selectors.relationship_health()
    assert health["open"] == 2 and health["escalated"] == 1
