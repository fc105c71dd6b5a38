"""Staff pages of QBRs and the program evaluation: managers prepare a QBR and download its PDF,
render it again, ask for a quarter's ZIP and follow its progress; managers, finance and admins
read the evaluation and its CSV and enter program costs; other roles are refused; list pages
take a fixed number of queries."""

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.models import ProgramCost, QbrPack, QuarterlyReview, quarter_end, quarter_label
from performance.services import qbr as services

from ..factories import DealFactory, PartnerFactory, StaffUserFactory
from .conftest import last_quarter, moment, previous

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return StaffUserFactory(role="admin", is_superuser=True, email="root@example.com")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- QBRs ----------------------------------------------------------------------------------------


def test_a_manager_prepares_a_qbr_in_the_admin_and_downloads_its_pdf(client, manager, partner, requests_commit):
    client.force_login(manager)
    q = last_quarter()
    response = client.post(
        reverse("admin:performance_quarterlyreview_add"),
        {"partner": partner.pk, "quarter": q.isoformat(), "goals": "Two new logos\nOne certification"},
        follow=True,
    )
    assert response.status_code == 200
    review = QuarterlyReview.objects.get()
    assert (review.partner, review.quarter, review.goals, review.pdf_status) == (
        partner,
        q,
        "Two new logos\nOne certification",
        "ready",
    )
    page = client.get(reverse("admin:performance_quarterlyreview_changelist")).content.decode()
    assert "Download PDF" in page and quarter_label(q) in page
    download = client.get(reverse("admin:performance_quarterlyreview_pdf", args=[review.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    status = client.get(reverse("admin:performance_quarterlyreview_status", args=[review.pk])).json()
    assert status["ready"] is True


def test_a_second_review_of_the_same_partner_and_quarter_is_refused_on_the_form(client, manager, partner):
    q = last_quarter()
    services.qbr_prepare(partner=partner, quarter=q, by=manager)
    client.force_login(manager)
    response = client.post(
        reverse("admin:performance_quarterlyreview_add"), {"partner": partner.pk, "quarter": q.isoformat()}
    )
    assert response.status_code == 200
    assert f"Acme Cloud Partners has a review of {quarter_label(q)} already" in response.content.decode()
    assert QuarterlyReview.objects.count() == 1


def test_changing_the_goals_renders_the_pdf_again(client, manager, partner, requests_commit):
    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager, goals="Old")
    client.force_login(manager)
    url = reverse("admin:performance_quarterlyreview_change", args=[review.pk])
    response = client.post(url, {"goals": "New goal"}, follow=True)
    assert response.status_code == 200
    review.refresh_from_db()
    assert (review.goals, review.pdf_status) == ("New goal", "ready")


def test_a_pending_pdf_is_not_downloaded_and_its_page_polls(client, manager, partner):
    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager)  # not committed: pending
    client.force_login(manager)
    response = client.get(reverse("admin:performance_quarterlyreview_pdf", args=[review.pk]), follow=True)
    assert "is not ready: Being rendered by a worker" in " ".join(messages_of(response))
    page = client.get(reverse("admin:performance_quarterlyreview_change", args=[review.pk])).content.decode()
    assert reverse("admin:performance_quarterlyreview_status", args=[review.pk]) in page
    assert client.get(reverse("admin:performance_quarterlyreview_status", args=[review.pk])).json()["ready"] is False


def test_render_again_from_the_list(client, manager, partner, requests_commit):
    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager)
    QuarterlyReview.objects.filter(pk=review.pk).update(pdf_status="failed", pdf_error="ValueError: x")
    client.force_login(manager)
    response = client.post(
        reverse("admin:performance_quarterlyreview_changelist"),
        {"action": "render_again", "_selected_action": [review.pk]},
        follow=True,
    )
    assert "1 QBR is being rendered again." in messages_of(response)
    review.refresh_from_db()
    assert review.pdf_status == "ready"


