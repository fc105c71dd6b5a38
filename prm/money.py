"""Money: Decimal with two places, rounded half away from zero in exactly one place."""

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

CENT = Decimal("0.01")


def round_money(value: Decimal | int | str) -> Decimal:
    """Round to cents, half away from zero (as PostgreSQL's round(numeric) does). Never a float."""
    if isinstance(value, float):
        raise TypeError("Money is never a float: pass a Decimal, an int or a string.")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value: Decimal, currency: str) -> str:
    """``Decimal("48000") , "USD"`` -> ``"48,000.00 USD"``."""
    return f"{round_money(value):,.2f} {currency}"


def currency_choices() -> list[tuple[str, str]]:
    """ISO 4217 currencies (from pycountry's bundled data), for forms and validation."""
    return _currencies()


@lru_cache(maxsize=1)
def _currencies() -> list[tuple[str, str]]:
    import pycountry

    return sorted((c.alpha_3, f"{c.alpha_3} · {c.name}") for c in pycountry.currencies)


def is_currency(code: str) -> bool:
    return code in _currency_codes()


@lru_cache(maxsize=1)
def _currency_codes() -> frozenset[str]:
    return frozenset(alpha for alpha, _ in _currencies())


def validate_currency(value: str) -> None:
    """Model and form validator: an ISO 4217 currency code (the apps' money fields share it)."""
    from django.core.exceptions import ValidationError

    if not is_currency(value):
        raise ValidationError("Enter an ISO 4217 currency code, e.g. USD or EUR.")
