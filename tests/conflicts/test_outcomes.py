"""Resolutions record an outcome and act in one transaction: award_deal approves one
registration and rejects the others with the case as reason (optionally splitting commission),
adjust_commission writes a ledger line linked to the case, no_action closes with a note."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from conflicts import services
from conflicts.models import CaseOutcome
from deals import services as deal_services
from incentives.models import CommissionLine
from prm.errors import RuleViolation, StateConflict

from ..factories import CommissionPlanFactory, DealFactory
from .conftest import dispute

pytestmark = pytest.mark.django_db


def test_award_keeps_the_protected_registration_and_rejects_the_other(clash, manager):
    case, ours, theirs = clash
    outcome = services.case_resolve(
        case=case, by=manager, outcome="award_deal", deal=ours, note="Acme registered first."
    )
    ours.refresh_from_db(), theirs.refresh_from_db(), case.refresh_from_db()
    assert ours.status == "approved" and theirs.status == "rejected"
    assert f"Case #{case.pk}" in theirs.rejection_reason and "Acme registered first." in theirs.rejection_reason
    assert not theirs.in_conflict_review
    assert case.status == "resolved" and case.resolved_at and outcome.awarded_deal == ours


def test_award_to_the_later_registration_approves_it_and_ends_the_others_protection(clash, manager):
    case, ours, theirs = clash
    services.case_resolve(case=case, by=manager, outcome="award_deal", deal=theirs, note="Globex has the signed order.")
    ours.refresh_from_db(), theirs.refresh_from_db()
    assert theirs.status == "approved" and theirs.protected_until is not None
    assert ours.status == "rejected" and ours.protected_until is None


def test_award_names_one_of_the_contested_registrations(clash, manager, partner):
    case, ours, theirs = clash
    stranger = DealFactory(partner=partner)
    with pytest.raises(RuleViolation) as refused:
        services.case_resolve(case=case, by=manager, outcome="award_deal", deal=stranger, note="x")
    assert set(refused.value.message_dict) == {"deal"}
    case.refresh_from_db(), theirs.refresh_from_db()
    assert case.status == "open" and theirs.status == "submitted" and not CaseOutcome.objects.exists()


def test_partners_are_told_the_outcome_each_from_its_side(
    clash, manager, partner, rival, partner_admin, rival_admin, commit
):
    case, ours, theirs = clash
    mail.outbox.clear()
    with commit():
        services.case_resolve(case=case, by=manager, outcome="award_deal", deal=ours, note="First come, first served.")
    case_mails = {tuple(m.to): m for m in mail.outbox if f"Case #{case.pk} is resolved" in m.subject}
    assert "awarded the customer" in case_mails[(partner_admin.email,)].body
    assert "yours is rejected" in case_mails[(rival_admin.email,)].body
    for message in mail.outbox:
        assert partner.name not in message.body and rival.name not in message.body


def _won(deal, manager, amount="10000.00"):
    deal_services.deal_close(
        deal=deal, by=manager, outcome="won", amount=Decimal(amount), closed_on=timezone.localdate()
    )


def test_a_split_is_booked_when_the_awarded_deal_is_won(clash, manager, partner, rival):
    case, ours, theirs = clash
    CommissionPlanFactory(tier=partner.tier, rules=[dict(kind="percentage", rate=Decimal("10"))])
    services.case_resolve(
        case=case,
        by=manager,
        outcome="award_deal",
        deal=ours,
        note="Split 25/75.",
        split_percent=Decimal("25"),
        split_partner=rival,
    )
    assert not CommissionLine.objects.filter(kind="adjustment").exists()
    _won(ours, manager)
    accrual = CommissionLine.objects.get(kind="accrual")
    assert accrual.amount == Decimal("1000.00")
    taken = CommissionLine.objects.get(kind="adjustment", partner=partner)
    given = CommissionLine.objects.get(kind="adjustment", partner=rival)
    assert taken.amount == Decimal("-250.00") and given.amount == Decimal("250.00")
    assert taken.explanation.startswith(f"Case #{case.pk}:") and given.deal is None
    # Booked once: closing is not repeated, but the receiver may be re-run.
    services.commission_split_book(split=CaseOutcome.objects.get().split)
    assert CommissionLine.objects.filter(kind="adjustment").count() == 2


def test_a_reversed_win_takes_the_split_back_from_both_sides(clash, manager, partner, rival):
    case, ours, theirs = clash
    CommissionPlanFactory(tier=partner.tier, rules=[dict(kind="percentage", rate=Decimal("10"))])
    services.case_resolve(
        case=case,
        by=manager,
        outcome="award_deal",
        deal=ours,
        note="Split.",
        split_percent=Decimal("25"),
        split_partner=rival,
    )
    _won(ours, manager)
    deal_services.deal_reverse_win(deal=ours, by=manager, reason="Order cancelled")
    totals = {
        p.pk: sum(CommissionLine.objects.filter(partner=p).values_list("amount", flat=True)) for p in (partner, rival)
    }
    assert totals == {partner.pk: Decimal("0.00"), rival.pk: Decimal("0.00")}


def test_a_case_decided_again_moves_the_split_once(clash, manager, partner, rival, rival_admin):
    case, ours, theirs = clash
    CommissionPlanFactory(tier=partner.tier, rules=[dict(kind="percentage", rate=Decimal("10"))])
    services.case_resolve(
        case=case,
        by=manager,
        outcome="award_deal",
        deal=ours,
        note="Split.",
        split_percent=Decimal("25"),
        split_partner=rival,
    )
    _won(ours, manager)
    services.case_reopen(case=case, by=rival_admin, reason="We did the demo, not them.")
    services.case_resolve(
        case=case,
        by=manager,
        outcome="award_deal",
        deal=ours,
        note="Split again.",
        split_percent=Decimal("25"),
        split_partner=rival,
    )
    totals = {
        p.pk: sum(CommissionLine.objects.filter(partner=p).values_list("amount", flat=True)) for p in (partner, rival)
    }
    assert totals == {partner.pk: Decimal("750.00"), rival.pk: Decimal("250.00")}


def test_a_split_on_an_already_won_deal_is_booked_at_once(clash, manager, partner, rival):
    case, ours, theirs = clash
    CommissionPlanFactory(tier=partner.tier, rules=[dict(kind="percentage", rate=Decimal("10"))])
    _won(ours, manager)
    services.case_resolve(
        case=case,
        by=manager,
        outcome="award_deal",
        deal=ours,
        note="Split.",
        split_percent=Decimal("10"),
        split_partner=rival,
    )
    assert CommissionLine.objects.get(partner=rival).amount == Decimal("100.00")


def test_a_split_goes_to_another_involved_partner(clash, manager, partner):
    case, ours, theirs = clash
    with pytest.raises(RuleViolation) as refused:
        services.case_resolve(
            case=case,
            by=manager,
            outcome="award_deal",
            deal=ours,
            note="x",
            split_percent=Decimal("150"),
            split_partner=partner,
        )
    assert set(refused.value.message_dict) == {"split_percent", "split_partner"}


def test_adjust_commission_books_a_line_linked_to_the_case(partner_admin, manager, partner):
    line = CommissionLine.objects.create(
        partner=partner, kind="accrual", amount=Decimal("100"), currency="EUR", explanation="x"
    )
    case = dispute(partner_admin, kind="commission_dispute", commission_line=line)
    outcome = services.case_resolve(
        case=case,
        by=manager,
        outcome="adjust_commission",
        amount="-40.50",
        note="The SPIF did not apply to this product.",
    )
    adjustment = outcome.commission_line
    assert adjustment.kind == "adjustment" and adjustment.partner == partner
    assert adjustment.amount == Decimal("-40.50") and adjustment.currency == "EUR"  # the disputed line's currency
    assert (
        adjustment.corrects == line
        and adjustment.explanation == f"Case #{case.pk}: The SPIF did not apply to this product."
    )
    assert adjustment.created_by == manager


def test_adjust_commission_refuses_a_zero_amount_and_writes_nothing(partner_admin, manager):
    case = dispute(partner_admin)
    with pytest.raises(RuleViolation) as refused:
        services.case_resolve(case=case, by=manager, outcome="adjust_commission", amount="0", currency="USD", note="x")
    assert "amount" in refused.value.message_dict
    case.refresh_from_db()
    assert case.status == "open" and not CommissionLine.objects.exists() and not CaseOutcome.objects.exists()


def test_no_action_closes_with_a_note(partner_admin, manager):
    case = dispute(partner_admin)
    outcome = services.case_resolve(case=case, by=manager, outcome="no_action", note="Answered by phone.")
    case.refresh_from_db()
    assert case.status == "resolved" and outcome.note == "Answered by phone." and not CommissionLine.objects.exists()


def test_every_resolution_needs_the_reason_partners_are_told(partner_admin, manager):
    case = dispute(partner_admin)
    with pytest.raises(RuleViolation) as refused:
        services.case_resolve(case=case, by=manager, outcome="no_action", note=" ")
    assert set(refused.value.message_dict) == {"note"}


def test_a_case_is_resolved_once(partner_admin, manager):
    case = dispute(partner_admin)
    services.case_resolve(case=case, by=manager, outcome="no_action", note="Done.")
    with pytest.raises(StateConflict, match="already resolved"):
        services.case_resolve(
            case=case, by=manager, outcome="adjust_commission", amount="10", currency="USD", note="Again."
        )
    assert CaseOutcome.objects.count() == 1 and not CommissionLine.objects.exists()


def test_only_managers_resolve(partner_admin, finance):
    from django.core.exceptions import PermissionDenied

    case = dispute(partner_admin)
    for user in (finance, partner_admin):
        with pytest.raises(PermissionDenied):
            services.case_resolve(case=case, by=user, outcome="no_action", note="x")


def test_the_due_date_of_an_evidence_request_is_not_in_the_past(clash, manager, partner):
    case, _, _ = clash
    with pytest.raises(RuleViolation) as refused:
        services.evidence_request(
            case=case, partner=partner, by=manager, due_on=timezone.localdate() - timedelta(days=1)
        )
    assert set(refused.value.message_dict) == {"due_on"}
