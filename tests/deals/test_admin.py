"""The manager's side: review queue with conflict badges, conflict panel, bulk decisions,
closing, CSV import (all or nothing, errors per row) and CSV export."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deals import services
from deals.models import DealRegistration, ExtensionRequest

from ..factories import DealFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

FUTURE = (timezone.localdate() + timedelta(days=40)).isoformat()
HEADER = (
    "partner,customer_name,customer_domain,customer_country,customer_contact_name,customer_contact_email,amount,"
    "currency,expected_close_date,products,notes"
)


def upload(client, text):
    return client.post(
        "/admin/deals/dealregistration/import/", {"file": SimpleUploadedFile("deals.csv", text.encode())}, follow=True
    )


def test_queue_shows_conflict_badges_and_the_panel_explains(client, manager, partner, rival):
    theirs = DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com", approved=True)
    mine = DealFactory(partner=partner, customer_name="Fabrikam Inc", customer_domain="fabrikam.com")
    for m in services.conflicts_find(mine):
        mine.conflicts.create(other=m.other, kind=m.kind, score=m.score, reason=m.reason)
    DealRegistration.objects.filter(pk=mine.pk).update(in_conflict_review=True)
    client.force_login(manager)
    queue = client.get("/admin/deals/dealregistration/?status__exact=submitted").content.decode()
    assert "1 review" in queue
    panel = client.get(f"/admin/deals/dealregistration/{mine.pk}/change/").content.decode()
    assert f"/admin/deals/dealregistration/{theirs.pk}/change/" in panel
    assert "Same customer domain fabrikam.com" in panel
    assert rival.name in panel


def test_bulk_approve_and_reject_with_a_reason(client, manager, partner):
    a, b, c = DealFactory.create_batch(3, partner=partner)
    client.force_login(manager)
    client.post("/admin/deals/dealregistration/", {"action": "approve", "_selected_action": [a.pk, b.pk]})
    page = client.post("/admin/deals/dealregistration/", {"action": "reject", "_selected_action": [c.pk]})
    assert b"Reject and notify the partners" in page.content
    client.post(
        "/admin/deals/dealregistration/", {"action": "reject", "_selected_action": [c.pk], "reason": "Direct account."}
    )
    statuses = dict(DealRegistration.objects.values_list("pk", "status"))
    assert statuses == {a.pk: "approved", b.pk: "approved", c.pk: "rejected"}


def test_close_as_won_from_the_admin(client, manager, partner):
    deal = DealFactory(partner=partner, approved=True, protected_until=timezone.localdate())
    client.force_login(manager)
    assert "Close as won or lost" in client.get(f"/admin/deals/dealregistration/{deal.pk}/change/").content.decode()
    client.post(f"/admin/deals/dealregistration/{deal.pk}/close/", {"outcome": "won", "amount": "777.70"})
    deal.refresh_from_db()
    assert (deal.status, str(deal.final_amount)) == ("won", "777.70")


def test_csv_import_creates_registrations_and_checks_conflicts(client, manager, partner, rival):
    DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com")
    text = "\n".join(
        [
            HEADER,
            f"{partner.name},Fabrikam Inc.,fabrikam.com,US,Jordan,jordan@fabrikam.com,48000.00,USD,{FUTURE},Cloud "
            f"Suite;Backup,Imported",
            f"{partner.pk},Contoso,contoso.com,GB,,,1200.50,gbp,{FUTURE},,",
        ]
    )
    client.force_login(manager)
    response = upload(client, text)
    assert "2 registrations imported" in response.content.decode()
    fabrikam = DealRegistration.objects.get(customer_name="Fabrikam Inc.")
    assert fabrikam.in_conflict_review and fabrikam.products == ["Cloud Suite", "Backup"]
    assert DealRegistration.objects.get(customer_name="Contoso").currency == "GBP"


def test_csv_import_with_any_bad_row_imports_nothing_and_names_each_error(client, manager, partner):
    text = "\n".join(
        [
            HEADER,
            f"{partner.name},Good Co,good.com,US,,,100,USD,{FUTURE},,",
            f"Nobody Ltd,Bad Co,bad.com,US,,,100,USD,{FUTURE},,",
            f"{partner.name},Worse Co,localhost,XX,,not-an-email,-3,EURO,2020-01-01,,",
            f"{partner.name},Date Co,date.com,US,,,10,USD,31/12/2030,,",
        ]
    )
    client.force_login(manager)
    html = upload(client, text).content.decode()
    assert "Nothing was imported" in html
    for expected in [
        "Row 3: partner: no partner named or numbered &#x27;Nobody Ltd&#x27;",
        "Row 4: customer_domain:",
        "Row 4: customer_country:",
        "Row 4: customer_contact_email:",
        "Row 4: amount:",
        "Row 4: currency:",
        "Row 5: expected_close_date:",
    ]:
        assert expected in html, expected
    assert not DealRegistration.objects.exists()


def test_csv_import_needs_the_columns(client, manager):
    client.force_login(manager)
    html = upload(client, "customer_name,amount\nX,1").content.decode()
    assert "The header lacks the column(s): partner, customer_domain" in html


def test_csv_import_is_for_managers(client, partner):
    client.force_login(StaffUserFactory(role="finance"))
    assert client.get("/admin/deals/dealregistration/import/").status_code == 403
    header = "partner,customer_name,customer_domain,customer_country,amount,currency,expected_close_date"
    row = f"{partner.name},Fabrikam,fabrikam.com,US,1000,USD,{timezone.localdate() + timedelta(days=30)}"
    assert upload(client, f"{header}\n{row}").status_code == 403
    assert not DealRegistration.objects.exists()


def test_csv_export_has_one_row_per_selected_deal(client, manager, partner):
    deals = DealFactory.create_batch(3, partner=partner, products=["A", "B"])
    client.force_login(manager)
    response = client.post(
        "/admin/deals/dealregistration/", {"action": "export_csv", "_selected_action": [d.pk for d in deals]}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["id", "partner", "status"]
    assert len(rows) == 4
    assert rows[1][rows[0].index("products")] == "A;B"
    assert rows[1][rows[0].index("amount")] == "10000.00"


def test_extension_requests_are_granted_in_bulk(client, manager, partner_admin):
    deal = DealFactory(partner=partner_admin.partner, approved=True, protected_until=timezone.localdate())
    services.extension_request(deal=deal, by=partner_admin, reason="Please")
    client.force_login(manager)
    client.post(
        "/admin/deals/extensionrequest/", {"action": "grant", "_selected_action": [ExtensionRequest.objects.get().pk]}
    )
    deal.refresh_from_db()
    assert deal.protected_until > timezone.localdate()
