"""Channel-conflict detection: each match kind, free mail, the same-country rule, duplicates,
and partners never learning who holds the other registration."""

import pytest
from django.core import mail

from deals import services
from deals.models import ConflictMatch, DealRegistration

from ..factories import DealDataFactory, DealFactory

pytestmark = pytest.mark.django_db


def submit(user, **changes):
    data = DealDataFactory(**changes)
    from datetime import date
    from decimal import Decimal

    data["amount"] = Decimal(data["amount"])
    data["expected_close_date"] = date.fromisoformat(data["expected_close_date"])
    return services.deal_submit(partner=user.partner, user=user, data=data)


def kinds(deal):
    return sorted(deal.conflicts.values_list("kind", flat=True))


def test_a_registration_without_rivals_is_not_in_conflict_review(partner_admin):
    deal = submit(partner_admin)
    assert not deal.in_conflict_review
    assert kinds(deal) == []


def test_same_domain_of_another_partner_is_a_strong_conflict(partner_admin, rival):
    theirs = DealFactory(
        partner=rival,
        customer_name="Totally Different Name",
        customer_domain="shop.fabrikam.com",
        customer_country="FR",
    )
    deal = submit(partner_admin)
    match = deal.conflicts.get()
    assert (match.other, match.kind, match.score) == (theirs, "domain", 100)
    assert match.reason == f"Same customer domain fabrikam.com as registration #{theirs.pk} (submitted)"
    assert deal.in_conflict_review


def test_contact_email_domain_matches_a_website_domain(partner_admin, rival):
    DealFactory(partner=rival, customer_name="Other", customer_domain="fabrikam.com", customer_country="FR")
    deal = submit(
        partner_admin,
        customer_domain="fabrikam-group.com",
        customer_name="FG",
        customer_contact_email="cio@fabrikam.com",
    )
    assert kinds(deal) == ["domain"]


def test_free_mail_contacts_never_match(partner_admin, rival):
    theirs = DealFactory(
        partner=rival,
        customer_name="Other Co",
        customer_domain="other.com",
        customer_country="FR",
        customer_contact_email="someone@gmail.com",
    )
    assert theirs.email_domain_key == ""
    deal = submit(partner_admin, customer_contact_email="buyer@gmail.com")
    assert kinds(deal) == []


def test_same_normalized_name_anywhere_is_a_strong_conflict(partner_admin, rival):
    DealFactory(
        partner=rival, customer_name="FABRIKAM, Incorporated", customer_domain="fabrikam.de", customer_country="DE"
    )
    deal = submit(partner_admin)
    match = deal.conflicts.get()
    assert (match.kind, match.score) == ("name", 100)
    assert 'same customer name "fabrikam"' in match.reason.lower()


def test_similar_name_in_the_same_country_is_a_weak_conflict(partner_admin, rival, settings):
    settings.PRM_CONFLICT_SIMILARITY_THRESHOLD = 85
    DealFactory(partner=rival, customer_name="Fabrikamm Inc", customer_domain="fbk.com", customer_country="US")
    deal = submit(partner_admin)
    match = deal.conflicts.get()
    assert match.kind == "similar_name"
    assert 85 <= match.score < 100
    assert "alike" in match.reason


def test_similar_name_in_another_country_is_no_conflict(partner_admin, rival):
    DealFactory(partner=rival, customer_name="Fabrikamm Inc", customer_domain="fbk.com", customer_country="CA")
    assert kinds(submit(partner_admin)) == []


def test_the_similarity_threshold_is_a_setting(partner_admin, rival, settings):
    DealFactory(partner=rival, customer_name="Fabrikamm Inc", customer_domain="fbk.com", customer_country="US")
    settings.PRM_CONFLICT_SIMILARITY_THRESHOLD = 99
    assert kinds(submit(partner_admin)) == []


def test_closed_registrations_are_not_checked(partner_admin, rival):
    for status in ["rejected", "won", "lost", "expired", "draft"]:
        DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com", status=status)
    assert kinds(submit(partner_admin)) == []


