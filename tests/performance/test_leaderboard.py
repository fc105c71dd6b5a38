"""The staff leaderboard: every partner's scorecard figures (hand-computed here), sorted by any
column both ways with accessible headers, filtered by tier, type, country and status, paginated,
computed once per period and kept in the cache until it expires or a manager recomputes it, in a
constant number of queries whatever the number of partners."""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Partner
from performance.selectors.leaderboard import COLUMNS, FIELD, leaderboard, leaderboard_table
from performance.selectors.scorecards import scorecards

from ..factories import DealFactory, ExchangeRateFactory, PartnerFactory, StaffUserFactory, TierFactory

pytestmark = pytest.mark.django_db

URL = "/admin/performance/leaderboard/"
START, END = date(2025, 1, 1), date(2025, 6, 30)
PERIOD = {"start": "2025-01-01", "end": "2025-06-30"}


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=hour))


def won(partner, amount, currency="USD", closed=date(2025, 3, 1)):
    return DealFactory(
        partner=partner, won=True, amount=amount, currency=currency, closed_on=closed, submitted_at=at(date(2025, 2, 1))
    )


@pytest.fixture
def program():
    """Acme wins 10,000 USD and 1,000 EUR (at 1.10: 11,100.00 USD) and loses one; Bolt wins
    5,000 USD; Cobalt does nothing; Dyn wins 2,000 GBP, for which finance has no rate."""
    gold = TierFactory(name="Gold", rank=3)
    ExchangeRateFactory(date=date(2025, 1, 1), from_currency="EUR", to_currency="USD", rate="1.10")
    acme = PartnerFactory(name="Acme", partner_type="reseller", country="DE")
    bolt = PartnerFactory(name="Bolt", tier=gold, partner_type="msp", country="US")
    cobalt = PartnerFactory(name="Cobalt", tier=None, partner_type="referral", country="FR", status="onboarding")
    dyn = PartnerFactory(name="Dyn", partner_type="reseller", country="GB")
    won(acme, "10000.00")
    won(acme, "1000.00", "EUR")
    DealFactory(partner=acme, lost=True, closed_on=date(2025, 4, 1), submitted_at=at(date(2025, 2, 1)))
    DealFactory(partner=acme, amount="5000.00", submitted_at=at(date(2025, 5, 1)))  # open: the pipeline
    won(acme, "99999.00", closed=date(2025, 7, 1))  # after the period
    won(bolt, "5000.00")
    won(dyn, "2000.00", "GBP")
    return {"acme": acme, "bolt": bolt, "cobalt": cobalt, "dyn": dyn, "gold": gold}


def view(client, user, **params):
    client.force_login(user)
    response = client.get(URL, {**PERIOD, **params})
    assert response.status_code == 200
    return response


def names(response) -> list[str]:
    return [row["name"] for row in response.context["rows"]]


def cells(response, name) -> dict[str, str]:
    """A row's cells by column key, as the page shows them ("text" and the per-currency "detail")."""
    row = next(r for r in response.context["rows"] if r["name"] == name)
    return dict(zip([c.key for c in COLUMNS[1:]], row["cells"]))


def test_each_partner_shows_its_figures_in_the_program_currency(client, manager, program):
    response = view(client, manager)
    acme = cells(response, "Acme")
    assert acme["won_revenue"] == {"text": "11,100.00", "figure": True, "detail": "1,000.00 EUR + 10,000.00 USD"}
    assert acme["won_deals"]["text"] == "2"
    assert acme["win_rate"]["text"] == "66.7%"  # 2 won of 3 closed
    assert acme["pipeline"]["text"] == "5,000.00"
    assert acme["registrations"]["text"] == "5"  # those submitted in the period, whatever became of them
    assert acme["avg_deal_size"]["text"] == "5,550.00"  # 10,000 USD and 1,000 EUR (1,100 USD) over 2 deals
    assert acme["avg_deal_size"]["detail"] == "per currency: 1,000.00 EUR; 10,000.00 USD"
    assert (acme["tier"]["text"], acme["partner_type"]["text"], acme["country"]["text"]) == (
        "Silver",
        "Reseller",
        "Germany",
    )
    dyn = cells(response, "Dyn")
    assert dyn["won_revenue"] == {
        "text": "–",
        "figure": True,
        "detail": "2,000.00 GBP (no exchange rate into USD)",
    }
    assert cells(response, "Cobalt")["won_revenue"]["text"] == "0.00"
    assert cells(response, "Cobalt")["tier"]["text"] == "No tier"
    assert cells(response, "Cobalt")["win_rate"]["text"] == "–"


