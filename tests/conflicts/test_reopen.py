"""A resolved case may be reopened once by its partner, within PRM_CASE_REOPEN_DAYS."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from conflicts import services
from conflicts.models import Case
from prm.errors import StateConflict

from .conftest import dispute

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(partner_admin, manager):
    case = dispute(partner_admin)
    services.case_resolve(case=case, by=manager, outcome="no_action", note="Answered.")
    case.refresh_from_db()
    return case


def test_the_partner_reopens_a_resolved_case_once(resolved, rep):
    services.case_reopen(case=resolved, by=rep, reason="The answer does not cover the Q3 lines.")
    resolved.refresh_from_db()
    assert resolved.status == "open" and resolved.reopened_at is not None and resolved.resolved_at is None
    assert resolved.resolution_due > resolved.reopened_at
    assert resolved.messages.order_by("-id").first().body == "The answer does not cover the Q3 lines."
    Case.objects.filter(pk=resolved.pk).update(status="resolved", resolved_at=resolved.reopened_at)
    resolved.refresh_from_db()
    with pytest.raises(StateConflict, match="reopened once"):
        services.case_reopen(case=resolved, by=rep, reason="Again.")


def test_reopening_ends_after_the_window(resolved, partner_admin, settings):
    settings.PRM_CASE_REOPEN_DAYS = 3
    Case.objects.filter(pk=resolved.pk).update(resolved_at=resolved.resolved_at - timedelta(days=3, minutes=1))
    resolved.refresh_from_db()
    with pytest.raises(StateConflict, match="within 3 days"):
        services.case_reopen(case=resolved, by=partner_admin, reason="Late.")


def test_an_open_case_is_not_reopened(partner_admin):
    case = dispute(partner_admin)
    with pytest.raises(StateConflict):
        services.case_reopen(case=case, by=partner_admin, reason="x")


def test_only_an_involved_partner_reopens(resolved, rival_admin, manager):
    for user in (rival_admin, manager):
        with pytest.raises(PermissionDenied):
            services.case_reopen(case=resolved, by=user, reason="x")


def test_a_reopened_case_is_resolved_again_with_a_new_outcome(resolved, partner_admin, manager):
    services.case_reopen(case=resolved, by=partner_admin, reason="Please check again.")
    services.case_resolve(case=resolved, by=manager, outcome="no_action", note="Checked again.")
    assert list(resolved.outcomes.values_list("note", flat=True)) == ["Checked again.", "Answered."]


def test_the_reopened_case_can_escalate_again(resolved, partner_admin):
    Case.objects.filter(pk=resolved.pk).update(resolution_escalated_at=resolved.resolved_at)
    services.case_reopen(case=resolved, by=partner_admin, reason="Please check again.")
    resolved.refresh_from_db()
    assert services.cases_escalate(now=resolved.resolution_due + timedelta(minutes=1)) == 1
