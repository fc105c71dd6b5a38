"""The partner's QBRs in the portal: only their organization's, only those with a ready PDF,
paginated, an empty state; downloads of another organization's or a pending one are 404; staff
are sent to the admin; the list takes a fixed number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from performance.models import QuarterlyReview, quarter_label
from performance.services import qbr as services

from .conftest import last_quarter, previous

pytestmark = pytest.mark.django_db
LIST = "/portal/scorecard/qbr/"


def ready_review(partner, quarter, manager, commit):
    with commit():
        review = services.qbr_prepare(partner=partner, quarter=quarter, by=manager, goals="Grow")
    review.refresh_from_db()
    assert review.pdf_status == "ready"
    return review


def test_the_portal_lists_the_organizations_ready_qbrs(client, rep, partner, rival, manager, commit):
    q = last_quarter()
    ours = ready_review(partner, q, manager, commit)
    ready_review(rival, q, manager, commit)
    services.qbr_prepare(partner=partner, quarter=previous(q), by=manager)  # pending: not listed
    client.force_login(rep)  # a rep reads them too
    assert reverse("performance:qbr_list") == LIST
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert quarter_label(q) in page and quarter_label(previous(q)) not in page
    assert reverse("performance:qbr_pdf", args=[ours.pk]) in page
    assert [row["review"].pk for row in response.context["rows"]] == [ours.pk]
    download = client.get(reverse("performance:qbr_pdf", args=[ours.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "qbr-acme-cloud-partners" in download["Content-Disposition"]


def test_another_organizations_qbr_and_a_pending_one_are_404(client, partner_admin, partner, rival, manager, commit):
    theirs = ready_review(rival, last_quarter(), manager, commit)
    pending = services.qbr_prepare(partner=partner, quarter=previous(last_quarter()), by=manager)
    client.force_login(partner_admin)
    assert client.get(reverse("performance:qbr_pdf", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("performance:qbr_pdf", args=[pending.pk])).status_code == 404
    assert client.get(reverse("performance:qbr_pdf", args=[987654])).status_code == 404


def test_no_qbr_yet_shows_an_empty_state(client, partner_admin):
    client.force_login(partner_admin)
    response = client.get(LIST)
    assert "No quarterly business review yet" in response.content.decode()


def test_staff_are_sent_to_the_admin_and_anonymous_users_to_sign_in(client, manager):
    assert "/accounts/login/" in client.get(LIST)["Location"]
    client.force_login(manager)
    assert client.get(LIST)["Location"] == reverse("admin:index")


def test_the_list_paginates_with_a_fixed_number_of_queries(client, partner_admin, partner, manager):
    client.force_login(partner_admin)
    quarter = last_quarter()

    def add(count: int) -> None:
        nonlocal quarter
        for _ in range(count):
            QuarterlyReview.objects.create(
                partner=partner, quarter=quarter, pdf_status="ready", pdf="qbr/2026/x.pdf", goals="g"
            )
            quarter = previous(quarter)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    add(2)
    before = count()
    add(30)
    assert count() == before
    second = client.get(LIST + "?page=2")
    assert len(second.context["rows"]) == 12 and "Page 2 of 2" in second.content.decode()
