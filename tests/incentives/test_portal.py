"""Partners see their commission lines and the statements of approved or paid runs only."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incentives import services
from incentives.models import PayoutStatement

from ..factories import CommissionLineFactory, PayoutRunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_commit")]
LAST_WEEK = timezone.localdate() - timedelta(days=7)


@pytest.fixture
def calculated(partner, rival, finance):
    CommissionLineFactory(
        partner=partner, amount="120.00", explanation="10% of 1,200.00 USD under Gold 2026 plan, deal Contoso"
    )
    CommissionLineFactory(partner=rival, amount="900.00", explanation="Rival's commission")
    run = PayoutRunFactory(period_end=LAST_WEEK, created_by=finance)
    return services.payout_run_calculate(run.pk)


def test_partners_never_see_statements_of_unapproved_runs(partner_api, client, partner_admin, calculated):
    statement = PayoutStatement.objects.get(partner=partner_admin.partner)
    assert partner_api.get("/api/v1/statements/").json()["count"] == 0
    assert partner_api.get(f"/api/v1/statements/{statement.pk}/").status_code == 404
    assert partner_api.get(f"/api/v1/statements/{statement.pk}/pdf/").status_code == 404
    client.force_login(partner_admin)
    assert client.get(f"/portal/statements/{statement.pk}/pdf/").status_code == 404
    assert b"No statements yet" in client.get("/portal/statements/").content


def test_partners_see_and_download_their_statements_of_approved_runs(
    partner_api, client, partner_admin, calculated, finance2
):
    services.payout_run_approve(run=calculated, by=finance2)
    statement = PayoutStatement.objects.get(partner=partner_admin.partner)
    body = partner_api.get("/api/v1/statements/").json()
    assert [s["id"] for s in body["results"]] == [statement.pk]
    assert body["results"][0]["total"] == "120.00"
    client.force_login(partner_admin)
    page = client.get("/portal/statements/").content.decode()
    assert "120.00 USD" in page and "Rival" not in page and "900.00" not in page
    assert "10% of 1,200.00 USD under Gold 2026 plan" in page
    # Rendered by a worker after the request that asks for it; the page says so and polls.
    pending = client.get(f"/portal/statements/{statement.pk}/pdf/")
    assert pending.status_code == 202
    assert "being prepared" in pending.content.decode()
    assert f'data-poll-url="/portal/statements/{statement.pk}/pdf/status/"' in pending.content.decode()
    assert client.get(f"/portal/statements/{statement.pk}/pdf/status/").json()["ready"] is True
    response = client.get(f"/portal/statements/{statement.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"


def test_commission_lines_api_shows_own_lines_with_their_statement(partner_api, partner_admin, calculated, finance2):
    services.payout_run_approve(run=calculated, by=finance2)
    statement = PayoutStatement.objects.get(partner=partner_admin.partner)
    results = partner_api.get("/api/v1/commission-lines/").json()["results"]
    assert [(r["amount"], r["statement"], r["kind"]) for r in results] == [("120.00", statement.pk, "adjustment")]


def test_commission_lines_are_for_finance_and_partners_not_managers(manager_api, client, manager, calculated):
    assert manager_api.get("/api/v1/commission-lines/").json()["count"] == 0
    client.force_login(manager)
    assert client.get("/admin/incentives/commissionline/").status_code == 403


@pytest.mark.parametrize("accept", ["application/pdf", "*/*", "application/json"])
def test_files_are_served_whatever_the_accept_header(api, finance, calculated, accept):
    api.force_authenticate(finance)
    statement = PayoutStatement.objects.first()
    files = {
        f"/api/v1/statements/{statement.pk}/pdf/": ("application/pdf", b"%PDF-"),
        f"/api/v1/payout-runs/{calculated.pk}/statements.zip": ("application/zip", b"PK"),
        f"/api/v1/payout-runs/{calculated.pk}/export.csv": ("text/csv", b"run,"),
    }
    api.get(f"/api/v1/payout-runs/{calculated.pk}/statements.zip", HTTP_ACCEPT=accept)  # asks workers for the documents
    for url, (content_type, start) in files.items():
        response = api.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, url
        assert response["Content-Type"].split(";")[0] == content_type, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body.startswith(start), (url, body[:20])


def test_commission_line_list_runs_a_constant_number_of_queries(partner_api, partner):
    CommissionLineFactory(partner=partner, amount="1")
    with CaptureQueriesContext(connection) as few:
        partner_api.get("/api/v1/commission-lines/")
    for i in range(20):
        CommissionLineFactory(partner=partner, amount=str(Decimal(i + 1)))
    with CaptureQueriesContext(connection) as many:
        partner_api.get("/api/v1/commission-lines/")
    assert len(many) == len(few)
