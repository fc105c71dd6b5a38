"""``GET /api/v1/partners/<id>/scorecard/``: who may read which scorecard, the period's defaults
and refusals, the response's shape, and a constant number of queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from incentives.models import ExchangeRate
from performance.models import Target

from ..clients import api_client_for
from ..factories import PartnerUserFactory, StaffUserFactory
from .builders import at, case, certification, commission, deal, download, nps_answer, paid_statement

pytestmark = pytest.mark.django_db

Q2 = "start=2025-04-01&end=2025-06-30"
# The contract of API.md, and what this endpoint adds to it.
CONTRACT = {
    "won_revenue",
    "pipeline",
    "registrations",
    "won_deals",
    "win_rate",
    "avg_deal_size",
    "avg_days_to_close",
    "certified_users",
    "open_cases",
    "commission_earned",
    "commission_paid",
    "target",
    "attainment",
}
ADDED = {
    "partner",
    "start",
    "end",
    "program_currency",
    "won_revenue_total",
    "missing_rates",
    "lost_deals",
    "avg_approval_hours",
    "course_completions",
    "content_downloads",
    "open_disputes",
    "nps",
    "nps_responses",
    # --- marketing: leads (issue 13) ---
    "leads_offered",
    "leads_accepted",
    "lead_acceptance_rate",
    "avg_hours_to_accept",
    "lead_conversion",
}


@pytest.fixture(autouse=True)
def _usd(settings):
    settings.PRM_PROGRAM_CURRENCY = "USD"


def url(partner_id: int, query: str = Q2) -> str:
    return f"/api/v1/partners/{partner_id}/scorecard/" + (f"?{query}" if query else "")


@pytest.fixture
def activity(partner):
    """A quarter of the partner's activity, with its figures worked out by hand."""
    deal(partner, "won", amount="10000.00", submitted=at(date(2025, 4, 1)), closed_on=date(2025, 4, 11))
    deal(partner, "won", amount="5000.00", currency="EUR", submitted=at(date(2025, 5, 1)), closed_on=date(2025, 5, 21))
    deal(partner, "lost", submitted=at(date(2025, 4, 2)), closed_on=date(2025, 6, 1))
    deal(partner, "submitted", amount="2500.50", submitted=at(date(2025, 6, 2)))
    ExchangeRate.objects.create(date=date(2025, 6, 1), from_currency="EUR", to_currency="USD", rate=Decimal("1.2"))
    Target.objects.create(
        partner=partner,
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        won_revenue=Decimal("32000.00"),
        new_deals=4,
    )


def test_a_partner_reads_its_own_scorecard_with_every_figure(partner_admin, activity):
    response = api_client_for(partner_admin).get(url(partner_admin.partner_id))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CONTRACT | ADDED
    assert body["partner"] == partner_admin.partner_id
    assert (body["start"], body["end"], body["program_currency"]) == ("2025-04-01", "2025-06-30", "USD")
    assert body["won_revenue"] == [
        {"currency": "EUR", "amount": "5000.00"},
        {"currency": "USD", "amount": "10000.00"},
    ]
    assert (body["won_revenue_total"], body["missing_rates"]) == ("16000.00", [])
    assert body["pipeline"] == [{"currency": "USD", "amount": "2500.50"}]
    assert (body["registrations"], body["won_deals"], body["lost_deals"]) == (4, 2, 1)
    assert body["win_rate"] == "66.7"
    assert body["avg_deal_size"] == [
        {"currency": "EUR", "amount": "5000.00"},
        {"currency": "USD", "amount": "10000.00"},
    ]
    assert body["avg_days_to_close"] == "15.0"  # (10 + 20) / 2
    assert body["avg_approval_hours"] is None
    assert body["target"] == {
        "won_revenue": [{"currency": "USD", "amount": "32000.00"}],
        "new_deals": "4.0",
        "certified_users": None,
    }
    assert body["attainment"] == {"won_revenue": "50.0", "new_deals": "50.0", "certified_users": None}
    assert (body["certified_users"], body["open_cases"], body["nps"], body["nps_responses"]) == (0, 0, None, 0)
    assert body["commission_earned"] == body["commission_paid"] == []


def test_a_rep_reads_the_scorecard_of_the_own_organization(rep, activity):
    response = api_client_for(rep).get(url(rep.partner_id))
    assert (response.status_code, response.json()["won_deals"]) == (200, 2)


@pytest.mark.parametrize("role", ["manager", "finance", "admin"])
def test_staff_read_any_partners_scorecard(partner, activity, role):
    staff = StaffUserFactory(role=role, email=f"{role}@example.com", is_superuser=role == "admin")
    response = api_client_for(staff).get(url(partner.pk))
    assert (response.status_code, response.json()["won_revenue_total"]) == (200, "16000.00")


def test_another_organizations_scorecard_is_not_found(rival_admin, partner, activity):
    response = api_client_for(rival_admin).get(url(partner.pk))
    assert response.status_code == 404
    assert "won_revenue" not in response.content.decode()


def test_an_unknown_partner_is_not_found_for_staff_and_partners(manager, partner_admin):
    for user in (manager, partner_admin):
        assert api_client_for(user).get(url(987654)).status_code == 404


def test_another_organizations_id_is_404_even_with_bad_dates(rival_admin, partner):
    assert api_client_for(rival_admin).get(url(partner.pk, "start=nonsense")).status_code == 404


def test_without_credentials_the_answer_is_401(api, partner):
    assert api.get(url(partner.pk)).status_code == 401


def test_a_token_reads_the_scorecard(api, partner_admin, activity):
    token = Token.objects.create(user=partner_admin)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get(url(partner_admin.partner_id)).json()["won_deals"] == 2


