"""Payout runs: set-based statements, minimum carry-forward, idempotent recalculation, a failure
leaves nothing, four eyes, frozen approved runs, documents and exports."""

import csv
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from incentives import services
from incentives.models import PayoutRun, PayoutStatement

from ..factories import CommissionLineFactory, PartnerFactory, PayoutRunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_commit")]
TODAY = timezone.localdate()
LAST_WEEK = TODAY - timedelta(days=7)


@pytest.fixture
def finance_api(api, finance):
    api.force_authenticate(finance)
    return api


@pytest.fixture
def create_run(finance_api):
    """Finance posts a run; the (eager) worker calculates it when the request commits (requests_commit)."""

    def create(api_or_period_end=None, period_end=LAST_WEEK):
        api = finance_api
        if isinstance(api_or_period_end, date):
            period_end = api_or_period_end
        elif api_or_period_end is not None:
            api = api_or_period_end
        return api.post("/api/v1/payout-runs/", {"period_end": period_end.isoformat()})

    return create


@pytest.fixture
def recalculate(finance_api):
    def post(run_id):
        return finance_api.post(f"/api/v1/payout-runs/{run_id}/recalculate/")

    return post


@pytest.fixture
def ledger(partner, rival):
    CommissionLineFactory(partner=partner, amount="100.00", booked_on=TODAY - timedelta(days=20))
    CommissionLineFactory(partner=partner, amount="250.50", booked_on=TODAY - timedelta(days=15))
    CommissionLineFactory(partner=rival, amount="80.00", currency="EUR", booked_on=TODAY - timedelta(days=15))
    CommissionLineFactory(
        partner=rival, amount="10.00", booked_on=TODAY - timedelta(days=12)
    )  # under the minimum: carried forward
    CommissionLineFactory(partner=partner, amount="999.00", booked_on=TODAY - timedelta(days=2))  # after the period end
    return partner, rival


def test_a_run_computes_one_statement_per_partner_and_currency(finance_api, ledger, create_run):
    partner, rival = ledger
    response = create_run()
    assert response.status_code == 202
    run_id = response.json()["id"]
    assert response.json()["status"] == "calculating"
    body = finance_api.get(f"/api/v1/payout-runs/{run_id}/").json()
    assert body["status"] == "calculated"
    assert body["statement_count"] == 2
    assert body["totals"] == [{"currency": "EUR", "amount": "80.00"}, {"currency": "USD", "amount": "350.50"}]
    mine = PayoutStatement.objects.get(partner=partner)
    assert (mine.total, mine.line_count) == (Decimal("350.50"), 2)
    assert [line.amount for line in mine.lines().order_by("id")] == [Decimal("100.00"), Decimal("250.50")]


def test_the_computation_is_set_based(finance, rival):
    for i in range(3):
        CommissionLineFactory(partner=PartnerFactory(), amount="100")
    run = PayoutRunFactory(period_end=LAST_WEEK, created_by=finance)
    with CaptureQueriesContext(connection) as few:
        services.payout_run_calculate(run.pk)
    for i in range(30):
        partner = PartnerFactory()
        for j in range(3):
            CommissionLineFactory(partner=partner, amount="60")
    run2 = PayoutRunFactory(period_end=LAST_WEEK, created_by=finance, open_slot=None)
    with CaptureQueriesContext(connection) as many:
        services.payout_run_calculate(run2.pk)
    assert len(many) == len(few)
    assert run2.statements.count() == 33


def test_totals_under_the_minimum_carry_forward_to_a_later_run(finance2, ledger, settings, create_run):
    partner, rival = ledger
    run = PayoutRun.objects.get(pk=create_run().json()["id"])
    assert not PayoutStatement.objects.filter(run=run, partner=rival, currency="USD").exists()
    services.payout_run_approve(run=run, by=finance2)
    CommissionLineFactory(partner=rival, amount="45.00", booked_on=TODAY - timedelta(days=1))
    later = PayoutRun.objects.get(pk=create_run(TODAY - timedelta(days=1)).json()["id"])
    carried = PayoutStatement.objects.get(run=later, partner=rival, currency="USD")
    assert (carried.total, carried.line_count) == (Decimal("55.00"), 2)
    assert PayoutStatement.objects.get(run=later, partner=partner).total == Decimal("999.00")


