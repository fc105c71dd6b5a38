"""The newsletter admin: composing through the service, the audience and the recipient count
before sending, the sandboxed preview, a test to oneself, send now / schedule / unschedule (a
double click refused in words), the progress polled while sending, the read-only deliveries and
opt-outs, and who may reach these pages."""

import html
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from enablement.models import Newsletter, NewsletterDelivery, NewsletterOptOut

from ..factories import PartnerFactory, PartnerUserFactory, TierFactory
from .newsletters import sent_newsletter

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def compose(**changes) -> dict:
    data = {
        "subject": "Spring news",
        "body_markdown": "# Spring\n\nNew **prices** from April.",
        "recipients": "all",
        "audience_statuses": ["active"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def audience(partner_admin, rep, rival_admin):
    """Three partner users (one unsubscribed) and a suspended partner's user outside the audience."""
    NewsletterOptOut.objects.create(user=rival_admin, via="portal")
    PartnerUserFactory(partner=PartnerFactory(name="Dormant Ltd", status="suspended"))
    return [partner_admin, rep, rival_admin]


@pytest.fixture
def draft(manager, audience):
    from enablement import services

    return services.newsletter_save(by=manager, data={"subject": "Spring news", "body_markdown": "Hello **partners**."})


def change_url(newsletter) -> str:
    return reverse("admin:enablement_newsletter_change", args=[newsletter.pk])


# --- Compose ------------------------------------------------------------------------------------------


def test_composing_saves_through_the_service_with_the_audience(client, manager):
    gold = TierFactory(name="Gold", rank=3)
    client.force_login(manager)
    data = compose(tiers=[gold.pk], audience_types=["reseller", "msp"], audience_countries=["DE", "FR"])
    response = client.post(reverse("admin:enablement_newsletter_add"), data, follow=True)
    assert response.status_code == 200
    newsletter = Newsletter.objects.get()
    assert (newsletter.subject, newsletter.status, newsletter.created_by) == ("Spring news", "draft", manager)
    assert list(newsletter.tiers.all()) == [gold]
    assert (newsletter.partner_types, newsletter.countries, newsletter.partner_statuses) == (
        ",msp,reseller,",
        ",DE,FR,",
        ",active,",
    )
    assert newsletter.history.count() >= 1  # written by the service, audited


def test_invalid_input_names_the_field_and_saves_nothing(client, manager):
    client.force_login(manager)
    response = client.post(reverse("admin:enablement_newsletter_add"), compose(subject="", audience_countries=["XX"]))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "subject" in errors and "audience_countries" in errors
    assert not Newsletter.objects.exists()


def test_the_page_says_the_audience_in_words_and_counts_the_recipients_before_sending(client, manager, draft):
    client.force_login(manager)
    page = text(client.get(change_url(draft)))
    assert "every tier · every type · every country · active · all partner users" in page
    assert "3 in the audience: 2 will get it, 1 unsubscribed will be skipped." in page
    assert "Send me a test" in page and "Send now…" in page and "Schedule…" in page


def test_a_sent_newsletter_is_read_only(client, manager, partner_admin):
    newsletter = sent_newsletter(to=[partner_admin])
    client.force_login(manager)
    response = client.get(change_url(newsletter))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    page = text(response)
    assert "Send now" not in page and "Send me a test" not in page
    before = newsletter.body_markdown
    client.post(change_url(newsletter), compose(subject="Changed"))
    newsletter.refresh_from_db()
    assert (newsletter.subject, newsletter.body_markdown) == ("Spring news", before)


# --- Preview and test ---------------------------------------------------------------------------------


def test_the_preview_shows_the_sanitized_mail_in_a_sandbox(client, manager, audience):
    from enablement import services

    newsletter = services.newsletter_save(
        by=manager,
        data={
            "subject": "Spring news",
            "body_markdown": "Hello <script>alert(1)</script> [click](javascript:alert(2)) **partners**.",
        },
    )
    client.force_login(manager)
    page = client.get(reverse("admin:enablement_newsletter_preview", args=[newsletter.pk]))
    assert page.status_code == 200
    assert 'sandbox=""' in page.content.decode()
    assert "partners" in text(page)  # the text part
    frame = client.get(reverse("admin:enablement_newsletter_preview_html", args=[newsletter.pk]))
    body = frame.content.decode()
    assert frame.status_code == 200 and "<strong>partners</strong>" in body
    assert "<script" not in body.lower() and "javascript:" not in body.lower()
    policy = dict((d.strip() + " ").split(" ", 1) for d in frame["Content-Security-Policy"].split(";"))
    assert {k: v.strip() for k, v in policy.items()} == {
        "sandbox": "",  # no scripts, forms or same-origin rights
        "default-src": "'none'",  # no script or style at all: the layout has none
        "img-src": "https: data:",
        "frame-ancestors": "'self'",
    }


def test_a_test_goes_to_the_manager_only(client, manager, draft, commit):
    client.force_login(manager)
    mail.outbox.clear()
    with commit():
        response = client.post(reverse("admin:enablement_newsletter_test", args=[draft.pk]), follow=True)
    assert f"A test was sent to {manager.email}." in text(response)
    assert [m.to for m in mail.outbox] == [[manager.email]]
    assert "Spring news" in mail.outbox[0].subject
    draft.refresh_from_db()
    assert draft.status == "draft" and not NewsletterDelivery.objects.exists()


# --- Send, schedule, unschedule --------------------------------------------------------------------------


def test_send_now_asks_with_the_count_then_sends_once(client, manager, draft, audience, commit):
    url = reverse("admin:enablement_newsletter_send", args=[draft.pk])
    client.force_login(manager)
    confirm = text(client.get(url))
    assert "3 in the audience: 2 will get it, 1 unsubscribed will be skipped." in confirm
    mail.outbox.clear()
    with commit():
        first = client.post(url, {}, follow=True)
    assert "is being sent by a worker" in text(first)
    draft.refresh_from_db()
    assert draft.status == "sent"
    assert (draft.recipient_count, draft.sent_count, draft.skipped_count) == (3, 2, 1)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in audience[:2])
    second = client.post(url, {})  # the double click
    assert second.status_code == 200
    assert "This newsletter was already sent." in text(second)
    assert len(mail.outbox) == 2


def test_a_double_click_while_the_worker_sends_is_refused_in_words(client, manager, draft):
    url = reverse("admin:enablement_newsletter_send", args=[draft.pk])
    client.force_login(manager)
    client.post(url, {})  # the worker has not started (nothing was committed)
    second = client.post(url, {})
    assert second.status_code == 200
    assert "This newsletter is already being sent." in text(second)


def test_schedule_then_unschedule(client, manager, draft):
    url = reverse("admin:enablement_newsletter_send", args=[draft.pk]) + "?schedule=1"
    client.force_login(manager)
    page = text(client.get(url))
    assert (
        'type="datetime-local"' in page and "3 in the audience: 2 will get it, 1 unsubscribed will be skipped." in page
    )
    past = client.post(url, {"schedule": "1", "at": "2020-01-01T09:00"})
    # The service's rule, shown on the field it is about.
    assert past.context["form"].errors == {"at": ["Choose a time in the future, or send it now."]}
    assert "Choose a time in the future, or send it now." in text(past)
    missing = client.post(url, {"schedule": "1", "at": ""})
    assert "This field is required." in text(missing)
    draft.refresh_from_db()
    assert draft.status == "draft"

    at = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    response = client.post(url, {"schedule": "1", "at": at.strftime("%Y-%m-%dT%H:%M")}, follow=True)
    assert "is scheduled for" in text(response)
    draft.refresh_from_db()
    assert (draft.status, draft.scheduled_for) == ("scheduled", at)
    assert "Unschedule" in text(client.get(change_url(draft)))

    unschedule = reverse("admin:enablement_newsletter_unschedule", args=[draft.pk])
    response = client.post(unschedule, follow=True)
    assert "is no longer scheduled; it is a draft again." in text(response)
    again = client.post(unschedule, follow=True)
    assert "Only a scheduled newsletter can be unscheduled." in text(again)
    draft.refresh_from_db()
    assert (draft.status, draft.scheduled_for) == ("draft", None)


# --- Progress and deliveries ----------------------------------------------------------------------------


def test_the_progress_view_counts_what_is_done(client, manager, partner_admin, rep, rival_admin):
    newsletter = sent_newsletter(to=[partner_admin, rep, rival_admin])
    Newsletter.objects.filter(pk=newsletter.pk).update(
        status="sending", recipient_count=10, sent_count=4, skipped_count=1, failed_count=1
    )
    client.force_login(manager)
    url = reverse("admin:enablement_newsletter_progress", args=[newsletter.pk])
    data = client.get(url).json()
    assert data["status"] == "sending" and data["ready"] is False
    assert (data["done"], data["recipient_count"], data["percent"]) == (6, 10, 60)
    assert data["progress"] == "6 of 10 done: 4 sent · 1 skipped · 1 failed."
    page = text(client.get(change_url(newsletter)))
    assert f'data-poll-url="{url}"' in page and 'data-poll-interval="2000"' in page
    assert '<progress data-poll-bar max="10" value="6"' in page
    assert "js/poll.js" in page and "<script>" not in page  # the static file only (CSP)
    listing = text(client.get(reverse("admin:enablement_newsletter_changelist")))
    assert '<progress data-poll-bar max="10" value="6"' in listing

    Newsletter.objects.filter(pk=newsletter.pk).update(status="sent", sent_count=8)
    assert client.get(url).json()["ready"] is True


def test_the_deliveries_are_counted_per_status_and_listed_read_only(client, manager, partner_admin, rep):
    newsletter = sent_newsletter(to=[partner_admin])
    NewsletterDelivery.objects.create(
        newsletter=newsletter, user=rep, partner=rep.partner, email=rep.email, status="failed", last_error="550 no"
    )
    client.force_login(manager)
    page = text(client.get(change_url(newsletter)))
    assert "1 sent" in page and "1 failed" in page
    listing = client.get(
        reverse("admin:enablement_newsletterdelivery_changelist") + f"?newsletter__id__exact={newsletter.pk}"
    )
    assert listing.status_code == 200
    assert rep.email in text(listing) and "550 no" in text(listing)
    assert "Add newsletter delivery" not in text(listing)
    delivery = NewsletterDelivery.objects.get(user=rep)
    change = client.get(reverse("admin:enablement_newsletterdelivery_change", args=[delivery.pk]))
    assert change.context["has_change_permission"] is False
    assert client.get(reverse("admin:enablement_newsletterdelivery_delete", args=[delivery.pk])).status_code == 403
    assert client.get(reverse("admin:enablement_newsletteroptout_add")).status_code == 403


# --- Who may ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["preview", "preview_html", "progress", "send", "test", "unschedule", "change", "changelist"]
)
def test_finance_and_partner_users_cannot_reach_the_newsletter_pages(client, finance, partner_admin, draft, name):
    args = [] if name == "changelist" else [draft.pk]
    url = reverse(f"admin:enablement_newsletter_{name}", args=args)
    client.force_login(finance)
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403
    client.force_login(partner_admin)
    assert client.get(url)["Location"].startswith("/admin/login/")
    draft.refresh_from_db()
    assert draft.status == "draft"


