"""The partner's scorecard in the portal (/portal/scorecard/): who may open it, every figure
against data computed by hand for each period of the picker, targets and the tier panel, the empty
state of a new partner, a constant number of queries, and nothing of another organization.

The clock stands on 20 May 2026 (Q2 2026). Acme's data, by hand:

==========  ==========  ==========  =======  ============================================
deal        submitted   closed      status   amount
==========  ==========  ==========  =======  ============================================
won 2025    1 Jun 2025  15 Jun 2025 won      7,000 USD  (last year, trailing 12 months)
won Q1      10 Jan      9 Feb       won      10,000 USD (30 days)
won Q2 USD  1 Apr       11 Apr      won      40,000 USD (10 days)
won Q2 EUR  5 Apr       5 May       won      20,000 EUR = 22,000 USD at 1.10 (30 days)
lost Q2     10 Apr      10 May      lost     9,000 USD
approved    1 May       –           open     15,000 USD
submitted   15 May      –           open     5,000 USD
==========  ==========  ==========  =======  ============================================
"""

from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conflicts.services import case_open_dispute
from enablement.models import ContentAsset, ContentDownload
from enablement.services import quiz_attempt_submit
from enablement.services.surveys import survey_answer, survey_save, survey_send
from incentives.models import PayoutRun, PayoutStatement
from partners.models import Tier
from performance.models import Target

from ..factories import (
    CommissionLineFactory,
    DealFactory,
    ExchangeRateFactory,
    PartnerFactory,
    PartnerUserFactory,
    StaffUserFactory,
    TierFactory,
    course_with_quiz,
    right_answers,
)

pytestmark = pytest.mark.django_db
URL = "/portal/scorecard/"
TODAY = date(2026, 5, 20)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=dt_timezone.utc)


@pytest.fixture(autouse=True)
def clock(settings):
    settings.TIME_ZONE = "UTC"
    settings.PRM_PROGRAM_CURRENCY = "USD"
    with time_machine.travel(at(TODAY, 12), tick=False):
        yield


@pytest.fixture
def tiers(db):
    Tier.objects.filter(name="Silver").delete()
    silver = TierFactory(name="Silver", rank=2, min_won_revenue_12m=Decimal("50000"), min_certified_users=1)
    gold = TierFactory(name="Gold", rank=3, min_won_revenue_12m=Decimal("200000"), min_certified_users=3)
    return silver, gold


def won(partner, amount, currency, submitted: date, closed: date, **fields):
    return DealFactory(
        partner=partner,
        won=True,
        amount=Decimal(amount),
        currency=currency,
        submitted_at=at(submitted),
        closed_on=closed,
        **fields,
    )


def certify(user, course, day: date):
    return quiz_attempt_submit(course=course, user=user, answers=right_answers(course), now=at(day))


def download(asset, user, day: date):
    return ContentDownload.objects.create(
        asset=asset, version=asset.version, partner_id=user.partner_id, user=user, downloaded_at=at(day)
    )


def pay(partner, amount, currency, paid: date, line):
    run = PayoutRun.objects.create(
        period_end=paid, created_by=StaffUserFactory(role="finance"), status="paid", open_slot=None, paid_at=at(paid)
    )
    return PayoutStatement.objects.create(
        run=run,
        partner=partner,
        currency=currency,
        total=Decimal(amount),
        line_count=1,
        after_line_id=0,
        last_line_id=line.pk,
    )