def test_lines_of_an_approved_run_are_never_paid_again(finance2, ledger, create_run):
    first = PayoutRun.objects.get(pk=create_run().json()["id"])
    services.payout_run_approve(run=first, by=finance2)
    second = PayoutRun.objects.get(pk=create_run(TODAY - timedelta(days=1)).json()["id"])
    first_ids = {line.pk for s in first.statements.all() for line in s.lines()}
    second_ids = {line.pk for s in second.statements.all() for line in s.lines()}
    assert first_ids and second_ids and not first_ids & second_ids


def test_recalculating_gives_the_same_result(ledger, create_run, recalculate):
    run_id = create_run().json()["id"]
    before = sorted(
        PayoutStatement.objects.filter(run_id=run_id).values_list(
            "partner_id", "currency", "total", "line_count", "after_line_id", "last_line_id"
        )
    )
    assert recalculate(run_id).status_code == 202
    after = sorted(
        PayoutStatement.objects.filter(run_id=run_id).values_list(
            "partner_id", "currency", "total", "line_count", "after_line_id", "last_line_id"
        )
    )
    assert after == before
    assert PayoutRun.objects.get(pk=run_id).status == "calculated"


def test_a_run_failing_half_way_leaves_nothing_and_shows_the_error(
    finance_api, ledger, monkeypatch, create_run, recalculate
):
    def crash(run):
        raise RuntimeError("worker lost its database connection")

    finish = services._finish_calculation
    monkeypatch.setattr(services, "_finish_calculation", crash)
    run_id = create_run().json()["id"]
    body = finance_api.get(f"/api/v1/payout-runs/{run_id}/").json()
    assert body["status"] == "failed"
    assert "worker lost its database connection" in body["error"]
    assert not PayoutStatement.objects.exists()
    monkeypatch.setattr(services, "_finish_calculation", finish)
    assert recalculate(run_id).status_code == 202
    assert PayoutStatement.objects.filter(run_id=run_id).count() == 2


def test_a_task_delivered_twice_does_not_double_statements(ledger, create_run):
    from incentives.tasks import calculate_payout_run

    run_id = create_run().json()["id"]
    calculate_payout_run.delay(run_id)
    assert PayoutStatement.objects.filter(run_id=run_id).count() == 2


def test_only_one_run_is_open_at_a_time(ledger, create_run):
    create_run()
    response = create_run()
    assert response.status_code == 409
    assert "Another payout run is open" in response.json()["detail"]


def test_the_period_cannot_end_in_the_future(create_run):
    response = create_run(TODAY + timedelta(days=1))
    assert response.status_code == 400
    assert response.json() == {"period_end": ["The period cannot end in the future."]}


def test_a_run_up_to_today_leaves_later_lines_to_the_next_run(finance2, partner, create_run):
    CommissionLineFactory(partner=partner, amount="100.00", booked_on=TODAY)
    run = PayoutRun.objects.get(pk=create_run(TODAY).json()["id"])
    services.payout_run_approve(run=run, by=finance2)
    CommissionLineFactory(partner=partner, amount="60.00", booked_on=TODAY)  # booked after the run, the same day
    later = PayoutRun.objects.get(pk=create_run(TODAY).json()["id"])
    assert [(s.total, s.line_count) for s in later.statements.all()] == [(Decimal("60.00"), 1)]


def test_four_eyes_the_creator_cannot_approve(finance_api, finance2, api, ledger, create_run):
    run_id = create_run().json()["id"]
    response = finance_api.post(f"/api/v1/payout-runs/{run_id}/approve/")
    assert response.status_code == 403
    assert response.json()["detail"] == "You created this run: another finance user approves it (four eyes)."
    api.force_authenticate(finance2)
    body = api.post(f"/api/v1/payout-runs/{run_id}/approve/").json()
    assert (body["status"], body["approved_by"]) == ("approved", finance2.email)


