"""Free text has a length limit and names are plain text, on every surface: the API answers 400
naming the field, forms show the error on the field, and nothing is written."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from deals import services as deal_services
from deals.models import DealRegistration, ExtensionRequest
from partners import services as partner_services
from partners.models import Application, Partner, Tier, TierChange
from prm.errors import RuleViolation
from prm.text import NOTES_MAX

from .factories import AgreementFactory, DealDataFactory, DealFactory

pytestmark = pytest.mark.django_db

ONE_MB = "x" * (1024 * 1024)
RLO = "\u202e"  # right-to-left override

APPLICATION = {
    "company_name": "Northwind Traders",
    "website": "https://www.northwind-traders.co.uk",
    "country": "GB",
    "partner_type": "reseller",
    "employees": 120,
    "annual_revenue": "10M-50M",
    "specializations": ["cloud"],
    "contact_name": "Nora West",
    "contact_email": "nora@northwind-traders.co.uk",
    "message": "We sell to mid-market retailers.",
}


def portal_deal(**changes):
    data = DealDataFactory(**changes)
    data["products"] = "Cloud Suite"
    return data


# --- Deal registration ------------------------------------------------------------------------


def test_api_refuses_a_megabyte_of_notes_and_writes_nothing(partner_api):
    response = partner_api.post("/api/v1/deals/", DealDataFactory(notes=ONE_MB), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["notes"]
    assert "5000" in response.json()["notes"][0]
    assert not DealRegistration.objects.exists()


def test_api_accepts_notes_at_the_limit(partner_api):
    response = partner_api.post("/api/v1/deals/", DealDataFactory(notes="n" * NOTES_MAX), format="json")
    assert response.status_code == 201, response.json()


def test_portal_form_refuses_a_megabyte_of_notes_on_the_field(client, rep):
    client.force_login(rep)
    page = client.get("/portal/deals/new/").content.decode()
    assert f'maxlength="{NOTES_MAX}"' in page
    response = client.post("/portal/deals/new/", portal_deal(notes=ONE_MB))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["notes"]
    assert not DealRegistration.objects.exists()


def test_a_draft_with_too_long_notes_is_refused_by_the_service(partner, rep):
    data = {**DealDataFactory(notes=ONE_MB), "products": ["Cloud Suite"]}
    with pytest.raises(ValidationError) as refused:
        deal_services.deal_save_draft(partner=partner, user=rep, data=data)
    assert "notes" in refused.value.message_dict
    assert not DealRegistration.objects.exists()


def test_api_refuses_a_customer_name_with_a_bidi_override(partner_api):
    response = partner_api.post("/api/v1/deals/", DealDataFactory(customer_name=f"Fabrikam{RLO}cni"), format="json")
    assert response.status_code == 400
    assert "customer_name" in response.json()
    assert "U+202E" in response.json()["customer_name"][0]
    assert not DealRegistration.objects.exists()


def test_portal_form_refuses_a_contact_name_with_a_bidi_isolate(client, rep):
    client.force_login(rep)
    response = client.post("/portal/deals/new/", portal_deal(customer_contact_name="Jordan\u2067Buyer"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["customer_contact_name"]
    assert "U+2067" in response.content.decode()
    assert not DealRegistration.objects.exists()


def test_managers_reject_with_a_reason_of_limited_length(manager_api, partner):
    deal = DealFactory(partner=partner)
    response = manager_api.post(f"/api/v1/deals/{deal.pk}/reject/", {"reason": ONE_MB}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    deal.refresh_from_db()
    assert (deal.status, deal.rejection_reason) == ("submitted", "")


def test_services_refuse_long_or_spoofing_reasons_whatever_the_caller(partner, rep, manager):
    deal = DealFactory(partner=partner, status="approved", protected_until=timezone.localdate() + timedelta(days=5))
    with pytest.raises(RuleViolation) as refused:
        deal_services.deal_reject(deal=deal, by=manager, reason="r" * 2001)
    assert list(refused.value.message_dict) == ["reason"]
    with pytest.raises(RuleViolation):
        deal_services.extension_request(deal=deal, by=rep, reason=f"Budget{RLO}")
    assert not ExtensionRequest.objects.exists()
    request = deal_services.extension_request(deal=deal, by=rep, reason="Budget slipped")
    with pytest.raises(RuleViolation) as refused:
        deal_services.extension_refuse(request=request, by=manager, note=ONE_MB)
    assert list(refused.value.message_dict) == ["note"]
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_tier_change_reason_longer_than_its_column_is_a_field_error(partner, manager):
    gold = Tier.objects.create(name="Gold", rank=3)
    with pytest.raises(RuleViolation) as refused:
        partner_services.partner_tier_set(partner=partner, tier=gold, by=manager, reason="r" * 301)
    assert list(refused.value.message_dict) == ["reason"]
    assert not TierChange.objects.exists()


# --- Applications (anonymous) -----------------------------------------------------------------


def test_apply_api_refuses_a_megabyte_message(api):
    response = api.post("/api/v1/applications/", {**APPLICATION, "message": ONE_MB}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["message"]
    assert not Application.objects.exists()


def test_apply_form_refuses_a_megabyte_message_on_the_field(client):
    response = client.post("/apply/", {**APPLICATION, "specializations": "cloud", "message": ONE_MB})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["message"]
    assert not Application.objects.exists()


def test_apply_refuses_a_company_name_that_displays_as_another(api, client):
    response = api.post(
        "/api/v1/applications/", {**APPLICATION, "company_name": f"Northwind{RLO}srotitepmoc"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["company_name"]
    response = client.post("/apply/", {**APPLICATION, "specializations": "cloud", "contact_name": "Nora\u200fWest"})
    assert list(response.context["form"].errors) == ["contact_name"]
    assert not Application.objects.exists()


# --- Partner users' names and profile ---------------------------------------------------------


def test_signer_name_with_a_bidi_override_is_refused(client, partner_admin):
    AgreementFactory()  # published
    client.force_login(partner_admin)
    response = client.post("/portal/agreement/", {"signer_name": f"Alice {RLO}Anders", "consent": "on"})
    assert response.status_code == 200
    assert "signer_name" in response.context["form"].errors
    assert not partner_admin.partner.agreement_signatures.exists()


def test_profile_refuses_spoofing_names_and_a_long_description(client, partner_admin):
    client.force_login(partner_admin)
    data = {
        "legal_name": f"Acme{RLO} Inc.",
        "website": "https://www.acme.example.com",
        "address_line": "1 Main St",
        "postal_code": "10115",
        "city": "Berlin",
        "country": "DE",
        "phone": "+49 30 1234",
        "description": ONE_MB,
        "specializations": "cloud",
    }
    response = client.post("/portal/profile/", data)
    assert response.status_code == 200
    assert sorted(response.context["form"].errors) == ["description", "legal_name"]
    partner = Partner.objects.get(pk=partner_admin.partner_id)
    assert (partner.legal_name, partner.description) == ("", "")


def test_invited_person_cannot_take_a_name_with_control_characters(client, partner, manager, commit):
    from django.core import mail

    with commit():
        partner_services.invitation_send(partner=partner, email="dana@acme.example.com", invited_by=manager)
    link = next(line for line in mail.outbox[-1].body.splitlines() if "/accounts/invitation/" in line).strip()
    path = link[link.index("/accounts/") :]
    response = client.post(
        path, {"full_name": "Dana\u202dDiaz", "password1": "Sunny-Meadow-42", "password2": "Sunny-Meadow-42"}
    )
    assert response.status_code == 200
    assert "full_name" in response.context["form"].errors
    assert not partner.members.filter(email="dana@acme.example.com").exists()


# --- Performance: targets (issue 12) ---------------------------------------------------------------


def test_target_import_refuses_a_file_over_its_size_and_nothing_is_written(client, manager, partner):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from performance.models import Target

    client.force_login(manager)
    text = "partner_id,period_start,period_end,new_deals\n" + f"{partner.pk},2026-01-01,2026-03-31,1\n" + ONE_MB
    response = client.post("/admin/performance/target/import/", {"file": SimpleUploadedFile("t.csv", text.encode())})
    assert response.status_code == 200
    assert "the limit is 1 MB" in response.content.decode()
    assert not Target.objects.exists()


def test_target_figures_beyond_their_columns_are_field_errors(client, manager, partner):
    from performance.models import Target

    client.force_login(manager)
    data = {"partner": partner.pk, "period_start": "2026-01-01", "period_end": "2026-03-31"}
    response = client.post("/admin/performance/target/add/", {**data, "won_revenue": "1" * 40, "new_deals": "9" * 20})
    assert response.status_code == 200
    assert sorted(response.context["adminform"].form.errors) == ["new_deals", "won_revenue"]
    assert not Target.objects.exists()