def test_finance_and_partner_users_do_not_reach_qbrs_in_the_admin(client, finance, partner_admin, partner, manager):
    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager)
    client.force_login(finance)
    for url in (
        reverse("admin:performance_quarterlyreview_changelist"),
        reverse("admin:performance_quarterlyreview_pdf", args=[review.pk]),
        reverse("admin:performance_qbrpack_add"),
    ):
        assert client.get(url).status_code == 403
    client.force_login(partner_admin)
    response = client.get(reverse("admin:performance_quarterlyreview_pdf", args=[review.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_qbr_list_takes_a_fixed_number_of_queries(client, manager):
    q = last_quarter()
    client.force_login(manager)
    url = reverse("admin:performance_quarterlyreview_changelist")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    services.qbr_prepare(partner=PartnerFactory(), quarter=q, by=manager)
    before = count()
    for _ in range(10):
        services.qbr_prepare(partner=PartnerFactory(), quarter=q, by=manager)
    assert count() == before


# --- QBR packs -------------------------------------------------------------------------------------


def test_a_manager_asks_for_a_quarters_zip_and_downloads_it(client, manager, partner, requests_commit):
    q = last_quarter()
    Partner = type(partner)
    Partner.objects.filter(pk=partner.pk).update(created_at=moment(q - timedelta(days=10)))
    DealFactory(partner=partner, submitted_at=moment(q + timedelta(days=2)))
    client.force_login(manager)
    listing = client.get(reverse("admin:performance_quarterlyreview_changelist")).content.decode()
    assert "QBRs of a quarter as a ZIP" in listing
    response = client.post(reverse("admin:performance_qbrpack_add"), {"quarter": q.isoformat()}, follow=True)
    pack = QbrPack.objects.get()
    assert response.redirect_chain[-1][0] == reverse("admin:performance_qbrpack_change", args=[pack.pk])
    assert (pack.status, pack.done, pack.total) == ("ready", 1, 1)
    page = response.content.decode()
    assert f"Ready: 1 QBR of {quarter_label(q)}." in page and "Download the ZIP of all QBRs" in page
    progress = client.get(reverse("admin:performance_qbrpack_progress", args=[pack.pk])).json()
    assert (progress["ready"], progress["done"], progress["recipient_count"]) == (True, 1, 1)
    download = client.get(reverse("admin:performance_qbrpack_zip", args=[pack.pk]))
    assert download["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))) as archive:
        assert len(archive.namelist()) == 1


def test_a_rendering_pack_shows_its_progress_and_no_zip_yet(client, manager, partner):
    q = last_quarter()
    type(partner).objects.filter(pk=partner.pk).update(created_at=moment(q - timedelta(days=10)))
    pack = services.qbr_pack_request(quarter=q, by=manager)  # not committed: rendering
    client.force_login(manager)
    page = client.get(reverse("admin:performance_qbrpack_change", args=[pack.pk])).content.decode()
    assert "Rendering QBRs: 0 of 1 done." in page
    assert reverse("admin:performance_qbrpack_progress", args=[pack.pk]) in page
    response = client.get(reverse("admin:performance_qbrpack_zip", args=[pack.pk]), follow=True)
    assert "The ZIP is not ready: Rendering QBRs: 0 of 1 done." in messages_of(response)
    again = client.post(reverse("admin:performance_qbrpack_add"), {"quarter": q.isoformat()}, follow=True)
    assert any("are being rendered already" in m for m in messages_of(again))
    assert QbrPack.objects.count() == 1


# --- the program evaluation --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "finance", "admin"])
def test_managers_finance_and_admins_read_the_evaluation_and_its_csv(client, role, partner, admin_user):
    user = admin_user if role == "admin" else StaffUserFactory(role=role, email=f"{role}2@example.com")
    q = last_quarter()
    DealFactory(partner=partner, status="won", amount=Decimal("12000.00"), closed_on=q + timedelta(days=1))
    ProgramCost.objects.create(quarter=q, category="events", description="Summit", amount=3000, currency="USD")
    client.force_login(user)
    query = f"?start={previous(q).isoformat()}&end={q.isoformat()}"
    page = client.get(reverse("admin:performance_programcost_evaluation") + query)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Program evaluation" in text and quarter_label(q) in text and quarter_label(previous(q)) in text
    assert "12,000.00 USD" in text and "3,000.00 USD" in text and "4.00×" in text and "300.0%" in text
    response = client.get(reverse("admin:performance_programcost_evaluation_csv") + query)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["quarter"] for r in rows] == [quarter_label(previous(q)), quarter_label(q), "Total"]
    last = rows[1]
    assert (last["partner_sourced_revenue"], last["program_cost"], last["return_on_cost"]) == (
        "12000.00",
        "3000.00",
        "4.00",
    )
    assert (last["net_return_percent"], last["end"]) == ("300.0", quarter_end(q).isoformat())
    assert rows[0]["return_on_cost"] == ""  # no cost, no return


def test_the_evaluation_is_refused_to_partner_users(client, partner_admin):
    client.force_login(partner_admin)
    response = client.get(reverse("admin:performance_programcost_evaluation"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_period_backwards_is_said_on_the_form_and_the_default_shown(client, manager):
    q = last_quarter()
    client.force_login(manager)
    query = f"?start={q.isoformat()}&end={previous(q).isoformat()}"
    response = client.get(reverse("admin:performance_programcost_evaluation") + query)
    assert response.status_code == 200
    assert "The last quarter comes on or after the first." in response.content.decode()
    assert len(response.context["evaluation"].quarters) == 4  # the last four quarters


def test_the_evaluation_page_takes_a_fixed_number_of_queries(client, manager, finance):
    q = last_quarter()
    client.force_login(manager)
    url = reverse("admin:performance_programcost_evaluation")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for i in range(10):
        partner = PartnerFactory()
        DealFactory(partner=partner, status="won", closed_on=q + timedelta(days=i), currency="EUR")
        ProgramCost.objects.create(quarter=q, category="other", description=f"Cost {i}", amount=1, currency="USD")
    assert count() == before


def test_finance_adds_a_program_cost_in_the_admin(client, finance):
    client.force_login(finance)
    q = last_quarter()
    response = client.post(
        reverse("admin:performance_programcost_add"),
        {
            "quarter": q.isoformat(),
            "category": "events",
            "description": "Partner summit",
            "amount": "2500.50",
            "currency": "EUR",
        },
        follow=True,
    )
    assert response.status_code == 200
    cost = ProgramCost.objects.get()
    assert (cost.quarter, cost.amount, cost.currency, cost.entered_by) == (q, Decimal("2500.50"), "EUR", finance)
    listing = client.get(reverse("admin:performance_programcost_changelist")).content.decode()
    assert "2,500.50 EUR" in listing and "Program evaluation" in listing


def test_a_negative_cost_is_refused_on_the_field(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("admin:performance_programcost_add"),
        {
            "quarter": last_quarter().isoformat(),
            "category": "events",
            "description": "Refund",
            "amount": "-5",
            "currency": "USD",
        },
    )
    assert response.status_code == 200
    assert "amount" in response.context["adminform"].form.errors
    assert not ProgramCost.objects.exists()


@pytest.mark.parametrize("model", ["quarterlyreview", "programcost", "qbrpack"])
def test_the_quarter_filter_lists_the_quarters_that_exist(client, admin_user, partner, model):
    q, earlier = last_quarter(), previous(last_quarter())
    for quarter in (q, earlier):
        if model == "quarterlyreview":
            QuarterlyReview.objects.create(partner=partner, quarter=quarter)
        elif model == "programcost":
            ProgramCost.objects.create(quarter=quarter, category="other", description="Cost", amount=1, currency="USD")
        else:
            QbrPack.objects.create(quarter=quarter, requested_by=admin_user)
    client.force_login(admin_user)
    url = reverse(f"admin:performance_{model}_changelist")
    text = client.get(url).content.decode()
    assert quarter_label(q) in text and quarter_label(earlier) in text
    assert "Past 7 days" not in text and "This month" not in text
    response = client.get(url, {"quarter": q.isoformat()})
    assert response.status_code == 200
    assert [row.quarter for row in response.context["cl"].result_list] == [q]
    assert list(client.get(url, {"quarter": "not-a-day"}).context["cl"].result_list) == []