def test_an_approved_run_is_frozen(finance_api, finance2, ledger, create_run):
    run = PayoutRun.objects.get(pk=create_run().json()["id"])
    services.payout_run_approve(run=run, by=finance2)
    response = finance_api.post(f"/api/v1/payout-runs/{run.pk}/recalculate/")
    assert response.status_code == 409
    assert "frozen" in response.json()["detail"]


def test_mark_paid_needs_a_reference(finance_api, finance2, ledger, create_run):
    run = PayoutRun.objects.get(pk=create_run().json()["id"])
    assert (
        finance_api.post(f"/api/v1/payout-runs/{run.pk}/mark-paid/", {"reference": "X"}).status_code == 409
    )  # not approved
    services.payout_run_approve(run=run, by=finance2)
    assert "reference" in finance_api.post(f"/api/v1/payout-runs/{run.pk}/mark-paid/", {}).json()
    body = finance_api.post(f"/api/v1/payout-runs/{run.pk}/mark-paid/", {"reference": "SEPA-42"}).json()
    assert (body["status"], body["payment_reference"]) == ("paid", "SEPA-42")


@pytest.mark.parametrize("role", ["manager", "partner_admin"])
def test_payout_runs_are_for_finance(api, partner, role, finance, ledger):
    from ..factories import PartnerUserFactory, StaffUserFactory

    run = services.payout_run_create(period_end=LAST_WEEK, by=finance)
    user = StaffUserFactory(role=role) if role == "manager" else PartnerUserFactory(partner=partner)
    api.force_authenticate(user)
    assert api.get("/api/v1/payout-runs/").status_code == 403
    assert api.post("/api/v1/payout-runs/", {"period_end": LAST_WEEK.isoformat()}).status_code == 403
    assert api.get(f"/api/v1/payout-runs/{run.pk}/").status_code == 404
    assert list(PayoutRun.objects.values_list("pk", flat=True)) == [run.pk]


# --- Documents ---------------------------------------------------------------------------------


def test_the_statement_pdf_lists_every_line_and_the_total_and_is_stored(finance_api, ledger, create_run):
    partner, _ = ledger
    run_id = create_run().json()["id"]
    statement = PayoutStatement.objects.get(partner=partner)
    assert statement.pdf  # rendered by the worker after the calculation
    name = statement.pdf.name
    response = finance_api.get(f"/api/v1/statements/{statement.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages)
    assert partner.name in text and f"PR-{LAST_WEEK:%Y%m%d}-{run_id}" in text
    assert "100.00 USD" in text and "250.50 USD" in text and "350.50 USD" in text
    finance_api.get(f"/api/v1/statements/{statement.pk}/pdf/")
    statement.refresh_from_db()
    assert statement.pdf.name == name  # not re-rendered


def test_zip_of_all_pdfs_and_csv_for_accounting(finance_api, ledger, create_run):
    run_id = create_run(finance_api).json()["id"]
    asked = finance_api.get(f"/api/v1/payout-runs/{run_id}/statements.zip")  # a worker builds it after this request
    assert (asked.status_code, asked["Retry-After"], asked.json()["status"]) == (202, "5", "preparing")
    assert "being prepared" in asked.json()["detail"]
    response = finance_api.get(f"/api/v1/payout-runs/{run_id}/statements.zip")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 2
    assert all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())
    rows = list(
        csv.DictReader(io.StringIO(finance_api.get(f"/api/v1/payout-runs/{run_id}/export.csv").content.decode()))
    )
    assert len(rows) == 2
    assert {(r["partner"], r["currency"], r["total"]) for r in rows} >= {("Acme Cloud Partners", "USD", "350.50")}


def test_run_list_runs_a_constant_number_of_queries(finance_api, finance, partner):
    CommissionLineFactory(partner=partner, amount="100", booked_on=TODAY - timedelta(days=30))
    PayoutRunFactory(period_end=TODAY - timedelta(days=25), created_by=finance, status="paid")
    with CaptureQueriesContext(connection) as few:
        finance_api.get("/api/v1/payout-runs/")
    for days in (20, 10):
        PayoutRunFactory(period_end=TODAY - timedelta(days=days), created_by=finance, status="paid")
    with CaptureQueriesContext(connection) as many:
        assert finance_api.get("/api/v1/payout-runs/").json()["count"] == 3
    assert len(many) == len(few)
