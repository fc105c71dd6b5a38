"""Drafts: saved without a conflict check or a notification, edited, then submitted or discarded."""

import pytest
from django.core import mail

from deals.models import DealRegistration

from ..factories import DealDataFactory, DealFactory

pytestmark = pytest.mark.django_db


def test_a_draft_is_saved_without_conflict_check_or_notification(client, rep, rival):
    DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com", approved=True)
    client.force_login(rep)
    response = client.post("/portal/deals/new/", {**DealDataFactory(portal=True), "save": "draft"})
    draft = DealRegistration.objects.get(partner=rep.partner)
    assert response["Location"] == f"/portal/deals/{draft.pk}/"
    assert (draft.status, draft.in_conflict_review, draft.submitted_at) == ("draft", False, None)
    assert not draft.conflicts.exists()
    assert mail.outbox == []
    page = client.get(f"/portal/deals/{draft.pk}/").content.decode()
    assert "is a <strong>draft</strong>" in page


def test_submitting_an_edited_draft_checks_conflicts_and_notifies(client, rep, rival, commit):
    DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com", approved=True)
    client.force_login(rep)
    client.post(
        "/portal/deals/new/",
        {**DealDataFactory(portal=True, customer_name="Draft Co", customer_domain="draft-co.com"), "save": "draft"},
    )
    draft = DealRegistration.objects.get(partner=rep.partner)
    assert client.get(f"/portal/deals/{draft.pk}/edit/").context["form"]["customer_name"].value() == "Draft Co"
    with commit():
        response = client.post(f"/portal/deals/{draft.pk}/edit/", {**DealDataFactory(portal=True), "save": "submit"})
    assert response["Location"] == f"/portal/deals/{draft.pk}/"
    draft.refresh_from_db()
    assert (draft.status, draft.customer_name, draft.in_conflict_review) == ("submitted", "Fabrikam Inc.", True)
    assert draft.submitted_at is not None
    assert "conflict review" in mail.outbox[-1].body
    assert (
        client.get(f"/portal/deals/{draft.pk}/edit/")["Location"] == f"/portal/deals/{draft.pk}/"
    )  # no longer a draft
    again = client.post(
        f"/portal/deals/{draft.pk}/edit/", {**DealDataFactory(portal=True), "save": "submit"}
    )  # a double click
    assert "Only a draft of your organization can be edited." in again.content.decode()
    assert DealRegistration.objects.get(pk=draft.pk).submitted_at == draft.submitted_at


def test_a_draft_with_errors_names_them_and_changes_nothing(client, rep):
    client.force_login(rep)
    client.post("/portal/deals/new/", {**DealDataFactory(portal=True), "save": "draft"})
    draft = DealRegistration.objects.get()
    response = client.post(
        f"/portal/deals/{draft.pk}/edit/", {**DealDataFactory(portal=True, amount="0"), "save": "draft"}
    )
    assert "amount" in response.context["form"].errors
    draft.refresh_from_db()
    assert str(draft.amount) == "48000.00"


def test_a_colleague_discards_a_draft(client, rep, partner_admin):
    client.force_login(rep)
    client.post("/portal/deals/new/", {**DealDataFactory(portal=True), "save": "draft"})
    draft = DealRegistration.objects.get()
    client.force_login(partner_admin)
    assert client.post(f"/portal/deals/{draft.pk}/discard/")["Location"] == "/portal/deals/"
    assert not DealRegistration.objects.exists()


def test_only_drafts_are_discarded(client, partner_admin):
    deal = DealFactory(partner=partner_admin.partner)
    client.force_login(partner_admin)
    response = client.post(f"/portal/deals/{deal.pk}/discard/", follow=True)
    assert response.redirect_chain == [(f"/portal/deals/{deal.pk}/", 302)]
    assert "Only drafts can be discarded." in response.content.decode()
    assert DealRegistration.objects.filter(pk=deal.pk).exists()