@pytest.fixture
def acme(tiers, partner, partner_admin, rep, rival, rival_admin, manager):
    """Acme's year (the table of the module's docstring) and a rival with far bigger numbers."""
    silver, _ = tiers
    for p in (partner, rival):
        p.tier = silver
        p.save()
    ExchangeRateFactory(date=date(2026, 1, 1), from_currency="EUR", to_currency="USD", rate="1.10")
    won(partner, "7000", "USD", date(2025, 6, 1), date(2025, 6, 15))
    won(partner, "10000", "USD", date(2026, 1, 10), date(2026, 2, 9))
    won(partner, "40000", "USD", date(2026, 4, 1), date(2026, 4, 11))
    won(partner, "20000", "EUR", date(2026, 4, 5), date(2026, 5, 5))
    lost_on = date(2026, 5, 10)
    DealFactory(partner=partner, lost=True, amount=Decimal(9000), submitted_at=at(date(2026, 4, 10)), closed_on=lost_on)
    DealFactory(
        partner=partner,
        approved=True,
        amount=Decimal("15000"),
        submitted_at=at(date(2026, 5, 1)),
        approved_at=at(date(2026, 5, 1)) + timedelta(hours=30),
    )
    DealFactory(partner=partner, amount=Decimal("5000"), submitted_at=at(date(2026, 5, 15)))

    # The rival: far bigger numbers in every figure, a name that must never show.
    won(rival, "9876543", "USD", date(2026, 4, 2), date(2026, 4, 20), customer_name="Globex Megadeal")
    DealFactory(partner=rival, amount=Decimal("7654321"), submitted_at=at(date(2026, 5, 2)))
    Target.objects.create(
        partner=rival,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        won_revenue=Decimal("5555555"),
        new_deals=77,
    )

    course = course_with_quiz()
    certify(rep, course, date(2026, 2, 1))
    certify(partner_admin, course, date(2026, 4, 15))
    certify(rival_admin, course, date(2026, 4, 16))

    asset = ContentAsset.objects.create(title="Price list", category="pricing", kind="link", url="https://example.com")
    download(asset, partner_admin, date(2026, 3, 3))
    download(asset, partner_admin, date(2026, 4, 3))
    download(asset, rep, date(2026, 5, 3))
    for day in range(1, 10):
        download(asset, rival_admin, date(2026, 4, day))

    q1_line = CommissionLineFactory(partner=partner, amount="1000", currency="USD", booked_on=date(2026, 2, 15))
    CommissionLineFactory(partner=partner, amount="4000", currency="USD", booked_on=date(2026, 4, 20))
    CommissionLineFactory(partner=rival, amount="987654", currency="USD", booked_on=date(2026, 4, 21))
    CommissionLineFactory(partner=partner, amount="2000", currency="EUR", booked_on=date(2026, 5, 10))
    pay(partner, "1000", "USD", date(2026, 5, 1), q1_line)

    case_open_dispute(partner=partner, user=rep, kind="other", subject="Portal access", body="Carol cannot sign in.")

    survey = survey_save(
        by=manager,
        data={"title": "Partner satisfaction"},
        questions=[{"order": 1, "kind": "rating", "text": "How useful is the portal?", "required": True}],
    )
    survey_send(survey=survey, by=manager, now=at(date(2026, 5, 2)))
    question = survey.questions.get()
    survey_answer(
        invitation=survey.invitations.get(user=partner_admin),
        data={"nps_score": 10, "answers": {str(question.pk): 5}},
        now=at(date(2026, 5, 4)),
    )
    survey_answer(
        invitation=survey.invitations.get(user=rival_admin),
        data={"nps_score": 0, "answers": {str(question.pk): 1}},
        now=at(date(2026, 5, 4)),
    )

    Target.objects.create(
        partner=partner,
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        won_revenue=Decimal("100000"),
        new_deals=4,
        certified_users=3,
    )
    return partner


def figures_of(response) -> dict[str, str]:
    return {f.key: f.value for f in response.context["figures"]}


def details_of(response) -> dict[str, str]:
    return {f.key: f.detail for f in response.context["figures"]}


# --- who may open it ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_are_sent_to_the_admin(client, manager):
    client.force_login(manager)
    response = client.get(URL, follow=True)
    assert response.redirect_chain[0] == (reverse("admin:index"), 302)


@pytest.mark.parametrize("who", ["partner_admin", "rep"])
def test_partner_admins_and_reps_see_their_organization_scorecard(client, request, who, partner):
    client.force_login(request.getfixturevalue(who))
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["partner"] == partner
    assert "Acme Cloud Partners" in response.content.decode()


def test_the_portal_navigation_links_the_scorecard_after_statements(client, partner_admin):
    client.force_login(partner_admin)
    html = client.get(reverse("portal:home")).content.decode()
    assert html.index(">Statements<") < html.index(f'href="{URL}">Scorecard<') < html.index(">Training<")
    page = client.get(URL).content.decode()
    assert f'aria-current="page" href="{URL}">Scorecard<' in page


# --- the figures ----------------------------------------------------------------------------------


