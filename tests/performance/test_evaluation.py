"""The program evaluation against hand-computed figures: partner-sourced revenue, commissions paid,
other program costs, the returns on cost (None at zero cost), the active partner ratio from the
status history, the median time to a first deal; currencies with and without exchange rates; a
fixed number of queries; program costs entered through their service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incentives.models import PayoutRun, PayoutStatement
from partners.models import Partner, StatusChange
from performance.models import ProgramCost, quarter_end, quarter_label, quarter_start
from performance.selectors.evaluation import program_evaluation, rates_on
from performance.selectors.scorecards import exchange_rates
from performance.services.evaluation import program_cost_save
from prm.errors import RuleViolation

from ..factories import DealFactory, ExchangeRateFactory, PartnerFactory, StaffUserFactory
from .conftest import in_month, last_quarter, moment, previous

pytestmark = pytest.mark.django_db


def paid_run(partner, finance, *, paid_on, total, currency="USD", status="paid"):
    run = PayoutRun.objects.create(
        period_end=paid_on - timedelta(days=1),
        created_by=finance,
        status=status,
        open_slot=None,
        paid_at=moment(paid_on) if status == "paid" else None,
    )
    PayoutStatement.objects.create(
        run=run,
        partner=partner,
        currency=currency,
        total=Decimal(total),
        line_count=1,
        after_line_id=0,
        last_line_id=1,
    )
    return run


def history(partner, *changes):
    for from_status, to_status, day in changes:
        StatusChange.objects.create(
            partner=partner, from_status=from_status, to_status=to_status, changed_at=moment(day), reason="History"
        )


def made(name, *, status="active", created, activated=None):
    partner = PartnerFactory(name=name, status=status)
    Partner.objects.filter(pk=partner.pk).update(
        created_at=moment(created), activated_at=moment(activated) if activated else None
    )
    return Partner.objects.get(pk=partner.pk)


@pytest.fixture
def program(partner, rival, finance):
    """Two quarters, Q1 (the one before the last) and Q2 (the last), counted by hand.

    Revenue, partner-sourced won deals only:
      Q1: 40,000 USD + 10,000 EUR at 1.20 (rate of Q1's last day) = 52,000.00 USD
      Q2: 30,000 USD (final amount of a 25,000 deal) + 5,000 EUR at 1.10 = 35,500.00 USD
      a vendor-sourced deal of 99,000 USD (Q2), a lost one and an open one: not revenue
    Commissions paid (runs paid in the quarter): Q1 2,000 USD; Q2 1,500 USD + 1,000 EUR = 2,600.00
      an approved, unpaid run of 700 USD: not paid
    Other costs: Q1 3,000 USD (events) + 1,000 USD (tools) = 4,000; Q2 6,400 USD
    Program cost: Q1 6,000.00; Q2 9,000.00.  Totals: revenue 87,500.00, cost 15,000.00
    Return on cost: Q1 52,000 / 6,000 = 8.67; Q2 35,500 / 9,000 = 3.94; total 5.83
    Net return: Q1 766.7%; Q2 294.4%; total 483.3%
    """
    q2 = last_quarter()
    q1 = previous(q2)
    ExchangeRateFactory(date=quarter_end(q1), from_currency="EUR", to_currency="USD", rate=Decimal("1.20"))
    ExchangeRateFactory(date=quarter_end(q2), from_currency="EUR", to_currency="USD", rate=Decimal("1.10"))

    def won(amount, currency, closed_on, final=None, source="partner", owner=partner):
        return DealFactory(
            partner=owner,
            amount=Decimal(amount),
            currency=currency,
            status="won",
            closed_on=closed_on,
            final_amount=Decimal(final) if final else None,
            source=source,
        )

    won("40000", "USD", in_month(q1, 0, 15))
    won("10000", "EUR", quarter_end(q1))
    won("25000", "USD", in_month(q2, 1, 2), final="30000", owner=rival)
    won("5000", "EUR", in_month(q2, 2, 9))
    won("99000", "USD", in_month(q2, 2, 9), source="vendor")
    DealFactory(partner=partner, status="lost", closed_on=in_month(q2, 0, 3))
    DealFactory(partner=partner, amount=Decimal("77000"))

    paid_run(partner, finance, paid_on=in_month(q1, 1, 10), total="2000.00")
    paid_run(partner, finance, paid_on=in_month(q2, 0, 10), total="1500.00")
    paid_run(rival, finance, paid_on=in_month(q2, 2, 20), total="1000.00", currency="EUR")
    paid_run(rival, finance, paid_on=in_month(q2, 2, 21), total="700.00", status="approved")

    ProgramCost.objects.create(quarter=q1, category="events", description="Summit", amount=3000, currency="USD")
    ProgramCost.objects.create(quarter=q1, category="tools", description="PRM", amount=1000, currency="USD")
    ProgramCost.objects.create(quarter=q2, category="staff", description="Team", amount=6400, currency="USD")
    return q1, q2


@pytest.fixture
def partners_history():
    """Status over time, besides ``partner`` and ``rival`` (active, no history: counted as active):

    - Alpha: active since long before Q1, suspended in Q2 (month 2): active at Q1's end only
    - Beta: onboarding, activated in Q1 (month 1, day 10), first registration 12 days later;
      terminated in Q2: not counted at Q2's end
    - Gamma: created in Q1, activated in Q1 (month 2, day 5); first registration submitted during
      onboarding, before activation: 0 days
    - Delta: activated in Q2 (month 1, day 1), first registration 30 days later
    - Epsilon: activated in Q2, no registration yet (activated, no deal)
    - Zeta: created after Q2: in no count

    Q1 end: active = partner, rival, Alpha, Beta, Gamma = 5; not terminated = 5 (Delta and Epsilon
    were onboarding: +2) = 7 -> 71.4%. Activated in Q1: Beta (12), Gamma (0): median 6.0 days.
    Q2 end: active = partner, rival, Gamma, Delta, Epsilon = 5; not terminated = those + Alpha
    (suspended) = 6 -> 83.3%. Activated in Q2: Delta (30), Epsilon (none): median 30.0, 1 of 2 with a deal.
    Whole period: median of 12, 0, 30 = 12.0 days, 3 of 4 activated with a deal.
    """
    q2 = last_quarter()
    q1 = previous(q2)
    long_ago = q1 - timedelta(days=500)
    alpha = made("Alpha Ltd", status="suspended", created=long_ago, activated=long_ago)
    history(alpha, ("onboarding", "active", long_ago), ("active", "suspended", in_month(q2, 1, 1)))
    beta = made("Beta Ltd", status="terminated", created=long_ago, activated=in_month(q1, 0, 10))
    history(beta, ("onboarding", "active", in_month(q1, 0, 10)), ("active", "terminated", in_month(q2, 0, 20)))
    DealFactory(partner=beta, submitted_at=moment(in_month(q1, 0, 22), hour=16))
    gamma = made("Gamma Ltd", created=in_month(q1, 0, 2), activated=in_month(q1, 1, 5))
    history(gamma, ("onboarding", "active", in_month(q1, 1, 5)))
    DealFactory(partner=gamma, submitted_at=moment(in_month(q1, 1, 1)))
    delta = made("Delta Ltd", created=long_ago, activated=in_month(q2, 0, 1))
    history(delta, ("onboarding", "active", in_month(q2, 0, 1)))
    DealFactory(partner=delta, submitted_at=moment(in_month(q2, 0, 1) + timedelta(days=30)))
    DealFactory(partner=delta, submitted_at=moment(in_month(q2, 2, 1)))  # a later one does not count
    epsilon = made("Epsilon Ltd", created=long_ago, activated=in_month(q2, 1, 1))
    history(epsilon, ("onboarding", "active", in_month(q2, 1, 1)))
    made("Zeta Ltd", created=quarter_end(q2) + timedelta(days=1))


def test_revenue_costs_and_returns_per_quarter_and_in_total(program, partners_history, partner, rival):
    Partner.objects.filter(pk__in=[partner.pk, rival.pk]).update(created_at=moment(program[0] - timedelta(days=400)))
    q1, q2 = program
    evaluation = program_evaluation(start=q1, end=quarter_end(q2))
    first, second = evaluation.quarters
    total = evaluation.total
    assert (first.label, second.label, total.label) == (quarter_label(q1), quarter_label(q2), "Total")
    assert (evaluation.start, evaluation.end, evaluation.currency) == (q1, quarter_end(q2), "USD")

    assert first.revenue == {"USD": Decimal("40000.00"), "EUR": Decimal("10000.00")}
    assert (first.revenue_total, second.revenue_total, total.revenue_total) == (
        Decimal("52000.00"),
        Decimal("35500.00"),
        Decimal("87500.00"),
    )
    assert second.commissions_paid == {"USD": Decimal("1500.00"), "EUR": Decimal("1000.00")}
    assert (first.commissions_paid_total, second.commissions_paid_total) == (Decimal("2000.00"), Decimal("2600.00"))
    assert (first.other_costs_total, second.other_costs_total) == (Decimal("4000.00"), Decimal("6400.00"))
    assert (first.cost_total, second.cost_total, total.cost_total) == (
        Decimal("6000.00"),
        Decimal("9000.00"),
        Decimal("15000.00"),
    )
    assert (first.return_on_cost, second.return_on_cost, total.return_on_cost) == (
        Decimal("8.67"),
        Decimal("3.94"),
        Decimal("5.83"),
    )
    assert (first.net_return_percent, second.net_return_percent, total.net_return_percent) == (
        Decimal("766.7"),
        Decimal("294.4"),
        Decimal("483.3"),
    )
    assert first.missing_rates == second.missing_rates == total.missing_rates == []


def test_active_partner_ratio_and_time_to_first_deal_from_the_history(partners_history, partner, rival):
    q2 = last_quarter()
    q1 = previous(q2)
    Partner.objects.filter(pk__in=[partner.pk, rival.pk]).update(created_at=moment(q1 - timedelta(days=400)))
    first, second = program_evaluation(start=q1, end=quarter_end(q2)).quarters
    total = program_evaluation(start=q1, end=quarter_end(q2)).total
    assert (first.active_partners, first.partners, first.active_ratio) == (5, 7, Decimal("71.4"))
    assert (second.active_partners, second.partners, second.active_ratio) == (5, 6, Decimal("83.3"))
    assert (total.active_partners, total.partners, total.active_ratio) == (5, 6, Decimal("83.3"))
    assert (first.activated, first.activated_with_deal, first.median_days_to_first_deal) == (2, 2, Decimal("6.0"))
    assert (second.activated, second.activated_with_deal, second.median_days_to_first_deal) == (
        2,
        1,
        Decimal("30.0"),
    )
    assert (total.activated, total.activated_with_deal, total.median_days_to_first_deal) == (4, 3, Decimal("12.0"))


def test_zero_cost_gives_no_return_and_an_empty_quarter_gives_zeros(partner):
    q = last_quarter()
    DealFactory(partner=partner, status="won", amount=Decimal("1000"), closed_on=q)
    row = program_evaluation(start=q, end=q).quarters[0]
    assert (row.revenue_total, row.cost_total) == (Decimal("1000.00"), Decimal("0.00"))
    assert (row.return_on_cost, row.net_return_percent) == (None, None)
    empty = program_evaluation(start=previous(q), end=previous(q)).quarters[0]
    assert (empty.revenue_total, empty.cost_total, empty.return_on_cost, empty.median_days_to_first_deal) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
        None,
    )


def test_a_currency_without_a_rate_is_named_and_leaves_the_totals_unknown(partner, finance):
    q = last_quarter()
    DealFactory(partner=partner, status="won", amount=Decimal("1000"), currency="GBP", closed_on=q)
    DealFactory(partner=partner, status="won", amount=Decimal("500"), currency="USD", closed_on=q)
    ProgramCost.objects.create(quarter=q, category="events", description="Fair", amount=200, currency="CHF")
    paid_run(partner, finance, paid_on=q + timedelta(days=3), total="100.00")
    evaluation = program_evaluation(start=q, end=q)
    row = evaluation.quarters[0]
    assert row.revenue == {"GBP": Decimal("1000.00"), "USD": Decimal("500.00")}
    assert (row.revenue_total, row.commissions_paid_total, row.other_costs_total) == (None, Decimal("100.00"), None)
    assert (row.cost_total, row.return_on_cost, row.net_return_percent) == (None, None, None)
    assert row.missing_rates == ["CHF", "GBP"]
    assert evaluation.total.missing_rates == ["CHF", "GBP"] and evaluation.total.revenue_total is None


def test_an_inverse_rate_counts_when_there_is_no_direct_one(partner):
    q = last_quarter()
    ExchangeRateFactory(date=q, from_currency="USD", to_currency="EUR", rate=Decimal("0.8"))  # 1 EUR = 1.25 USD
    DealFactory(partner=partner, status="won", amount=Decimal("800"), currency="EUR", closed_on=q)
    assert program_evaluation(start=q, end=q).quarters[0].revenue_total == Decimal("1000.00")


def test_rates_for_many_days_in_one_query_agree_with_the_scorecards(db):
    q = last_quarter()
    days = [quarter_end(previous(previous(q))), quarter_end(previous(q)), quarter_end(q)]
    ExchangeRateFactory(date=days[0], from_currency="EUR", to_currency="USD", rate=Decimal("1.05"))
    ExchangeRateFactory(date=days[1] - timedelta(days=3), from_currency="EUR", to_currency="USD", rate=Decimal("1.1"))
    ExchangeRateFactory(date=days[1], from_currency="USD", to_currency="GBP", rate=Decimal("0.8"))
    ExchangeRateFactory(date=days[2], from_currency="USD", to_currency="EUR", rate=Decimal("0.5"))
    with CaptureQueriesContext(connection) as queries:
        many = rates_on(days)
    assert len(queries) == 1
    assert many == {day: exchange_rates(day) for day in days}


def test_quarters_after_the_current_one_are_left_out_and_the_current_one_is_read_today(partner):
    today = timezone.localdate()
    current = quarter_start(today)
    evaluation = program_evaluation(start=current, end=today + timedelta(days=400))
    assert [row.start for row in evaluation.quarters] == [current]
    assert evaluation.quarters[0].as_of == today


def test_the_evaluation_takes_a_fixed_number_of_queries_whatever_the_data(program, partners_history, finance):
    q1, q2 = program

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            program_evaluation(start=q1, end=quarter_end(q2))
        return len(queries)

    before = count()
    assert before <= 6
    for i in range(15):
        partner = made(f"More {i} Ltd", created=q1 - timedelta(days=10), activated=in_month(q2, 0, 2))
        history(partner, ("onboarding", "active", in_month(q2, 0, 2)))
        DealFactory(partner=partner, status="won", closed_on=in_month(q1, 1, 1), currency="EUR")
        DealFactory(partner=partner, submitted_at=moment(in_month(q2, 1, 1)))
        paid_run(partner, finance, paid_on=in_month(q2, 1, 5), total="10.00")
        ProgramCost.objects.create(quarter=q2, category="other", description=f"Cost {i}", amount=1, currency="USD")
    assert count() == before


# --- program costs, through their service ------------------------------------------------------


def cost_data(**changes):
    return {
        "quarter": last_quarter(),
        "category": "events",
        "description": "Partner summit Berlin: venue and travel",
        "amount": "12500.00",
        "currency": "eur",
        **changes,
    }


@pytest.mark.parametrize("role", ["manager", "finance", "admin"])
def test_managers_finance_and_admins_enter_program_costs(role):
    user = StaffUserFactory(role=role, is_superuser=role == "admin")
    cost = program_cost_save(by=user, data=cost_data())
    assert (cost.amount, cost.currency, cost.entered_by, cost.quarter) == (
        Decimal("12500.00"),
        "EUR",
        user,
        last_quarter(),
    )
    corrected = program_cost_save(by=user, data=cost_data(amount="12000"), cost=cost)
    assert corrected.pk == cost.pk and corrected.amount == Decimal("12000.00")
    assert ProgramCost.objects.count() == 1 and cost.history.count() == 2


def test_partners_enter_no_program_costs(partner_admin):
    with pytest.raises(PermissionDenied):
        program_cost_save(by=partner_admin, data=cost_data())
    assert not ProgramCost.objects.exists()


def test_bad_costs_are_refused_naming_every_field(manager):
    data = cost_data(
        quarter=last_quarter() + timedelta(days=1),
        category="lunch",
        description="Summit\u202e",
        amount="-5",
        currency="XYZ",
    )
    with pytest.raises(RuleViolation) as refused:
        program_cost_save(by=manager, data=data)
    assert sorted(refused.value.message_dict) == ["amount", "category", "currency", "description", "quarter"]
    assert not ProgramCost.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "1.005"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"description": ""}, "description"),
        ({"description": "d" * 201}, "description"),
        ({"quarter": quarter_start(timezone.localdate() + timedelta(days=100))}, "quarter"),
    ],
)
def test_each_rule_of_a_cost_names_its_field(manager, changes, field):
    with pytest.raises(RuleViolation) as refused:
        program_cost_save(by=manager, data=cost_data(**changes))
    assert list(refused.value.message_dict) == [field]
