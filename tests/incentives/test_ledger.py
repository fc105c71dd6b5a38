"""Booking won deals into the append-only ledger: plans, FX, clawbacks, adjustments."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals import services as deals
from incentives import services
from incentives.models import CommissionLine, CommissionRule
from partners.models import PayoutDetails

from ..factories import CommissionLineFactory, CommissionPlanFactory, DealFactory, ExchangeRateFactory, TierFactory

Kind = CommissionRule.Kind
pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def gold(partner):
    tier = TierFactory(name="Gold", rank=3, commission_uplift_percent=Decimal("2"))
    partner.tier = tier
    partner.save()
    return tier


def approved_deal(partner, manager, **fields):
    deal = DealFactory(partner=partner, **fields)
    return deals.deal_approve(deal=deal, by=manager)


def test_a_won_deal_books_accrual_lines_under_the_tier_plan(partner, manager, gold):
    CommissionPlanFactory(tier=gold, name="Gold 2026", rules=[dict(kind=Kind.PERCENTAGE, rate=Decimal("10"))])
    deal = approved_deal(partner, manager, customer_name="Contoso")
    deals.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("48000.00"))
    line = CommissionLine.objects.get(deal=deal)
    assert (line.kind, line.base_amount, line.rate, line.amount, line.currency) == (
        "accrual",
        Decimal("48000.00"),
        Decimal("12"),
        Decimal("5760.00"),
        "USD",
    )
    assert line.explanation == "12% (10% + 2% Gold uplift) of 48,000.00 USD under Gold 2026 plan, deal Contoso"


def test_a_partners_own_plan_wins_over_its_tier_plan(partner, manager, gold):
    CommissionPlanFactory(tier=gold, rules=[dict(kind=Kind.PERCENTAGE, rate=Decimal("10"))])
    CommissionPlanFactory(
        partner=partner, name="Acme special", rules=[dict(kind=Kind.FLAT_BONUS, amount=Decimal("999"))]
    )
    deal = approved_deal(partner, manager)
    deals.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("1000"))
    assert [line.amount for line in CommissionLine.objects.filter(deal=deal)] == [Decimal("999.00")]


def test_plans_apply_within_their_dates(partner, manager, gold):
    CommissionPlanFactory(
        tier=gold, rules=[dict(kind=Kind.FLAT_BONUS, amount=Decimal("1"))], starts_on=TODAY + timedelta(days=1)
    )
    deal = approved_deal(partner, manager)
    deals.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("1000"))
    assert not CommissionLine.objects.exists()


def test_brackets_count_earlier_wins_of_the_period(partner, manager, gold):
    CommissionPlanFactory(
        tier=gold,
        rules=[dict(kind=Kind.BRACKETS, brackets=[{"from": "0", "rate": "10"}, {"from": "100000", "rate": "12"}])],
    )
    first, second = approved_deal(partner, manager), approved_deal(partner, manager)
    deals.deal_close(deal=first, by=manager, outcome="won", amount=Decimal("80000"))
    deals.deal_close(deal=second, by=manager, outcome="won", amount=Decimal("50000"))
    assert [(line.base_amount, line.rate) for line in CommissionLine.objects.filter(deal=second).order_by("id")] == [
        (Decimal("20000.00"), Decimal("12")),
        (Decimal("30000.00"), Decimal("14")),
    ]


def test_lines_convert_to_the_payout_currency_with_the_rate_of_the_close_date(partner, manager, gold):
    CommissionPlanFactory(tier=gold, rules=[dict(kind=Kind.PERCENTAGE, rate=Decimal("10"))])
    PayoutDetails.objects.create(
        partner=partner, method="paypal", currency="EUR", account_holder="A", paypal_email="a@b.com"
    )
    ExchangeRateFactory(date=TODAY - timedelta(days=3), from_currency="USD", to_currency="EUR", rate="0.90")
    ExchangeRateFactory(date=TODAY - timedelta(days=1), from_currency="USD", to_currency="EUR", rate="0.92")
    ExchangeRateFactory(
        date=TODAY + timedelta(days=1), from_currency="USD", to_currency="EUR", rate="0.99"
    )  # not yet in force
    ExchangeRateFactory(date=TODAY - timedelta(days=1), from_currency="GBP", to_currency="USD", rate="1.25")
    deal = approved_deal(partner, manager, currency="GBP")
    deals.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("10000.00"))
    line = CommissionLine.objects.get(deal=deal)
    # 10,000 GBP = 12,500 USD; 12% = 1,500 USD; at 0.92 = 1,380 EUR
    assert (line.base_amount, line.original_amount, line.original_currency, line.fx_rate) == (
        Decimal("12500.00"),
        Decimal("1500.00"),
        "USD",
        Decimal("0.92"),
    )
    assert (line.amount, line.currency) == (Decimal("1380.00"), "EUR")
    assert "at 0.92 = 1,380.00 EUR" in line.explanation


def test_an_inverse_rate_serves_when_only_the_other_direction_is_entered(partner, manager, gold):
    CommissionPlanFactory(tier=gold, rules=[dict(kind=Kind.FLAT_BONUS, amount=Decimal("100"))])
    PayoutDetails.objects.create(
        partner=partner, method="paypal", currency="EUR", account_holder="A", paypal_email="a@b.com"
    )
    ExchangeRateFactory(date=TODAY, from_currency="EUR", to_currency="USD", rate="1.25")
    deal = approved_deal(partner, manager)
    deals.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("5"))
    assert CommissionLine.objects.get(deal=deal).amount == Decimal("80.00")


def test_a_missing_rate_undoes_the_close_and_says_what_finance_must_enter(manager_api, partner, manager, gold):
    CommissionPlanFactory(tier=gold, rules=[dict(kind=Kind.PERCENTAGE, rate=Decimal("10"))])
    deal = approved_deal(partner, manager, currency="JPY")
    response = manager_api.post(f"/api/v1/deals/{deal.pk}/close/", {"outcome": "won", "amount": "100000"})
    assert response.status_code == 400
    assert "No exchange rate from JPY to USD" in str(response.json())
    deal.refresh_from_db()
    assert deal.status == "approved"
    assert not CommissionLine.objects.exists()


def test_lines_are_never_changed_or_deleted(partner):
    line = CommissionLineFactory(partner=partner, amount="10.00")
    line.amount = Decimal("99")
    with pytest.raises(ValidationError):
        line.save()
    with pytest.raises(ValidationError):
        line.delete()
    assert CommissionLine.objects.get().amount == Decimal("10.00")


def test_the_database_refuses_to_change_lines_whatever_the_code(partner):
    from django.db import DatabaseError, connection, transaction

    line = CommissionLineFactory(partner=partner, amount="10.00")
    with pytest.raises(DatabaseError), transaction.atomic():
        CommissionLine.objects.filter(pk=line.pk).update(amount=Decimal("99"))
    if connection.vendor == "postgresql":  # SQLite keeps DELETE for the test runner's flush
        with pytest.raises(DatabaseError), transaction.atomic():
            CommissionLine.objects.filter(pk=line.pk).delete()
    assert CommissionLine.objects.get().amount == Decimal("10.00")


def test_lines_are_booked_in_date_order(partner):
    from django.db import DatabaseError, transaction

    CommissionLineFactory(partner=partner, amount="10.00", booked_on=TODAY - timedelta(days=3))
    with pytest.raises(DatabaseError), transaction.atomic():
        CommissionLineFactory(partner=partner, amount="5.00", booked_on=TODAY - timedelta(days=4))
    assert CommissionLine.objects.count() == 1


def test_an_adjustment_cannot_point_at_another_partners_deal_or_line(partner, rival):
    from ..factories import StaffUserFactory

    theirs = CommissionLineFactory(partner=rival, amount="10.00")
    with pytest.raises(ValidationError) as error:
        services.commission_adjust(
            partner=partner,
            amount=Decimal("-10"),
            currency="USD",
            explanation="x",
            by=StaffUserFactory(role="finance"),
            deal=DealFactory(partner=rival),
            corrects=theirs,
        )
    assert set(error.value.message_dict) == {"deal", "corrects"}


def test_managers_do_not_book_adjustments(partner, manager):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.commission_adjust(partner=partner, amount=Decimal("5"), currency="USD", explanation="x", by=manager)


def test_the_admin_adds_adjustments_but_never_edits_lines(client, partner):
    from ..factories import StaffUserFactory

    line = CommissionLineFactory(partner=partner, amount="10.00")
    client.force_login(StaffUserFactory(role="finance"))
    page = client.get(f"/admin/incentives/commissionline/{line.pk}/change/").content.decode()
    assert 'name="amount"' not in page
    response = client.post(
        "/admin/incentives/commissionline/add/",
        {
            "partner": partner.pk,
            "amount": "-25.50",
            "currency": "USD",
            "explanation": "Duplicate payment correction",
            "corrects": line.pk,
        },
    )
    assert response.status_code == 302
    adjustment = CommissionLine.objects.latest("id")
    assert (adjustment.kind, adjustment.amount, adjustment.corrects) == ("adjustment", Decimal("-25.50"), line)
    assert client.post(f"/admin/incentives/commissionline/{line.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize(
    ("amount", "currency", "explanation", "field"),
    [
        (Decimal("0"), "USD", "x", "amount"),
        (Decimal("1.005"), "USD", "x", "amount"),
        (Decimal("5"), "ABC", "x", "currency"),
        (Decimal("5"), "USD", " ", "explanation"),
    ],
)
def test_adjustments_are_validated(partner, amount, currency, explanation, field):
    from ..factories import StaffUserFactory

    with pytest.raises(ValidationError) as error:
        services.commission_adjust(
            partner=partner,
            amount=amount,
            currency=currency,
            explanation=explanation,
            by=StaffUserFactory(role="finance"),
        )
    assert field in error.value.message_dict
    assert not CommissionLine.objects.exists()


# --- Clawback ----------------------------------------------------------------------------------


@pytest.fixture
def won(partner, manager, gold):
    CommissionPlanFactory(
        tier=gold,
        rules=[dict(kind=Kind.PERCENTAGE, rate=Decimal("10")), dict(kind=Kind.FLAT_BONUS, amount=Decimal("100"))],
    )
    deal = approved_deal(partner, manager)
    return deals.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("1000"))


def test_reversing_a_win_writes_negative_lines_that_point_at_what_they_reverse(manager, won):
    deals.deal_reverse_win(deal=won, by=manager, reason="Customer refunded")
    lines = list(CommissionLine.objects.filter(deal=won).order_by("id"))
    assert [(line.kind, line.amount) for line in lines] == [
        ("accrual", Decimal("120.00")),
        ("accrual", Decimal("100.00")),
        ("clawback", Decimal("-120.00")),
        ("clawback", Decimal("-100.00")),
    ]
    assert lines[2].corrects == lines[0]
    assert "Customer refunded" in lines[2].explanation
    won.refresh_from_db()
    assert (won.status, won.reversal_reason) == ("lost", "Customer refunded")


def test_a_reversal_needs_a_reason_and_the_clawback_window(manager, won, settings):
    with pytest.raises(ValidationError):
        deals.deal_reverse_win(deal=won, by=manager, reason="")
    won.closed_on = TODAY - timedelta(days=settings.PRM_CLAWBACK_DAYS + 1)
    won.save()
    with pytest.raises(ValidationError, match="clawback window"):
        deals.deal_reverse_win(deal=won, by=manager, reason="Late refund")
    assert not CommissionLine.objects.filter(kind="clawback").exists()


def test_clawing_back_twice_changes_nothing(manager, won):
    services.commission_claw_back(deal=won, by=manager, reason="first")
    assert services.commission_claw_back(deal=won, by=manager, reason="again") == []