def test_this_quarter_figures_match_the_hand_computed_ones(client, acme, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL)
    assert response.context["period"]["name"] == "Q2 2026"
    assert (response.context["period"]["start"], response.context["period"]["end"]) == (
        date(2026, 4, 1),
        date(2026, 6, 30),
    )
    assert figures_of(response) == {
        "won_revenue": "62,000.00 USD",  # 40,000 USD + 20,000 EUR at 1.10
        "pipeline": "20,000.00 USD",  # 15,000 approved + 5,000 submitted
        "registrations": "5",
        "won_deals": "2",
        "win_rate": "66.7%",  # 2 won of 3 closed
        "avg_deal_size": "20,000.00 EUR · 40,000.00 USD",
        "avg_days_to_close": "20.0",  # (10 + 30) / 2
        "avg_approval_hours": "30.0 hours",  # the one deal approved in the quarter, 30 h after it came in
        "certified_users": "2",  # Carol since February, Alice since April
        "course_completions": "1",
        "content_downloads": "2",
        "open_cases": "1",
        "nps": "100.0",
        "commission_earned": "2,000.00 EUR · 4,000.00 USD",
        "commission_paid": "1,000.00 USD",
    }
    details = details_of(response)
    assert details["won_revenue"] == "20,000.00 EUR · 40,000.00 USD."
    assert details["win_rate"] == "2 won, 1 lost"
    assert details["open_cases"] == "of which 1 dispute"
    assert details["nps"] == "1 response"


@pytest.mark.parametrize(
    ("period", "name", "won_revenue", "registrations", "commission_earned"),
    [
        ("last_quarter", "Q1 2026", "10,000.00 USD", "1", "1,000.00 USD"),
        ("this_year", "2026", "72,000.00 USD", "6", "2,000.00 EUR · 5,000.00 USD"),
        ("last_year", "2025", "7,000.00 USD", "1", "0.00 USD"),
        ("last_12_months", "21 May 2025 – 20 May 2026", "79,000.00 USD", "7", "2,000.00 EUR · 5,000.00 USD"),
    ],
)
def test_the_period_picker_chooses_the_period_of_the_figures(
    client, acme, partner_admin, period, name, won_revenue, registrations, commission_earned
):
    client.force_login(partner_admin)
    response = client.get(URL, {"period": period})
    assert response.context["period"]["name"] == name
    figures = figures_of(response)
    assert (figures["won_revenue"], figures["registrations"], figures["commission_earned"]) == (
        won_revenue,
        registrations,
        commission_earned,
    )
    html = response.content.decode()
    assert f'<option value="{period}" selected>' in html
    assert f"Figures for {name}" in html


