"""Announcements: managers publish short notices to an audience for a time; partner users see
them on the portal home until they dismiss them (each for themselves), and can read them again."""

from datetime import datetime, timedelta
from datetime import timezone as tz

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enablement import selectors, services
from enablement.models import Announcement, AnnouncementDismissal
from prm.errors import RuleViolation, StateConflict

from ..factories import PartnerFactory, PartnerUserFactory, TierFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=tz.utc)


def announce(manager, **data):
    data = {"title": "Q1 SPIF", "body_markdown": "A bonus on every **won** deal.", "publish_at": NOW, **data}
    return services.announcement_save(by=manager, data=data)


def titles(user, now=NOW):
    return [a.title for a in selectors.announcements_for(user, now=now)]


# --- Audience ---------------------------------------------------------------------------------------


def test_the_audience_matches_tier_type_country_and_status(manager, partner_admin, rival_admin):
    # partner and rival: Silver resellers in Germany, active (the factory's defaults)
    gold = TierFactory(name="Gold", rank=3)
    rival_admin.partner.tier = gold
    rival_admin.partner.partner_type = "msp"
    rival_admin.partner.country = "FR"
    rival_admin.partner.save()
    announce(manager, title="Everyone")
    announce(manager, title="Gold", tiers=[gold])
    announce(manager, title="MSPs", partner_types=["msp"])
    announce(manager, title="France", countries=["FR"])
    announce(manager, title="Resellers in Germany", partner_types=["reseller"], countries=["DE"])
    announce(manager, title="Onboarding", partner_statuses=["onboarding"])
    announce(manager, title="Any status", partner_statuses=[])
    assert sorted(titles(partner_admin)) == ["Any status", "Everyone", "Resellers in Germany"]
    assert sorted(titles(rival_admin)) == ["Any status", "Everyone", "France", "Gold", "MSPs"]


def test_an_audience_of_partner_admins_leaves_reps_out(manager, partner_admin, rep):
    announce(manager, title="For admins", recipients="admins")
    announce(manager, title="For all")
    assert sorted(titles(partner_admin)) == ["For admins", "For all"]
    assert titles(rep) == ["For all"]


def test_suspended_partners_and_staff_see_no_announcement_for_active_partners(manager, partner_admin):
    announce(manager)
    partner_admin.partner.status = "suspended"
    partner_admin.partner.save()
    assert titles(partner_admin) == []
    assert titles(manager) == []


def test_an_announcement_shows_between_publication_and_expiry(manager, partner_admin):
    announce(manager, title="Window", publish_at=NOW, expires_at=NOW + timedelta(days=7))
    assert titles(partner_admin, now=NOW - timedelta(seconds=1)) == []
    assert titles(partner_admin, now=NOW) == ["Window"]
    assert titles(partner_admin, now=NOW + timedelta(days=7) - timedelta(seconds=1)) == ["Window"]
    assert titles(partner_admin, now=NOW + timedelta(days=7)) == []


def test_pinned_come_first_then_the_newest(manager, partner_admin):
    announce(manager, title="Old", publish_at=NOW - timedelta(days=3))
    announce(manager, title="New", publish_at=NOW - timedelta(days=1))
    announce(manager, title="Pinned and old", publish_at=NOW - timedelta(days=9), pinned=True)
    assert titles(partner_admin) == ["Pinned and old", "New", "Old"]


# --- Dismissal ------------------------------------------------------------------------------------


def test_a_dismissal_hides_it_for_that_user_only(manager, partner_admin, rep):
    announcement = announce(manager)
    assert services.announcement_dismiss(announcement=announcement, user=rep) is True
    assert titles(rep) == [] and titles(partner_admin) == ["Q1 SPIF"]
    # Still readable again, marked dismissed.
    assert [(a.title, a.dismissed) for a in selectors.announcements_visible(rep, now=NOW)] == [("Q1 SPIF", True)]


