"""Writes of the program evaluation: the costs of the partner program other than commissions
(events, staff, tools, funds paid outside the ledger), entered per quarter by managers and finance.
The evaluation itself is read by ``selectors.evaluation``."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from partners.models import User
from prm.errors import RuleViolation
from prm.locks import lock_one
from prm.money import is_currency
from prm.roles import Role, require_role
from prm.text import check_text

from ..models import MONEY, ProgramCost
from .qbr import check_quarter

COST_ROLES = (Role.MANAGER, Role.FINANCE, Role.ADMIN)
DESCRIPTION_MAX = ProgramCost._meta.get_field("description").max_length
AMOUNT_MAX = Decimal(10) ** (MONEY["max_digits"] - MONEY["decimal_places"])


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value).strip()) if value not in (None, "") else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise RuleViolation({"amount": "Give the amount as a number, such as 12500.00."})
    if amount < 0:
        raise RuleViolation({"amount": "A cost is zero or more; enter savings as a smaller cost of the quarter."})
    if amount != amount.quantize(Decimal("0.01")) or amount >= AMOUNT_MAX:
        raise RuleViolation({"amount": "Give at most two decimals and less than a trillion."})
    return amount


@transaction.atomic
def program_cost_save(*, by: User, data: dict, cost: ProgramCost | None = None) -> ProgramCost:
    """Managers and finance enter (or correct) a cost of the program for a quarter that has started:
    its category, a one-line description, an amount of zero or more with two decimals and its
    currency. The program evaluation counts it in its quarter, converted at that quarter's rates."""
    require_role(by, *COST_ROLES, action="enter program costs")
    errors = {}
    try:
        quarter = check_quarter(data.get("quarter"), what="enter its costs")
    except RuleViolation as error:
        errors.update(error.message_dict)
    category = data.get("category") or ""
    if category not in ProgramCost.Category.values:
        errors["category"] = [f"Choose one of: {', '.join(ProgramCost.Category.labels)}."]
    description = " ".join(str(data.get("description") or "").split())
    if not description:
        errors["description"] = ["Say what the cost is, such as “Partner summit, venue and travel”."]
    else:
        try:
            check_text(field="description", value=description, limit=DESCRIPTION_MAX, multiline=False)
        except RuleViolation as error:
            errors.update(error.message_dict)
    try:
        amount = _amount(data.get("amount"))
    except RuleViolation as error:
        errors.update(error.message_dict)
    currency = str(data.get("currency") or "").strip().upper()
    if not is_currency(currency):
        errors["currency"] = ["Give an ISO 4217 currency code, such as USD or EUR."]
    if errors:
        raise RuleViolation(errors)

    if cost is None or cost.pk is None:
        cost = ProgramCost(entered_by=by, entered_at=timezone.now())
    else:
        cost = lock_one(ProgramCost.objects.all(), cost.pk, message="Someone is changing this cost right now.")
    cost.quarter = quarter
    cost.category, cost.description, cost.amount, cost.currency = category, description, amount, currency
    cost._history_user = by
    cost.save()
    return cost
