"""Every figure of ``performance.selectors.scorecards`` against data computed by hand.

The period is the second quarter of 2025 (1 April to 30 June, both included; long over, so
point-in-time figures are read on 30 June). Rows sit on the period's first and last days, the
day before and the day after; datetimes sit on the edges of local days. The program currency is
USD; finance's rates convert EUR (and leave GBP without a rate).
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incentives.models import ExchangeRate
from performance.models import Target
from performance.selectors.scorecards import (
    exchange_rates,
    money_list,
    program_total,
    scorecard,
    scorecards,
)

from ..factories import PartnerFactory, PartnerUserFactory
from .builders import at, case, certification, commission, deal, download, nps_answer, paid_statement

pytestmark = pytest.mark.django_db

START, END = date(2025, 4, 1), date(2025, 6, 30)
BEFORE, AFTER = date(2025, 3, 31), date(2025, 7, 1)


@pytest.fixture(autouse=True)
def _usd(settings):
    settings.PRM_PROGRAM_CURRENCY = "USD"
    settings.TIME_ZONE = "UTC"


def rate(from_currency: str, to_currency: str, value: str, day: date) -> ExchangeRate:
    return ExchangeRate.objects.create(
        date=day, from_currency=from_currency, to_currency=to_currency, rate=Decimal(value)
    )


def d(value: str) -> Decimal:
    return Decimal(value)


# --- Deals: won revenue, pipeline, registrations, won deals, win rate, sizes and times ----------


@pytest.fixture
def deals(partner, rival):
    """The partner's registrations, each with the figures it adds (or why it adds none)."""
    made = {
        # Won on the period's first day; submitted 12 days before; approved before the period.
        "won_first_day": deal(
            partner,
            "won",
            amount="10000.00",
            final_amount=d("12000.00"),
            submitted=at(date(2025, 3, 20), 10),
            approved_at=at(date(2025, 3, 21), 10),
            closed_on=START,
        ),
        # Won on the last day, at its registered amount (no final amount): 29 days; approved 12 h after.
        "won_last_day": deal(
            partner,
            "won",
            amount="8000.00",
            submitted=at(date(2025, 6, 1), 12),
            approved_at=at(date(2025, 6, 2), 0),
            closed_on=END,
        ),
        # Won in euros: 30 days to close, approved 60 hours after submission.
        "won_eur": deal(
            partner,
            "won",
            amount="18000.00",
            final_amount=d("20000.00"),
            currency="EUR",
            submitted=at(date(2025, 4, 10), 9),
            approved_at=at(date(2025, 4, 12), 21),
            closed_on=date(2025, 5, 10),
        ),
        # Won the day after and the day before: neither counts as won; the first was registered in the period.
        "won_day_after": deal(partner, "won", amount="5000.00", submitted=at(date(2025, 6, 15)), closed_on=AFTER),
        "won_day_before": deal(partner, "won", amount="6000.00", submitted=at(date(2025, 3, 1)), closed_on=BEFORE),
        "lost_in_period": deal(partner, "lost", submitted=at(date(2025, 4, 15)), closed_on=date(2025, 5, 15)),
        "lost_day_after": deal(partner, "lost", submitted=at(date(2025, 3, 2)), closed_on=AFTER),
        # Still open: in the pipeline (submitted before the period ended) and registered in it.
        "open_usd": deal(partner, "submitted", amount="7000.00", submitted=at(date(2025, 5, 1))),
        "open_eur": deal(
            partner,
            "approved",
            amount="3000.00",
            currency="EUR",
            submitted=at(date(2025, 6, 20), 10),
            approved_at=at(date(2025, 6, 21), 10),
        ),
        # Submitted after the period: neither pipeline nor registration of this period.
        "open_later": deal(partner, "submitted", amount="4000.00", submitted=at(date(2025, 7, 2))),
        "draft": deal(partner, "draft", amount="99000.00", submitted=None),
        "rejected": deal(partner, "rejected", amount="1000.00", submitted=at(date(2025, 5, 5))),
        # Another partner's win in the period.
        "rival_won": deal(rival, "won", amount="1000.00", submitted=at(date(2025, 4, 2)), closed_on=date(2025, 4, 3)),
    }
    rate("EUR", "USD", "1.10", date(2025, 6, 15))
    rate("EUR", "USD", "1.50", AFTER)  # after the period's last day: not used
    return made