def test_approved_registrations_are_checked(partner_admin, rival):
    DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com", approved=True)
    assert kinds(submit(partner_admin)) == ["domain"]


def test_the_partners_own_open_registration_is_a_duplicate(partner_admin, rep):
    mine = submit(rep)
    again = submit(partner_admin, customer_name="Fabrikam Incorporated")
    match = again.conflicts.get()
    assert (match.other, match.kind) == (mine, "duplicate")
    assert match.reason.startswith("Duplicate of your own registration")
    assert again.in_conflict_review


def test_every_match_is_stored(partner_admin, rival):
    from ..factories import PartnerFactory

    third = PartnerFactory(name="Initech")
    DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com")
    DealFactory(partner=third, customer_name="Fabrikamm", customer_domain="fbk.com")
    deal = submit(partner_admin)
    assert kinds(deal) == ["domain", "similar_name"]
    assert ConflictMatch.objects.count() == 2


def test_the_conflict_check_is_a_constant_number_of_queries(partner_admin, rival, django_assert_max_num_queries):
    DealFactory.create_batch(30, partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com")
    DealFactory.create_batch(30, partner=rival, customer_name="Fabrikamm", customer_domain="fbk.com")
    deal = DealFactory(partner=partner_admin.partner, customer_name="Fabrikam", customer_domain="fabrikam.com")
    with django_assert_max_num_queries(3):
        matches = services.conflicts_find(deal)
    assert len(matches) == 60


# --- Partners never learn who holds the other registration ---------------------------------------


@pytest.fixture
def conflicted(partner_admin, rival, commit):
    DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com", approved=True)
    with commit():
        return submit(partner_admin)


def test_rival_partner_never_sees_conflicting_partner_name_in_the_api(partner_api, conflicted, rival):
    body = partner_api.get(f"/api/v1/deals/{conflicted.pk}/").content.decode()
    assert '"in_conflict_review":true' in body
    assert "conflicts" not in body
    assert rival.name not in body
    listing = partner_api.get("/api/v1/deals/").content.decode()
    assert rival.name not in listing


def test_rival_partner_never_sees_conflicting_partner_name_in_the_portal(client, partner_admin, conflicted, rival):
    client.force_login(partner_admin)
    for url in [f"/portal/deals/{conflicted.pk}/", "/portal/deals/"]:
        html = client.get(url).content.decode()
        assert "conflict review" in html
        assert rival.name not in html


def test_rival_partner_never_sees_conflicting_partner_name_in_emails(conflicted, rival):
    assert mail.outbox
    for message in mail.outbox:
        assert rival.name not in message.subject + message.body
        assert "conflict review" in message.body


def test_stored_conflict_reasons_never_name_the_other_partner(partner_admin, conflicted, rival):
    from prm.scoping import scope_for

    with scope_for(partner_admin):
        reasons = list(ConflictMatch.objects.values_list("reason", flat=True))
    assert reasons and all(rival.name not in reason for reason in reasons)


def test_staff_see_the_conflicts_with_partner_and_reason(manager_api, conflicted, rival):
    body = manager_api.get(f"/api/v1/deals/{conflicted.pk}/").json()
    other = DealRegistration.objects.get(partner=rival)
    assert body["conflicts"] == [
        {
            "deal": other.pk,
            "partner": {"id": rival.pk, "name": rival.name},
            "kind": "domain",
            "score": 100,
            "reason": 'Same customer domain fabrikam.com and same customer name "fabrikam" as registration '
            f"#{other.pk} (approved)",
        }
    ]


def test_the_conflict_signal_is_sent_after_commit(partner_admin, rival, commit):
    from deals.signals import deal_conflict_found

    received = []
    deal_conflict_found.connect(
        lambda sender, deal, matches, **kw: received.append((deal, len(matches))), weak=False, dispatch_uid="t"
    )
    try:
        DealFactory(partner=rival, customer_name="Fabrikam", customer_domain="fabrikam.com")
        with commit():
            deal = submit(partner_admin)
            assert received == []  # not while the transaction may still roll back
        assert received == [(deal, 1)]
    finally:
        deal_conflict_found.disconnect(dispatch_uid="t")
