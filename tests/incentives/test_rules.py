"""Every rule kind and their combination: bracket boundaries, cap, SPIF window, accelerator,
uplift, rounding (half away from zero, per line)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from incentives.models import CommissionPlan, CommissionRule
from incentives.rules import accruals_for_win, period_bounds

from ..factories import CommissionPlanFactory, TierFactory

Kind = CommissionRule.Kind
pytestmark = pytest.mark.django_db


def plan_with(*rules, currency="USD", period="year"):
    return CommissionPlanFactory(
        name="Gold 2026",
        tier=TierFactory(name="Gold", rank=3),
        currency=currency,
        period=period,
        starts_on=date(2026, 1, 1),
        rules=list(rules),
    )


def win(
    plan,
    base,
    *,
    before=Decimal("0"),
    commission_before=Decimal("0"),
    uplift=Decimal("0"),
    products=(),
    closed_on=date(2026, 6, 1),
):
    return accruals_for_win(
        plan=plan,
        base=Decimal(base),
        closed_on=closed_on,
        products=list(products),
        revenue_before=Decimal(before),
        commission_before=Decimal(commission_before),
        uplift=Decimal(uplift),
        tier_name="Gold",
    )


def amounts(lines):
    return [str(line.amount) for line in lines]


def test_percentage_with_the_tiers_uplift_and_a_readable_explanation():
    lines = win(plan_with(dict(kind=Kind.PERCENTAGE, rate=Decimal("10"))), "48000.00", uplift="2")
    assert amounts(lines) == ["5760.00"]
    assert lines[0].rate == Decimal("12")
    assert lines[0].explanation == "12% (10% + 2% Gold uplift) of 48,000.00 USD under Gold 2026 plan"


@pytest.mark.parametrize(
    ("base", "rate", "expected"),
    [
        ("0.05", "10", "0.01"),
        ("0.15", "10", "0.02"),
        ("33.33", "1.5", "0.50"),
        ("10.05", "5", "0.50"),
        ("1.10", "5", "0.06"),
    ],
)
def test_each_line_rounds_half_up(base, rate, expected):
    assert amounts(win(plan_with(dict(kind=Kind.PERCENTAGE, rate=Decimal(rate))), base)) == [expected]


BRACKETS = dict(
    kind=Kind.BRACKETS,
    brackets=[{"from": "0", "rate": "10"}, {"from": "100000", "rate": "12"}, {"from": "250000", "rate": "15"}],
)


@pytest.mark.parametrize(
    ("before", "base", "expected", "bases"),
    [
        ("0", "50000", ["5000.00"], ["50000"]),
        ("0", "100000", ["10000.00"], ["100000"]),  # exactly at the threshold: all in the first bracket
        ("100000", "1", ["0.12"], ["1"]),  # the first unit above it
        ("80000", "50000", ["2000.00", "3600.00"], ["20000", "30000"]),  # straddles one threshold
        ("90000", "200000", ["1000.00", "18000.00", "6000.00"], ["10000", "150000", "40000"]),  # straddles two
        ("300000", "10000", ["1500.00"], ["10000"]),
    ],
)
def test_brackets_are_progressive_on_revenue_in_the_period(before, base, expected, bases):
    lines = win(plan_with(BRACKETS), base, before=before)
    assert amounts(lines) == expected
    assert [line.base for line in lines] == [Decimal(b) for b in bases]


def test_bracket_explanation_names_the_bracket_and_uplift_applies_to_each():
    lines = win(plan_with(BRACKETS), "50000", before="80000", uplift="2")
    assert [line.rate for line in lines] == [Decimal("12"), Decimal("14")]
    assert (
        lines[1].explanation == "14% (12% + 2% Gold uplift) of 30,000.00 USD (Gold 2026 plan, bracket above 100,000.00)"
    )


def test_flat_bonus_per_won_deal():
    lines = win(plan_with(dict(kind=Kind.FLAT_BONUS, amount=Decimal("250.00"))), "10")
    assert amounts(lines) == ["250.00"]
    assert lines[0].rate is None


SPIF = dict(
    kind=Kind.SPIF,
    product="Security Add-on",
    amount=Decimal("500.00"),
    starts_on=date(2026, 3, 1),
    ends_on=date(2026, 3, 31),
)


@pytest.mark.parametrize(
    ("closed_on", "products", "earned"),
    [
        (date(2026, 3, 1), ["security add-on"], True),
        (date(2026, 3, 31), ["Cloud", "Security Add-on"], True),
        (date(2026, 2, 28), ["Security Add-on"], False),
        (date(2026, 4, 1), ["Security Add-on"], False),
        (date(2026, 3, 15), ["Cloud"], False),
    ],
)
def test_spif_pays_inside_its_window_for_its_product(closed_on, products, earned):
    lines = win(plan_with(SPIF), "1000", products=products, closed_on=closed_on)
    assert amounts(lines) == (["500.00"] if earned else [])


def test_spif_can_be_a_rate():
    spif = {**SPIF, "amount": None, "rate": Decimal("3")}
    assert amounts(win(plan_with(spif), "1000", products=["Security Add-on"], closed_on=date(2026, 3, 2))) == ["30.00"]


ACCELERATOR = dict(kind=Kind.ACCELERATOR, rate=Decimal("2"), target=Decimal("500000"))


@pytest.mark.parametrize(
    ("before", "base", "expected"),
    [("0", "100000", []), ("450000", "50000", []), ("450000", "100000", ["1000.00"]), ("600000", "10000", ["200.00"])],
)
def test_accelerator_pays_extra_on_revenue_above_the_target(before, base, expected):
    assert amounts(win(plan_with(ACCELERATOR), base, before=before)) == expected


CAP = dict(kind=Kind.CAP, amount=Decimal("10000.00"))


@pytest.mark.parametrize(
    ("commission_before", "expected"),
    [
        ("0", ["6000.00"]),
        ("4000.00", ["6000.00"]),
        ("5000.00", ["6000.00", "-1000.00"]),
        ("12000.00", ["6000.00", "-6000.00"]),
    ],
)
def test_cap_takes_off_what_passes_it_with_an_adjustment_line(commission_before, expected):
    lines = win(
        plan_with(dict(kind=Kind.PERCENTAGE, rate=Decimal("10")), CAP), "60000", commission_before=commission_before
    )
    assert amounts(lines) == expected
    if len(lines) == 2:
        assert lines[1].kind == "adjustment"
        assert lines[1].explanation == "Cap of 10,000.00 USD per calendar year reached (Gold 2026 plan)"


def test_every_kind_combined():
    plan = plan_with(
        BRACKETS,
        dict(kind=Kind.FLAT_BONUS, amount=Decimal("100")),
        SPIF,
        ACCELERATOR,
        dict(kind=Kind.CAP, amount=Decimal("30000")),
    )
    lines = win(
        plan,
        "100000",
        before="450000",
        commission_before="10000",
        uplift="1",
        products=["Security Add-on"],
        closed_on=date(2026, 3, 10),
    )
    # brackets: 16% of 100,000 (15% + 1% uplift) = 16,000; flat 100; SPIF 500; accelerator 2% of 50,000 = 1,000;
    # earned 17,600 but only 20,000 - 10,000 = ... cap room is 30,000 - 10,000 = 20,000: no cut.
    assert amounts(lines) == ["16000.00", "100.00", "500.00", "1000.00"]
    capped = win(
        plan,
        "100000",
        before="450000",
        commission_before="20000",
        uplift="1",
        products=["Security Add-on"],
        closed_on=date(2026, 3, 10),
    )
    assert amounts(capped)[-1] == "-7600.00"
    assert sum(line.amount for line in capped) == Decimal("10000.00")


def test_quarter_and_year_periods():
    plan = plan_with(dict(kind=Kind.PERCENTAGE, rate=Decimal("1")), period="quarter")
    assert period_bounds(plan, date(2026, 5, 17)) == (date(2026, 4, 1), date(2026, 6, 30))
    assert period_bounds(plan, date(2026, 11, 2)) == (date(2026, 10, 1), date(2026, 12, 31))
    plan.period = "year"
    assert period_bounds(plan, date(2026, 5, 17)) == (date(2026, 1, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        (dict(kind=Kind.PERCENTAGE), "rate"),
        (dict(kind=Kind.FLAT_BONUS, amount=Decimal("0")), "amount"),
        (dict(kind=Kind.CAP), "amount"),
        (dict(kind=Kind.ACCELERATOR, rate=Decimal("2")), "target"),
        (dict(kind=Kind.SPIF, amount=Decimal("5"), starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 2)), "product"),
        (
            dict(
                kind=Kind.SPIF, product="X", amount=Decimal("5"), starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 2)
            ),
            "ends_on",
        ),
        (dict(kind=Kind.SPIF, product="X", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 2)), "amount"),
        (dict(kind=Kind.BRACKETS, brackets=[{"from": "100", "rate": "5"}]), "brackets"),
        (dict(kind=Kind.BRACKETS, brackets=[{"from": "0", "rate": "x"}]), "brackets"),
        (dict(kind=Kind.BRACKETS, brackets=[]), "brackets"),
    ],
)
def test_a_rule_without_its_parameters_names_the_field(rule, field):
    with pytest.raises(ValidationError) as error:
        CommissionRule(plan=CommissionPlan(currency="USD"), **rule).clean()
    assert field in error.value.message_dict