@pytest.mark.parametrize(
    ("today", "period", "name", "start", "end"),
    [
        (date(2026, 1, 1), "last_quarter", "Q4 2025", date(2025, 10, 1), date(2025, 12, 31)),
        (date(2026, 3, 31), "this_quarter", "Q1 2026", date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 12, 31), "last_quarter", "Q3 2026", date(2026, 7, 1), date(2026, 9, 30)),
        (date(2028, 2, 29), "last_12_months", "1 Mar 2027 – 29 Feb 2028", date(2027, 3, 1), date(2028, 2, 29)),
        (date(2026, 1, 1), "last_year", "2025", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_periods_at_their_edges(client, partner_admin, today, period, name, start, end):
    with time_machine.travel(at(today, 12), tick=False):
        client.force_login(partner_admin)
        chosen = client.get(URL, {"period": period}).context["period"]
    assert (chosen["name"], chosen["start"], chosen["end"]) == (name, start, end)


def test_an_unknown_period_shows_this_quarter_and_says_so(client, acme, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL, {"period": "decade"})
    assert response.status_code == 200
    assert response.context["period"]["name"] == "Q2 2026"
    assert figures_of(response)["won_revenue"] == "62,000.00 USD"
    html = response.content.decode()
    assert "That period is not one of the choices: here is this quarter." in html
    assert '<option value="this_quarter" selected>' in html


def test_the_picker_is_a_labelled_get_form(client, partner_admin):
    client.force_login(partner_admin)
    html = client.get(URL).content.decode()
    assert '<form method="get"' in html
    assert '<label class="form-label mb-1" for="id_period">Period</label>' in html
    for label in ("This quarter", "Last quarter", "This year", "Last year", "Last 12 months"):
        assert f">{label}</option>" in html


def test_each_figure_links_to_the_list_behind_it(client, acme, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL)
    links = {f.key: [link.url for link in f.links] for f in response.context["figures"]}
    assert links["won_revenue"] == ["/portal/deals/?status=won"]
    assert links["pipeline"] == ["/portal/deals/?status=submitted", "/portal/deals/?status=approved"]
    assert links["registrations"] == ["/portal/deals/"]
    assert links["certified_users"] == ["/portal/training/"]
    assert links["content_downloads"] == ["/portal/content/"]
    assert links["open_cases"] == ["/portal/cases/"]
    assert links["commission_earned"] == links["commission_paid"] == ["/portal/statements/"]
    html = response.content.decode()
    assert 'href="/portal/deals/?status=won"' in html
    # The lists behind the figures answer (the deals list filters by status).
    assert client.get("/portal/deals/?status=won").status_code == 200


def test_the_nps_card_shows_only_when_there_are_responses(client, acme, partner_admin):
    client.force_login(partner_admin)
    assert "nps" in figures_of(client.get(URL))
    assert "nps" not in figures_of(client.get(URL, {"period": "last_quarter"}))


# --- targets and tier -----------------------------------------------------------------------------


def test_targets_of_the_period_show_with_their_attainment(client, acme, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL)
    rows = {r.key: (r.actual, r.required, r.percent, r.words) for r in response.context["targets"]}
    assert rows == {
        "won_revenue": ("62,000.00 USD", "100,000.00 USD", 62, "62.0% of the target"),
        "new_deals": ("2", "4", 50, "50.0% of the target"),
        "certified_users": ("2", "3", 66, "66.7% of the target"),
    }
    html = response.content.decode()
    assert '<progress class="prm-meter" max="100" value="62" aria-labelledby="target-won_revenue-label"' in html
    assert '<span class="fw-semibold" id="target-won_revenue-label">Won revenue</span>' in html
    assert "5,555,555" not in html  # the rival's target


def test_a_period_longer_than_the_target_prorates_it(client, acme, partner_admin):
    # This year: the Q2 target (91 days) lies wholly inside 2026, so it counts whole.
    client.force_login(partner_admin)
    rows = {r.key: (r.actual, r.required) for r in client.get(URL, {"period": "this_year"}).context["targets"]}
    assert rows["new_deals"] == ("3", "4")
    # The last 12 months (21 May 2025 - 20 May 2026) hold 50 of Q2's 91 days: 100,000 x 50/91 = 54,945.05
    # and 4 x 50/91 = 2.197... -> 2.2 deals; certified users is a level, 3 whatever the days.
    response = client.get(URL, {"period": "last_12_months"})
    rows = {r.key: (r.actual, r.required, r.words) for r in response.context["targets"]}
    assert rows == {
        "won_revenue": ("79,000.00 USD", "54,945.05 USD", "143.8% of the target"),  # 79,000 / 54,945.05
        "new_deals": ("4", "2.2", "181.8% of the target"),
        "certified_users": ("2", "3", "66.7% of the target"),
    }


def test_your_targets_shows_the_current_and_upcoming_targets_whatever_the_period(client, acme, partner_admin):
    Target.objects.create(partner=acme, period_start=date(2026, 7, 1), period_end=date(2026, 9, 30), new_deals=6)
    Target.objects.create(partner=acme, period_start=date(2025, 1, 1), period_end=date(2025, 3, 31), new_deals=9)
    client.force_login(partner_admin)
    response = client.get(URL, {"period": "last_year"})
    # The period's figures compare with the targets overlapping 2025 (Q1 2025 only) ...
    assert [(r.key, r.actual, r.required) for r in response.context["targets"]] == [("new_deals", "1", "9")]
    # ... while "Your targets" always shows the current and upcoming ones, each over its own period.
    ours = response.context["your_targets"]
    assert [(t["name"], t["state"], t["days_left"]) for t in ours] == [
        ("Q2 2026", "current", 42),  # 20 May to 30 June, both included
        ("Q3 2026", "upcoming", 92),
    ]
    current = {r.key: (r.actual, r.required, r.words) for r in ours[0]["rows"]}
    assert current == {
        "won_revenue": ("62,000.00 USD", "100,000.00 USD", "62.0% of the target"),
        "new_deals": ("2", "4", "50.0% of the target"),
        "certified_users": ("2", "3", "66.7% of the target"),
    }
    assert [(r.key, r.actual, r.required, r.words) for r in ours[1]["rows"]] == [
        ("new_deals", "–", "6", "not started yet")
    ]
    html = response.content.decode()
    assert "Your targets" in html and "Q2 2026 · current, 42 days left" in html
    assert f'id="your-target-{ours[0]["id"]}-won_revenue-label"' in html


def test_a_period_without_target_says_so_plainly(client, acme, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL, {"period": "last_quarter"})
    assert response.context["targets"] == []
    assert "No target is set for Q1 2026." in response.content.decode()


def test_the_tier_panel_shows_the_requirements_and_what_is_missing_for_the_next_tier(client, acme, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL)
    html = response.content.decode()
    # Trailing 12 months on 20 May 2026: 7,000 + 10,000 + 40,000 + 22,000 USD; 2 certified users.
    current = {r.key: (r.actual, r.required, r.met, r.words) for r in response.context["current_requirements"]}
    assert current == {
        "won_revenue_12m": ("79,000.00 USD", "50,000.00 USD", True, "met"),
        "certified_users": ("2", "1", True, "met"),
    }
    nxt = {r.key: (r.actual, r.required, r.met, r.percent) for r in response.context["next_requirements"]}
    assert nxt == {
        "won_revenue_12m": ("79,000.00 USD", "200,000.00 USD", False, 39),
        "certified_users": ("2", "3", False, 66),
    }
    assert "121,000.00 USD of won revenue and 1 more certified user to reach Gold." in html
    assert "You are a <strong>Silver</strong> partner." in html
    assert "Not every requirement" not in html
    assert "Won revenue, last 12 months" in html


def test_the_top_tier_says_there_is_no_next_one(client, tiers, partner, partner_admin):
    silver, gold = tiers
    Tier.objects.filter(pk=silver.pk).update(min_won_revenue_12m=0, min_certified_users=0)
    partner.tier = gold
    partner.save()
    client.force_login(partner_admin)
    html = client.get(URL).content.decode()
    assert "Gold is the highest tier of the program." in html
    assert "Not every requirement of Gold is met yet." in html


def test_a_requirement_of_zero_is_left_out_and_a_tier_without_any_says_so(client, tiers, partner, partner_admin):
    silver, _ = tiers
    Tier.objects.filter(pk=silver.pk).update(min_won_revenue_12m=0, min_certified_users=0)
    client.force_login(partner_admin)
    response = client.get(URL)
    assert response.context["current_requirements"] == []
    assert "Silver sets no requirements." in response.content.decode()
    assert [r.key for r in response.context["next_requirements"]] == ["won_revenue_12m", "certified_users"]


# --- trends -------------------------------------------------------------------------------------


def test_the_trend_charts_hold_twelve_months_of_the_partners_own_figures(client, acme, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL)
    charts = {chart.key: (chart, drawn) for chart, drawn in response.context["charts"]}
    revenue, drawn = charts["won-revenue"]
    assert drawn
    assert revenue.labels[0] == "Jun 2025" and revenue.labels[-1] == "May 2026"
    by_month = dict(zip(revenue.labels, revenue.series[0].values, strict=True))
    assert by_month["Jun 2025"] == Decimal("7000.00")
    assert by_month["Feb 2026"] == Decimal("10000.00")
    assert by_month["Apr 2026"] == Decimal("40000.00")
    assert by_month["May 2026"] == Decimal("22000.00")
    assert sum(v for v in revenue.series[0].values) == Decimal("79000.00")
    deals, _ = charts["deals"]
    assert [s.label for s in deals.series] == ["Registrations submitted", "Deals won"]
    assert sum(deals.series[0].values) == 7 and sum(deals.series[1].values) == 4
    commission, _ = charts["commission"]
    assert [s.label for s in commission.series] == ["Commission earned (EUR)", "Commission earned (USD)"]
    html = response.content.decode()
    assert html.count("<canvas data-chart=") == 3
    assert 'src="/static/vendor/chartjs/chart.umd.js"' in html and 'src="/static/js/charts.js"' in html
    assert "Figures of “Won revenue by month (USD)” as a table" in html
    assert "<script>" not in html and "style=" not in html  # the CSP forbids both


def test_last_years_trend_ends_in_its_december(client, acme, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL, {"period": "last_year"})
    revenue = response.context["charts"][0][0]
    assert (revenue.labels[0], revenue.labels[-1]) == ("Jan 2025", "Dec 2025")
    assert "Trends, 12 months up to December 2025" in response.content.decode()


# --- a new partner --------------------------------------------------------------------------------


def test_a_new_partner_sees_empty_states_with_a_next_step(client, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL)
    html = response.content.decode()
    assert response.context["activity"] is False
    assert "Nothing happened in Q2 2026 yet" in html
    assert "No activity in these 12 months" in html
    assert html.count('href="/portal/deals/new/">Register your first deal</a>') == 1  # one call to act
    assert "<canvas" not in html and "chart.umd.js" not in html  # nothing to draw, no chart library
    assert "No target is set for Q2 2026." in html
    assert figures_of(response)["won_revenue"] == "0.00 USD"
    assert figures_of(response)["win_rate"] == "–"


def test_a_missing_exchange_rate_is_said_rather_than_guessed(client, partner, partner_admin):
    won(partner, "1000", "GBP", date(2026, 4, 1), date(2026, 4, 2))
    client.force_login(partner_admin)
    response = client.get(URL)
    assert figures_of(response)["won_revenue"] == "–"
    assert "No exchange rate into USD for GBP yet." in details_of(response)["won_revenue"]


# --- scoping ----------------------------------------------------------------------------------------


def test_nothing_of_the_rival_appears(client, acme, partner_admin):
    client.force_login(partner_admin)
    for period in ("this_quarter", "this_year", "last_12_months"):
        html = client.get(URL, {"period": period}).content.decode()
        for secret in ("Globex", "9,876,543", "7,654,321", "987,654", "5,555,555", "Megadeal"):
            assert secret not in html, (period, secret)


def test_a_partner_parameter_does_not_reach_another_organization(client, acme, partner_admin, rival):
    client.force_login(partner_admin)
    response = client.get(URL, {"partner": rival.pk, "partner_id": rival.pk, "id": rival.pk})
    assert response.status_code == 200
    assert response.context["card"].partner_id == acme.pk
    assert "Globex" not in response.content.decode()


def test_the_rival_sees_its_own_numbers_not_acmes(client, acme, rival_admin):
    client.force_login(rival_admin)
    response = client.get(URL)
    assert figures_of(response)["won_revenue"] == "9,876,543.00 USD"
    assert "Acme" not in response.content.decode()


# --- queries ----------------------------------------------------------------------------------------


def page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, {"period": "this_year"}).status_code == 200
    return len(queries)


def test_the_page_runs_a_constant_number_of_queries_whatever_the_data(client, acme, partner_admin, rep):
    client.force_login(partner_admin)
    client.get(URL)  # warm the session and content-type caches
    small = page_queries(client)

    course = course_with_quiz(title="Advanced")
    asset = ContentAsset.objects.create(title="Deck", category="sales", kind="link", url="https://example.com/d")
    more_people = [PartnerUserFactory(partner=acme, role="partner_rep") for _ in range(5)]
    for i in range(60):
        month = 1 + i % 5
        won(acme, 1000 + i, "USD" if i % 2 else "EUR", date(2026, month, 1), date(2026, month, 20))
        DealFactory(partner=acme, amount=Decimal(500 + i), submitted_at=at(date(2026, month, 2)))
        download(asset, rep, date(2026, month, 3))
    for person in more_people:
        certify(person, course, date(2026, 5, 5))
    for i in range(20):
        CommissionLineFactory(partner=acme, amount=str(10 + i), currency="USD", booked_on=date(2026, 5, 11))
    # Targets never overlap: more past ones in this year, and upcoming ones (shown under "Your targets").
    for i in range(3):
        Target.objects.create(partner=acme, period_start=date(2026, i + 1, 1), period_end=date(2026, i + 1, 28))
    for i in range(6):
        Target.objects.create(
            partner=acme, period_start=date(2026, i + 7, 1), period_end=date(2026, i + 7, 28), new_deals=i
        )
    other = PartnerFactory(name="Initech")
    for i in range(20):
        won(other, 500, "USD", date(2026, 3, 1), date(2026, 3, 5))

    large = page_queries(client)
    assert large == small
    assert small <= 43, (
        small
    )  # the period's scorecard (with its lead offers), the current target's (Your targets), tier, trend


def test_a_partner_without_a_tier_sees_what_the_entry_tier_asks(client, tiers, partner, partner_admin):
    partner.tier = None
    partner.save()
    client.force_login(partner_admin)
    html = client.get(URL).content.decode()
    assert "You have no tier yet." in html
    assert "50,000.00 USD of won revenue and 1 more certified user to reach Silver." in html