def test_deal_figures_are_computed_per_period_and_currency(partner, deals):
    card = scorecard(partner=partner, start=START, end=END)

    assert card.won_revenue == {"USD": d("20000.00"), "EUR": d("20000.00")}
    assert card.won_deals == 3
    assert card.lost_deals == 1
    assert card.win_rate == d("75.0")  # 3 of 4 closed
    assert card.avg_deal_size == {"USD": d("10000.00"), "EUR": d("20000.00")}
    assert card.avg_days_to_close == d("23.7")  # (12 + 29 + 30) / 3
    assert card.avg_approval_hours == d("32.0")  # (12 + 60 + 24) / 3, approved in the period
    # Registrations submitted in the period, whatever became of them.
    assert card.registrations == 7  # won_last_day, won_eur, won_day_after, lost, open_usd, open_eur, rejected
    assert card.pipeline == {"USD": d("7000.00"), "EUR": d("3000.00")}
    # 20,000 USD + 20,000 EUR at 1.10 (the rate of 15 June; the one of 1 July is after the period).
    assert (card.won_revenue_total, card.missing_rates) == (d("42000.00"), [])
    assert card.program_currency == "USD"


def test_money_is_listed_per_currency_for_the_api(partner, deals):
    card = scorecard(partner=partner, start=START, end=END)
    assert money_list(card.won_revenue) == [
        {"currency": "EUR", "amount": "20000.00"},
        {"currency": "USD", "amount": "20000.00"},
    ]
    assert money_list({}) == []


def test_a_one_day_period_holds_what_closed_that_day(partner, deals):
    assert scorecard(partner=partner, start=START, end=START).won_revenue == {"USD": d("12000.00")}
    assert scorecard(partner=partner, start=END, end=END).won_revenue == {"USD": d("8000.00")}
    assert scorecard(partner=partner, start=AFTER, end=AFTER).won_revenue == {"USD": d("5000.00")}
    day_before = scorecard(partner=partner, start=BEFORE, end=BEFORE)
    assert (day_before.won_revenue, day_before.won_deals) == ({"USD": d("6000.00")}, 1)


def test_the_other_partner_has_only_its_own_deal(rival, deals):
    card = scorecard(partner=rival, start=START, end=END)
    assert (card.won_revenue, card.won_deals, card.registrations, card.pipeline) == ({"USD": d("1000.00")}, 1, 1, {})
    assert (card.win_rate, card.avg_days_to_close) == (d("100.0"), d("1.0"))


def test_a_partner_without_any_activity_has_a_scorecard_of_zeros(partner, deals):
    empty = PartnerFactory(name="Initech")
    card = scorecards(start=START, end=END, partner_ids=[empty.pk])[empty.pk]
    assert card.won_revenue == card.pipeline == card.avg_deal_size == {}
    assert card.commission_earned == card.commission_paid == {}
    assert (card.registrations, card.won_deals, card.lost_deals) == (0, 0, 0)
    assert (card.certified_users, card.course_completions, card.content_downloads) == (0, 0, 0)
    assert (card.open_cases, card.open_disputes, card.nps_responses) == (0, 0, 0)
    assert card.win_rate is card.avg_days_to_close is card.avg_approval_hours is card.nps is None
    assert (card.won_revenue_total, card.missing_rates) == (d("0.00"), [])
    assert not card.target.is_set()
    assert card.attainment == {"won_revenue": None, "new_deals": None, "certified_users": None}