def test_dismissing_twice_keeps_one_record(manager, rep):
    announcement = announce(manager)
    assert services.announcement_dismiss(announcement=announcement, user=rep) is True
    assert services.announcement_dismiss(announcement=announcement, user=rep) is False
    assert AnnouncementDismissal.objects.filter(announcement=announcement, user=rep).count() == 1


def test_the_portal_dismiss_button_hides_it_and_a_double_click_is_harmless(client, manager, rep, partner_admin):
    announcement = announce(manager, publish_at=None)
    client.force_login(rep)
    home = client.get("/portal/")
    assert "Q1 SPIF" in home.content.decode() and 'Dismiss<span class="visually-hidden"> Q1 SPIF' in (
        home.content.decode()
    )
    url = reverse("announcements:dismiss", args=[announcement.pk])
    for _ in range(2):
        response = client.post(url, follow=True)
        assert response.redirect_chain == [(reverse("portal:home"), 302)]
        assert "“Q1 SPIF” is dismissed. You can read it again under Announcements." in response.content.decode()
        assert 'id="announcements-heading"' in response.content.decode()  # the line that leads to the list
        assert f'action="{url}"' not in response.content.decode()
    assert AnnouncementDismissal.objects.filter(user=rep).count() == 1
    listing = client.get(reverse("announcements:list")).content.decode()
    assert "Q1 SPIF" in listing and "dismissed" in listing
    client.force_login(partner_admin)
    assert f'action="{url}"' in client.get("/portal/").content.decode()  # the colleague still sees it


def test_dismissing_an_announcement_outside_my_audience_is_404(client, manager, rep):
    other = announce(manager, title="For France", countries=["FR"], publish_at=None)
    expired = announce(manager, title="Gone", publish_at=NOW - timedelta(days=9), expires_at=NOW)
    scheduled = announce(manager, title="Later", publish_at=NOW + timedelta(days=3650))
    client.force_login(rep)
    for announcement in (other, expired, scheduled):
        assert client.post(reverse("announcements:dismiss", args=[announcement.pk])).status_code == 404
    assert not AnnouncementDismissal.objects.exists()


def test_dismiss_is_a_post(client, manager, rep):
    announcement = announce(manager, publish_at=None)
    client.force_login(rep)
    assert client.get(reverse("announcements:dismiss", args=[announcement.pk])).status_code == 405
    assert not AnnouncementDismissal.objects.exists()


# --- Markdown ---------------------------------------------------------------------------------------


def test_the_body_is_sanitized_on_the_home_page_the_list_and_the_api(client, partner_api, manager, partner_admin):
    body = "# Heading\n\n<script>alert(1)</script> [click](javascript:alert(2)) <img src=x onerror=alert(3)>"
    announce(manager, title="Tricky", body_markdown=body, publish_at=None)
    client.force_login(partner_admin)
    pages = [
        client.get("/portal/").content.decode(),
        client.get(reverse("announcements:list")).content.decode(),
        partner_api.get("/api/v1/announcements/").json()["results"][0]["body_html"],
    ]
    for page in pages:
        assert "Tricky" in page or "Heading" in page
        assert "<script>alert" not in page and "javascript:" not in page and "onerror" not in page
    assert "<h4>Heading</h4>" in pages[0]  # under the panel's h2 and the title's h3
    assert "<h3>Heading</h3>" in pages[1]  # under the page's h1 and the title's h2


# --- Validation -------------------------------------------------------------------------------------


def test_bad_input_names_every_field_and_writes_nothing(manager):
    with pytest.raises(RuleViolation) as refused:
        announce(
            manager,
            title="",
            link="javascript:alert(1)",
            link_text="",
            publish_at=NOW,
            expires_at=NOW - timedelta(hours=1),
            countries=["XX"],
            recipients="everybody",
        )
    errors = refused.value.message_dict
    assert set(errors) == {"title", "link", "link_text", "expires_at", "countries", "recipients"}
    assert "A link starts with https:// or http://." in errors["link"]
    assert errors["expires_at"] == ["The expiry must come after the publication."]
    assert not Announcement.objects.exists()


