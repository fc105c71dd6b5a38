"""Commission plan versions: a manager replaces the newest version of a plan by a new one with
the same rules; an older version, or the same version twice, is refused with a message; two
clicks at the same moment make one new version."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from incentives import services
from incentives.models import CommissionPlan, CommissionRule
from prm.errors import StateConflict

from ..factories import CommissionPlanFactory, StaffUserFactory
from ..locking import held_elsewhere, postgresql_only, sessions_waiting_for_locks, wait_until

TODAY = timezone.localdate()
RULES = [dict(kind="percentage", rate=Decimal("8")), dict(kind="flat_bonus", amount=Decimal("250.00"))]


@pytest.fixture
def plan(partner):
    return CommissionPlanFactory(tier=partner.tier, name="Silver 2026", rules=RULES, starts_on=date(2026, 1, 1))


@pytest.mark.django_db
def test_a_new_version_copies_the_rules_starts_today_and_ends_the_old_one(plan, manager):
    new = services.commission_plan_new_version(plan=plan, by=manager)
    assert (new.name, new.version, new.previous_version, new.starts_on) == ("Silver 2026", 2, plan, TODAY)
    assert (new.tier, new.currency, new.period) == (plan.tier, plan.currency, plan.period)
    assert list(new.rules.values_list("kind", "rate", "amount")) == [
        ("percentage", Decimal("8.0000"), None),
        ("flat_bonus", None, Decimal("250.00")),
    ]
    plan.refresh_from_db()
    assert plan.ends_on == TODAY - timedelta(days=1)
    assert CommissionRule.objects.filter(plan=plan).count() == 2


@pytest.mark.django_db
def test_only_the_newest_version_is_versioned(plan, manager):
    v2 = services.commission_plan_new_version(plan=plan, by=manager)
    with pytest.raises(StateConflict, match="Silver 2026 is not the newest version of its plan: Silver 2026 v2 is"):
        services.commission_plan_new_version(plan=plan, by=manager)  # the second click of a double click
    assert list(CommissionPlan.objects.filter(name="Silver 2026").values_list("version", flat=True)) == [2, 1]
    v3 = services.commission_plan_new_version(plan=v2, by=manager)
    assert (v3.version, v3.previous_version) == (3, v2)


@pytest.mark.django_db
def test_a_plan_starting_later_gives_its_start_to_the_new_version(partner, manager):
    later = CommissionPlanFactory(
        tier=partner.tier, name="Gold 2027", rules=RULES, starts_on=TODAY + timedelta(days=30)
    )
    new = services.commission_plan_new_version(plan=later, by=manager)
    later.refresh_from_db()
    assert (new.starts_on, later.ends_on) == (later.starts_on, None)


@pytest.mark.django_db
def test_finance_and_partners_do_not_version_plans(plan, finance, partner_admin):
    for user in (finance, partner_admin):
        with pytest.raises(PermissionDenied):
            services.commission_plan_new_version(plan=plan, by=user)
    assert CommissionPlan.objects.count() == 1


@pytest.mark.django_db
def test_the_admin_action_tells_which_version_is_newest(client, plan, manager):
    services.commission_plan_new_version(plan=plan, by=manager)
    client.force_login(StaffUserFactory(role="admin", is_superuser=True))
    page = client.post(
        "/admin/incentives/commissionplan/", {"action": "new_version", "_selected_action": [plan.pk]}, follow=True
    ).content.decode()
    assert "is not the newest version of its plan: Silver 2026 v2 is" in page
    assert CommissionPlan.objects.filter(name="Silver 2026").count() == 2


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_the_same_moment_make_one_new_version(plan, manager):
    """Both requests read v1 as the newest, then wait on its lock; the first makes v2, the second
    reads again under the lock and is told that v2 exists."""
    outcomes = []

    def click():
        try:
            outcomes.append(services.commission_plan_new_version(plan=plan, by=manager))
        except StateConflict as refusal:
            outcomes.append(refusal)
        finally:
            connection.close()

    with held_elsewhere("SELECT id FROM incentives_commissionplan WHERE id = %s FOR UPDATE", [plan.pk]):
        clicks = [threading.Thread(target=click) for _ in range(2)]
        for thread in clicks:
            thread.start()
        assert wait_until(lambda: sessions_waiting_for_locks() == 2), "both clicks should wait for the newest version"
    for thread in clicks:
        thread.join(timeout=30)

    created = [o for o in outcomes if isinstance(o, CommissionPlan)]
    refused = [o for o in outcomes if isinstance(o, StateConflict)]
    assert len(created) == 1 and len(refused) == 1, outcomes
    assert "not the newest version of its plan: Silver 2026 v2 is" in refused[0].messages[0]
    assert list(CommissionPlan.objects.filter(name="Silver 2026").values_list("version", flat=True)) == [2, 1]
    assert CommissionRule.objects.filter(plan__version=2).count() == 2
