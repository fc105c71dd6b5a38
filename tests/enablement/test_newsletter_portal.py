"""News in the portal: the newsletters sent to one's organization (their snapshot, never the
draft), nothing of another organization's or of an audience that left one's organization out;
a constant number of queries; pagination; the newsletter preferences."""

import pytest
from django.urls import reverse

from enablement.models import NewsletterOptOut

from .newsletters import sent_newsletter

pytestmark = pytest.mark.django_db


def test_the_list_shows_the_newsletters_sent_to_my_organization_newest_first(client, rep, partner_admin, rival_admin):
    older = sent_newsletter(subject="Winter news", to=[partner_admin], days_ago=30)
    newer = sent_newsletter(subject="Spring news", to=[partner_admin, rival_admin], days_ago=2)
    sent_newsletter(subject="Globex only", to=[rival_admin])
    client.force_login(rep)  # a colleague: the audience included the organization
    page = client.get(reverse("news:list")).content.decode()
    assert newer.subject in page and older.subject in page
    assert page.index("Spring news") < page.index("Winter news")
    assert "Globex only" not in page
    assert 'aria-current="page" href="/portal/news/">News</a>' in page


def test_a_skipped_or_failed_delivery_still_means_the_audience_included_us(client, partner_admin):
    sent_newsletter(subject="While unsubscribed", to=[partner_admin], status="skipped")
    client.force_login(partner_admin)
    assert "While unsubscribed" in client.get(reverse("news:list")).content.decode()


def test_drafts_scheduled_and_sending_newsletters_are_not_news_yet(client, partner_admin):
    for status in ("draft", "scheduled", "sending"):
        newsletter = sent_newsletter(subject=f"Still {status}", to=[partner_admin])
        newsletter.status = status
        newsletter.save()
        client.force_login(partner_admin)
        assert client.get(reverse("news:detail", args=[newsletter.pk])).status_code == 404
    assert "Still" not in client.get(reverse("news:list")).content.decode()


