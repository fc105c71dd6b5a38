"""Registering and following deals through the API and the portal."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deals.models import DealRegistration

from ..factories import DealDataFactory, DealFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db


def test_partner_registers_a_deal_through_the_api(partner_api, partner_admin, commit):
    with commit():
        response = partner_api.post(
            "/api/v1/deals/", DealDataFactory(customer_domain="https://www.Fabrikam.com/about"), format="json"
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["in_conflict_review"], body["amount"], body["currency"]) == (
        "submitted",
        False,
        "48000.00",
        "USD",
    )
    deal = DealRegistration.objects.get(pk=body["id"])
    assert (deal.partner, deal.registered_by, deal.customer_domain) == (
        partner_admin.partner,
        partner_admin,
        "fabrikam.com",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_name", ""),
        ("customer_name", "!!!"),
        ("customer_domain", "localhost"),
        ("customer_domain", "not a domain"),
        ("customer_country", "XX"),
        ("customer_country", "USA"),
        ("customer_contact_email", "jordan-at-fabrikam"),
        ("amount", "0"),
        ("amount", "-5"),
        ("amount", "12.345"),
        ("amount", "lots"),
        ("currency", "XYZ"),
        ("currency", "dollars"),
        ("expected_close_date", "2020-01-01"),
        ("expected_close_date", "31/12/2030"),
        ("products", "Cloud Suite"),
        ("products", [""]),
    ],
)
def test_each_invalid_field_is_named_and_nothing_is_written(partner_api, field, value):
    response = partner_api.post("/api/v1/deals/", DealDataFactory(**{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field], response.json()
    assert not DealRegistration.objects.exists()


def test_staff_cannot_register_deals(manager_api):
    assert manager_api.post("/api/v1/deals/", DealDataFactory(), format="json").status_code == 403
    assert not DealRegistration.objects.exists()


def test_suspended_partners_cannot_register(partner_api, partner):
    partner.status = "suspended"
    partner.save()
    response = partner_api.post("/api/v1/deals/", DealDataFactory(), format="json")
    assert response.status_code == 403
    assert "suspended" in response.json()["detail"]


def test_reps_see_every_deal_of_their_organization_marked_by_who_registered(api, partner_admin, rep, rival):
    DealFactory(partner=partner_admin.partner, registered_by=partner_admin, customer_name="Mine")
    DealFactory(partner=partner_admin.partner, registered_by=rep, customer_name="Carol's")
    DealFactory(partner=rival, customer_name="Theirs")
    api.force_authenticate(rep)
    body = api.get("/api/v1/deals/").json()
    assert body["count"] == 2
    assert {(d["customer_name"], d["registered_by"]) for d in body["results"]} == {
        ("Mine", partner_admin.email),
        ("Carol's", rep.email),
    }


def test_the_api_filters_by_status_and_searches(partner_api, partner_admin):
    DealFactory(partner=partner_admin.partner, customer_name="Contoso", approved=True)
    DealFactory(partner=partner_admin.partner, customer_name="Fabrikam")
    assert [d["customer_name"] for d in partner_api.get("/api/v1/deals/?status=approved").json()["results"]] == [
        "Contoso"
    ]
    assert [d["customer_name"] for d in partner_api.get("/api/v1/deals/?search=fabri").json()["results"]] == [
        "Fabrikam"
    ]


@pytest.mark.parametrize("as_staff", [False, True])
def test_deal_lists_run_a_constant_number_of_queries(api, partner_admin, manager, rival, as_staff):
    api.force_authenticate(manager if as_staff else partner_admin)
    DealFactory.create_batch(2, partner=partner_admin.partner, registered_by=partner_admin)
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/deals/")
    deals = DealFactory.create_batch(
        20, partner=partner_admin.partner, registered_by=partner_admin, customer_name="Same Co"
    )
    from deals.models import ConflictMatch

    ConflictMatch.objects.bulk_create(
        [ConflictMatch(deal=d, other=deals[0], kind="name", score=100, reason="x") for d in deals[1:]]
    )
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/deals/")
    assert len(many) == len(few)


# --- Portal ------------------------------------------------------------------------------------


def test_partner_registers_a_deal_in_the_portal(client, rep):
    client.force_login(rep)
    page = client.get("/portal/deals/new/")
    assert page.status_code == 200
    for field in [
        "customer_name",
        "customer_domain",
        "customer_country",
        "amount",
        "currency",
        "expected_close_date",
        "products",
    ]:
        assert f'name="{field}"' in page.content.decode()
    response = client.post("/portal/deals/new/", DealDataFactory(portal=True))
    deal = DealRegistration.objects.get()
    assert response["Location"] == f"/portal/deals/{deal.pk}/"
    assert deal.products == ["Cloud Suite", "Security Add-on"]
    assert deal.registered_by == rep


def test_portal_form_names_each_error_and_writes_nothing(client, rep):
    client.force_login(rep)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        "/portal/deals/new/",
        DealDataFactory(portal=True, amount="0", customer_domain="nope", expected_close_date=yesterday),
    )
    assert response.status_code == 200
    # Field checks and the registration rules answer together: every error in one answer.
    assert set(response.context["form"].errors) == {"amount", "customer_domain", "expected_close_date"}
    assert "The expected close date cannot be in the past." in response.content.decode()
    assert not DealRegistration.objects.exists()


def test_portal_list_filters_searches_and_paginates(client, partner_admin):
    DealFactory.create_batch(30, partner=partner_admin.partner, registered_by=partner_admin)
    DealFactory(partner=partner_admin.partner, customer_name="Zeta Approved", approved=True)
    client.force_login(partner_admin)
    first = client.get("/portal/deals/")
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    approved = client.get("/portal/deals/?status=approved")
    assert [d.customer_name for d in approved.context["page"].object_list] == ["Zeta Approved"]
    assert "Approved (1)" in approved.content.decode()
    searched = client.get("/portal/deals/?search=zeta")
    assert searched.context["page"].paginator.count == 1


def test_portal_list_empty_state(client, partner_admin):
    client.force_login(partner_admin)
    assert b"No deals registered yet" in client.get("/portal/deals/").content


def test_portal_deal_pages_run_a_constant_number_of_queries(client, partner_admin):
    client.force_login(partner_admin)
    deal = DealFactory(partner=partner_admin.partner, registered_by=partner_admin)
    counts = {}
    for url in ["/portal/deals/", f"/portal/deals/{deal.pk}/"]:
        with CaptureQueriesContext(connection) as q:
            client.get(url)
        counts[url] = len(q)
    DealFactory.create_batch(
        20, partner=partner_admin.partner, registered_by=PartnerUserFactory(partner=partner_admin.partner)
    )
    for url in counts:
        with CaptureQueriesContext(connection) as q:
            client.get(url)
        assert len(q) == counts[url], url


def test_every_invalid_field_is_named_in_one_answer(partner_api):
    response = partner_api.post(
        "/api/v1/deals/",
        DealDataFactory(
            customer_name="",
            amount="lots",
            currency="XYZ",
            expected_close_date="someday",
            customer_country="ZZ",
            customer_domain="nodot",
        ),
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {
        "customer_name",
        "amount",
        "currency",
        "expected_close_date",
        "customer_country",
        "customer_domain",
    }
    assert not DealRegistration.objects.exists()


def test_rule_errors_come_with_field_errors_in_one_api_answer(partner_api):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = partner_api.post(
        "/api/v1/deals/",
        DealDataFactory(amount="lots", customer_domain="nodot", expected_close_date=yesterday, customer_country="us"),
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"amount", "customer_domain", "expected_close_date"}  # "us" is the country US
    assert body["expected_close_date"] == ["The expected close date cannot be in the past."]
    assert not DealRegistration.objects.exists()


def test_a_draft_names_every_error_in_one_answer(client, rep):
    client.force_login(rep)
    draft = DealFactory(partner=rep.partner, registered_by=rep, status="draft")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        f"/portal/deals/{draft.pk}/edit/",
        {
            **DealDataFactory(portal=True, amount="0", customer_domain="nope", expected_close_date=yesterday),
            "save": "submit",
        },
    )
    assert set(response.context["form"].errors) == {"amount", "customer_domain", "expected_close_date"}
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_the_list_shows_protection_only_for_approved_deals(client, partner_admin):
    until = timezone.localdate() + timedelta(days=9)
    DealFactory(partner=partner_admin.partner, status="won", protected_until=until, closed_on=timezone.localdate())
    client.force_login(partner_admin)
    assert f"{until:%-d %b %Y}" not in client.get("/portal/deals/").content.decode()
    DealFactory(partner=partner_admin.partner, status="approved", protected_until=until)
    assert f"{until:%-d %b %Y}" in client.get("/portal/deals/").content.decode()