def test_only_the_partners_asked_for_are_in_the_answer(partner, rival, deals):
    outsider = PartnerFactory(name="Umbrella")
    deal(outsider, "won", amount="50000.00", submitted=at(date(2025, 4, 2)), closed_on=date(2025, 4, 3))
    cards = scorecards(start=START, end=END, partner_ids=[partner.pk, rival.pk])
    assert set(cards) == {partner.pk, rival.pk}
    assert cards[rival.pk].won_revenue == {"USD": d("1000.00")}
    every = scorecards(start=START, end=END)
    assert set(every) == {partner.pk, rival.pk, outsider.pk}
    assert every[outsider.pk].won_revenue == {"USD": d("50000.00")}
    assert every[partner.pk].won_revenue == cards[partner.pk].won_revenue


def test_a_period_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        scorecards(start=END, end=START)


# --- Local days -------------------------------------------------------------------------------


def test_datetimes_count_on_the_local_day_they_happened(settings, partner):
    """In New York (UTC-4 in summer), 02:00 UTC on 1 July is still 30 June, and 03:00 UTC on
    1 April is still 31 March."""
    settings.TIME_ZONE = "America/New_York"
    from datetime import datetime
    from datetime import timezone as tz

    utc = tz.utc
    deal(partner, "submitted", submitted=datetime(2025, 7, 1, 2, 0, tzinfo=utc))  # 30 June, 22:00 local
    deal(partner, "submitted", submitted=datetime(2025, 4, 1, 3, 0, tzinfo=utc))  # 31 March, 23:00 local
    deal(partner, "submitted", submitted=datetime(2025, 4, 1, 4, 0, tzinfo=utc))  # 1 April, 00:00 local
    # Submitted 31 May 23:00 local (1 June UTC), closed 10 June: 10 local days, not 9.
    deal(
        partner,
        "won",
        submitted=datetime(2025, 6, 1, 3, 0, tzinfo=utc),
        closed_on=date(2025, 6, 10),
        approved_at=datetime(2025, 6, 1, 5, 0, tzinfo=utc),
    )
    download(partner, datetime(2025, 7, 1, 3, 59, tzinfo=utc))  # 30 June 23:59 local
    download(partner, datetime(2025, 7, 1, 4, 0, tzinfo=utc))  # 1 July 00:00 local
    nps_answer(partner, 10, datetime(2025, 7, 1, 3, 30, tzinfo=utc))  # 30 June local
    nps_answer(partner, 0, datetime(2025, 4, 1, 3, 30, tzinfo=utc))  # 31 March local
    paid_statement(partner, "10.00", paid=datetime(2025, 7, 1, 3, 0, tzinfo=utc))  # 30 June local
    paid_statement(partner, "20.00", paid=datetime(2025, 7, 1, 4, 30, tzinfo=utc))  # 1 July local
    # Resolved 1 July 01:00 UTC = 30 June 21:00 local: no longer open at the end of 30 June.
    case(partner, opened=datetime(2025, 6, 1, tzinfo=utc), resolved=datetime(2025, 7, 1, 1, 0, tzinfo=utc))
    # Resolved 1 July 05:00 UTC = 1 July 01:00 local: still open at the end of 30 June.
    case(partner, opened=datetime(2025, 6, 1, tzinfo=utc), resolved=datetime(2025, 7, 1, 5, 0, tzinfo=utc))

    card = scorecard(partner=partner, start=START, end=END)

    assert card.registrations == 3  # 30 June 22:00, 1 April 00:00 and 31 May 23:00 local
    assert card.avg_days_to_close == d("10.0")
    assert card.avg_approval_hours == d("2.0")
    assert card.content_downloads == 1
    assert (card.nps, card.nps_responses) == (d("100.0"), 1)
    assert card.commission_paid == {"USD": d("10.00")}
    assert card.open_cases == 1


# --- Enablement: certified users, course completions, downloads ----------------------------------


