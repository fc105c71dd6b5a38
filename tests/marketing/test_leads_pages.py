"""Lead distribution through the portal, the API and the admin: privacy of the contact details
before accepting, scoping (another organization's lead is 404 everywhere), the CSV import (all or
nothing, errors naming row and column), the admin forms and actions, constant query counts."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketing.models import Lead, LeadOffer, RoutingRule
from marketing.services import leads as services

from ..clients import api_client_for
from ..factories import PartnerFactory, PartnerUserFactory, StaffUserFactory, TierFactory
from .leads import lead_data, make_lead, make_rule
from .locator_helpers import profile_of

pytestmark = pytest.mark.django_db
CLOSE = (timezone.localdate() + timedelta(days=60)).isoformat()


@pytest.fixture
def offered(partner, partner_admin):
    """A lead offered to the signed-in partner (Acme), its contact details secret until accepted."""
    lead = make_lead(contact_name="Secret Sarah", contact_email="sarah@hidden-prospect.de", message="Private note")
    services.lead_offer(lead=lead, partner=partner, rule=None, reasons="Chosen by hand")
    return lead


SECRETS = ("Secret Sarah", "sarah@hidden-prospect.de", "Private note")


def test_portal_hides_the_contact_until_accepted_then_shows_it(client, partner_admin, offered):
    client.force_login(partner_admin)
    listing = client.get(reverse("leads:list")).content.decode()
    assert offered.company in listing and "in 48 hours" in listing
    page = client.get(reverse("leads:detail", args=[offered.pk])).content.decode()
    assert offered.company in page and "Shown once you accept the lead." in page
    for secret in (*SECRETS, "+49 30 1234567"):
        assert secret not in page and secret not in listing
    response = client.post(
        reverse("leads:accept", args=[offered.pk]),
        {"amount": "1200.00", "currency": "USD", "expected_close_date": CLOSE, "products": "Firewall, VPN"},
    )
    offered.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == reverse("deals:detail", args=[offered.deal_id])
    assert offered.deal.products == ["Firewall", "VPN"]
    page = client.get(reverse("leads:detail", args=[offered.pk])).content.decode()
    for secret in SECRETS:
        assert secret in page
    assert reverse("deals:detail", args=[offered.deal_id]) in page


def test_api_hides_the_contact_until_accepted_then_shows_it(partner_api, offered):
    listed = partner_api.get("/api/v1/leads/").json()
    assert [row["id"] for row in listed["results"]] == [offered.pk]
    detail = partner_api.get(f"/api/v1/leads/{offered.pk}/")
    body = detail.content.decode()
    assert detail.status_code == 200 and detail.json()["contact_email"] is None
    assert all(secret not in body for secret in SECRETS) and "reasons" not in body
    response = partner_api.post(
        f"/api/v1/leads/{offered.pk}/accept/",
        {"amount": "1200.00", "currency": "USD", "expected_close_date": CLOSE, "products": ["Firewall"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    offered.refresh_from_db()
    assert response.json() == {"deal": offered.deal_id}
    shown = partner_api.get(f"/api/v1/leads/{offered.pk}/").json()
    assert (shown["contact_email"], shown["contact_name"], shown["deal"]) == (
        "sarah@hidden-prospect.de",
        "Secret Sarah",
        offered.deal_id,
    )
    again = partner_api.post(
        f"/api/v1/leads/{offered.pk}/accept/",
        {"amount": "1200.00", "currency": "USD", "expected_close_date": CLOSE},
        format="json",
    )
    assert again.status_code == 409 and "already answered" in again.json()["detail"]


def test_api_errors_name_the_fields(partner_api, offered):
    response = partner_api.post(f"/api/v1/leads/{offered.pk}/accept/", {"currency": "USD"}, format="json")
    assert response.status_code == 400
    assert {"amount", "expected_close_date"} <= set(response.json())
    response = partner_api.post(f"/api/v1/leads/{offered.pk}/decline/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()


def test_a_declined_lead_leaves_the_list_and_history_shows_the_answer(client, partner_api, partner_admin, offered):
    response = partner_api.post(f"/api/v1/leads/{offered.pk}/decline/", {"reason": "Outside our region"}, format="json")
    assert response.status_code == 200
    assert partner_api.get("/api/v1/leads/").json()["results"] == []
    assert partner_api.get(f"/api/v1/leads/{offered.pk}/").status_code == 404
    client.force_login(partner_admin)
    page = client.get(reverse("leads:list")).content.decode()
    who = partner_admin.get_full_name() or partner_admin.email
    assert f"{who} declined {offered.company} on" in page
    # No rule routes it on: it went back to the partner team, not to another partner.
    assert "it went back to the partner team" in page and "went to another partner" not in page
    assert "No leads yet" in page
    assert "sarah@hidden-prospect.de" not in page
    assert client.get(reverse("leads:detail", args=[offered.pk])).status_code == 404


def test_answer_pages_opened_by_get_lead_to_the_lead(client, partner_admin, offered):
    client.force_login(partner_admin)
    for name in ("leads:accept", "leads:decline"):
        response = client.get(reverse(name, args=[offered.pk]))
        assert response.status_code == 302 and response.url == reverse("leads:detail", args=[offered.pk])
    assert LeadOffer.objects.get(lead=offered).status == "pending"


def test_a_decline_by_a_removed_user_names_the_organization(client, partner_admin, offered):
    services.lead_decline(lead=offered, by=partner_admin, reason="Busy")
    LeadOffer.objects.filter(lead=offered).update(responded_by=None)
    client.force_login(partner_admin)
    assert f"Your organization declined {offered.company} on" in client.get(reverse("leads:list")).content.decode()


def test_admin_offer_without_a_partner_comes_back_to_its_form(staff_client, offered):
    url = reverse("admin:marketing_lead_changelist")
    response = staff_client.post(url, {"action": "offer_to_partner", "_selected_action": [offered.pk], "partner": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "Offer leads to a partner" in page and "This field is required." in page


def test_admin_offer_form_leaves_out_partners_already_offered_the_lead(staff_client, offered, partner, rival):
    url = reverse("admin:marketing_lead_changelist")
    form = staff_client.post(url, {"action": "offer_to_partner", "_selected_action": [offered.pk]})
    page = form.content.decode()
    assert f'<option value="{rival.pk}">' in page and f'<option value="{partner.pk}"' not in page
    response = staff_client.post(
        url, {"action": "offer_to_partner", "_selected_action": [offered.pk], "partner": partner.pk}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Offer leads to a partner" in page
    assert "That partner was already offered this lead, or is not active." in page  # the lead untouched
    assert LeadOffer.objects.get(lead=offered).status == "pending"


def test_admin_import_of_a_binary_file_says_so(staff_client):
    upload = SimpleUploadedFile("leads.csv", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", content_type="text/csv")
    response = staff_client.post(reverse("admin:marketing_lead_import"), {"file": upload})
    page = response.content.decode()
    assert "This file is not a CSV text file." in page and "File:" not in page
    assert "Channel marketing" in page or "Marketing" in page
    assert reverse("admin:marketing_lead_changelist") in page


def test_admin_rule_refuses_a_monthly_capacity_of_0(staff_client):
    response = staff_client.post(
        reverse("admin:marketing_routingrule_add"),
        {"name": "Zero", "order": 1, "active": "on", "monthly_capacity": 0, "partner_in_lead_country": "on"},
    )
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert not RoutingRule.objects.filter(name="Zero").exists()


def test_portal_decline_form(client, partner_admin, offered):
    client.force_login(partner_admin)
    response = client.post(reverse("leads:decline", args=[offered.pk]), {"reason": ""})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    response = client.post(reverse("leads:decline", args=[offered.pk]), {"reason": "No capacity"}, follow=True)
    assert "You declined the lead" in response.content.decode()
    assert LeadOffer.objects.get(lead=offered).status == "declined"


def test_a_rivals_lead_is_404_on_every_url(client, api, rival, rival_admin, partner_admin):
    theirs = make_lead()
    services.lead_offer(lead=theirs, partner=rival, rule=None, reasons="Chosen by hand")
    client.force_login(partner_admin)
    api = api_client_for(partner_admin)
    for url in ("detail", "accept", "decline"):
        method = client.get if url == "detail" else client.post
        assert method(reverse(f"leads:{url}", args=[theirs.pk])).status_code == 404
    assert api.get(f"/api/v1/leads/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/leads/{theirs.pk}/accept/", {}, format="json").status_code == 404
    assert api.post(f"/api/v1/leads/{theirs.pk}/decline/", {"reason": "x"}, format="json").status_code == 404
    assert api.get("/api/v1/leads/").json()["results"] == []
    assert theirs.company not in client.get(reverse("leads:list")).content.decode()


def test_staff_see_all_leads_with_offers_and_create_them(manager_api, rival, partner):
    make_rule()
    response = manager_api.post("/api/v1/leads/", lead_data(company="Initech", domain=""), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["company"] == "Initech" and body["domain"].startswith("prospect")
    assert body["contact_email"] and body["offers"][0]["reasons"].startswith("Rule “Everyone”")
    assert Lead.objects.get(pk=body["id"]).source == "api"
    bad = manager_api.post("/api/v1/leads/", {"company": "", "country": "ZZ"}, format="json")
    assert bad.status_code == 400 and {"company", "contact_email", "country"} <= set(bad.json())


def test_partners_cannot_create_leads(partner_api):
    assert partner_api.post("/api/v1/leads/", lead_data(), format="json").status_code == 403


def test_the_lists_take_a_constant_number_of_queries(
    client, partner, partner_admin, partner_api, manager_api, django_assert_max_num_queries
):
    def add(n):
        for _ in range(n):
            services.lead_offer(lead=make_lead(), partner=partner, rule=None, reasons="by hand")

    client.force_login(partner_admin)
    counts = {}
    for size, more in ((1, 1), (15, 14)):
        add(more)
        with django_assert_max_num_queries(12) as portal:
            assert client.get(reverse("leads:list")).status_code == 200
        with django_assert_max_num_queries(8) as api:
            assert partner_api.get("/api/v1/leads/").status_code == 200
        with django_assert_max_num_queries(8) as staff:
            assert manager_api.get("/api/v1/leads/").status_code == 200
        counts[size] = (len(portal), len(api), len(staff))
    assert counts[1] == counts[15]


def test_pagination_and_empty_state(client, partner, partner_admin):
    client.force_login(partner_admin)
    assert "No leads yet" in client.get(reverse("leads:list")).content.decode()
    for _ in range(21):
        services.lead_offer(lead=make_lead(), partner=partner, rule=None, reasons="by hand")
    assert "Page 1 of 2" in client.get(reverse("leads:list")).content.decode()


# --- admin ---------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, manager):
    client.force_login(manager)
    return client


def csv_file(text: str):
    return SimpleUploadedFile("leads.csv", text.encode(), content_type="text/csv")


def test_csv_import_is_all_or_nothing_and_names_row_and_column(staff_client, partner):
    make_rule()
    text = (
        "company,domain,contact_name,contact_email,country,product_interest\n"
        "Good GmbH,good.de,Ann,ann@good.de,DE,Firewall\n"
        "Bad Ltd,,Bob,bob@gmail.com,ZZ,\n"
        ",x.com,Cy,not-an-email,US,\n"
    )
    response = staff_client.post(reverse("admin:marketing_lead_import"), {"file": csv_file(text)})
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Row 3, column country:" in page
    assert "Row 3, column domain:" not in page or "free-mail" in page
    assert "Row 4, column company:" in page and "Row 4, column contact_email:" in page
    assert not Lead.objects.exists()
    good = "company,contact_name,contact_email,country\nGood GmbH,Ann,ann@good.de,DE\nFine GmbH,Fi,fi@fine.de,DE\n"
    response = staff_client.post(reverse("admin:marketing_lead_import"), {"file": csv_file(good)}, follow=True)
    assert "2 leads imported and routed." in response.content.decode()
    assert set(Lead.objects.values_list("source", "status", "partner")) == {("csv", "offered", partner.pk)}


def test_csv_import_refuses_unknown_columns(staff_client):
    response = staff_client.post(reverse("admin:marketing_lead_import"), {"file": csv_file("company,colour\nA,red\n")})
    page = response.content.decode()
    assert "unknown columns: colour" in page and "missing columns: contact_name, contact_email, country" in page


def test_admin_add_form_enters_and_routes_a_lead(staff_client, partner):
    make_rule()
    data = {**lead_data(company="Hooli"), "size": ""}
    response = staff_client.post(reverse("admin:marketing_lead_add"), data, follow=True)
    lead = Lead.objects.get(company="Hooli")
    assert (lead.status, lead.partner, lead.source) == ("offered", partner, "admin")
    assert f"Hooli is offered to {partner.name}." in response.content.decode()
    page = staff_client.get(reverse("admin:marketing_lead_change", args=[lead.pk])).content.decode()
    assert "Rule “Everyone”" in page  # the offer's reasons


def test_admin_add_form_refuses_a_free_mail_lead_without_domain_on_the_same_page(staff_client):
    data = {**lead_data(company="Solo"), "domain": "", "contact_email": "solo@gmail.com"}
    response = staff_client.post(reverse("admin:marketing_lead_add"), data)
    assert response.status_code == 200 and "free-mail provider" in response.content.decode()
    assert not Lead.objects.exists()


def test_admin_routing_rule_form_uses_choices_not_json(staff_client):
    TierFactory(name="Gold", rank=3)
    PartnerFactory(specializations=["security"])
    page = staff_client.get(reverse("admin:marketing_routingrule_add")).content.decode()
    assert 'type="checkbox" name="partner_types"' in page and 'value="security"' in page
    assert 'name="countries"' in page and "selectfilter" in page
    response = staff_client.post(
        reverse("admin:marketing_routingrule_add"),
        {
            "name": "DACH security",
            "order": "1",
            "active": "on",
            "countries": ["DE", "AT"],
            "extra_product_interests": "Firewall, VPN",
            "partner_types": ["reseller"],
            "specializations": ["security"],
            "monthly_capacity": "5",
            "prefer_win_rate": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = RoutingRule.objects.get()
    assert (rule.countries, rule.product_interests, rule.specializations) == (
        ["DE", "AT"],
        ["Firewall", "VPN"],
        ["security"],
    )


def test_admin_actions_route_again_offer_and_close(staff_client, partner, rival):
    PartnerUserFactory(partner=rival)
    make_rule(prefer_win_rate=False)
    lead = services.lead_create(data=lead_data(), by=StaffUserFactory(), source="admin")
    assert lead.partner == partner
    changelist = reverse("admin:marketing_lead_changelist")
    staff_client.post(changelist, {"action": "route_again", "_selected_action": [lead.pk]})
    lead.refresh_from_db()
    assert lead.partner == rival
    response = staff_client.post(changelist, {"action": "close_leads", "_selected_action": [lead.pk]})
    assert "Close leads" in response.content.decode()
    staff_client.post(changelist, {"action": "close_leads", "_selected_action": [lead.pk], "reason": "Spam"})
    lead.refresh_from_db()
    assert lead.status == "closed"
    fresh = PartnerFactory(name="Fresh Partners")
    response = staff_client.post(
        changelist, {"action": "offer_to_partner", "_selected_action": [lead.pk], "partner": fresh.pk}, follow=True
    )
    assert "This lead is closed: it is no longer routed" in response.content.decode()


def test_the_locator_form_shows_the_lead_checks_by_their_fields(client, partner):
    profile = profile_of(partner)
    data = {
        "company": "Tailspin Toys",
        "domain": "",
        "contact_name": "Tom Tail",
        "contact_email": "tom@tailspin.example",
        "contact_phone": "call me",
        "country": "DE",
        "product_interest": "Firewall",
        "size": "50-249",
        "message": "Call me.",
    }
    response = client.post(reverse("locator_public:contact", args=[profile.slug]), data)
    page = response.content.decode()
    assert response.status_code == 200 and not Lead.objects.exists()
    assert "Give the company&#x27;s web domain" in page and "free-mail" not in page
    assert "digits, spaces and + - ( ) . only" in page
