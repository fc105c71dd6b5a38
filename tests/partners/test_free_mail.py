"""A contact e-mail at a free-mail provider is accepted on /apply/ and the API, and flagged for
the manager: in the admin list (badge and filter), on the application's page and in the API."""

import pytest

from partners.models import Application

pytestmark = pytest.mark.django_db

APPLICATION = {
    "company_name": "Northwind Traders",
    "website": "https://www.northwind-traders.co.uk",
    "country": "GB",
    "partner_type": "reseller",
    "employees": 120,
    "annual_revenue": "10M-50M",
    "specializations": "cloud",
    "contact_name": "Nora West",
    "contact_email": "nora.west@northwind-traders.co.uk",
}


@pytest.mark.parametrize(
    ("email", "flagged"),
    [
        ("nora.west1987@gmail.com", True),
        ("Nora@Mail.Yahoo.co.uk", True),
        ("nora@gmx.de", True),
        ("nora.west@northwind-traders.co.uk", False),
        ("nora@sales.northwind-traders.co.uk", False),
    ],
)
def test_the_public_form_accepts_free_mail_and_flags_it(client, email, flagged):
    response = client.post("/apply/", {**APPLICATION, "contact_email": email})
    assert response.status_code == 302
    application = Application.objects.get()
    assert application.free_mail_contact is flagged
    assert application.email_domain == ("" if flagged else "northwind-traders.co.uk")


def test_the_api_accepts_free_mail_and_shows_the_flag_to_staff(api, manager_api, partner_api):
    response = api.post(
        "/api/v1/applications/",
        {**APPLICATION, "specializations": ["cloud"], "contact_email": "nora@outlook.com"},
        format="json",
    )
    assert response.status_code == 201
    detail = manager_api.get(f"/api/v1/applications/{response.json()['id']}/").json()
    assert detail["free_mail_contact"] is True
    assert manager_api.get("/api/v1/applications/").json()["results"][0]["free_mail_contact"] is True
    assert partner_api.get(f"/api/v1/applications/{response.json()['id']}/").status_code == 404


def test_the_admin_lists_a_badge_and_filters_by_the_flag(client, manager):
    client.post(
        "/apply/",
        {
            **APPLICATION,
            "company_name": "Freemail Co",
            "website": "https://freemail-co.com",
            "contact_email": "boss@gmail.com",
        },
    )
    client.post("/apply/", APPLICATION)
    client.force_login(manager)
    listing = client.get("/admin/partners/application/").content.decode()
    assert listing.count('class="free-mail-badge"') == 1
    flagged = client.get("/admin/partners/application/?free_mail_contact__exact=1").content.decode()
    assert "Freemail Co" in flagged and "Northwind Traders" not in flagged
    page = client.get(f"/admin/partners/application/{Application.objects.get(company_name='Freemail Co').pk}/change/")
    assert "free-mail address (boss@gmail.com)" in page.content.decode()
