"""The lifecycle: submitted -> approved | rejected; approved -> won | lost | expired; who may act."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from deals import services
from deals.models import DealRegistration, ExtensionRequest
from partners.models import OnboardingEvent, OnboardingTask

from ..factories import DealFactory, StaffUserFactory, TierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(partner_admin):
    return DealFactory(partner=partner_admin.partner, registered_by=partner_admin)


def test_approval_protects_for_the_tiers_days(manager_api, deal, commit):
    deal.partner.tier = TierFactory(name="Gold", rank=3, protection_days=120)
    deal.partner.save()
    with commit():
        response = manager_api.post(f"/api/v1/deals/{deal.pk}/approve/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "approved"
    assert body["protected_until"] == (timezone.localdate() + timedelta(days=120)).isoformat()
    assert "approved" in mail.outbox[-1].subject


def test_approval_defaults_to_90_days_without_a_tier(manager, deal):
    deal.partner.tier = None
    deal.partner.save()
    deal = services.deal_approve(deal=deal, by=manager)
    assert deal.protected_until == timezone.localdate() + timedelta(days=90)


def test_rejection_needs_a_reason_the_partner_reads(manager_api, client, partner_admin, deal):
    assert manager_api.post(f"/api/v1/deals/{deal.pk}/reject/", {"reason": ""}).status_code == 400
    response = manager_api.post(f"/api/v1/deals/{deal.pk}/reject/", {"reason": "Customer buys direct."})
    assert response.json()["status"] == "rejected"
    client.force_login(partner_admin)
    assert "Customer buys direct." in client.get(f"/portal/deals/{deal.pk}/").content.decode()


def test_won_needs_a_final_amount_and_announces_the_win(manager_api, manager, deal, commit, checklist):
    from deals.signals import deal_won
    from partners.services import onboarding_start

    onboarding_start(partner=deal.partner)
    services.deal_approve(deal=deal, by=manager)
    assert manager_api.post(f"/api/v1/deals/{deal.pk}/close/", {"outcome": "won"}).json() == {
        "amount": ["Give the final amount of the won deal (more than 0)."]
    }
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert (
        "closed_on"
        in manager_api.post(
            f"/api/v1/deals/{deal.pk}/close/", {"outcome": "won", "amount": "5", "closed_on": future}
        ).json()
    )
    won = []
    deal_won.connect(lambda sender, deal, **kw: won.append(deal.pk), weak=False, dispatch_uid="test")
    try:
        with commit():
            response = manager_api.post(f"/api/v1/deals/{deal.pk}/close/", {"outcome": "won", "amount": "51000.50"})
    finally:
        deal_won.disconnect(dispatch_uid="test")
    body = response.json()
    assert (body["status"], body["final_amount"], body["closed_on"]) == (
        "won",
        "51000.50",
        timezone.localdate().isoformat(),
    )
    assert won == [deal.pk]


def test_a_won_deal_closes_the_first_deal_onboarding_task(manager, deal):
    from partners.models import OnboardingTaskTemplate
    from partners.services import onboarding_start

    OnboardingTaskTemplate.objects.create(
        partner_type="reseller", title="Win a first deal", event=OnboardingEvent.FIRST_DEAL_WON
    )
    onboarding_start(partner=deal.partner)
    services.deal_approve(deal=deal, by=manager)
    services.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("100.00"))
    assert OnboardingTask.objects.get(partner=deal.partner, event=OnboardingEvent.FIRST_DEAL_WON).done


def test_lost_needs_no_amount(manager, deal):
    services.deal_approve(deal=deal, by=manager)
    deal = services.deal_close(deal=deal, by=manager, outcome="lost")
    assert (deal.status, deal.final_amount) == ("lost", None)


@pytest.mark.parametrize(
    ("status", "action", "data"),
    [
        ("submitted", "close", {"outcome": "won", "amount": "5"}),
        ("approved", "approve", {}),
        ("won", "reject", {"reason": "x"}),
        ("rejected", "approve", {}),
        ("expired", "close", {"outcome": "lost"}),
    ],
)
def test_transitions_the_state_does_not_allow_are_409(manager_api, partner_admin, status, action, data):
    deal = DealFactory(partner=partner_admin.partner, status=status)
    response = manager_api.post(f"/api/v1/deals/{deal.pk}/{action}/", data)
    assert response.status_code == 409
    deal.refresh_from_db()
    assert deal.status == status


@pytest.mark.parametrize("action", ["approve", "reject", "close"])
def test_only_managers_decide(api, deal, action):
    for user in [StaffUserFactory(role="finance"), deal.registered_by]:
        api.force_authenticate(user)
        response = api.post(f"/api/v1/deals/{deal.pk}/{action}/", {"reason": "x", "outcome": "lost"})
        assert response.status_code == 403, user.role
    deal.refresh_from_db()
    assert deal.status == "submitted"


def test_every_change_is_in_the_audit_history_with_who(manager_api, manager, deal):
    manager_api.post(f"/api/v1/deals/{deal.pk}/approve/")
    latest = deal.history.latest("history_date")
    assert (latest.status, latest.history_user) == ("approved", manager)


# --- Expiry and extensions ---------------------------------------------------------------------


def test_lapsed_approved_deals_expire_daily_and_the_partner_is_told(manager, deal, commit):
    services.deal_approve(deal=deal, by=manager)
    today = timezone.localdate()
    DealRegistration.objects.filter(pk=deal.pk).update(protected_until=today - timedelta(days=1))
    still = DealFactory(partner=deal.partner, approved=True, protected_until=today)
    with commit():
        assert services.deals_expire(today=today) == 1
    deal.refresh_from_db()
    still.refresh_from_db()
    assert (deal.status, still.status) == ("expired", "approved")
    assert deal.history.latest("history_date").status == "expired"
    assert "expired" in mail.outbox[-1].subject


def test_the_expiry_task_is_scheduled_daily(settings):
    assert settings.CELERY_BEAT_SCHEDULE["expire-lapsed-deals"]["task"] == "deals.tasks.expire_lapsed_deals"
    from deals.tasks import expire_lapsed_deals

    assert expire_lapsed_deals.delay().get() == 0


def test_partner_asks_for_an_extension_and_a_manager_grants_it(partner_api, manager_api, manager, deal):
    services.deal_approve(deal=deal, by=manager)
    deal.refresh_from_db()
    before = deal.protected_until
    assert partner_api.post(f"/api/v1/deals/{deal.pk}/request-extension/", {"reason": ""}).status_code == 400
    assert (
        partner_api.post(f"/api/v1/deals/{deal.pk}/request-extension/", {"reason": "Board meets in Q3"}).status_code
        == 201
    )
    again = partner_api.post(f"/api/v1/deals/{deal.pk}/request-extension/", {"reason": "again"})
    assert (again.status_code, again.json()) == (
        409,
        {"detail": "An extension request for this deal is already waiting for a decision."},
    )
    assert partner_api.post(f"/api/v1/deals/{deal.pk}/grant-extension/").status_code == 403
    wanted = before + timedelta(days=30)
    response = manager_api.post(f"/api/v1/deals/{deal.pk}/grant-extension/", {"protected_until": wanted.isoformat()})
    assert response.json()["protected_until"] == wanted.isoformat()
    assert ExtensionRequest.objects.get().status == "granted"


def test_a_manager_refuses_an_extension_with_a_reason(partner_admin, manager, deal, client):
    services.deal_approve(deal=deal, by=manager)
    request = services.extension_request(deal=deal, by=partner_admin, reason="More time")
    services.extension_refuse(request=request, by=manager, note="Protection is long enough.")
    client.force_login(partner_admin)
    assert "Protection is long enough." in client.get(f"/portal/deals/{deal.pk}/").content.decode()


def test_an_extension_must_move_the_date_forward(partner_admin, manager, deal):
    from django.core.exceptions import ValidationError

    services.deal_approve(deal=deal, by=manager)
    request = services.extension_request(deal=deal, by=partner_admin, reason="More time")
    with pytest.raises(ValidationError):
        services.extension_grant(request=request, by=manager, protected_until=timezone.localdate())


def test_only_approved_deals_can_be_extended(partner_admin, deal):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.extension_request(deal=deal, by=partner_admin, reason="More time")


def test_portal_extension_form(client, partner_admin, manager, deal):
    services.deal_approve(deal=deal, by=manager)
    client.force_login(partner_admin)
    response = client.post(
        f"/portal/deals/{deal.pk}/extension/", {"reason": "The customer needs a quarter more."}, follow=True
    )
    assert b"extension request is sent" in response.content
    assert ExtensionRequest.objects.get().requested_by == partner_admin


def test_detail_page_shows_the_status_timeline(client, partner_admin, manager, deal):
    services.deal_approve(deal=deal, by=manager)
    services.deal_close(deal=deal, by=manager, outcome="lost")
    client.force_login(partner_admin)
    timeline = client.get(f"/portal/deals/{deal.pk}/").context["timeline"]
    assert [step["status"] for step in timeline][-2:] == ["approved", "lost"]


def test_a_manager_reverses_a_win_through_the_api_and_the_admin(manager_api, client, manager, partner_admin):
    first = DealFactory(partner=partner_admin.partner, approved=True, protected_until=timezone.localdate())
    second = DealFactory(partner=partner_admin.partner, approved=True, protected_until=timezone.localdate())
    for deal in (first, second):
        services.deal_close(deal=deal, by=manager, outcome="won", amount=Decimal("100"))
    assert manager_api.post(f"/api/v1/deals/{first.pk}/reverse-win/", {"reason": ""}).status_code == 400
    body = manager_api.post(f"/api/v1/deals/{first.pk}/reverse-win/", {"reason": "Customer refunded"}).json()
    assert body["status"] == "lost"
    client.force_login(manager)
    client.post(
        "/admin/deals/dealregistration/",
        {"action": "reverse_win", "_selected_action": [second.pk], "reason": "Order cancelled"},
    )
    second.refresh_from_db()
    assert (second.status, second.reversal_reason) == ("lost", "Order cancelled")


def test_expiry_notifies_in_a_constant_number_of_queries(
    manager, partner_admin, rival_admin, django_assert_max_num_queries
):
    today = timezone.localdate()
    for owner in (partner_admin, rival_admin):
        DealFactory.create_batch(
            3, partner=owner.partner, registered_by=owner, approved=True, protected_until=today - timedelta(days=1)
        )
    with django_assert_max_num_queries(8):
        assert services.deals_expire(today=today) == 6