# --- The count, the send page of a sent newsletter, the list before sending (new-user tryout) ------


@pytest.mark.parametrize(
    "recipients, unsubscribed, said",
    [
        (2, 1, "2 in the audience: 1 will get it, 1 unsubscribed will be skipped."),
        (5, 2, "5 in the audience: 3 will get it, 2 unsubscribed will be skipped."),
        (1, 1, "1 in the audience: 0 will get it, 1 unsubscribed will be skipped."),
        (2, 0, "2 partner users will get it."),
        (1, 0, "1 partner user will get it."),
        (0, 0, "0 partner users will get it."),
    ],
)
def test_the_count_before_sending_says_who_gets_it(recipients, unsubscribed, said):
    from enablement.admin import audience_count_text

    assert audience_count_text({"recipients": recipients, "unsubscribed": unsubscribed}) == said


def test_without_unsubscribed_the_count_says_only_who_gets_it(client, manager, partner_admin, rep):
    from enablement import services

    newsletter = services.newsletter_save(by=manager, data={"subject": "S", "body_markdown": "B"})
    client.force_login(manager)
    for url in (change_url(newsletter), reverse("admin:enablement_newsletter_send", args=[newsletter.pk])):
        page = text(client.get(url))
        assert "2 partner users will get it." in page and "unsubscribed" not in page


