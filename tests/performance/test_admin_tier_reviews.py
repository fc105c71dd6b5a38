"""Tier reviews in the admin: the proposals by default, filters, a review's page with its reasons,
figures and the Apply / Dismiss buttons, bulk decisions through the services, and "Review tiers
now" running the evaluation after the request commits."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from partners.models import TierChange
from performance.models import TierReview

from ..factories import PartnerFactory, StaffUserFactory
from .tier_data import Certifier, make_tiers, proposal, won

pytestmark = pytest.mark.django_db

LIST = reverse("admin:performance_tierreview_changelist")
REVIEW_NOW = reverse("admin:performance_tierreview_review_now")


@pytest.fixture
def tiers(db):
    return make_tiers()


@pytest.fixture
def upgrade(tiers, partner):
    return proposal(partner, tiers["Gold"])


def page(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def change_url(review) -> str:
    return reverse("admin:performance_tierreview_change", args=[review.pk])


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_the_proposals_waiting_by_default(client, manager, tiers, upgrade, rival):
    decided = proposal(rival, tiers["Gold"], status="dismissed")
    client.force_login(manager)
    response = client.get(LIST)
    assert list(response.context["cl"].result_list) == [upgrade]
    text = page(response)
    assert "Silver → Gold" in text
    assert "won revenue 12 months 212,400.00 USD >= 200,000.00 USD; certified users 3 >= 3" in text
    assert "Review tiers now" in text
    assert list(client.get(LIST, {"status": "all"}).context["cl"].result_list) == [decided, upgrade]
    assert list(client.get(LIST, {"status": "dismissed"}).context["cl"].result_list) == [decided]


def test_the_list_filters_by_direction(client, manager, tiers, upgrade, rival):
    rival.tier = tiers["Gold"]
    rival.save()
    down = proposal(rival, tiers["Silver"])
    client.force_login(manager)
    assert list(client.get(LIST, {"direction__exact": "downgrade"}).context["cl"].result_list) == [down]
    assert list(client.get(LIST, {"direction__exact": "upgrade"}).context["cl"].result_list) == [upgrade]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries.captured_queries)


def test_the_list_runs_the_same_queries_for_3_reviews_as_for_30(client, manager, tiers):
    for _ in range(3):
        proposal(PartnerFactory(), tiers["Gold"])
    client.force_login(manager)
    few = _list_queries(client)
    for _ in range(27):
        proposal(PartnerFactory(), tiers["Gold"])
    assert _list_queries(client) == few


# --- A review's page ---------------------------------------------------------------------------------


def test_a_proposals_page_shows_reasons_figures_and_both_buttons(client, manager, upgrade):
    client.force_login(manager)
    response = client.get(change_url(upgrade))
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False  # read-only: decided by the buttons
    text = page(response)
    assert "<li>won revenue 12 months 212,400.00 USD >= 200,000.00 USD</li>" in text
    assert "<li>certified users 3 >= 3</li>" in text
    assert "212,400.00 USD" in text and "3 Sep 2025 – 2 Sep 2026" in text
    assert 'value="apply_reviews"' in text and 'value="dismiss_reviews"' in text
    assert 'name="reason"' in text


def test_a_decided_reviews_page_has_no_buttons(client, manager, upgrade):
    TierReview.objects.filter(pk=upgrade.pk).update(status="applied")
    client.force_login(manager)
    text = page(client.get(change_url(upgrade)))
    assert 'value="apply_reviews"' not in text and 'value="dismiss_reviews"' not in text


def _act(client, action, reviews, **data):
    post = {"action": action, "_selected_action": [r.pk for r in reviews], **data}
    return client.post(LIST, post, follow=True)


def test_apply_on_the_page_changes_the_tier_and_returns_to_the_page(client, manager, upgrade, partner, partner_admin):
    client.force_login(manager)
    mail.outbox.clear()
    response = _act(client, "apply_reviews", [upgrade], _from_change="1")
    assert response.redirect_chain[-1][0] == change_url(upgrade)
    assert messages_of(response) == ["1 tier review applied; the partner is told by e-mail."]
    partner.refresh_from_db()
    assert partner.tier.name == "Gold"
    assert TierChange.objects.get(partner=partner).reason.startswith(f"Tier review #{upgrade.pk}: ")
    assert 'value="apply_reviews"' not in page(response)


def test_dismiss_on_the_page_needs_a_reason(client, manager, upgrade):
    client.force_login(manager)
    response = _act(client, "dismiss_reviews", [upgrade], reason="", _from_change="1")
    assert "This field is required." in page(response)
    assert TierReview.objects.get(pk=upgrade.pk).status == "proposed"
    response = _act(client, "dismiss_reviews", [upgrade], reason="Waiting for their Q4 plan", _from_change="1")
    assert response.redirect_chain[-1][0] == change_url(upgrade)
    assert messages_of(response) == ["1 tier review dismissed."]
    upgrade.refresh_from_db()
    assert (upgrade.status, upgrade.decision_note, upgrade.decided_by) == (
        "dismissed",
        "Waiting for their Q4 plan",
        manager,
    )


def test_bulk_apply_says_how_many_and_which_were_refused(client, manager, tiers, upgrade, rival):
    other = proposal(rival, tiers["Platinum"])
    TierReview.objects.filter(pk=upgrade.pk).update(status="applied")
    client.force_login(manager)
    response = _act(client, "apply_reviews", [upgrade, other])
    assert messages_of(response) == [
        "1 tier review applied; the partner is told by e-mail.",
        f"{upgrade}: This review is already applied.",
    ]
    rival.refresh_from_db()
    assert rival.tier.name == "Platinum"


def test_bulk_dismiss_asks_for_one_reason_for_all(client, manager, tiers, upgrade, rival):
    other = proposal(rival, tiers["Gold"])
    client.force_login(manager)
    asked = _act(client, "dismiss_reviews", [upgrade, other])
    assert 'name="reason"' in page(asked) and "Dismiss tier reviews" in page(asked)
    done = _act(client, "dismiss_reviews", [upgrade, other], reason="Next quarter")
    assert messages_of(done) == ["2 tier reviews dismissed."]
    assert set(TierReview.objects.values_list("status", "decision_note")) == {("dismissed", "Next quarter")}


def test_the_bulk_dismiss_page_has_a_breadcrumb_and_a_cancel_link_to_the_list(client, manager, upgrade):
    client.force_login(manager)
    response = _act(client, "dismiss_reviews", [upgrade])
    assert response.status_code == 200
    text = page(response)
    assert "Home › Performance › Tier reviews › Dismiss" in " ".join(re.sub(r"<[^>]+>", "", text).split())
    assert f'href="{LIST}" class="button cancel-link">Cancel</a>' in text


def test_the_list_says_on_which_day_the_figures_were_evaluated(client, manager, upgrade):
    client.force_login(manager)
    response = client.get(LIST)
    assert response.status_code == 200
    text = page(response)
    assert "Evaluated on (figures as of)" in text
    assert date_format(upgrade.evaluated_on) in text


def test_a_reviews_page_has_no_read_only_submit_row(client, manager, upgrade):
    client.force_login(manager)
    text = page(client.get(change_url(upgrade)))
    assert 'class="submit-row"' not in text and ">Close<" not in text
    assert "<h2>Decide</h2>" in text


def test_reviews_are_never_added_edited_or_deleted_here(client, upgrade):
    admin = StaffUserFactory(role="admin", is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:performance_tierreview_add")).status_code == 403
    assert client.get(reverse("admin:performance_tierreview_delete", args=[upgrade.pk])).status_code == 403
    assert client.get(change_url(upgrade)).context["has_change_permission"] is False
    choices = client.get(LIST).context["action_form"].fields["action"].choices
    assert [name for name, _ in choices if name] == ["apply_reviews", "dismiss_reviews"]


@pytest.mark.parametrize("who", ["finance", "partner_admin"])
def test_others_never_see_tier_reviews(client, request, upgrade, who):
    client.force_login(request.getfixturevalue(who))
    for url in (LIST, change_url(upgrade)):
        response = client.get(url)
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"].startswith("/admin/login/")
    assert client.post(REVIEW_NOW).status_code in (302, 403)


# --- Review tiers now ----------------------------------------------------------------------------------


def test_review_tiers_now_runs_the_evaluation_after_the_request_commits(client, manager, tiers, partner, commit):
    won(partner, "212400.00", closed_on=timezone.localdate() - timedelta(days=5))
    Certifier()(partner, 3)
    client.force_login(manager)
    with commit():
        response = client.post(REVIEW_NOW, follow=True)
        assert not TierReview.objects.exists()  # enqueued for after the commit
    assert response.redirect_chain[-1][0] == LIST
    assert messages_of(response) == [
        "The tiers are being reviewed in the background: new proposals appear in this list in a minute or two."
    ]
    review = TierReview.objects.get()
    assert (review.partner, review.proposed_tier.name) == (partner, "Gold")


def test_review_tiers_now_is_a_post(client, manager):
    client.force_login(manager)
    assert client.get(REVIEW_NOW).status_code == 405