def test_certified_users_at_the_end_and_completions_within_the_period(partner, rival):
    people = [PartnerUserFactory(partner=partner, role="partner_rep") for _ in range(5)]
    certification(people[0], issued_on=date(2025, 1, 10), expires_on=date(2026, 1, 10))  # current on 30 June
    certification(people[0], issued_on=date(2025, 4, 5), expires_on=date(2026, 4, 5), course="Security")  # same user
    certification(people[1], issued_on=date(2025, 5, 1), expires_on=END)  # expired on the last day: not current
    certification(people[2], issued_on=END, expires_on=date(2026, 6, 30))  # issued on the last day: current
    certification(people[3], issued_on=date(2025, 2, 1), expires_on=date(2026, 2, 1))
    people[3].is_active = False  # left the partner: no longer counted
    people[3].save(update_fields=["is_active"])
    certification(people[4], issued_on=AFTER, expires_on=date(2026, 7, 1))  # the day after: neither
    certification(PartnerUserFactory(partner=rival), issued_on=START, expires_on=date(2026, 4, 1))

    card = scorecard(partner=partner, start=START, end=END)

    assert card.certified_users == 2  # people 0 and 2
    assert card.course_completions == 3  # people 0 (Security), 1 and 2
    assert scorecard(partner=rival, start=START, end=END).course_completions == 1


def test_certified_users_of_a_period_not_over_are_read_today(partner):
    from django.utils import timezone

    today = timezone.localdate()
    person = PartnerUserFactory(partner=partner, role="partner_rep")
    # Current today, expired by the end of a period that ends next year.
    certification(person, issued_on=today, expires_on=today.replace(year=today.year + 1))
    card = scorecard(partner=partner, start=today, end=today.replace(year=today.year + 2))
    assert card.certified_users == 1


def test_content_downloads_within_the_period(partner, rival):
    download(partner, at(BEFORE, 23, 59))
    download(partner, at(START, 0, 0))
    download(partner, at(END, 23, 59))
    download(partner, at(AFTER, 0, 0))
    download(rival, at(START, 9))
    assert scorecard(partner=partner, start=START, end=END).content_downloads == 2


# --- Cases and disputes, NPS --------------------------------------------------------------------


def test_open_cases_and_disputes_at_the_periods_end(partner, rival):
    case(partner, kind="commission_dispute", opened=at(date(2025, 5, 1)))  # open
    case(partner, rival, kind="channel_conflict", opened=at(date(2025, 6, 1)), resolved=at(date(2025, 7, 2)))
    case(partner, kind="other", opened=at(START), resolved=at(date(2025, 6, 15)))  # resolved in the period
    case(partner, kind="deal_dispute", opened=at(AFTER, 0, 0))  # opened after the period
    case(partner, kind="deal_dispute", opened=at(date(2024, 12, 1)), resolved=at(AFTER, 0, 0))  # open until the end
    case(rival, kind="deal_dispute", opened=at(date(2025, 5, 1)))

    card = scorecard(partner=partner, start=START, end=END)
    assert (card.open_cases, card.open_disputes) == (3, 2)
    rival_card = scorecard(partner=rival, start=START, end=END)
    assert (rival_card.open_cases, rival_card.open_disputes) == (2, 1)


def test_nps_of_the_answers_given_in_the_period(partner, rival):
    for score in (10, 9, 7, 3):
        nps_answer(partner, score, at(date(2025, 5, 2)))
    nps_answer(partner, 0, at(AFTER, 0, 0))
    nps_answer(partner, 0, at(BEFORE, 23, 59))
    nps_answer(rival, 0, at(START))

    card = scorecard(partner=partner, start=START, end=END)
    assert (card.nps, card.nps_responses) == (d("25.0"), 4)  # (2 promoters - 1 detractor) / 4
    assert scorecard(partner=rival, start=START, end=END).nps == d("-100.0")


# --- Commission earned and paid -----------------------------------------------------------------


def test_commission_earned_is_what_was_booked_in_the_period_per_currency(partner, rival):
    # The ledger books in date order.
    commission(partner, "999.00", BEFORE)
    commission(partner, "100.00", START, kind="accrual")
    commission(rival, "5.00", START)
    commission(partner, "50.00", date(2025, 5, 5), currency="EUR")
    commission(partner, "-30.00", END, kind="clawback")
    commission(partner, "999.00", AFTER)
    card = scorecard(partner=partner, start=START, end=END)
    assert card.commission_earned == {"USD": d("70.00"), "EUR": d("50.00")}


