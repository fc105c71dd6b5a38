"""Money: Decimal with two places, rounded half away from zero in exactly one place."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_money(value: Decimal | int | str) -> Decimal:
    """Round to cents, half away from zero (as PostgreSQL's round(numeric) does). Never a float."""
    if isinstance(value, float):
        raise TypeError("Money is never a float: pass a Decimal, an int or a string.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal, currency: str) -> str:
    """``Decimal("48000") , "USD"`` -> ``"48,000.00 USD"``."""
    return f"{round_money(value):,.2f} {currency}"
