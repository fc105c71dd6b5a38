"""A partner's life: created through one service, status changed through one transition table,
status and tier changed in the admin by actions that ask for a reason."""

from datetime import timedelta
from itertools import product

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.authtoken.models import Token

from partners import services
from partners.models import Invitation, OnboardingTask, Partner, StatusChange, TierChange, User
from partners.services.lifecycle import PARTNER_TRANSITIONS
from prm.errors import InvalidTransition, StateConflict

from ..admin_forms import admin_form_data
from ..factories import PartnerFactory, PartnerUserFactory, StaffUserFactory, TierFactory

pytestmark = pytest.mark.django_db

STATUSES = [s.value for s in Partner.Status]
ALLOWED = {
    ("onboarding", "active"),
    ("onboarding", "terminated"),
    ("active", "suspended"),
    ("active", "terminated"),
    ("suspended", "active"),
    ("suspended", "terminated"),
}
NEW_PARTNER = {
    "name": "Umbrella Systems",
    "partner_type": "reseller",
    "country": "FR",
    "website": "https://www.umbrella-systems.fr/about",
    "specializations": ["Cloud", "security"],
}


@pytest.fixture
def tiers(db):
    """Entry tier first by rank, whatever order they were created in."""
    gold = TierFactory(name="Gold", rank=3)
    registered = TierFactory(name="Registered", rank=1)
    return registered, gold


# --- partner_create -----------------------------------------------------------------------------


def test_a_created_partner_is_onboarding_at_the_entry_tier_with_history_and_checklist(manager, tiers, checklist):
    partner = services.partner_create(data=NEW_PARTNER, by=manager)

    assert (partner.status, partner.tier.name, partner.domain) == ("onboarding", "Registered", "umbrella-systems.fr")
    assert partner.specializations == ["cloud", "security"]
    change = TierChange.objects.get(partner=partner)
    assert (change.from_tier, change.to_tier.name, change.changed_by) == (None, "Registered", manager)
    assert OnboardingTask.objects.filter(partner=partner).count() == len(checklist)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"website": "not a website"}, "website"),
        ({"partner_type": "distributor"}, "partner_type"),
        ({"country": "XX"}, "country"),
        ({"status": "active"}, "status"),
        ({"tier": 1}, "tier"),
        ({"name": "acme cloud partners"}, "name"),  # the name of an existing partner, in other case
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(manager, partner, tiers, changes, field):
    before = Partner.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.partner_create(data={**NEW_PARTNER, **changes}, by=manager)
    assert field in refused.value.message_dict
    assert Partner.objects.count() == before
    assert not TierChange.objects.exists()


@pytest.mark.parametrize("role", ["finance", "partner_admin"])
def test_only_managers_create_partners(partner, role):
    user = StaffUserFactory(role=role) if role == "finance" else PartnerUserFactory(partner=partner)
    with pytest.raises(PermissionDenied):
        services.partner_create(data=NEW_PARTNER, by=user)
    assert not Partner.objects.filter(name=NEW_PARTNER["name"]).exists()


