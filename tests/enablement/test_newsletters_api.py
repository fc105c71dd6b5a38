"""The newsletters API (manager only) and the public unsubscribe page."""

import pytest
from django.core import mail
from django.urls import reverse

from enablement import services
from enablement.models import Newsletter, NewsletterOptOut

from ..factories import TierFactory

pytestmark = pytest.mark.django_db

FIELDS = {"status", "recipient_count", "sent_count", "skipped_count", "failed_count"}


def create(client, **extra):
    body = {"subject": "Q3 news", "body_markdown": "Hello **partners**", **extra}
    return client.post("/api/v1/newsletters/", body, format="json")


def test_a_manager_writes_sends_and_follows_a_newsletter(manager_api, partner_admin, rep, commit):
    gold = TierFactory(name="Gold", rank=3)
    partner_admin.partner.tier = gold
    partner_admin.partner.save()
    answer = create(manager_api, audience={"tiers": ["Gold"], "countries": ["DE"], "partner_types": ["reseller"]})
    assert answer.status_code == 201, answer.content
    created = answer.json()
    assert FIELDS <= set(created) and created["status"] == "draft"
    assert created["audience"]["tiers"] == ["Gold"] and created["audience"]["countries"] == ["DE"]
    with commit():
        sent = manager_api.post(f"/api/v1/newsletters/{created['id']}/send/", {}, format="json")
    assert sent.status_code == 202, sent.content
    assert sent.json()["status"] == "sending"
    detail = manager_api.get(f"/api/v1/newsletters/{created['id']}/").json()
    assert {k: detail[k] for k in FIELDS} == {
        "status": "sent",
        "recipient_count": 2,
        "sent_count": 2,
        "skipped_count": 0,
        "failed_count": 0,
    }
    assert len(mail.outbox) == 2
    again = manager_api.post(f"/api/v1/newsletters/{created['id']}/send/", {}, format="json")
    assert again.status_code == 409 and again.json() == {"detail": "This newsletter was already sent."}


def test_a_newsletter_is_scheduled_with_at(manager_api, partner_admin):
    created = create(manager_api).json()
    answer = manager_api.post(
        f"/api/v1/newsletters/{created['id']}/send/", {"at": "2099-01-01T09:00:00Z"}, format="json"
    )
    assert answer.status_code == 202
    assert answer.json()["status"] == "scheduled" and answer.json()["scheduled_for"].startswith("2099-01-01")


def test_a_time_in_the_past_is_refused_on_at_and_nobody_is_mailed(manager_api, partner_admin, commit):
    created = create(manager_api).json()
    with commit():
        answer = manager_api.post(
            f"/api/v1/newsletters/{created['id']}/send/", {"at": "2020-01-01T09:00:00Z"}, format="json"
        )
    assert answer.status_code == 400
    assert answer.json() == {"at": ["Choose a time in the future, or send it now."]}
    assert Newsletter.objects.get(pk=created["id"]).status == "draft"
    assert mail.outbox == []


def test_bad_input_names_the_field_and_writes_nothing(manager_api, partner_admin):
    for body, field in (
        ({"subject": ""}, "subject"),
        ({"audience": {"tiers": ["Diamond"]}}, "tiers"),
        ({"audience": {"countries": ["XX"]}}, "countries"),
        ({"audience": {"recipients": "everyone"}}, "audience"),
    ):
        answer = create(manager_api, **body)
        assert answer.status_code == 400 and field in answer.json(), answer.content
    assert not Newsletter.objects.exists()
    empty = create(manager_api, audience={"countries": ["JP"]}).json()
    answer = manager_api.post(f"/api/v1/newsletters/{empty['id']}/send/", {}, format="json")
    assert answer.status_code == 400 and "audience" in answer.json()


def test_partners_may_not_list_write_or_see_newsletters(partner_api, manager):
    newsletter = services.newsletter_save(by=manager, data={"subject": "S", "body_markdown": "B"})
    assert partner_api.get("/api/v1/newsletters/").status_code == 403
    assert create(partner_api).status_code == 403
    assert partner_api.get(f"/api/v1/newsletters/{newsletter.pk}/").status_code == 404
    assert partner_api.post(f"/api/v1/newsletters/{newsletter.pk}/send/", {}, format="json").status_code == 404


def test_the_list_pages_with_a_constant_number_of_queries(manager_api, manager, django_assert_max_num_queries):
    tier = TierFactory(name="Gold", rank=3)
    for n in range(3):
        services.newsletter_save(by=manager, data={"subject": f"S{n}", "body_markdown": "B", "tiers": [tier]})
    with django_assert_max_num_queries(8):
        few = manager_api.get("/api/v1/newsletters/").json()
    for n in range(10):
        services.newsletter_save(by=manager, data={"subject": f"T{n}", "body_markdown": "B", "tiers": [tier]})
    with django_assert_max_num_queries(8):
        many = manager_api.get("/api/v1/newsletters/").json()
    assert (few["count"], many["count"]) == (3, 13)


# --- The unsubscribe page ---------------------------------------------------------------------------


def url_for(user, newsletter=None):
    return reverse("newsletter_unsubscribe", args=[services.unsubscribe_token(user=user, newsletter=newsletter)])


def test_get_shows_a_confirmation_and_writes_nothing(client, partner_admin):
    answer = client.get(url_for(partner_admin))
    assert answer.status_code == 200
    assert b'method="post"' in answer.content and b"Unsubscribe" in answer.content
    assert not NewsletterOptOut.objects.exists()


def test_the_confirmation_button_unsubscribes_without_login(partner_admin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    answer = client.post(url_for(partner_admin), {"confirm": "1"})
    assert answer.status_code == 200 and b"You are unsubscribed" in answer.content
    assert b"/portal/news/" in answer.content  # the way back
    assert NewsletterOptOut.objects.get(user=partner_admin).via == "link"


def test_one_click_post_from_a_mail_client_works_without_login_or_csrf(partner_admin, manager):
    from django.test import Client

    newsletter = services.newsletter_save(by=manager, data={"subject": "S", "body_markdown": "B"})
    client = Client(enforce_csrf_checks=True)
    answer = client.post(url_for(partner_admin, newsletter), {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    opt_out = NewsletterOptOut.objects.get(user=partner_admin)
    assert (opt_out.via, opt_out.newsletter) == ("one_click", newsletter)


def test_a_tampered_link_is_refused_and_writes_nothing(client, partner_admin, rep):
    token = services.unsubscribe_token(user=partner_admin, newsletter=None)
    signature = token.split(":", 1)[1]
    for bad in (f"{rep.pk}.0:{signature}", token[:-3] + "abc"):
        url = reverse("newsletter_unsubscribe", args=[bad])
        shown = client.get(url)
        assert shown.status_code == 404 and "This unsubscribe link is not valid" in shown.content.decode()
        answer = client.post(url, {"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 404 and b"not valid" in answer.content
    assert not NewsletterOptOut.objects.exists()