def test_link_words_need_a_link(manager):
    with pytest.raises(RuleViolation) as refused:
        announce(manager, link_text="Read more")
    assert set(refused.value.message_dict) == {"link"}


def test_only_managers_publish(partner_admin, finance):
    for user in (partner_admin, finance):
        with pytest.raises(PermissionDenied):
            announce(user)
    assert not Announcement.objects.exists()


def test_withdrawing_ends_it_now_and_a_second_time_is_refused(manager, partner_admin):
    announcement = announce(manager)
    services.announcement_withdraw(by=manager, announcement=announcement, now=NOW + timedelta(hours=1))
    assert titles(partner_admin, now=NOW + timedelta(hours=1)) == []
    with pytest.raises(StateConflict, match="has already ended"):
        services.announcement_withdraw(by=manager, announcement=announcement, now=NOW + timedelta(hours=2))
    scheduled = announce(manager, title="Later", publish_at=NOW + timedelta(days=5))
    services.announcement_withdraw(by=manager, announcement=scheduled, now=NOW)
    assert titles(partner_admin, now=NOW + timedelta(days=6)) == []


# --- Admin ------------------------------------------------------------------------------------------


def admin_form(**changes):
    data = {
        "title": "Partner summit",
        "body_markdown": "Two days of road map.",
        "link": "https://example.com/summit",
        "link_text": "Register",
        "publish_at_0": "2026-03-01",
        "publish_at_1": "09:00:00",
        "expires_at_0": "2026-04-01",
        "expires_at_1": "09:00:00",
        "audience_statuses": ["active"],
        "recipients": "admins",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_manager_creates_an_announcement_in_the_admin(client, manager, partner_admin, rep):
    gold = TierFactory(name="Gold", rank=3)
    client.force_login(manager)
    response = client.post(
        "/admin/enablement/announcement/add/",
        admin_form(tiers=[partner_admin.partner.tier_id, gold.pk], audience_types=["reseller"], pinned="on"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    announcement = Announcement.objects.get()
    assert (announcement.title, announcement.pinned, announcement.created_by) == ("Partner summit", True, manager)
    assert set(announcement.tiers.all()) == {partner_admin.partner.tier, gold}
    assert (announcement.partner_types, announcement.partner_statuses) == (",reseller,", ",active,")
    march = datetime(2026, 3, 15, tzinfo=tz.utc)
    assert [a.title for a in selectors.announcements_for(partner_admin, now=march)] == ["Partner summit"]
    assert [a.title for a in selectors.announcements_for(rep, now=march)] == []  # admins only


def test_the_admin_form_names_the_fields_it_refuses(client, manager):
    client.force_login(manager)
    response = client.post(
        "/admin/enablement/announcement/add/",
        admin_form(link="ftp://example.com/x", expires_at_0="2026-02-01"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"link", "expires_at"}
    assert errors["expires_at"] == ["The expiry must come after the publication."]
    assert not Announcement.objects.exists()


def test_the_admin_list_shows_reach_and_dismissals_in_a_constant_number_of_queries(
    client, manager, partner_admin, rep, rival_admin, django_assert_max_num_queries
):
    everyone = announce(manager, title="Everyone")
    announce(manager, title="Admins", recipients="admins", pinned=True)
    services.announcement_dismiss(announcement=everyone, user=rep)
    client.force_login(manager)
    response = client.get("/admin/enablement/announcement/")
    rows = {a.title: (a.reach, a.dismissal_count) for a in response.context["cl"].result_list}
    assert rows == {"Everyone": (3, 1), "Admins": (2, 0)}
    for i in range(15):
        announce(manager, title=f"More {i}", tiers=[partner_admin.partner.tier], countries=["DE", "FR"])
    with django_assert_max_num_queries(14):
        response = client.get("/admin/enablement/announcement/")
    assert response.status_code == 200
    for state in ("current", "scheduled", "expired"):
        assert client.get(f"/admin/enablement/announcement/?when={state}").status_code == 200


# --- Pages ------------------------------------------------------------------------------------------


def test_the_home_page_shows_announcements_first_in_a_constant_number_of_queries(
    client, manager, partner_admin, django_assert_num_queries
):
    client.force_login(partner_admin)
    announce(manager, title="First", publish_at=None)
    with CaptureQueriesContext(connection) as few:
        client.get("/portal/")
    baseline = len(few.captured_queries)
    for i in range(30):
        announce(manager, title=f"Notice {i}", pinned=i % 3 == 0, publish_at=None)
    with django_assert_num_queries(baseline):
        page = client.get("/portal/").content.decode()
    # At the top: before the organization's card.
    assert page.index('id="announcements-heading"') < page.index('id="org-heading"')
    assert page.count('class="card announcement') == selectors.HOME_LIMIT
    assert "More announcements" in page


def test_the_list_paginates_includes_dismissed_and_has_an_empty_state(
    client, manager, partner_admin, django_assert_max_num_queries
):
    client.force_login(partner_admin)
    empty = client.get(reverse("announcements:list")).content.decode()
    assert "No announcements right now" in empty
    for i in range(25):
        announce(manager, title=f"Notice {i:02d}", publish_at=None)
    first = Announcement.objects.get(title="Notice 24")
    services.announcement_dismiss(announcement=first, user=partner_admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("announcements:list")).content.decode()
    assert "Page 1 of 3" in page and "Notice 24" in page
    assert client.get(reverse("announcements:list") + "?page=3").status_code == 200


def test_staff_are_sent_to_the_admin(client, manager):
    client.force_login(manager)
    assert client.get(reverse("announcements:list"))["Location"] == "/admin/"


# --- API --------------------------------------------------------------------------------------------


def test_the_api_lists_my_current_announcements_and_dismisses_once(
    partner_api, manager_api, manager, partner_admin, rep
):
    mine = announce(manager, title="Mine", link="https://example.com/spif", link_text="Rules", publish_at=None)
    announce(manager, title="For France", countries=["FR"], publish_at=None)
    listed = partner_api.get("/api/v1/announcements/").json()
    assert [a["title"] for a in listed["results"]] == ["Mine"]
    assert set(listed["results"][0]) == {
        "id",
        "title",
        "body_markdown",
        "body_html",
        "link",
        "link_text",
        "pinned",
        "publish_at",
        "expires_at",
        "dismissed",
    }
    first = partner_api.post(f"/api/v1/announcements/{mine.pk}/dismiss/")
    assert (first.status_code, first.json()["dismissed"]) == (200, True)
    second = partner_api.post(f"/api/v1/announcements/{mine.pk}/dismiss/")
    assert (second.status_code, second.json()) == (409, {"detail": "You have already dismissed “Mine”."})
    assert partner_api.get("/api/v1/announcements/").json()["count"] == 0
    assert partner_api.get(f"/api/v1/announcements/{mine.pk}/").json()["dismissed"] is True
    assert manager_api.get("/api/v1/announcements/").status_code == 403
    assert AnnouncementDismissal.objects.filter(announcement=mine).count() == 1


def test_a_partner_of_another_country_gets_404_from_the_api(api, manager):
    from ..clients import api_client_for

    other = PartnerUserFactory(partner=PartnerFactory(country="FR"))
    announcement = announce(manager, countries=["DE"], publish_at=None)
    client = api_client_for(other)
    assert client.get(f"/api/v1/announcements/{announcement.pk}/").status_code == 404
    assert client.post(f"/api/v1/announcements/{announcement.pk}/dismiss/").status_code == 404