def test_the_admin_add_form_creates_through_the_service(client, manager, tiers, checklist):
    client.force_login(manager)
    add = client.get("/admin/partners/partner/add/")
    assert "status" not in add.context["adminform"].form.fields  # a new partner is always onboarding
    assert "tier" not in add.context["adminform"].form.fields  # ... at the entry tier
    response = client.post(
        "/admin/partners/partner/add/",
        {**NEW_PARTNER, "specializations": "cloud, security", "_continue": "Save and continue editing"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    partner = Partner.objects.get(name="Umbrella Systems")
    assert response["Location"].endswith(f"/admin/partners/partner/{partner.pk}/change/")
    assert (partner.status, partner.tier.name) == ("onboarding", "Registered")
    assert TierChange.objects.filter(partner=partner, to_tier__name="Registered").exists()
    assert OnboardingTask.objects.filter(partner=partner).count() == len(checklist)


def test_approval_creates_the_partner_through_the_same_service(manager, tiers, checklist):
    from ..factories import ApplicationFactory

    application = ApplicationFactory(company_name="Hooli  Europe", website="https://hooli.eu")
    partner = services.application_approve(application=application, by=manager)
    assert (partner.name, partner.status, partner.tier.name, partner.domain) == (
        "Hooli Europe",
        "onboarding",
        "Registered",
        "hooli.eu",
    )
    assert TierChange.objects.get(partner=partner).reason == "Entry tier on approval"
    assert OnboardingTask.objects.filter(partner=partner).count() == len(checklist)


# --- The transition table -----------------------------------------------------------------------


def test_the_table_is_the_documented_one():
    assert {(a, b) for a, targets in PARTNER_TRANSITIONS.items() for b in targets} == ALLOWED
    assert PARTNER_TRANSITIONS[Partner.Status.TERMINATED] == set()


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_every_allowed_transition_is_made_and_kept_with_its_reason(manager, current, target):
    partner = PartnerFactory(status=current)
    services.partner_set_status(partner=partner, status=target, by=manager, reason=f"Going {target}")
    partner.refresh_from_db()
    assert partner.status == target
    change = StatusChange.objects.get(partner=partner)
    assert (change.from_status, change.to_status, change.changed_by, change.reason) == (
        current,
        target,
        manager,
        f"Going {target}",
    )
    latest = Partner.history.filter(id=partner.pk).latest("history_date")
    assert (latest.status, latest.history_change_reason, latest.history_user) == (target, f"Going {target}", None)


@pytest.mark.parametrize(("current", "target"), sorted(set(product(STATUSES, STATUSES)) - ALLOWED))
def test_every_other_transition_is_refused_and_changes_nothing(manager, current, target):
    partner = PartnerFactory(status=current)
    with pytest.raises(InvalidTransition) as refused:
        services.partner_set_status(partner=partner, status=target, by=manager, reason="Try")
    said = (
        f"This partner is already {current}."
        if current == target
        else f"A partner that is {current} cannot become {target}."
    )
    assert said in refused.value.messages
    partner.refresh_from_db()
    assert partner.status == current
    assert not StatusChange.objects.exists()


def test_a_status_change_needs_a_reason_and_a_manager(partner, manager, finance):
    with pytest.raises(ValidationError) as refused:
        services.partner_set_status(partner=partner, status="suspended", by=manager, reason="  ")
    assert "reason" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        services.partner_set_status(partner=partner, status="suspended", by=finance, reason="Late payments")
    partner.refresh_from_db()
    assert partner.status == "active"


def test_manual_activation_sets_the_activation_time(manager):
    partner = PartnerFactory(status="onboarding")
    services.partner_set_status(partner=partner, status="active", by=manager, reason="Moved from the old program")
    partner.refresh_from_db()
    assert partner.activated_at is not None


def test_completing_onboarding_activates_through_the_table(checklist):
    partner = PartnerFactory(status="onboarding")
    services.onboarding_start(partner=partner)
    for task in OnboardingTask.objects.filter(partner=partner, required=True):
        services.onboarding_event_record(partner=partner, event=task.event)
    partner.refresh_from_db()
    assert partner.status == "active"
    change = StatusChange.objects.get(partner=partner)
    assert (change.from_status, change.to_status, change.changed_by) == ("onboarding", "active", None)
    assert change.reason == "All required onboarding tasks are done"


@pytest.mark.parametrize(
    ("current", "target", "subject"),
    [
        ("active", "suspended", "is suspended"),
        ("suspended", "active", "is reactivated"),
        ("active", "terminated", "is terminated"),
        ("onboarding", "terminated", "is terminated"),
    ],
)
def test_partner_admins_are_told_with_the_reason(manager, commit, current, target, subject):
    partner = PartnerFactory(name="Acme", status=current)
    PartnerUserFactory(partner=partner, email="admin@acme.com")
    PartnerUserFactory(partner=partner, email="rep@acme.com", role="partner_rep")
    with commit():
        services.partner_set_status(partner=partner, status=target, by=manager, reason="Contract review under way")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["admin@acme.com"]
    assert subject in message.subject
    assert "Contract review under way" in message.body


def test_activation_mails_nobody(manager, commit):
    partner = PartnerFactory(status="onboarding")
    PartnerUserFactory(partner=partner)
    with commit():
        services.partner_set_status(partner=partner, status="active", by=manager, reason="Checklist waived")
    assert mail.outbox == []


def test_a_suspended_partner_registers_no_deals_but_still_signs_in(client, manager, partner_admin):
    from deals import services as deal_services

    deal = {
        "customer_name": "Fabrikam Inc.",
        "customer_domain": "fabrikam.com",
        "customer_country": "US",
        "amount": "48000.00",
        "currency": "USD",
        "products": ["Cloud Suite"],
        "expected_close_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }
    services.partner_set_status(partner=partner_admin.partner, status="suspended", by=manager, reason="Audit")
    with pytest.raises(PermissionDenied):
        deal_services.deal_submit(partner=partner_admin.partner, user=partner_admin, data=deal)
    services.partner_set_status(partner=partner_admin.partner, status="active", by=manager, reason="Audit passed")
    assert deal_services.deal_submit(partner=partner_admin.partner, user=partner_admin, data=deal).status == "submitted"
    client.force_login(partner_admin)
    assert client.get("/portal/").status_code == 200


def test_termination_ends_every_members_access_and_open_invitation(client, manager, partner_admin, rep, commit):
    partner = partner_admin.partner
    client.force_login(rep)
    Token.objects.create(user=partner_admin)
    invitation = services.invitation_send(partner=partner, email="new@acme.com", invited_by=partner_admin)
    assert Session.objects.count() == 1

    with commit():
        services.partner_set_status(partner=partner, status="terminated", by=manager, reason="Contract ended")

    assert not User.objects.filter(partner=partner, is_active=True).exists()
    assert not Token.objects.exists()
    assert not Session.objects.exists()
    invitation.refresh_from_db()
    assert not invitation.is_usable
    assert client.get("/portal/").status_code == 302  # signed out
    assert mail.outbox[-1].to == ["alice@acme.example.com"]  # told before losing access
    with pytest.raises(StateConflict):
        services.invitation_send(partner=partner, email="other@acme.com", invited_by=manager)
    with pytest.raises(StateConflict):
        services.team_member_reactivate(member=rep, by=StaffUserFactory(role="admin", is_superuser=True))
    with pytest.raises(StateConflict):
        services.partner_tier_set(partner=partner, tier=TierFactory(name="Gold", rank=3), by=manager, reason="No")
    assert (
        Invitation.objects.filter(partner=partner, accepted_at__isnull=True, expires_at__gt=timezone.now()).count() == 0
    )


# --- The admin ----------------------------------------------------------------------------------


def test_status_and_tier_are_read_only_on_the_change_form(client, manager, partner):
    gold = TierFactory(name="Gold", rank=3)
    client.force_login(manager)
    url = f"/admin/partners/partner/{partner.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    assert "status" not in form.fields and "tier" not in form.fields
    response = client.post(url, admin_form_data(page, status="suspended", tier=gold.pk, city="Lyon"))
    assert response.status_code == 302, response.content.decode()[:3000]
    partner.refresh_from_db()
    assert (partner.status, partner.tier.name, partner.city) == ("active", "Silver", "Lyon")
    latest = Partner.history.filter(id=partner.pk).latest("history_date")
    assert (latest.city, latest.history_user) == ("Lyon", manager)


def _run_action(client, action, partners, **extra):
    return client.post(
        "/admin/partners/partner/",
        {"action": action, "_selected_action": [p.pk for p in partners], **extra},
        follow=True,
    )


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [
        ("suspend", "active", "suspended"),
        ("reactivate", "suspended", "active"),
        ("terminate", "active", "terminated"),
        ("activate", "onboarding", "active"),
    ],
)
def test_status_actions_ask_for_a_reason_then_call_the_service(client, manager, commit, action, start, end):
    partners = [PartnerFactory(status=start), PartnerFactory(status=start)]
    client.force_login(manager)

    page = _run_action(client, action, partners)
    assert page.status_code == 200 and b'name="reason"' in page.content
    assert set(Partner.objects.values_list("status", flat=True)) == {start}  # nothing yet

    empty = _run_action(client, action, partners, reason="")
    assert b"This field is required" in empty.content
    assert set(Partner.objects.values_list("status", flat=True)) == {start}

    with commit():
        done = _run_action(client, action, partners, reason="Quarterly review")
    assert done.status_code == 200
    assert set(Partner.objects.values_list("status", flat=True)) == {end}
    assert set(StatusChange.objects.values_list("reason", "changed_by", "to_status")) == {
        ("Quarterly review", manager.pk, end)
    }


def test_a_status_action_reports_partners_the_table_refuses(client, manager):
    active, terminated = (
        PartnerFactory(status="active", name="Live Co"),
        PartnerFactory(status="terminated", name="Gone Co"),
    )
    client.force_login(manager)
    html = _run_action(client, "suspend", [active, terminated], reason="Audit").content.decode()
    assert "Gone Co: A partner that is terminated cannot become suspended." in html
    assert Partner.objects.get(pk=active.pk).status == "suspended"
    assert Partner.objects.get(pk=terminated.pk).status == "terminated"


def test_change_tier_asks_for_tier_and_reason(client, manager, partner):
    gold = TierFactory(name="Gold", rank=3)
    client.force_login(manager)
    page = _run_action(client, "change_tier", [partner])
    assert b'name="tier"' in page.content and b'name="reason"' in page.content

    missing_reason = _run_action(client, "change_tier", [partner], tier=gold.pk, reason="")
    assert b"This field is required" in missing_reason.content
    partner.refresh_from_db()
    assert partner.tier.name == "Silver"

    _run_action(client, "change_tier", [partner], tier=gold.pk, reason="Won revenue above 500k")
    partner.refresh_from_db()
    assert partner.tier == gold
    change = TierChange.objects.get(partner=partner, to_tier=gold)
    assert (change.from_tier.name, change.changed_by, change.reason) == ("Silver", manager, "Won revenue above 500k")
    latest = Partner.history.filter(id=partner.pk).latest("history_date")
    assert latest.history_change_reason == "Won revenue above 500k"


def test_reasons_longer_than_the_audit_column_are_kept_whole_in_the_tier_and_status_history(manager, partner):
    """The audit history's change reason is a varchar(100) (PostgreSQL refuses longer); the tier and
    status histories keep reasons of up to 300 characters whole."""
    gold = TierFactory(name="Gold", rank=3)
    reason = "Tier review #12: " + "won revenue 12 months 212,400.00 USD >= 200,000.00 USD; " * 4
    services.partner_tier_set(partner=partner, tier=gold, by=manager, reason=reason)
    assert TierChange.objects.get(partner=partner).reason == reason.strip()
    services.partner_set_status(partner=partner, status="suspended", by=manager, reason="r" * 250)
    assert StatusChange.objects.get(partner=partner).reason == "r" * 250
    history = Partner.history.filter(id=partner.pk).order_by("history_date")
    reasons = list(history.values_list("history_change_reason", flat=True))
    assert [len(r) for r in reasons[-2:]] == [100, 100]
    assert reasons[-2].startswith("Tier review #12: won revenue") and reasons[-2].endswith("…")


def test_finance_cannot_run_partner_actions(client, finance, partner):
    client.force_login(finance)
    _run_action(client, "suspend", [partner], reason="No")
    partner.refresh_from_db()
    assert partner.status == "active"


def test_remind_now_reminds_only_the_selected_partners(client, manager, checklist, commit):
    long_ago = timezone.now() - timedelta(days=30)
    chosen, other = (
        PartnerFactory(status="onboarding", name="Chosen"),
        PartnerFactory(status="onboarding", name="Other"),
    )
    active = PartnerFactory(status="active", name="Done")
    for partner, email in [(chosen, "a@chosen.com"), (other, "a@other.com"), (active, "a@done.com")]:
        services.onboarding_start(partner=partner)
        PartnerUserFactory(partner=partner, email=email)
    Partner.objects.update(created_at=long_ago)  # both onboarding partners are stalled
    client.force_login(manager)

    with commit():
        html = _run_action(client, "remind_now", [chosen, active]).content.decode()

    assert [m.to for m in mail.outbox] == [["a@chosen.com"]]
    assert "1 partner was reminded of its onboarding." in html
    assert "1 selected partner is not onboarding and was not reminded." in html
    assert Partner.objects.get(pk=chosen.pk).onboarding_reminded_at is not None
    assert Partner.objects.get(pk=other.pk).onboarding_reminded_at is None
