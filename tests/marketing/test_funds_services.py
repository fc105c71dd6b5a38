"""Market development funds through the services: allocation arithmetic and balances, approval
that never overspends, claims with proof and their deadlines, four eyes, the reimbursement into
the ledger and a payout run, and the daily expiry with time frozen."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incentives import services as incentives_services
from incentives.models import CommissionLine, PayoutStatement
from marketing.models import ActivityDeal, ClaimProof, FundAllocation, FundRequest, FundTierRule
from marketing.selectors import funds as selectors
from marketing.services import funds as services
from marketing.tasks import expire_fund_requests
from prm.errors import InvalidTransition, RuleViolation, StateConflict

from ..factories import DealFactory, PartnerFactory, StaffUserFactory, TierFactory
from .funds import allocation, approved, claimed, ended, pdf, png, submitted

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def funds(partner):
    return allocation(partner, amount="10000.00")


def balance(allocation_):
    return selectors.balance_dict(selectors.allocation_balances().get(pk=allocation_.pk))


# --- Allocations ---------------------------------------------------------------------------------


def test_allocating_by_tier_rule_gives_each_active_partner_of_the_tier_one_allocation_once(partner, manager):
    gold = TierFactory(name="Gold", rank=3)
    golden = PartnerFactory(tier=gold)
    PartnerFactory(tier=gold, status="suspended")
    FundTierRule.objects.create(tier=gold, period="year", amount=Decimal("20000"), currency="USD")
    FundTierRule.objects.create(tier=partner.tier, period="quarter", amount=Decimal("2000"), currency="USD")
    on = date(2026, 5, 10)
    created = services.allocations_for_period(on=on, by=manager)
    assert {(a.partner_id, a.period_start, a.period_end, a.allocated) for a in created} == {
        (golden.pk, date(2026, 1, 1), date(2026, 12, 31), Decimal("20000")),
        (partner.pk, date(2026, 4, 1), date(2026, 6, 30), Decimal("2000")),
    }
    assert all(a.source == "tier_rule" and a.tier_rule_id for a in created)
    assert services.allocations_for_period(on=on, by=manager) == []
    assert FundAllocation.objects.count() == 2


def test_two_allocations_of_a_partner_and_currency_never_overlap(partner, manager):
    services.allocation_create(
        partner=partner,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 6, 30),
        currency="USD",
        allocated=Decimal("5000"),
        by=manager,
    )
    with pytest.raises(RuleViolation, match="already has a USD allocation for an overlapping period"):
        services.allocation_create(
            partner=partner,
            period_start=date(2026, 6, 1),
            period_end=date(2026, 12, 31),
            currency="USD",
            allocated=Decimal("5000"),
            by=manager,
        )
    euros = services.allocation_create(
        partner=partner,
        period_start=date(2026, 6, 1),
        period_end=date(2026, 12, 31),
        currency="eur",
        allocated=Decimal("5000"),
        by=manager,
    )
    assert euros.currency == "EUR"


def test_only_managers_allocate(partner, finance):
    with pytest.raises(PermissionDenied):
        services.allocation_create(
            partner=partner,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            currency="USD",
            allocated=Decimal("1"),
            by=finance,
        )


def test_a_request_draws_on_the_allocation_covering_its_dates_or_is_refused(partner_admin, funds):
    request = submitted(partner_admin)
    assert request.allocation == funds and request.status == "submitted"
    after = funds.period_end + timedelta(days=5)
    with pytest.raises(RuleViolation) as refused:
        submitted(partner_admin, starts_on=after, ends_on=after)
    assert refused.value.message_dict == {"starts_on": ["No fund allocation of your organization covers these dates."]}


def test_a_request_above_the_available_balance_is_refused_naming_it(partner_admin, manager, funds):
    approved(partner_admin, manager, cost="4420.00")  # 10,000 - 4,420 = 5,580 left
    submitted(partner_admin, cost="3000.00")  # waiting: does not lower what is available
    with pytest.raises(RuleViolation) as refused:
        submitted(partner_admin, cost="50000.00")
    assert refused.value.message_dict == {
        "planned_cost": ["Your allocation has 5,580.00 USD available: ask for at most that."]
    }
    assert submitted(partner_admin, cost="5580.00").planned_cost == Decimal("5580.00")


def test_a_request_names_every_bad_field(partner_admin, funds):
    with pytest.raises(RuleViolation) as refused:
        services.fund_request_submit(
            partner=partner_admin.partner,
            user=partner_admin,
            activity_type="party",
            title="",
            starts_on=TODAY + timedelta(days=3),
            ends_on=TODAY + timedelta(days=1),
            planned_cost=Decimal("-5"),
            description="",
            expected_leads=-1,
        )
    assert set(refused.value.message_dict) == {
        "activity_type",
        "title",
        "ends_on",
        "planned_cost",
        "description",
        "expected_leads",
    }


# --- Balances ------------------------------------------------------------------------------------


def test_the_balance_follows_every_state(partner_admin, manager, finance, funds):
    assert balance(funds) == {
        "allocated": Decimal("10000.00"),
        "requested": Decimal("0"),
        "approved": Decimal("0"),
        "claimed": Decimal("0"),
        "reimbursed": Decimal("0"),
        "paid": Decimal("0"),
        "expired": Decimal("0"),
        "available": Decimal("10000.00"),
    }
    submitted(partner_admin, cost="1000.00")  # waiting: requested, still available
    services.fund_request_withdraw(request=submitted(partner_admin, cost="300.00"), by=partner_admin)
    services.fund_request_reject(request=submitted(partner_admin, cost="400.00"), reason="Off-brand", by=manager)
    approved(partner_admin, manager, cost="3000.00", amount="2500.00")  # partly approved: committed
    claim = claimed(partner_admin, manager, cost="2000.00", claim_amount="1800.00")  # waiting for finance
    assert balance(funds) == {
        "allocated": Decimal("10000.00"),
        "requested": Decimal("1000.00"),
        "approved": Decimal("4500.00"),  # the claimed request is approved until finance decides
        "claimed": Decimal("1800.00"),  # of which claimed, waiting for finance
        "reimbursed": Decimal("0"),
        "paid": Decimal("0"),
        "expired": Decimal("0"),
        "available": Decimal("5500.00"),
    }
    services.fund_claim_approve(claim=claim, by=finance)  # reimbursed at 1,800: 200 returns
    got = balance(funds)
    assert (got["approved"], got["claimed"], got["reimbursed"], got["paid"], got["available"]) == (
        Decimal("2500.00"),
        Decimal("0"),
        Decimal("1800.00"),
        Decimal("0"),
        Decimal("5700.00"),
    )


def test_balances_of_many_allocations_take_one_query(django_assert_num_queries, partner_admin, manager):
    allocation(partner_admin.partner)
    approved(partner_admin, manager)
    for _ in range(2):
        allocation(PartnerFactory())
    with django_assert_num_queries(1):
        assert len([selectors.balance_dict(a) for a in selectors.allocation_balances()]) == 3
    for _ in range(20):
        allocation(PartnerFactory())
    with django_assert_num_queries(1):
        assert len([selectors.balance_dict(a) for a in selectors.allocation_balances()]) == 23


# --- Decisions -----------------------------------------------------------------------------------


def test_approval_is_full_by_default_partly_on_request_and_sets_the_claim_deadline(
    partner_admin, manager, funds, settings
):
    settings.PRM_MDF_CLAIM_DAYS = 45
    full = approved(partner_admin, manager, cost="1200.00")
    assert full.approved_amount == Decimal("1200.00")
    assert full.claim_deadline == full.ends_on + timedelta(days=45)
    assert full.decided_by == manager
    part = approved(partner_admin, manager, cost="1200.00", amount="700.00")
    assert part.approved_amount == Decimal("700.00")


def test_approval_never_exceeds_the_planned_cost_or_the_available_balance(partner_admin, manager, funds):
    request = submitted(partner_admin, cost="4000.00")
    with pytest.raises(RuleViolation, match="Approve at most the planned cost, 4,000.00 USD"):
        services.fund_request_approve(request=request, amount=Decimal("4000.01"), by=manager)
    approved(partner_admin, manager, cost="7000.00")
    with pytest.raises(RuleViolation) as refused:
        services.fund_request_approve(request=request, amount=None, by=manager)
    assert refused.value.message_dict == {
        "amount": ["Only 3,000.00 USD is available on this allocation: approve that much at most."]
    }
    assert services.fund_request_approve(request=request, amount=Decimal("3000.00"), by=manager).status == "approved"
    assert balance(funds)["available"] == Decimal("0")


def test_a_decision_is_taken_once(partner_admin, manager, funds):
    request = approved(partner_admin, manager)
    with pytest.raises(InvalidTransition, match="This fund request is already approved."):
        services.fund_request_approve(request=request, amount=None, by=manager)
    with pytest.raises(InvalidTransition):
        services.fund_request_reject(request=request, reason="Too late", by=manager)
    with pytest.raises(InvalidTransition):
        services.fund_request_withdraw(request=request, by=partner_admin)


def test_only_managers_decide_and_only_the_partner_withdraws(partner_admin, rival_admin, finance, rep, funds):
    request = submitted(partner_admin)
    with pytest.raises(PermissionDenied):
        services.fund_request_approve(request=request, amount=None, by=finance)
    with pytest.raises(PermissionDenied):
        services.fund_request_withdraw(request=request, by=rival_admin)
    assert services.fund_request_withdraw(request=request, by=rep).status == "withdrawn"


def test_the_partner_is_mailed_on_decisions(partner_admin, manager, funds, commit, mailoutbox):
    with commit():
        approved(partner_admin, manager, amount="500.00")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [partner_admin.email]
    assert "Funds approved: Security summit booth" in mailoutbox[0].subject
    assert "Partly approved: 500.00 USD" in mailoutbox[0].body


# --- Claims --------------------------------------------------------------------------------------


def test_a_claim_holds_proofs_results_and_the_partners_own_deals(partner_admin, rival, manager, funds):
    deal = DealFactory(partner=partner_admin.partner)
    claim = claimed(partner_admin, manager, claim_amount="1500.00", deals=[deal])
    assert claim.status == "submitted" and claim.request.status == "claimed"
    assert sorted(ClaimProof.objects.filter(claim=claim).values_list("kind", flat=True)) == ["invoice", "photo"]
    assert list(ActivityDeal.objects.values_list("deal_id", flat=True)) == [deal.pk]

    theirs = DealFactory(partner=rival)
    request = ended(approved(partner_admin, manager))
    with pytest.raises(RuleViolation) as refused:
        services.fund_claim_submit(
            request=request,
            by=partner_admin,
            amount=Decimal("1"),
            leads_generated=1,
            results="Fine.",
            proofs=[pdf()],
            deals=[theirs],
        )
    assert refused.value.message_dict == {"deals": ["Link only your organization's own deal registrations."]}


def test_a_claim_is_refused_without_proof_with_a_bad_file_or_above_the_approved_amount(partner_admin, manager, funds):
    request = ended(approved(partner_admin, manager, amount="900.00"))
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 not a pdf")
    with pytest.raises(RuleViolation) as refused:
        services.fund_claim_submit(
            request=request, by=partner_admin, amount=Decimal("901"), leads_generated=1, results="x", proofs=[]
        )
    assert set(refused.value.message_dict) == {"amount", "proofs"}
    assert refused.value.message_dict["amount"] == ["Claim at most the approved 900.00 USD."]
    with pytest.raises(RuleViolation) as refused:
        services.fund_claim_submit(
            request=request, by=partner_admin, amount=Decimal("900"), leads_generated=1, results="x", proofs=[fake]
        )
    assert list(refused.value.message_dict) == ["proofs"]
    exe = SimpleUploadedFile("setup.exe", b"MZ\x90\x00")
    with pytest.raises(RuleViolation):
        services.fund_claim_submit(
            request=request, by=partner_admin, amount=Decimal("900"), leads_generated=1, results="x", proofs=[exe]
        )
    assert FundRequest.objects.get(pk=request.pk).status == "approved"


def test_claims_are_taken_from_the_activitys_last_day_until_the_deadline(partner_admin, manager, funds, settings):
    settings.PRM_MDF_CLAIM_DAYS = 30
    starts, ends = TODAY + timedelta(days=5), TODAY + timedelta(days=6)
    request = approved(partner_admin, manager, starts_on=starts, ends_on=ends)
    assert request.claim_deadline == ends + timedelta(days=30)

    def claim():
        return services.fund_claim_submit(
            request=request, by=partner_admin, amount=Decimal("10"), leads_generated=0, results="Done.", proofs=[png()]
        )

    with pytest.raises(StateConflict, match=f"Claim after the activity: it runs until {ends:%d %b %Y}."):
        claim()
    with time_machine.travel(ends + timedelta(days=31), tick=False):
        with pytest.raises(StateConflict) as late:
            claim()
    assert str(late.value.messages[0]) == (
        f"The claim deadline was {request.claim_deadline:%d %b %Y}: these funds can no longer be claimed."
    )
    with time_machine.travel(ends + timedelta(days=30), tick=False):
        assert claim().status == "submitted"


# --- Finance: four eyes, the ledger, the payout run --------------------------------------------


def test_finance_never_decides_a_claim_on_a_request_it_approved(partner_admin, funds):
    admin = StaffUserFactory(role="admin", email="root@example.com", is_superuser=True)
    claim = claimed(partner_admin, admin)
    with pytest.raises(
        PermissionDenied, match="You approved this fund request: another finance user decides its claim"
    ):
        services.fund_claim_approve(claim=claim, by=admin)
    with pytest.raises(PermissionDenied, match="four eyes"):
        services.fund_claim_reject(claim=claim, reason="No", by=admin)


def test_a_manager_cannot_approve_a_claim(partner_admin, manager, funds):
    claim = claimed(partner_admin, manager)
    with pytest.raises(PermissionDenied):
        services.fund_claim_approve(claim=claim, by=StaffUserFactory(email="m2@example.com"))


def test_a_refused_claim_sends_the_request_back_to_approved_to_claim_again(
    partner_admin, manager, finance, funds, commit, mailoutbox
):
    claim = claimed(partner_admin, manager)
    with commit():
        services.fund_claim_reject(claim=claim, reason="The invoice is not legible.", by=finance)
    request = FundRequest.objects.get(pk=claim.request_id)
    assert request.status == "approved"
    again = services.fund_claim_submit(
        request=request,
        by=partner_admin,
        amount=Decimal("100"),
        leads_generated=1,
        results="Better scan.",
        proofs=[pdf()],
    )
    assert again.status == "submitted"
    assert f"You may claim again until {request.claim_deadline:%d %b %Y}." in mailoutbox[-1].body
    with pytest.raises(InvalidTransition, match="This claim is already rejected."):
        services.fund_claim_reject(claim=claim, reason="Again", by=finance)


def test_a_claim_refused_after_the_deadline_expires_the_funds_at_once_and_never_invites_a_new_claim(
    partner_admin, manager, finance, funds, commit, mailoutbox
):
    claim = claimed(partner_admin, manager, cost="2000.00")
    deadline = FundRequest.objects.get(pk=claim.request_id).claim_deadline
    with time_machine.travel(deadline + timedelta(days=3), tick=False), commit():
        services.fund_claim_reject(claim=claim, reason="The invoice is not legible.", by=finance)
    request = FundRequest.objects.get(pk=claim.request_id)
    assert request.status == "expired" and request.expired_at is not None
    body = mailoutbox[-1].body
    assert f"The claim deadline was {deadline:%d %b %Y}: these funds can no longer be claimed" in body
    assert "claim again" not in body
    assert balance(funds)["expired"] == Decimal("2000.00") and balance(funds)["available"] == Decimal("10000.00")
    with time_machine.travel(deadline + timedelta(days=4), tick=False):
        assert services.fund_requests_expire() == 0  # nothing left for the daily task


def test_the_reimbursement_is_booked_paid_in_the_next_run_and_then_counts_as_paid(
    partner_admin, manager, finance, finance2, funds, commit, mailoutbox
):
    claim = claimed(partner_admin, manager, cost="2000.00", claim_amount="1750.00")
    with commit():
        claim = services.fund_claim_approve(claim=claim, by=finance)
    line = claim.reimbursement_line
    assert (line.kind, line.amount, line.currency, line.partner_id) == (
        "reimbursement",
        Decimal("1750.00"),
        "USD",
        partner_admin.partner_id,
    )
    assert line.explanation == f"Security summit booth (fund request #{claim.request_id})"  # the kind says MDF
    assert claim.reimbursed_amount == Decimal("1750.00")
    assert FundRequest.objects.get(pk=claim.request_id).status == "reimbursed"
    assert "Claim approved" in mailoutbox[-1].subject
    with pytest.raises(InvalidTransition, match="This claim is already approved."):
        services.fund_claim_approve(claim=claim, by=finance)
    assert CommissionLine.objects.filter(kind="reimbursement").count() == 1

    run = incentives_services.payout_run_create(period_end=TODAY, by=finance)
    incentives_services.payout_run_calculate(run.pk)
    statement = PayoutStatement.objects.get(run=run, partner=partner_admin.partner)
    assert statement.total == Decimal("1750.00")
    assert list(statement.lines().values_list("id", flat=True)) == [line.pk]
    assert balance(funds)["paid"] == Decimal("0")  # calculated, not paid yet
    run.refresh_from_db()
    incentives_services.payout_run_approve(run=run, by=finance2)
    assert balance(funds)["paid"] == Decimal("0")
    incentives_services.payout_run_mark_paid(run=run, by=finance, reference="BANK-2026-11")
    got = balance(funds)
    assert (got["claimed"], got["reimbursed"], got["paid"], got["available"]) == (
        Decimal("0"),
        Decimal("1750.00"),
        Decimal("1750.00"),
        Decimal("8250.00"),
    )


# --- Expiry --------------------------------------------------------------------------------------


def test_unclaimed_funds_expire_after_the_deadline_and_return_to_the_balance(
    partner_admin, manager, finance, funds, settings
):
    settings.PRM_MDF_CLAIM_DAYS = 10
    starts, ends = TODAY + timedelta(days=1), TODAY + timedelta(days=2)
    unclaimed = approved(partner_admin, manager, cost="3000.00", starts_on=starts, ends_on=ends)
    waiting = approved(partner_admin, manager, cost="1000.00", starts_on=starts, ends_on=ends)
    with time_machine.travel(ends + timedelta(days=1), tick=False):
        services.fund_claim_submit(
            request=waiting, by=partner_admin, amount=Decimal("900"), leads_generated=3, results="Ok.", proofs=[pdf()]
        )
    assert balance(funds)["available"] == Decimal("6000.00")
    with time_machine.travel(ends + timedelta(days=10), tick=False):
        assert expire_fund_requests() == 0  # the deadline day itself still takes claims
    with time_machine.travel(ends + timedelta(days=11), tick=False):
        assert expire_fund_requests() == 1
        assert expire_fund_requests() == 0  # idempotent
    unclaimed.refresh_from_db()
    assert unclaimed.status == "expired" and unclaimed.expired_at is not None
    assert FundRequest.objects.get(pk=waiting.pk).status == "claimed"
    got = balance(funds)
    assert (got["approved"], got["expired"], got["available"]) == (
        Decimal("1000.00"),
        Decimal("3000.00"),
        Decimal("9000.00"),
    )


def test_funds_expire_at_the_period_end_when_it_comes_before_the_claim_days(partner_admin, manager, settings):
    settings.PRM_MDF_CLAIM_DAYS = 60
    period = FundAllocation.objects.create(
        partner=partner_admin.partner,
        period_start=TODAY - timedelta(days=30),
        period_end=TODAY + timedelta(days=20),
        currency="USD",
        allocated=Decimal("5000.00"),
    )
    request = approved(
        partner_admin, manager, cost="1000.00", starts_on=TODAY + timedelta(days=5), ends_on=TODAY + timedelta(days=10)
    )
    assert request.allocation == period
    assert request.claim_deadline == period.period_end  # not 60 days after the activity
    with time_machine.travel(period.period_end + timedelta(days=1), tick=False):
        with pytest.raises(StateConflict, match="claim deadline"):
            services.fund_claim_submit(
                request=request,
                by=partner_admin,
                amount=Decimal("900"),
                leads_generated=1,
                results="Ok.",
                proofs=[pdf()],
            )
        assert expire_fund_requests() == 1
    request.refresh_from_db()
    assert request.status == "expired"
    assert balance(period)["available"] == Decimal("5000.00")


def test_only_deals_registered_from_the_activitys_first_day_are_linked(partner_admin, manager, funds):
    request = ended(approved(partner_admin, manager))
    before = DealFactory(
        partner=partner_admin.partner,
        customer_name="Older Deal Inc",
        submitted_at=timezone.now() - timedelta(days=10),
    )
    after = DealFactory(partner=partner_admin.partner, customer_name="Fresh Deal Inc")
    assert list(selectors.linkable_deals(partner_admin.partner, since=request.starts_on)) == [after]
    with pytest.raises(RuleViolation) as refused:
        services.fund_claim_submit(
            request=request,
            by=partner_admin,
            amount=Decimal("10"),
            leads_generated=1,
            results="Done.",
            proofs=[pdf()],
            deals=[before],
        )
    assert refused.value.message_dict == {"deals": ["Older Deal Inc was registered before the activity began."]}


def test_a_deal_from_a_vendor_lead_is_not_the_activitys_result(partner_admin, manager, funds):
    request = ended(approved(partner_admin, manager))
    vendor = DealFactory(partner=partner_admin.partner, customer_name="Passed On Ltd", source="vendor")
    own = DealFactory(partner=partner_admin.partner, customer_name="Fresh Deal Inc")
    assert list(selectors.linkable_deals(partner_admin.partner, since=request.starts_on)) == [own]
    with pytest.raises(RuleViolation) as refused:
        services.fund_claim_submit(
            request=request,
            by=partner_admin,
            amount=Decimal("10"),
            leads_generated=1,
            results="Done.",
            proofs=[pdf()],
            deals=[vendor],
        )
    assert refused.value.message_dict == {
        "deals": ["Passed On Ltd came from a lead the vendor passed on, not from the activity."]
    }


def test_the_expiry_task_acts_for_the_program_outside_any_partner_scope(partner_admin, manager, funds, settings):
    from prm.scoping import scope

    settings.PRM_MDF_CLAIM_DAYS = 0
    request = ended(approved(partner_admin, manager))
    FundRequest.objects.filter(pk=request.pk).update(claim_deadline=TODAY - timedelta(days=1))
    with scope():  # as a worker process starts: no scope at all
        assert expire_fund_requests.delay().get() == 1
    assert FundRequest.objects.get(pk=request.pk).status == "expired"


def test_roi_rounds_half_up_like_every_amount():
    roi = selectors.Roi(cost={"USD": Decimal("1.25")}, leads=2)
    assert roi.cost_per_lead == {"USD": Decimal("0.63")}  # 0.625: half-even would say 0.62
    roi = selectors.Roi(cost={"USD": Decimal("8.00")}, won_revenue={"USD": Decimal("0.20")})
    assert roi.revenue_per_cost == Decimal("0.03")  # 0.025: half-even would say 0.02