def test_the_table_holds_the_scorecards_figures(program):
    table = leaderboard_table(start=START, end=END)
    cards = scorecards(start=START, end=END)
    board = leaderboard(table=table, sort="won_revenue")
    by_name = {row[1]: row for row in board.rows}
    acme = cards[program["acme"].pk]
    assert acme.won_revenue_total == Decimal("11100.00")
    assert by_name["Acme"][FIELD["won_revenue"]] == acme.won_revenue_total
    assert by_name["Acme"][FIELD["registrations"]] == acme.registrations
    assert by_name["Bolt"][FIELD["won_deals"]] == cards[program["bolt"].pk].won_deals == 1


def test_won_revenue_sorts_highest_first_and_partners_without_a_figure_come_last_both_ways(client, manager, program):
    assert names(view(client, manager)) == ["Acme", "Bolt", "Cobalt", "Dyn"]
    assert names(view(client, manager, sort="won_revenue", dir="asc")) == ["Cobalt", "Bolt", "Acme", "Dyn"]


@pytest.mark.parametrize(
    ("sort", "direction", "expected"),
    [
        ("name", "asc", ["Acme", "Bolt", "Cobalt", "Dyn"]),
        ("name", "desc", ["Dyn", "Cobalt", "Bolt", "Acme"]),
        ("tier", "asc", ["Acme", "Dyn", "Bolt", "Cobalt"]),  # by rank; no tier last
        ("tier", "desc", ["Bolt", "Acme", "Dyn", "Cobalt"]),  # ties stay in name order
        ("country", "asc", ["Cobalt", "Acme", "Dyn", "Bolt"]),  # France, Germany, United Kingdom, United States
        ("win_rate", "desc", ["Bolt", "Dyn", "Acme", "Cobalt"]),  # 100, 100, 66.7, none
        ("won_deals", "asc", ["Cobalt", "Bolt", "Dyn", "Acme"]),
    ],
)
def test_sorting_by_a_column(client, manager, program, sort, direction, expected):
    assert names(view(client, manager, sort=sort, dir=direction)) == expected


@pytest.mark.parametrize("column", [c.key for c in COLUMNS])
def test_every_column_sorts_both_ways_and_its_header_says_so(client, manager, program, column):
    for direction, aria in (("asc", "ascending"), ("desc", "descending")):
        response = view(client, manager, sort=column, dir=direction)
        assert sorted(names(response)) == ["Acme", "Bolt", "Cobalt", "Dyn"]
        headers = response.context["headers"]
        assert [h["key"] for h in headers if h["aria_sort"]] == [column]
        sorted_header = next(h for h in headers if h["key"] == column)
        assert sorted_header["aria_sort"] == aria
        other = "desc" if direction == "asc" else "asc"
        assert f"sort={column}&dir={other}" in sorted_header["url"]
        page = response.content.decode()
        assert page.count("aria-sort=") == 1
        assert f'aria-sort="{aria}"' in page


def test_headers_keep_the_filters_and_start_figures_from_the_highest(client, manager, program):
    response = view(client, manager, partner_type="reseller")
    header = next(h for h in response.context["headers"] if h["key"] == "pipeline")
    assert header["url"] == "?start=2025-01-01&end=2025-06-30&partner_type=reseller&sort=pipeline&dir=desc"
    name = next(h for h in response.context["headers"] if h["key"] == "name")
    assert name["url"].endswith("sort=name&dir=asc")