def test_commission_paid_is_what_runs_paid_in_the_period(partner, rival):
    paid_statement(partner, "400.00", paid=at(date(2025, 5, 31)))
    paid_statement(partner, "80.00", currency="EUR", paid=at(START, 0, 0))
    paid_statement(partner, "1.00", paid=at(BEFORE, 23, 59))
    paid_statement(partner, "2.00", paid=at(AFTER, 0, 0))
    paid_statement(partner, "3.00", paid=None, status="approved")  # approved, not paid yet
    paid_statement(rival, "7.00", paid=at(date(2025, 5, 31)))
    card = scorecard(partner=partner, start=START, end=END)
    assert card.commission_paid == {"USD": d("400.00"), "EUR": d("80.00")}


# --- Currencies ---------------------------------------------------------------------------------


def test_a_currency_without_a_rate_leaves_the_total_unknown_and_says_which(partner):
    deal(partner, "won", amount="100.00", currency="GBP", submitted=at(START), closed_on=START)
    deal(partner, "won", amount="200.00", currency="USD", submitted=at(START), closed_on=START)
    Target.objects.create(partner=partner, period_start=START, period_end=END, won_revenue=d("1000.00"), new_deals=4)
    card = scorecard(partner=partner, start=START, end=END)
    assert card.won_revenue == {"GBP": d("100.00"), "USD": d("200.00")}
    assert (card.won_revenue_total, card.missing_rates) == (None, ["GBP"])
    assert card.attainment == {"won_revenue": None, "new_deals": d("50.0"), "certified_users": None}


def test_the_latest_rate_counts_whichever_direction_finance_entered_it():
    rate("EUR", "USD", "1.05", date(2025, 1, 1))
    rate("USD", "EUR", "0.80", date(2025, 6, 1))  # newer, entered the other way round: 1 EUR = 1.25 USD
    rate("GBP", "USD", "1.30", date(2025, 6, 1))
    rate("USD", "GBP", "0.50", date(2025, 6, 1))  # the same day both ways: the direct rate counts
    rate("USD", "JPY", "150", date(2025, 3, 1))
    rates = exchange_rates(END)
    assert rates["USD"] == d("1")
    assert rates["EUR"] == d("1.25")
    assert rates["GBP"] == d("1.30")
    assert rates["JPY"] == d("0.00666667")
    assert exchange_rates(date(2025, 5, 31))["EUR"] == d("1.05")
    assert "EUR" not in exchange_rates(date(2024, 12, 31))


def test_program_total_converts_each_currency_and_rounds_once():
    rates = {"USD": d("1"), "EUR": d("1.10"), "JPY": d("0.00666667")}
    assert program_total({"USD": d("10.00"), "EUR": d("20.00"), "JPY": d("1500")}, rates) == (d("42.00"), [])
    assert program_total({"USD": d("10.00"), "CHF": d("1"), "BRL": d("1")}, rates) == (None, ["BRL", "CHF"])
    assert program_total({}, rates) == (d("0.00"), [])


def test_another_program_currency_converts_into_it(settings, partner):
    settings.PRM_PROGRAM_CURRENCY = "EUR"
    rate("USD", "EUR", "0.90", date(2025, 6, 1))
    deal(partner, "won", amount="1000.00", currency="USD", submitted=at(START), closed_on=START)
    deal(partner, "won", amount="100.00", currency="EUR", submitted=at(START), closed_on=START)
    card = scorecard(partner=partner, start=START, end=END)
    assert (card.program_currency, card.won_revenue_total) == ("EUR", d("1000.00"))


# --- Targets and attainment ---------------------------------------------------------------------