def test_the_detail_shows_the_snapshot_not_the_draft(client, partner_admin):
    newsletter = sent_newsletter(to=[partner_admin], body_html="<h1>Spring news</h1><p>As mailed on Monday.</p>")
    newsletter.body_markdown = "Edited afterwards: never shown."
    newsletter.save()
    client.force_login(partner_admin)
    response = client.get(reverse("news:detail", args=[newsletter.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "<p>As mailed on Monday.</p>" in page
    assert "Edited afterwards" not in page and "The draft text" not in page


def test_a_rivals_newsletter_is_not_found(client, partner_admin, rival_admin):
    theirs = sent_newsletter(subject="Globex only", to=[rival_admin])
    client.force_login(partner_admin)
    response = client.get(reverse("news:detail", args=[theirs.pk]))
    assert response.status_code == 404
    assert "Globex only" not in response.content.decode()


def test_a_newsletter_whose_audience_left_us_out_is_not_found_even_when_sent_to_others(
    client, partner_admin, rival_admin
):
    from ..factories import PartnerFactory, PartnerUserFactory

    other = PartnerUserFactory(partner=PartnerFactory(name="Initech"))
    gold_only = sent_newsletter(subject="Gold partners only", to=[rival_admin, other])
    client.force_login(partner_admin)
    assert client.get(reverse("news:detail", args=[gold_only.pk])).status_code == 404
    client.force_login(rival_admin)
    assert client.get(reverse("news:detail", args=[gold_only.pk])).status_code == 200


def test_staff_are_sent_to_the_admin_and_strangers_sign_in(client, manager, partner_admin):
    newsletter = sent_newsletter(to=[partner_admin])
    url = reverse("news:detail", args=[newsletter.pk])
    assert client.get(url)["Location"].startswith("/accounts/login/")
    client.force_login(manager)
    assert client.get(url)["Location"] == "/admin/"


def test_the_list_takes_a_constant_number_of_queries(client, partner_admin, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(partner_admin)
    counts = []
    for n in (1, 9):
        for i in range(n):
            sent_newsletter(subject=f"Issue {n}-{i}", to=[partner_admin], days_ago=i + 1)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("news:list")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_list_paginates(client, partner_admin):
    for i in range(12):
        sent_newsletter(subject=f"Issue number {i:02d}", to=[partner_admin], days_ago=i + 1)
    client.force_login(partner_admin)
    first = client.get(reverse("news:list")).content.decode()
    assert "Issue number 00" in first and "Issue number 09" in first and "Issue number 10" not in first
    assert "Page 1 of 2" in first
    second = client.get(reverse("news:list") + "?page=2").content.decode()
    assert "Issue number 10" in second and "Issue number 11" in second and "Issue number 00" not in second


def test_the_empty_state_and_the_way_to_the_preferences(client, partner_admin):
    client.force_login(partner_admin)
    page = client.get(reverse("news:list")).content.decode()
    assert "No news yet" in page
    assert f'href="{reverse("news:preferences")}"' in page


def test_preferences_unsubscribe_and_subscribe_again(client, rep):
    client.force_login(rep)
    page = client.get(reverse("news:preferences")).content.decode()
    assert "You receive the program" in page and "Unsubscribe from newsletters" in page
    assert "deal decisions, invitations, payout statements" in page  # transactional mail is always sent

    response = client.post(reverse("news:preferences"), {"newsletters": "unsubscribe"}, follow=True)
    page = response.content.decode()
    assert "You no longer receive newsletters" in page and "Subscribe again" in page
    opt_out = NewsletterOptOut.objects.get(user=rep)
    assert opt_out.via == "portal"
    assert "do not receive newsletters" in client.get(reverse("news:list")).content.decode()

    response = client.post(reverse("news:preferences"), {"newsletters": "subscribe"}, follow=True)
    assert "You receive newsletters again." in response.content.decode()
    assert not NewsletterOptOut.objects.filter(user=rep).exists()


def test_preferences_without_a_choice_change_nothing(client, rep):
    client.force_login(rep)
    response = client.post(reverse("news:preferences"), {"newsletters": "maybe"}, follow=True)
    assert "Choose whether to unsubscribe or to subscribe again." in response.content.decode()
    assert not NewsletterOptOut.objects.exists()


def test_a_newsletter_for_partner_admins_is_read_by_partner_admins_only(client, partner_admin, rep):
    """As with announcements: the audience's roles decide who reads it, not only who is mailed."""
    for_admins = sent_newsletter(subject="Admins only", to=[partner_admin], recipients="admins")
    client.force_login(partner_admin)
    assert "Admins only" in client.get(reverse("news:list")).content.decode()
    assert client.get(reverse("news:detail", args=[for_admins.pk])).status_code == 200
    client.force_login(rep)
    assert "Admins only" not in client.get(reverse("news:list")).content.decode()
    assert client.get(reverse("news:detail", args=[for_admins.pk])).status_code == 404


# --- The list's excerpt (new-user tryout) -----------------------------------------------------------


def test_the_news_list_excerpt_is_words_without_list_bullets(client, partner_admin):
    """The excerpt comes from the mail's text part: bullets, rules and lone dashes go, the words
    run on, and a long text is cut after 40 words, between two words."""
    from prm.templatetags.prm import excerpt

    body_text = (
        "Q4 partner update\n\nHello partners! Big news this quarter.\n\n"
        "- New portal features (https://example.com/features)\n- A well-known link\n-\n\n----\n\n"
        "1. First step\n\nThanks, the channel team\n"
    )
    newsletter = sent_newsletter(subject="Q4 partner update", to=[partner_admin])
    type(newsletter).objects.filter(pk=newsletter.pk).update(body_text=body_text)
    client.force_login(partner_admin)
    page = client.get(reverse("news:list")).content.decode()
    assert (
        "Q4 partner update Hello partners! Big news this quarter. New portal features "
        "(https://example.com/features) A well-known link First step Thanks, the channel team</p>"
    ) in page
    long = " ".join(f"word{n}" for n in range(60))
    assert excerpt(f"- {long}", 40) == " ".join(f"word{n}" for n in range(40)) + " …"
    assert excerpt("short text", 40) == "short text"