def test_filters_by_tier_type_country_and_status(client, manager, program):
    assert names(view(client, manager, tier=program["gold"].pk)) == ["Bolt"]
    assert names(view(client, manager, tier="none")) == ["Cobalt"]
    assert names(view(client, manager, partner_type="reseller")) == ["Acme", "Dyn"]
    assert names(view(client, manager, country="US")) == ["Bolt"]
    assert names(view(client, manager, status="onboarding")) == ["Cobalt"]
    assert names(view(client, manager, partner_type="reseller", country="GB")) == ["Dyn"]
    response = view(client, manager, partner_type="technology")
    assert response.context["rows"] == []
    assert "No partner matches these filters." in response.content.decode()


def test_the_filters_offer_the_tiers_and_countries_partners_are_in(client, manager, program):
    form = view(client, manager).context["form"]
    assert [label for _, label in form.fields["tier"].choices] == ["Any tier", "Silver", "Gold", "No tier"]
    assert [label for _, label in form.fields["country"].choices] == [
        "Any country",
        "France",
        "Germany",
        "United Kingdom",
        "United States of America",
    ]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"country": "XX"}, "country", "Select a valid choice. XX is not one of the available choices."),
        ({"tier": "999999"}, "tier", "Select a valid choice. 999999 is not one of the available choices."),
        ({"end": "2024-01-01"}, "end", "The period ends on or after its start."),
    ],
)
def test_wrong_input_is_said_on_its_field_and_no_table_is_shown(client, manager, program, params, field, message):
    response = view(client, manager, **params)
    assert response.context["form"].errors[field] == [message]
    assert "rows" not in response.context
    assert "Acme" not in response.content.decode()


@pytest.mark.parametrize("params", [{"sort": "secret"}, {"dir": "sideways"}, {"sort": "attainment", "dir": "up"}])
def test_an_unknown_order_falls_back_to_won_revenue_and_says_so(client, manager, program, params):
    response = view(client, manager, **params)
    assert names(response) == names(view(client, manager))
    assert "That order is not one of the columns: the leaderboard is sorted by won revenue." in [
        str(m) for m in response.context["messages"]
    ]


def test_fifty_partners_a_page(client, manager):
    PartnerFactory.create_batch(53)
    first = view(client, manager, sort="name", dir="asc")
    assert len(first.context["rows"]) == 50
    assert first.context["page"].paginator.num_pages == 2
    assert first.context["pages"]["next"] == "?start=2025-01-01&end=2025-06-30&sort=name&dir=asc&page=2"
    second = view(client, manager, sort="name", dir="asc", page=2)
    assert len(second.context["rows"]) == 3
    everyone = sorted(Partner.objects.values_list("name", flat=True), key=str.casefold)
    assert names(first) + names(second) == everyone


def test_the_partner_name_links_to_its_admin_page(client, manager, program):
    response = view(client, manager)
    row = next(r for r in response.context["rows"] if r["name"] == "Acme")
    assert row["url"] == f"/admin/partners/partner/{program['acme'].pk}/change/"
    assert client.get(row["url"]).status_code == 200


def test_figures_are_kept_until_recomputed_and_the_page_says_as_of_when(client, manager, program):
    first = view(client, manager)
    assert cells(first, "Bolt")["won_revenue"]["text"] == "5,000.00"
    computed = first.context["computed_at"]
    assert f"Figures as of {computed:%H:%M}" in first.content.decode()
    won(program["bolt"], "20000.00")
    assert cells(view(client, manager), "Bolt")["won_revenue"]["text"] == "5,000.00"  # from the cache

    response = client.post(f"{URL}?start=2025-01-01&end=2025-06-30&sort=name&dir=asc")
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?start=2025-01-01&end=2025-06-30&sort=name&dir=asc"
    after = client.get(response["Location"])
    assert cells(after, "Bolt")["won_revenue"]["text"] == "25,000.00"
    assert "The leaderboard is computed again" in after.content.decode()
    assert names(after) == ["Acme", "Bolt", "Cobalt", "Dyn"]


