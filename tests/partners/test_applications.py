"""Applications: the public form and API, validation, duplicates, the pipeline and the admin."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners import services
from partners.models import Application, Invitation, OnboardingTask, Partner

from ..factories import ApplicationFactory, FitCriterionFactory, PartnerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

VALID = {
    "company_name": "Northwind Traders",
    "website": "https://www.northwind-traders.co.uk",
    "country": "GB",
    "partner_type": "reseller",
    "employees": 120,
    "annual_revenue": "10M-50M",
    "specializations": ["Cloud", "data"],
    "contact_name": "Nora West",
    "contact_email": "Nora@Northwind-Traders.co.uk",
    "message": "We sell to mid-market retailers.",
}


@pytest.fixture
def profile(db):
    return [
        FitCriterionFactory(name="Regions", kind="country", weight=50, values=["GB", "DE"]),
        FitCriterionFactory(name="Types", kind="partner_type", weight=50, must_have=True, values=["reseller", "msp"]),
    ]


def submit(api, **changes):
    return api.post("/api/v1/applications/", {**VALID, **changes}, format="json")


# --- Applying ----------------------------------------------------------------------------------


def test_anyone_applies_through_the_api_and_gets_a_confirmation(api, profile, commit):
    with commit():
        response = submit(api)
    assert response.status_code == 201
    application = Application.objects.get()
    assert response.json() == {"id": application.pk, "status": "applied"}
    assert application.contact_email == "nora@northwind-traders.co.uk"
    assert application.specializations == ["cloud", "data"]
    assert (application.website_domain, application.email_domain) == (
        "northwind-traders.co.uk",
        "northwind-traders.co.uk",
    )
    assert application.fit_score == 100
    assert mail.outbox[0].to == ["nora@northwind-traders.co.uk"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("company_name", ""),
        ("website", "not a url"),
        ("website", "ftp://northwind.co.uk"),
        ("website", "http://localhost"),
        ("website", "http://192.168.1.10"),
        ("website", "https://northwind.invalidtld"),
        ("country", "XX"),
        ("country", "gbr"),
        ("partner_type", "distributor"),
        ("employees", 0),
        ("employees", -5),
        ("employees", "many"),
        ("annual_revenue", "2M"),
        ("specializations", "cloud"),
        ("specializations", [""]),
        ("specializations", ["x" * 61]),
        ("specializations", [f"s{i}" for i in range(21)]),
        ("contact_name", ""),
        ("contact_email", "nora-at-northwind"),
    ],
)
def test_each_invalid_field_is_named_and_nothing_is_written(api, field, value):
    response = submit(api, **{field: value})
    assert response.status_code == 400, response.json()
    assert list(response.json()) == [field]
    assert response.json()[field][0]
    assert not Application.objects.exists()
    assert mail.outbox == []


def test_missing_fields_are_all_named(api):
    response = api.post("/api/v1/applications/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {
        "company_name",
        "website",
        "country",
        "partner_type",
        "employees",
        "annual_revenue",
        "contact_name",
        "contact_email",
    }


def test_applying_is_throttled(api, settings):
    from partners.api import ApplicationRateThrottle

    allowed = ApplicationRateThrottle().num_requests
    for i in range(allowed):
        assert (
            submit(api, company_name=f"Co {i}", website=f"https://co{i}.com", contact_email=f"a@co{i}.com").status_code
            == 201
        )
    assert submit(api, company_name="One more", website="https://more.com").status_code == 429
    assert Application.objects.count() == allowed


def test_the_public_form_applies_and_thanks(client, profile):
    data = {**VALID, "specializations": "cloud, security"}
    response = client.post("/apply/", data)
    assert response.status_code == 302
    assert response["Location"] == "/apply/thanks/"
    assert Application.objects.get().specializations == ["cloud", "security"]
    assert b"Thank you for applying" in client.get("/apply/thanks/").content


def test_the_public_form_shows_each_error_by_its_field(client):
    response = client.post("/apply/", {**VALID, "specializations": "", "website": "http://localhost", "employees": "0"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"website", "employees"}
    html = response.content.decode()
    assert 'id="id_website_error"' in html
    assert not Application.objects.exists()


# --- Duplicates --------------------------------------------------------------------------------


def test_second_application_from_the_same_website_domain_points_to_the_first(api):
    submit(api)
    response = submit(
        api, company_name="Northwind UK", website="https://shop.northwind-traders.co.uk", contact_email="x@other.com"
    )
    second = Application.objects.get(pk=response.json()["id"])
    assert second.duplicate_of == Application.objects.get(company_name="Northwind Traders")


def test_contact_email_domain_matches_another_applications_website(api):
    submit(api)
    response = submit(
        api, company_name="NW", website="https://nw-group.com", contact_email="ceo@northwind-traders.co.uk"
    )
    assert Application.objects.get(pk=response.json()["id"]).duplicate_of is not None


def test_free_mail_addresses_never_make_duplicates(api):
    submit(api, contact_email="nora.west@gmail.com")
    response = submit(api, company_name="Other", website="https://other-company.com", contact_email="someone@gmail.com")
    other = Application.objects.get(pk=response.json()["id"])
    assert other.email_domain == ""
    assert other.duplicate_of is None


def test_application_of_a_company_already_partnered_points_to_the_partner(api):
    partner = PartnerFactory(
        name="Northwind", website="https://northwind-traders.co.uk", domain="northwind-traders.co.uk"
    )
    response = submit(api)
    application = Application.objects.get(pk=response.json()["id"])
    assert application.duplicate_partner == partner
    assert application.is_duplicate


# --- Reading -----------------------------------------------------------------------------------


def test_staff_read_the_score_breakdown_and_duplicates(manager_api, api, profile):
    first = submit(api, partner_type="referral").json()["id"]
    second = submit(api, company_name="Northwind 2").json()["id"]
    body = manager_api.get(f"/api/v1/applications/{first}/").json()
    assert body["fit_score"] == 50
    assert body["disqualified"] is True
    assert body["score_breakdown"][1] == {
        "criterion": "Types",
        "points": 0,
        "max_points": 50,
        "met": False,
        "must_have": True,
        "reason": "Referral is not a wanted partner type (Reseller, Managed service provider)",
    }
    assert manager_api.get(f"/api/v1/applications/{second}/").json()["duplicate_of"] == first
    listing = manager_api.get("/api/v1/applications/?status=applied").json()
    assert listing["count"] == 2


def test_partner_users_never_see_applications(partner_api):
    application = ApplicationFactory()
    assert partner_api.get(f"/api/v1/applications/{application.pk}/").status_code == 404
    assert partner_api.get("/api/v1/applications/").json()["count"] == 0


def test_anonymous_callers_cannot_read_applications(api):
    application = ApplicationFactory()
    for url in [f"/api/v1/applications/{application.pk}/", "/api/v1/applications/"]:
        response = api.get(url)
        assert response.status_code == 401
        assert application.company_name not in response.content.decode()


def test_application_list_runs_a_constant_number_of_queries(manager_api):
    ApplicationFactory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        manager_api.get("/api/v1/applications/")
    ApplicationFactory.create_batch(15, duplicate_partner=PartnerFactory(), owner=StaffUserFactory())
    with CaptureQueriesContext(connection) as many:
        manager_api.get("/api/v1/applications/")
    assert len(many) == len(few)


# --- The pipeline ------------------------------------------------------------------------------


def test_approval_creates_the_partner_in_onboarding_and_invites_the_contact(manager_api, manager, checklist, commit):
    application = ApplicationFactory(
        company_name="Northwind Traders", contact_email="nora@northwind.com", contact_name="Nora"
    )
    with commit():
        response = manager_api.post(f"/api/v1/applications/{application.pk}/approve/")
    assert response.status_code == 200
    partner = Partner.objects.get(name="Northwind Traders")
    assert response.json() == {"status": "approved", "partner": partner.pk}
    assert partner.status == "onboarding"
    assert partner.domain == application.website_domain
    assert OnboardingTask.objects.filter(partner=partner).count() == len(checklist)
    invitation = Invitation.objects.get(partner=partner)
    assert (invitation.email, invitation.role) == ("nora@northwind.com", "partner_admin")
    assert "Welcome to the partner program" in mail.outbox[-1].subject
    application.refresh_from_db()
    assert (application.status, application.partner, application.decided_by) == ("approved", partner, manager)


def test_approving_twice_is_a_conflict(manager_api):
    application = ApplicationFactory()
    manager_api.post(f"/api/v1/applications/{application.pk}/approve/")
    response = manager_api.post(f"/api/v1/applications/{application.pk}/approve/")
    assert response.status_code == 409
    assert response.json()["detail"] == "This application is already approved."


def test_approval_refuses_a_name_that_is_already_a_partner(manager_api):
    PartnerFactory(name="Northwind Traders")
    application = ApplicationFactory(company_name="northwind traders")
    response = manager_api.post(f"/api/v1/applications/{application.pk}/approve/")
    assert response.status_code == 400
    assert "company_name" in response.json()
    application.refresh_from_db()
    assert application.status == "applied"


@pytest.mark.parametrize("role", ["finance"])
def test_only_managers_approve_or_reject(api, role):
    api.force_authenticate(StaffUserFactory(role=role))
    application = ApplicationFactory()
    response = api.post(f"/api/v1/applications/{application.pk}/approve/")
    assert response.status_code == 403
    assert "manager" in response.json()["detail"]
    assert api.post(f"/api/v1/applications/{application.pk}/reject/", {"reason": "no"}).status_code == 403
    application.refresh_from_db()
    assert application.status == "applied"


def test_rejection_needs_a_reason_and_tells_the_applicant(manager_api, commit):
    application = ApplicationFactory(contact_email="pat@applicant.com")
    response = manager_api.post(f"/api/v1/applications/{application.pk}/reject/", {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.json()
    with commit():
        response = manager_api.post(
            f"/api/v1/applications/{application.pk}/reject/", {"reason": "Outside our target regions."}
        )
    assert response.json() == {"status": "rejected"}
    assert "Outside our target regions." in mail.outbox[-1].body
    application.refresh_from_db()
    assert (application.status, application.rejection_reason) == ("rejected", "Outside our target regions.")
    assert manager_api.post(f"/api/v1/applications/{application.pk}/approve/").status_code == 409


def test_screening_sets_the_owner(manager):
    application = services.application_screen(application=ApplicationFactory(), by=manager)
    assert (application.status, application.owner) == ("screening", manager)


def test_rescoring_follows_a_profile_change(manager, profile):
    application = services.application_submit(data={**VALID, "specializations": []})
    assert application.fit_score == 100
    FitCriterionFactory(name="Specs", kind="specializations", weight=100, values=["security"])
    assert services.applications_rescore() == 1
    application.refresh_from_db()
    assert application.fit_score == 50
    assert application.score_breakdown[-1]["criterion"] == "Specs"


# --- The admin ---------------------------------------------------------------------------------


def test_admin_lists_score_duplicates_and_stage_with_filters(client, manager):
    ApplicationFactory(company_name="Dup Co", duplicate_partner=PartnerFactory(), fit_score=77)
    ApplicationFactory(company_name="Clean Co", fit_score=12)
    client.force_login(manager)
    html = client.get("/admin/partners/application/?duplicate=yes").content.decode()
    assert "Dup Co" in html and "Clean Co" not in html
    applied = client.get("/admin/partners/application/?status__exact=applied").context["cl"].result_list
    assert {a.company_name for a in applied} == {"Dup Co", "Clean Co"}
    assert not client.get("/admin/partners/application/?status__exact=screening").context["cl"].result_list


def test_admin_bulk_reject_asks_for_a_reason_then_rejects(client, manager, commit):
    apps = ApplicationFactory.create_batch(2)
    client.force_login(manager)
    ids = [a.pk for a in apps]
    page = client.post("/admin/partners/application/", {"action": "reject", "_selected_action": ids})
    assert page.status_code == 200
    assert b"Reject and notify" in page.content
    with commit():
        done = client.post(
            "/admin/partners/application/", {"action": "reject", "_selected_action": ids, "reason": "Not now."}
        )
    assert done.status_code == 302
    assert set(Application.objects.values_list("status", flat=True)) == {"rejected"}
    assert len(mail.outbox) == 2


def test_admin_bulk_approve_reports_what_failed(client, manager):
    ok = ApplicationFactory(company_name="Fresh Co")
    rejected = ApplicationFactory(company_name="Old Co", status="rejected")
    client.force_login(manager)
    response = client.post(
        "/admin/partners/application/", {"action": "approve", "_selected_action": [ok.pk, rejected.pk]}, follow=True
    )
    html = response.content.decode()
    assert "1 application approved" in html
    assert "cannot become approved" in html
    assert Partner.objects.filter(name="Fresh Co").exists()


def test_admin_application_page_shows_the_breakdown(client, manager, profile):
    application = services.application_submit(data=VALID)
    client.force_login(manager)
    html = client.get(f"/admin/partners/application/{application.pk}/change/").content.decode()
    assert "United Kingdom" in html and "target regions" in html
