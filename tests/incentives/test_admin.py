"""Finance and managers in the admin: plans and versions, runs and their actions and downloads."""

import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from incentives import services
from incentives.models import CommissionPlan, CommissionRule, PayoutRun

from ..factories import CommissionLineFactory, CommissionPlanFactory, ExchangeRateFactory, StaffUserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("requests_commit")]
LAST_WEEK = timezone.localdate() - timedelta(days=7)


def test_every_incentives_page_shows_finance_its_rows_and_forms(client, finance, partner):
    CommissionLineFactory(partner=partner, amount="100", explanation="Goodwill for the Contoso delay")
    CommissionPlanFactory(name="Silver 2026")
    ExchangeRateFactory(from_currency="GBP", to_currency="USD", rate="1.25")
    client.force_login(finance)
    shows = {
        "/admin/incentives/commissionline/": ["Goodwill for the Contoso delay", "100.00 USD", "Acme Cloud Partners"],
        "/admin/incentives/commissionline/add/": ['name="amount"', 'name="explanation"', 'name="corrects"'],
        "/admin/incentives/payoutrun/": ["0 payout runs"],
        "/admin/incentives/payoutrun/add/": ['name="period_end"'],
        "/admin/incentives/exchangerate/": ["GBP", "1.25"],
        "/admin/incentives/commissionplan/": ["Silver 2026"],
        "/admin/incentives/payoutstatement/": ["0 payout statements"],
    }
    for url, texts in shows.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert [text for text in texts if text not in html] == [], url


def test_finance_runs_a_payout_from_the_admin(client, finance, finance2, partner, commit):
    CommissionLineFactory(partner=partner, amount="100", booked_on=LAST_WEEK - timedelta(days=1))
    client.force_login(finance)
    with commit():  # the worker calculates the run once the request's transaction commits
        response = client.post("/admin/incentives/payoutrun/add/", {"period_end": LAST_WEEK.isoformat()})
    run = PayoutRun.objects.get()
    assert response["Location"] == f"/admin/incentives/payoutrun/{run.pk}/change/"
    page = client.get(response["Location"]).content.decode()
    assert "100.00 USD" in page and "All PDFs (ZIP)" in page
    # Four eyes in the admin too.
    client.post("/admin/incentives/payoutrun/", {"action": "approve", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == "calculated"
    client.force_login(finance2)
    client.post("/admin/incentives/payoutrun/", {"action": "approve", "_selected_action": [run.pk]})
    client.post(
        "/admin/incentives/payoutrun/", {"action": "mark_paid", "_selected_action": [run.pk], "reference": "SEPA-1"}
    )
    run.refresh_from_db()
    assert (run.status, run.payment_reference) == ("paid", "SEPA-1")
    # The ZIP is built by a worker: the first click asks for it and the run's page shows progress.
    asked = client.get(f"/admin/incentives/payoutrun/{run.pk}/statements.zip", follow=True)
    assert asked.redirect_chain[-1][0] == f"/admin/incentives/payoutrun/{run.pk}/change/"
    assert "being prepared by a worker" in asked.content.decode()
    status = client.get(f"/admin/incentives/payoutrun/{run.pk}/documents.json").json()
    assert status["ready"] and status["pdfs_rendered"] == 1 and "1 of 1 statement PDF rendered" in status["progress"]
    page = client.get(f"/admin/incentives/payoutrun/{run.pk}/change/").content.decode()
    assert "Download all PDFs (ZIP)" in page and "1 of 1 statement PDF rendered." in page
    response = client.get(f"/admin/incentives/payoutrun/{run.pk}/statements.zip")
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 1
    assert client.get(f"/admin/incentives/payoutrun/{run.pk}/export.csv").content.decode().count("\n") == 2


def test_a_second_open_run_is_refused_with_a_message(client, finance, partner):
    services.payout_run_create(period_end=LAST_WEEK, by=finance)
    client.force_login(finance)
    response = client.post("/admin/incentives/payoutrun/add/", {"period_end": LAST_WEEK.isoformat()}, follow=True)
    assert "Another payout run is open" in response.content.decode()
    assert PayoutRun.objects.count() == 1


def test_a_plan_in_use_is_versioned_not_edited(client, partner, manager):
    plan = CommissionPlanFactory(
        tier=partner.tier, name="Silver 2026", rules=[dict(kind="percentage", rate=Decimal("8"))]
    )
    from incentives.models import CommissionLine

    CommissionLine.objects.create(
        partner=partner, plan=plan, kind="accrual", amount=Decimal("8"), currency="USD", explanation="x"
    )
    client.force_login(StaffUserFactory(role="admin", is_superuser=True))
    page = client.get(f"/admin/incentives/commissionplan/{plan.pk}/change/").content.decode()
    assert 'name="currency"' not in page and 'name="rules-0-rate"' not in page
    client.post("/admin/incentives/commissionplan/", {"action": "new_version", "_selected_action": [plan.pk]})
    new = CommissionPlan.objects.get(name="Silver 2026", version=2)
    assert (new.previous_version, new.starts_on) == (plan, timezone.localdate())
    assert list(new.rules.values_list("kind", "rate")) == [("percentage", Decimal("8.0000"))]
    plan.refresh_from_db()
    assert plan.ends_on == timezone.localdate() - timedelta(days=1)
    assert CommissionRule.objects.filter(plan=plan).count() == 1