def test_attainment_of_each_target_figure(partner, deals):
    people = [PartnerUserFactory(partner=partner, role="partner_rep") for _ in range(2)]
    for person in people:
        certification(person, issued_on=date(2025, 1, 1), expires_on=date(2026, 1, 1))
    Target.objects.create(
        partner=partner,
        period_start=START,
        period_end=END,
        won_revenue=d("50000.00"),
        new_deals=4,
        certified_users=4,
    )
    Target.objects.create(partner=partner, period_start=AFTER, period_end=date(2025, 9, 30), new_deals=99)

    card = scorecard(partner=partner, start=START, end=END)

    assert (card.target.won_revenue, card.target.new_deals, card.target.certified_users) == (d("50000.00"), 4, 4)
    assert card.attainment == {
        "won_revenue": d("84.0"),  # 42,000 of 50,000 USD
        "new_deals": d("75.0"),  # 3 of 4
        "certified_users": d("50.0"),  # 2 of 4
    }


def test_targets_within_a_longer_period_count_whole_and_certified_users_is_the_highest(partner):
    Target.objects.create(
        partner=partner, period_start=date(2025, 1, 1), period_end=BEFORE, won_revenue=d("100.00"), certified_users=2
    )
    Target.objects.create(
        partner=partner, period_start=START, period_end=END, won_revenue=d("200.50"), new_deals=3, certified_users=5
    )
    # After the period: it does not overlap, so it does not count.
    Target.objects.create(partner=partner, period_start=AFTER, period_end=date(2025, 12, 31), new_deals=50)
    deal(partner, "won", amount="150.25", submitted=at(START), closed_on=date(2025, 2, 1))

    card = scorecard(partner=partner, start=date(2025, 1, 1), end=END)

    assert (card.target.won_revenue, card.target.new_deals, card.target.certified_users) == (
        d("300.50"),
        d("3.0"),
        5,
    )
    assert card.attainment["won_revenue"] == d("50.0")  # 150.25 of 300.50
    assert card.attainment["new_deals"] == d("33.3")  # 1 of 3


def test_targets_reaching_past_the_period_count_for_their_days_in_it(partner):
    # Q1 (90 days) shares 15 Feb - 31 Mar with the period: 45 days; Q2 (91 days) 1 Apr - 15 May: 45.
    Target.objects.create(
        partner=partner, period_start=date(2025, 1, 1), period_end=BEFORE, won_revenue=d("100.00"), certified_users=2
    )
    Target.objects.create(
        partner=partner, period_start=START, period_end=END, won_revenue=d("200.50"), new_deals=3, certified_users=5
    )
    deal(partner, "won", amount="150.25", submitted=at(date(2025, 2, 20)), closed_on=date(2025, 3, 1))

    card = scorecard(partner=partner, start=date(2025, 2, 15), end=date(2025, 5, 15))

    # 100.00 x 45/90 + 200.50 x 45/91 = 50 + 99.148351... = 149.15; 3 x 45/91 = 1.4835... = 1.5;
    # certified users is a level: the highest overlapping target, not prorated.
    assert (card.target.won_revenue, card.target.new_deals, card.target.certified_users) == (
        d("149.15"),
        d("1.5"),
        5,
    )
    assert card.attainment == {
        "won_revenue": d("100.7"),  # 150.25 of 149.15 = 100.737...
        "new_deals": d("66.7"),  # 1 of 1.5
        "certified_users": d("0.0"),  # 0 of 5
    }


def test_prorated_targets_round_half_up(partner):
    # One day of a four-day target: 0.10 / 4 = 0.025 -> 0.03 and 1 / 4 = 0.25 -> 0.3 (half even: 0.02, 0.2).
    Target.objects.create(
        partner=partner, period_start=START, period_end=date(2025, 4, 4), won_revenue=d("0.10"), new_deals=1
    )
    card = scorecard(partner=partner, start=date(2025, 4, 4), end=date(2025, 4, 30))
    assert (card.target.won_revenue, card.target.new_deals) == (d("0.03"), d("0.3"))


