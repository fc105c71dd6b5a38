"""``/api/v1/tier-reviews/``: managers list the proposals with their reasons and apply or dismiss
them; everyone else is refused as for the other staff-only lists (403 for the list, 404 for a
review, never revealing that it exists)."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.models import TierChange
from performance.models import TierReview

from ..clients import api_client_for
from ..factories import PartnerFactory, StaffUserFactory
from .tier_data import make_tiers, proposal

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tier-reviews/"


@pytest.fixture
def tiers(db):
    return make_tiers()


@pytest.fixture
def upgrade(tiers, partner):
    return proposal(partner, tiers["Gold"])


def url(review, action: str = "") -> str:
    return f"{LIST}{review.pk}/{action + '/' if action else ''}"


def test_managers_list_the_reviews_with_their_reasons(manager_api, upgrade, partner):
    response = manager_api.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    row = body["results"][0]
    assert row == {
        "id": upgrade.pk,
        "partner": {"id": partner.pk, "name": "Acme Cloud Partners"},
        "current_tier": "Silver",
        "proposed_tier": "Gold",
        "reasons": ["won revenue 12 months 212,400.00 USD >= 200,000.00 USD", "certified users 3 >= 3"],
        "direction": "upgrade",
        "status": "proposed",
        "evaluated_on": upgrade.evaluated_on.isoformat(),
        "proposed_at": row["proposed_at"],
        "decided_at": None,
        "decided_by": None,
        "decision_note": "",
    }
    assert row["proposed_at"].startswith(upgrade.proposed_at.date().isoformat())


def _ids(client, params=None) -> list[int]:
    return [r["id"] for r in client.get(LIST, params or {}).json()["results"]]


def test_the_list_shows_the_proposals_waiting_for_a_decision_by_default(manager_api, tiers, upgrade, rival):
    proposal(rival, tiers["Gold"], status="dismissed")
    assert _ids(manager_api) == [upgrade.pk]
    assert _ids(manager_api, {"status": ""}) == [upgrade.pk]


def test_the_list_filters_by_status_or_shows_all(manager_api, tiers, upgrade, rival):
    dismissed = proposal(rival, tiers["Gold"], status="dismissed")
    assert _ids(manager_api, {"status": "all"}) == [dismissed.pk, upgrade.pk]
    assert _ids(manager_api, {"status": "proposed"}) == [upgrade.pk]
    assert _ids(manager_api, {"status": "dismissed"}) == [dismissed.pk]
    assert _ids(manager_api, {"status": "all", "direction": "downgrade"}) == []
    refused = manager_api.get(LIST, {"status": "maybe"})
    assert refused.status_code == 400
    assert list(refused.json()) == ["status"]
    assert "all" in refused.json()["status"][0]


def test_the_schema_says_the_list_defaults_to_the_proposals(manager_api):
    schema = manager_api.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    parameters = schema.json()["paths"][LIST]["get"]["parameters"]
    status = next(p for p in parameters if p["name"] == "status")
    assert status["schema"]["default"] == "proposed"
    assert "all" in status["schema"]["enum"]


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, {"page_size": 200, "status": "all"}).status_code == 200
    return len(queries.captured_queries)


def test_the_list_runs_the_same_queries_for_3_reviews_as_for_30(manager_api, tiers):
    for _ in range(3):
        proposal(PartnerFactory(), tiers["Gold"])
    few = _list_queries(manager_api)
    for _ in range(27):
        proposal(PartnerFactory(), tiers["Gold"], status="dismissed")
    assert _list_queries(manager_api) == few


# --- Apply and dismiss -------------------------------------------------------------------------------


def test_a_manager_applies_and_gets_the_review_back(manager_api, manager, upgrade, partner, partner_admin, commit):
    mail.outbox.clear()
    with commit():
        response = manager_api.post(url(upgrade, "apply"), {"note": "Well done."}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["status"], body["decided_by"], body["decision_note"]) == (
        upgrade.pk,
        "applied",
        manager.email,
        "Well done.",
    )
    assert body["decided_at"] is not None
    partner.refresh_from_db()
    assert partner.tier.name == "Gold"
    assert TierChange.objects.get(partner=partner).to_tier.name == "Gold"
    assert [m.to for m in mail.outbox] == [[partner_admin.email]]


def test_applying_twice_is_409(manager_api, upgrade):
    assert manager_api.post(url(upgrade, "apply"), {}, format="json").status_code == 200
    second = manager_api.post(url(upgrade, "apply"), {}, format="json")
    assert (second.status_code, second.json()) == (409, {"detail": "This review is already applied."})
    assert TierChange.objects.count() == 1


def test_applying_after_the_tier_changed_is_409_asking_to_review_again(manager_api, tiers, upgrade, partner):
    partner.tier = tiers["Platinum"]
    partner.save()
    response = manager_api.post(url(upgrade, "apply"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"].endswith("review the tiers again.")
    assert TierReview.objects.get(pk=upgrade.pk).status == "proposed"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_dismissing_without_a_reason_is_400_naming_it(manager_api, upgrade, body):
    response = manager_api.post(url(upgrade, "dismiss"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    assert TierReview.objects.get(pk=upgrade.pk).status == "proposed"


def test_a_manager_dismisses_with_a_reason(manager_api, upgrade, partner):
    response = manager_api.post(url(upgrade, "dismiss"), {"reason": "Waiting for their Q4 plan"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decision_note"]) == ("dismissed", "Waiting for their Q4 plan")
    again = manager_api.post(url(upgrade, "dismiss"), {"reason": "Again"}, format="json")
    assert (again.status_code, again.json()) == (409, {"detail": "This review is already dismissed."})
    partner.refresh_from_db()
    assert partner.tier.name == "Silver"


def test_the_program_admin_works_with_reviews_too(upgrade):
    client = api_client_for(StaffUserFactory(role="admin", is_superuser=True))
    assert client.get(LIST).json()["count"] == 1
    assert client.post(url(upgrade, "apply"), {}, format="json").status_code == 200


# --- Everyone else ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["finance", "partner_admin", "rep"])
def test_others_are_refused_the_list_and_never_find_a_review(request, upgrade, partner, who):
    client = api_client_for(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403
    assert client.get(url(upgrade)).status_code == 404
    assert client.post(url(upgrade, "apply"), {}, format="json").status_code == 404
    assert client.post(url(upgrade, "dismiss"), {"reason": "No"}, format="json").status_code == 404
    upgrade.refresh_from_db()
    partner.refresh_from_db()
    assert (upgrade.status, partner.tier.name) == ("proposed", "Silver")


def test_a_partner_never_sees_its_own_review_either(partner_api, upgrade):
    """Reviews are the program's deliberation: the partner hears of a change once it is applied."""
    assert partner_api.get(url(upgrade)).status_code == 404


def test_anonymous_is_401(api, upgrade):
    assert api.get(LIST).status_code == 401
    assert api.post(url(upgrade, "apply"), {}, format="json").status_code == 401


def test_a_megabyte_reason_or_a_spoofing_note_is_400_naming_the_field_and_nothing_changes(manager_api, upgrade):
    response = manager_api.post(url(upgrade, "dismiss"), {"reason": "x" * (1024 * 1024)}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["reason"])
    response = manager_api.post(url(upgrade, "apply"), {"note": "Well done\u202e"}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["note"])
    upgrade.refresh_from_db()
    assert (upgrade.status, upgrade.decision_note) == ("proposed", "")
    assert not TierChange.objects.exists()
