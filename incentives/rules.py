"""How each kind of commission rule turns a won deal into ledger lines (DESIGN.md, Commissions).

All amounts are in the plan's currency here; the service converts them to the partner's payout
currency. Every amount is rounded once, per line, half away from zero (prm.money).

- percentage: rate (+ the tier's uplift) of the deal amount
- brackets: progressive, like tax brackets, on the partner's won revenue in the plan period;
  a deal that straddles a threshold earns each bracket's rate (+ uplift) on its part
- flat_bonus: a fixed amount per won deal
- spif: for a deal closed inside the window that includes the product: a fixed amount, or a rate
- accelerator: an extra rate on the part of the revenue above the period's target
- cap: total commission of the plan in the period never exceeds the amount (an adjustment line
  takes off what would pass it)
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError

from prm.money import format_money, round_money

from .models import CommissionPlan, CommissionRule

Kind = CommissionRule.Kind
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Accrual:
    rule: CommissionRule
    kind: str  # accrual or adjustment
    base: Decimal | None
    rate: Decimal | None
    amount: Decimal
    explanation: str


def period_bounds(plan: CommissionPlan, day: date) -> tuple[date, date]:
    """The plan period (quarter or calendar year) that contains ``day``."""
    if plan.period == CommissionPlan.Period.QUARTER:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        end = date(day.year + (first_month == 10), (first_month + 3 - 1) % 12 + 1, 1)
        return start, end - timedelta(days=1)
    return date(day.year, 1, 1), date(day.year, 12, 31)


def _pct(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def _rate_label(rate: Decimal, uplift: Decimal, tier_name: str | None) -> str:
    if uplift:
        return f"{_pct(rate + uplift)} ({_pct(rate)} + {_pct(uplift)} {tier_name} uplift)"
    return _pct(rate)


def _brackets(rule: CommissionRule) -> list[tuple[Decimal, Decimal]]:
    return sorted((Decimal(str(b["from"])), Decimal(str(b["rate"]))) for b in rule.brackets)


def accruals_for_win(
    *,
    plan: CommissionPlan,
    base: Decimal,
    closed_on: date,
    products: list[str],
    revenue_before: Decimal,
    commission_before: Decimal,
    uplift: Decimal,
    tier_name: str | None,
) -> list[Accrual]:
    """The lines a won deal of ``base`` (plan currency) earns under ``plan``.

    ``revenue_before`` and ``commission_before`` are the partner's won revenue and commission
    under this plan earlier in the same period.
    """
    cur = plan.currency
    label = f"{plan} plan"
    lines: list[Accrual] = []
    rules = list(plan.rules.all())
    for rule in rules:
        if rule.kind == Kind.PERCENTAGE:
            rate = rule.rate + uplift
            lines.append(
                Accrual(
                    rule,
                    "accrual",
                    base,
                    rate,
                    round_money(base * rate / HUNDRED),
                    f"{_rate_label(rule.rate, uplift, tier_name)} of {format_money(base, cur)} under {label}",
                )
            )
        elif rule.kind == Kind.BRACKETS:
            brackets = _brackets(rule)
            start, end = revenue_before, revenue_before + base
            for i, (low, bracket_rate) in enumerate(brackets):
                high = brackets[i + 1][0] if i + 1 < len(brackets) else None
                part_low = max(start, low)
                part_high = end if high is None else min(end, high)
                if part_high <= part_low:
                    continue
                part = part_high - part_low
                rate = bracket_rate + uplift
                where = (
                    f"bracket above {format_money(low, cur).rsplit(' ', 1)[0]}"
                    if low
                    else (
                        f"bracket up to {format_money(high, cur).rsplit(' ', 1)[0]}"
                        if high is not None
                        else "single bracket"
                    )
                )
                lines.append(
                    Accrual(
                        rule,
                        "accrual",
                        part,
                        rate,
                        round_money(part * rate / HUNDRED),
                        f"{_rate_label(bracket_rate, uplift, tier_name)} of {format_money(part, cur)} ({label}, "
                        f"{where})",
                    )
                )
        elif rule.kind == Kind.FLAT_BONUS:
            lines.append(
                Accrual(
                    rule,
                    "accrual",
                    None,
                    None,
                    round_money(rule.amount),
                    f"Flat bonus of {format_money(rule.amount, cur)} per won deal under {label}",
                )
            )
        elif rule.kind == Kind.SPIF:
            in_window = rule.starts_on <= closed_on <= rule.ends_on
            wanted = rule.product.strip().lower()
            if in_window and any(p.strip().lower() == wanted for p in products):
                window = f"{rule.starts_on:%d %b %Y} to {rule.ends_on:%d %b %Y}"
                if rule.amount:
                    lines.append(
                        Accrual(
                            rule,
                            "accrual",
                            None,
                            None,
                            round_money(rule.amount),
                            f"SPIF bonus of {format_money(rule.amount, cur)} for {rule.product}, {window} ({label})",
                        )
                    )
                else:
                    lines.append(
                        Accrual(
                            rule,
                            "accrual",
                            base,
                            rule.rate,
                            round_money(base * rule.rate / HUNDRED),
                            f"SPIF {_pct(rule.rate)} of {format_money(base, cur)} for {rule.product}, {window} "
                            f"({label})",
                        )
                    )
        elif rule.kind == Kind.ACCELERATOR:
            above = revenue_before + base - max(rule.target, revenue_before)
            if above > 0:
                part = min(above, base)
                lines.append(
                    Accrual(
                        rule,
                        "accrual",
                        part,
                        rule.rate,
                        round_money(part * rule.rate / HUNDRED),
                        f"Accelerator: extra {_pct(rule.rate)} of {format_money(part, cur)} above the "
                        f"{format_money(rule.target, cur)} target ({label})",
                    )
                )
    for rule in rules:
        if rule.kind == Kind.CAP:
            earned = sum((line.amount for line in lines), Decimal("0"))
            room = max(rule.amount - commission_before, Decimal("0"))
            if earned > room:
                lines.append(
                    Accrual(
                        rule,
                        "adjustment",
                        None,
                        None,
                        round_money(room - earned),
                        f"Cap of {format_money(rule.amount, cur)} per {plan.get_period_display().lower()} reached "
                        f"({label})",
                    )
                )
    return lines


def validate_rule(rule: CommissionRule) -> None:
    """Each kind needs its parameters; every error names its field."""
    errors = {}
    kind = rule.kind
    if kind in (Kind.PERCENTAGE, Kind.ACCELERATOR) and (rule.rate is None or rule.rate <= 0):
        errors["rate"] = "Give the rate in percent, above 0."
    if kind in (Kind.FLAT_BONUS, Kind.CAP) and (rule.amount is None or rule.amount <= 0):
        errors["amount"] = "Give the amount in the plan currency, above 0."
    if kind == Kind.ACCELERATOR and (rule.target is None or rule.target <= 0):
        errors["target"] = "Give the revenue target above which the accelerator applies."
    if kind == Kind.SPIF:
        if not rule.product.strip():
            errors["product"] = "Name the product the SPIF is for."
        if not rule.starts_on or not rule.ends_on or rule.ends_on < rule.starts_on:
            errors["ends_on"] = "Give the SPIF window: a start and an end on or after it."
        if bool(rule.amount) == bool(rule.rate):
            errors["amount"] = "Give either a bonus amount or a rate."
    if kind == Kind.BRACKETS:
        try:
            brackets = _brackets(rule)
        except (KeyError, TypeError, ArithmeticError, ValueError):
            brackets = None
        if (
            not brackets
            or brackets[0][0] != 0
            or len({b[0] for b in brackets}) != len(brackets)
            or any(r < 0 for _, r in brackets)
        ):
            errors["brackets"] = (
                'List brackets as [{"from": "0", "rate": "10"}, ...]: the first from 0, each "from" once, rates not '
                "negative."
            )
    if errors:
        raise ValidationError(errors)