@pytest.mark.parametrize(
    "status, said", [("sent", "This newsletter was already sent."), ("sending", "This newsletter is being sent.")]
)
def test_the_send_page_of_a_newsletter_sent_already_goes_back_to_its_page(client, manager, partner_admin, status, said):
    newsletter = sent_newsletter(to=[partner_admin])
    Newsletter.objects.filter(pk=newsletter.pk).update(status=status)
    client.force_login(manager)
    for query in ("", "?schedule=1"):
        response = client.get(reverse("admin:enablement_newsletter_send", args=[newsletter.pk]) + query, follow=True)
        assert response.redirect_chain[-1][0] == change_url(newsletter)
        page = text(response)
        assert said in page
        assert "This cannot be undone" not in page and 'value="Send now"' not in page


def test_the_list_counts_recipients_only_once_sending_started(client, manager, draft, partner_admin):
    from enablement import services

    services.newsletter_send(newsletter=draft, by=manager, at=timezone.now() + timedelta(days=1))
    sent_newsletter(subject="Winter news", to=[partner_admin])
    client.force_login(manager)
    response = client.get(reverse("admin:enablement_newsletter_changelist"))
    rows = {row.subject: row for row in response.context["cl"].result_list}
    model_admin = response.context["cl"].model_admin
    assert model_admin.recipient_total(rows["Spring news"]) == "—"  # scheduled
    assert model_admin.recipient_total(rows["Winter news"]) == "1"


def test_the_schedule_form_names_the_time_zone(client, manager, draft, settings):
    client.force_login(manager)
    page = text(client.get(reverse("admin:enablement_newsletter_send", args=[draft.pk]) + "?schedule=1"))
    assert f"Times are in {settings.TIME_ZONE}." in page
