"""A partner admin keeps the organization's locator profile in the portal (service and page);
reps read it; another organization's profile is never reachable; logo checks; the admin."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketing.models import LocatorProfile
from marketing.services.locator import locator_profile_for, locator_profile_save
from partners.models import Partner
from prm.errors import RuleViolation

from ..factories import PartnerFactory
from .locator_helpers import png_bytes, png_upload, profile_of

pytestmark = pytest.mark.django_db

URL = "/portal/locator/"
DATA = {"listed": "on", "summary": "Cloud for you.", "description": "What we do.", "regions": ["FR", "BE"]}


def test_the_profile_is_made_on_first_visit_unlisted_with_a_slug_from_the_name(client, partner_admin, partner):
    assert reverse("locator:profile") == URL
    client.force_login(partner_admin)
    response = client.get(URL)
    assert response.status_code == 200
    profile = LocatorProfile.objects.get(partner=partner)
    assert not profile.listed and profile.slug == "acme-cloud-partners"
    assert "what becomes public" not in response.content.decode()  # the sentence says it in full:
    assert "anyone can see" in response.content.decode()


def test_slugs_are_unique():
    first = PartnerFactory(name="Acme: Cloud")
    second = PartnerFactory(name="Acme Cloud")
    assert locator_profile_for(partner=first).slug == "acme-cloud"
    assert locator_profile_for(partner=second).slug == "acme-cloud-2"
    assert locator_profile_for(partner=second).slug == "acme-cloud-2"  # made once


def test_a_partner_admin_lists_the_profile_with_a_logo(client, partner_admin, partner):
    client.force_login(partner_admin)
    response = client.post(URL, {**DATA, "logo": png_upload()}, follow=True)

    assert response.status_code == 200
    profile = LocatorProfile.objects.get(partner=partner)
    assert profile.listed and profile.summary == "Cloud for you." and profile.regions == ["BE", "FR"]
    assert profile.updated_by == partner_admin and profile.logo
    body = response.content.decode()
    assert "The locator profile is saved. It is public now." in body
    assert reverse("locator_public:detail", args=[profile.slug]) in body  # the preview link
    logo = client.get(reverse("locator_public:logo", args=[profile.slug]))
    assert logo.status_code == 200 and b"".join(logo.streaming_content) == png_bytes()


def test_the_logo_can_be_removed(client, partner_admin, partner):
    profile_of(partner, logo=True)
    client.force_login(partner_admin)
    client.post(URL, {**DATA, "remove_logo": "on"})
    assert not LocatorProfile.objects.get(partner=partner).logo


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("logo.png", b"<html><script>alert(1)</script></html>"), "its content is not a PNG image"),
        (SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024)), "the limit is 1 MB"),
        (SimpleUploadedFile("logo.svg", b"<svg></svg>"), "are not accepted"),
        (SimpleUploadedFile("logo.gif", b"GIF89a...."), "are not accepted"),
    ],
)
def test_logo_checks(client, partner_admin, partner, upload, message):
    client.force_login(partner_admin)
    response = client.post(URL, {**DATA, "logo": upload})
    assert response.status_code == 200
    assert message in str(response.context["form"].errors["logo"])
    profile = LocatorProfile.objects.get(partner=partner)
    assert not profile.listed and not profile.logo and not profile.summary  # nothing written


def test_field_errors_are_named(client, partner_admin, partner):
    client.force_login(partner_admin)
    response = client.post(URL, {"listed": "on", "summary": "", "regions": ["ZZ"], "description": "x" * 2001})
    assert set(response.context["form"].errors) == {"regions", "description"}
    body = response.content.decode()
    assert "Please correct these 2 fields" in body and 'href="#id_regions"' in body
    response = client.post(URL, {"listed": "on", "summary": "  ", "description": "Bad\u202etext"})
    assert set(response.context["form"].errors) == {"summary", "description"}
    assert "Write a short summary" in str(response.context["form"].errors["summary"])
    assert not LocatorProfile.objects.get(partner=partner).listed


def test_an_onboarding_partner_sees_why_it_cannot_be_listed(client, partner_admin, partner):
    Partner.objects.filter(pk=partner.pk).update(status=Partner.Status.ONBOARDING)
    client.force_login(partner_admin)
    page = client.get(URL).content.decode()
    assert "Only active partners are shown on the partner locator" in page
    response = client.post(URL, DATA)
    assert "Only active partners are shown on the partner locator; Acme Cloud Partners is onboarding." in str(
        response.context["form"].errors["listed"]
    )
    assert not LocatorProfile.objects.get(partner=partner).listed
    client.post(URL, {**DATA, "listed": ""})  # it may prepare the profile
    assert LocatorProfile.objects.get(partner=partner).summary == "Cloud for you."


def test_a_rep_reads_the_profile_and_cannot_change_it(client, rep, partner):
    profile_of(partner, summary="Ours.")
    client.force_login(rep)
    page = client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ours." in body and "Only a partner admin can change the locator profile." in body
    assert '<form class="prm-form"' not in body
    assert client.post(URL, {**DATA, "summary": "Theirs."}).status_code == 403
    assert LocatorProfile.objects.get(partner=partner).summary == "Ours."


def test_another_organizations_profile_is_never_reached(client, partner_admin, partner, rival):
    theirs = profile_of(rival, summary="Rival text.", listed=False)
    client.force_login(partner_admin)
    client.post(URL, {**DATA, "summary": "Mine."})
    theirs.refresh_from_db()
    assert theirs.summary == "Rival text." and not theirs.listed
    assert LocatorProfile.objects.get(partner=partner).summary == "Mine."
    assert "Rival text." not in client.get(URL).content.decode()


def test_the_service_checks_roles(partner, partner_admin, rep, rival_admin, manager):
    for user in (rep, rival_admin):
        with pytest.raises(PermissionDenied):
            locator_profile_save(partner=partner, by=user, data={"summary": "x"})
    assert locator_profile_save(partner=partner, by=manager, data={"summary": "Fixed."}).summary == "Fixed."


def test_the_service_refuses_unknown_fields_and_listing_without_summary(partner, partner_admin):
    with pytest.raises(RuleViolation) as refused:
        locator_profile_save(partner=partner, by=partner_admin, data={"slug": "mine"})
    assert "slug" in refused.value.message_dict
    with pytest.raises(RuleViolation) as refused:
        locator_profile_save(partner=partner, by=partner_admin, data={"listed": True})
    assert "summary" in refused.value.message_dict


def test_staff_are_sent_to_the_admin(client, manager):
    client.force_login(manager)
    assert client.get(URL).status_code == 302


# --- Admin ---


def test_managers_list_and_unlist_profiles_but_never_add_or_delete(client, manager, partner, rival):
    mine = profile_of(partner, summary="Rude words.")
    profile_of(rival, listed=False)
    client.force_login(manager)
    listing = client.get(reverse("admin:marketing_locatorprofile_changelist"), {"listed__exact": "1"})
    assert listing.status_code == 200
    body = listing.content.decode()
    assert partner.name in body and rival.name not in body
    assert client.get(reverse("admin:marketing_locatorprofile_add")).status_code == 403
    url = reverse("admin:marketing_locatorprofile_change", args=[mine.pk])
    response = client.post(url, {"summary": "Cloud for you.", "description": "", "regions": ["FR"]})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert not mine.listed and mine.summary == "Cloud for you." and mine.updated_by == manager
    assert client.get(reverse("locator_public:detail", args=[mine.slug])).status_code == 404
    assert client.post(reverse("admin:marketing_locatorprofile_delete", args=[mine.pk])).status_code == 403


def test_the_admin_form_says_why_a_profile_cannot_be_listed(client, manager, partner):
    profile = profile_of(partner, listed=False)
    Partner.objects.filter(pk=partner.pk).update(status=Partner.Status.SUSPENDED)
    client.force_login(manager)
    url = reverse("admin:marketing_locatorprofile_change", args=[profile.pk])
    response = client.post(url, {"listed": "on", "summary": "x", "description": ""})
    assert response.status_code == 200
    assert "Only active partners are shown on the partner locator" in response.content.decode()
    profile.refresh_from_db()
    assert not profile.listed


def test_the_form_fits_a_phone(client, partner_admin, partner):
    """No "Hold Ctrl" on a phone; the summary's box shows its two sentences without scrolling."""
    profile_of(partner, regions=["FR"])
    client.force_login(partner_admin)
    body = client.get(reverse("locator:profile")).content.decode()
    assert "Hold Ctrl" not in body
    assert "Choose one or more. Customers filtering by these countries find you. Chosen now: France." in body
    summary = body[body.index('name="summary"') - 200 :][:400]
    assert 'rows="4"' in summary


def test_the_brand_is_the_same_at_every_width_on_public_pages(client, partner_admin, partner):
    profile_of(partner)
    assert "Partner portal</span>" not in client.get(reverse("locator_public:list")).content.decode()
    client.force_login(partner_admin)
    assert "Partner portal</span>" in client.get(reverse("locator:profile")).content.decode()


def test_the_admin_filters_by_the_countries_of_partners_with_a_profile(client, manager, partner, rival):
    from ..factories import PartnerFactory

    partner.country, rival.country = "DE", "FR"
    partner.save()
    rival.save()
    profile_of(partner)
    profile_of(rival)
    PartnerFactory(name="No Profile", country="JP")
    client.force_login(manager)
    url = reverse("admin:marketing_locatorprofile_changelist")
    body = client.get(url).content.decode()
    assert "?country=DE" in body and "?country=FR" in body
    assert "?country=JP" not in body and "?country=US" not in body
    assert "Germany" in body
    filtered = client.get(url, {"country": "FR"})
    assert [profile.partner for profile in filtered.context["cl"].result_list] == [rival]