# --- The period ---------------------------------------------------------------------------------


def test_without_dates_the_period_is_the_calendar_year_to_date(partner_admin):
    today = timezone.localdate()
    body = api_client_for(partner_admin).get(url(partner_admin.partner_id, "")).json()
    assert (body["start"], body["end"]) == (today.replace(month=1, day=1).isoformat(), today.isoformat())


def test_with_only_an_end_the_period_starts_on_the_first_of_january_of_its_year(partner_admin):
    body = api_client_for(partner_admin).get(url(partner_admin.partner_id, "end=2025-06-30")).json()
    assert (body["start"], body["end"]) == ("2025-01-01", "2025-06-30")


def test_with_only_a_start_the_period_ends_today(partner_admin):
    body = api_client_for(partner_admin).get(url(partner_admin.partner_id, "start=2025-04-01")).json()
    assert (body["start"], body["end"]) == ("2025-04-01", timezone.localdate().isoformat())


@pytest.mark.parametrize(
    ("query", "field", "said"),
    [
        ("start=2025-13-01", "start", "Date has wrong format"),
        ("start=2025-04-01&end=June", "end", "Date has wrong format"),
        ("start=2025-06-30&end=2025-04-01", "end", "The period ends on or after its start, 2025-06-30."),
        ("start=2999-01-01", "end", "(end defaults to today)"),
        ("start=0001-01-01&end=2025-01-01", "start", "Give a day from 1900-01-01 to 2999-12-31."),
        ("start=2025-01-01&end=9999-12-31", "end", "Give a day from 1900-01-01 to 2999-12-31."),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(partner_admin, query, field, said):
    response = api_client_for(partner_admin).get(url(partner_admin.partner_id, query))
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert said in response.json()[field][0]


def test_a_one_day_period_is_fine(partner_admin, activity):
    body = api_client_for(partner_admin).get(url(partner_admin.partner_id, "start=2025-04-11&end=2025-04-11")).json()
    assert body["won_revenue"] == [{"currency": "USD", "amount": "10000.00"}]


def test_a_currency_without_a_rate_gives_no_total_and_names_it(partner_admin):
    deal(
        partner_admin.partner,
        "won",
        amount="100.00",
        currency="GBP",
        submitted=at(date(2025, 5, 1)),
        closed_on=date(2025, 5, 2),
    )
    body = api_client_for(partner_admin).get(url(partner_admin.partner_id)).json()
    assert (body["won_revenue_total"], body["missing_rates"]) == (None, ["GBP"])


# --- Schema and queries -------------------------------------------------------------------------


def test_the_openapi_schema_documents_the_endpoint(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/partners/{id}/scorecard/"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"id", "start", "end"} <= set(parameters)
    assert "calendar year to date" in parameters["end"]["description"]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    properties = schema["components"]["schemas"][body]["properties"]
    assert set(properties) == CONTRACT | ADDED
    target = schema["components"]["schemas"][properties["target"]["$ref"].rsplit("/", 1)[1]]
    assert set(target["properties"]) == {"won_revenue", "new_deals", "certified_users"}
    assert target["properties"]["won_revenue"]["type"] == "array"
    assert target["properties"]["won_revenue"].get("nullable") is True
    assert target["properties"]["new_deals"]["type"] == "string"
    assert "prorated" in target["properties"]["new_deals"]["description"].lower()


def test_a_target_reaching_past_the_period_is_prorated_in_the_api(partner_admin, activity):
    # Q2 2025 has 91 days; April has 30: 32,000.00 x 30/91 = 10,549.45; 4 x 30/91 = 1.318... -> 1.3.
    response = api_client_for(partner_admin).get(url(partner_admin.partner_id, "start=2025-04-01&end=2025-04-30"))
    body = response.json()
    assert body["target"] == {
        "won_revenue": [{"currency": "USD", "amount": "10549.45"}],
        "new_deals": "1.3",
        "certified_users": None,
    }
    assert body["attainment"] == {"won_revenue": "94.8", "new_deals": "76.9", "certified_users": None}


def test_no_target_is_null_in_the_api(partner_admin, activity):
    body = api_client_for(partner_admin).get(url(partner_admin.partner_id, "start=2024-01-01&end=2024-12-31")).json()
    assert body["target"] == {"won_revenue": None, "new_deals": None, "certified_users": None}
    assert body["attainment"] == {"won_revenue": None, "new_deals": None, "certified_users": None}


def _busy(partner, n: int) -> None:
    user = PartnerUserFactory(partner=partner, role="partner_rep")
    for i in range(n):
        day = date(2025, 4, 1 + i % 28)
        deal(partner, "won", currency=("USD", "EUR")[i % 2], submitted=at(day), closed_on=day, approved_at=at(day, 13))
        deal(partner, "submitted", submitted=at(day))
        download(partner, at(day))
        case(partner, opened=at(day))
        nps_answer(partner, i % 11, at(day))
    certification(user, issued_on=date(2025, 4, 1), expires_on=date(2026, 4, 1))
    commission(partner, "10.00", date(2025, 4, 1))
    paid_statement(partner, "10.00", paid=at(date(2025, 5, 1)))


def _count(client, partner_id) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url(partner_id)).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_data(partner_admin):
    client = api_client_for(partner_admin)
    _busy(partner_admin.partner, 2)
    few = _count(client, partner_admin.partner_id)
    _busy(partner_admin.partner, 30)
    Target.objects.create(
        partner=partner_admin.partner, period_start=date(2025, 4, 1), period_end=date(2025, 6, 30), new_deals=3
    )
    many = _count(client, partner_admin.partner_id)
    assert few == many
    assert many <= 14