def test_year_to_date_on_30_november_prorates_the_fourth_quarter(partner):
    quarters = [
        (date(2026, 1, 1), date(2026, 3, 31), 3),
        (date(2026, 4, 1), date(2026, 6, 30), 4),
        (date(2026, 7, 1), date(2026, 9, 30), 5),
        (date(2026, 10, 1), date(2026, 12, 31), 6),
    ]
    for first, last, users in quarters:
        Target.objects.create(
            partner=partner,
            period_start=first,
            period_end=last,
            won_revenue=d("100000.00"),
            new_deals=10,
            certified_users=users,
        )
    for month in (2, 5, 8):
        deal(partner, "won", amount="95000.00", submitted=at(date(2026, month, 1)), closed_on=date(2026, month, 20))

    card = scorecard(partner=partner, start=date(2026, 1, 1), end=date(2026, 11, 30))

    # Q1-Q3 whole, Q4 for 61 of its 92 days: 300,000 + 100,000 x 61/92 = 366,304.347... -> 366,304.35;
    # deals 30 + 10 x 61/92 = 36.630... -> 36.6; certified users the highest: 6.
    assert (card.target.won_revenue, card.target.new_deals, card.target.certified_users) == (
        d("366304.35"),
        d("36.6"),
        6,
    )
    # 285,000 of 366,304.35 is 77.8% (the old rule, Q1-Q3 only, said 95.0%); 3 of 36.6 deals is 8.2%.
    assert card.attainment["won_revenue"] == d("77.8")
    assert card.attainment["new_deals"] == d("8.2")


def test_a_target_of_zero_has_no_attainment(partner):
    Target.objects.create(partner=partner, period_start=START, period_end=END, won_revenue=d("0.00"), new_deals=0)
    card = scorecard(partner=partner, start=START, end=END)
    assert card.target.is_set()
    assert card.attainment == {"won_revenue": None, "new_deals": None, "certified_users": None}


def test_attainment_above_the_target_is_over_one_hundred_percent(partner):
    Target.objects.create(partner=partner, period_start=START, period_end=END, new_deals=2)
    for _ in range(3):
        deal(partner, "won", submitted=at(START), closed_on=START)
    assert scorecard(partner=partner, start=START, end=END).attainment["new_deals"] == d("150.0")


# --- Queries ------------------------------------------------------------------------------------


def _busy_partner(n: int):
    """A partner with rows of every kind the scorecard reads."""
    partner = PartnerFactory(name=f"Busy {n}")
    user = PartnerUserFactory(partner=partner, role="partner_rep")
    for i in range(3):
        deal(
            partner,
            "won",
            currency=("USD", "EUR")[i % 2],
            submitted=at(START),
            closed_on=date(2025, 5, 1 + i),
            approved_at=at(date(2025, 4, 2)),
        )
        deal(partner, "lost", submitted=at(START), closed_on=date(2025, 5, 1))
        deal(partner, "submitted", submitted=at(date(2025, 5, 1)))
    certification(user, issued_on=START, expires_on=date(2026, 4, 1))
    download(partner, at(START))
    case(partner, opened=at(START))
    nps_answer(partner, 9, at(START))
    commission(partner, "10.00", START)
    paid_statement(partner, "10.00", paid=at(START))
    Target.objects.create(partner=partner, period_start=START, period_end=END, new_deals=3)
    return partner


def _queries(partner_ids) -> int:
    with CaptureQueriesContext(connection) as queries:
        cards = scorecards(start=START, end=END, partner_ids=partner_ids)
    assert all(card.won_deals == 3 for card in cards.values())
    return len(queries)


def test_the_number_of_queries_is_the_same_for_one_and_thirty_busy_partners():
    rate("EUR", "USD", "1.1", START)
    partners = [_busy_partner(n) for n in range(30)]
    one = _queries([partners[0].pk])
    thirty = _queries([p.pk for p in partners])
    assert one == thirty
    assert one <= 12
    # Every partner (no ids given) costs one query more: the list of partners.
    with CaptureQueriesContext(connection) as queries:
        scorecards(start=START, end=END)
    assert len(queries) == one + 1