def test_figures_are_computed_again_once_older_than_the_setting(client, manager, program, settings):
    settings.PRM_LEADERBOARD_CACHE_SECONDS = 0  # never fresh
    view(client, manager)
    won(program["bolt"], "20000.00")
    assert cells(view(client, manager), "Bolt")["won_revenue"]["text"] == "25,000.00"


def test_while_one_request_computes_a_stale_table_again_the_others_get_the_older_one(
    client, manager, program, settings
):
    first = view(client, manager)
    won(program["bolt"], "20000.00")
    settings.PRM_LEADERBOARD_CACHE_SECONDS = 0  # the table is stale now
    key = f"performance:leaderboard:USD:{START}:{END}"
    assert cache.add(key + ":computing", True, 60)  # another request is computing it
    meanwhile = view(client, manager)
    assert cells(meanwhile, "Bolt")["won_revenue"]["text"] == "5,000.00"
    assert meanwhile.context["computed_at"] == first.context["computed_at"]  # "as of" says how old
    cache.delete(key + ":computing")  # that request is done (here: gave up)
    assert cells(view(client, manager), "Bolt")["won_revenue"]["text"] == "25,000.00"


def test_each_period_has_its_own_table(client, manager, program):
    assert cells(view(client, manager), "Acme")["won_revenue"]["text"] == "11,100.00"
    july = view(client, manager, start="2025-07-01", end="2025-07-31")
    assert cells(july, "Acme")["won_revenue"]["text"] == "99,999.00"


def test_a_page_takes_the_same_number_of_queries_for_5_and_60_partners_computed_or_cached(client, manager):
    client.force_login(manager)
    client.get(URL, PERIOD)  # the session and permissions, as on any later page

    def count(**params):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {**PERIOD, **params}).status_code == 200
        return len(queries)

    def busy_partners(n):
        for partner in PartnerFactory.create_batch(n):
            won(partner, "1000.00")
            DealFactory(partner=partner, submitted_at=at(date(2025, 2, 2)))

    busy_partners(5)
    computed_small = count(start="2025-01-02")  # a period not computed yet
    cached_small = count(start="2025-01-02", sort="registrations", dir="asc")
    busy_partners(55)
    computed_large = count(start="2025-01-03")
    cached_large = count(start="2025-01-03", sort="registrations", dir="asc", page=2)
    assert computed_small == computed_large
    assert cached_small == cached_large
    assert cached_small < computed_small


@pytest.mark.parametrize("role", ["manager", "finance", "admin"])
def test_the_program_staff_see_the_leaderboard(client, program, role):
    user = StaffUserFactory(role=role, is_superuser=role == "admin")
    assert names(view(client, user)) == ["Acme", "Bolt", "Cobalt", "Dyn"]


def test_partner_users_never_see_the_leaderboard(client, program, partner_admin):
    client.force_login(partner_admin)
    response = client.get(URL, PERIOD)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path in ("/admin/login/", "/accounts/login/")
    followed = client.get(URL, PERIOD, follow=True).content.decode()
    assert "Bolt" not in followed and "Acme" not in followed
    assert client.post(URL + "?start=2025-01-01&end=2025-06-30").status_code == 302


def test_the_page_has_every_admin_context_key_but_skips_the_app_list_it_hides(client, manager, program):
    from django.contrib import admin

    response = view(client, manager, **PERIOD)
    request = response.wsgi_request
    expected = admin.site.each_context(request)
    assert {key for key in expected if key in response.context} == set(expected)  # none missing
    assert response.context["available_apps"] == [] and response.context["is_nav_sidebar_enabled"] is False
    assert response.context["site_header"] == expected["site_header"]
    assert response.context["has_permission"] is True
