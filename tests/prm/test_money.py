from decimal import Decimal

import pytest

from prm.money import format_money, round_money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("2.675", "2.68"),  # a float would give 2.67
        ("-0.005", "-0.01"),  # half away from zero, as PostgreSQL's round(numeric)
        ("1.004", "1.00"),
        (7, "7.00"),
    ],
)
def test_round_money_rounds_half_away_from_zero(value, expected):
    assert round_money(value) == Decimal(expected)


def test_round_money_refuses_floats():
    with pytest.raises(TypeError):
        round_money(2.675)


def test_format_money():
    assert format_money(Decimal("48000"), "USD") == "48,000.00 USD"
    assert format_money(Decimal("-1234.565"), "EUR") == "-1,234.57 EUR"
