"""Cases open by themselves on a channel conflict (one per clash; later clashes join), and
partners open disputes pointing at their own deal or commission line."""

from decimal import Decimal

import pytest
from django.core import mail

from conflicts.models import Case, CaseMessage, CaseParticipant, ContestedRegistration
from conflicts.tasks import open_channel_conflict_case
from deals.models import DealRegistration
from incentives.models import CommissionLine
from prm.errors import RuleViolation

from ..factories import DealFactory
from .conftest import dispute, register, text_file

pytestmark = pytest.mark.django_db


def test_a_clash_opens_one_case_linking_every_contested_registration(clash, partner, rival):
    case, ours, theirs = clash
    assert case.status == "open" and case.kind == "channel_conflict"
    assert set(ContestedRegistration.objects.filter(case=case).values_list("deal_id", flat=True)) == {
        ours.pk,
        theirs.pk,
    }
    assert set(CaseParticipant.objects.filter(case=case).values_list("partner_id", flat=True)) == {partner.pk, rival.pk}
    assert case.first_response_due > case.opened_at and case.resolution_due > case.first_response_due


def test_a_later_clashing_registration_joins_the_open_case(clash, third_admin, commit):
    case, ours, theirs = clash
    with commit():
        third = register(third_admin, customer="Fabrikam Incorporated")
    assert Case.objects.count() == 1
    assert ContestedRegistration.objects.filter(case=case, deal=third).exists()
    assert CaseParticipant.objects.filter(case=case, partner=third_admin.partner).exists()


def test_a_clash_with_a_decided_case_opens_a_new_case(clash, third_admin, manager, commit):
    from conflicts import services

    case, ours, theirs = clash
    services.case_resolve(case=case, by=manager, outcome="award_deal", deal=ours, note="Acme was first.")
    with commit():
        register(third_admin, customer="Fabrikam Incorporated")
    assert Case.objects.filter(kind="channel_conflict").count() == 2


def test_opening_twice_changes_nothing(clash):
    case, ours, theirs = clash
    assert open_channel_conflict_case.delay(theirs.pk).get() == case.pk
    assert Case.objects.count() == 1
    assert ContestedRegistration.objects.count() == 2


def test_a_duplicate_of_the_partners_own_registration_opens_no_case(partner_admin, rep, commit):
    DealFactory(
        partner=partner_admin.partner, customer_name="Fabrikam", customer_domain="fabrikam.com", status="approved"
    )
    with commit():
        deal = register(rep)
    assert deal.in_conflict_review
    assert not Case.objects.exists()


def test_involved_partners_are_told_without_naming_each_other(partner, rival, commit, partner_admin, rival_admin):
    DealFactory(partner=partner, customer_name="Fabrikam", customer_domain="fabrikam.com", status="approved")
    mail.outbox.clear()
    with commit():
        register(rival_admin)
    case_mails = [m for m in mail.outbox if "channel-conflict case" in m.subject]
    assert case_mails and all(m.to == [rival_admin.email] or m.to == [partner_admin.email] for m in case_mails)
    for message in case_mails:
        assert partner.name not in message.body and rival.name not in message.body


def test_a_partner_opens_a_commission_dispute_on_its_own_line(partner_admin):
    line = CommissionLine.objects.create(
        partner=partner_admin.partner, kind="accrual", amount=Decimal("100"), currency="USD", explanation="x"
    )
    case = dispute(
        partner_admin,
        kind="commission_dispute",
        subject="Rate too low",
        body="The rate should be 12%.",
        commission_line=line,
        files=[text_file()],
    )
    assert case.commission_line == line and case.status == "open" and case.owner is None
    message = CaseMessage.objects.get(case=case)
    assert message.partner_id == partner_admin.partner_id and not message.internal
    assert message.attachments.get().name == "notes.txt"


@pytest.mark.parametrize("kind, field", [("commission_dispute", "commission_line"), ("deal_dispute", "deal")])
def test_a_dispute_names_what_it_is_about(partner_admin, kind, field):
    with pytest.raises(RuleViolation) as refused:
        dispute(partner_admin, kind=kind)
    assert set(refused.value.message_dict) == {field}
    assert not Case.objects.exists()


def test_a_dispute_cannot_point_at_another_partners_deal(partner_admin, rival):
    with pytest.raises(RuleViolation) as refused:
        dispute(partner_admin, kind="deal_dispute", deal=DealFactory(partner=rival))
    assert "deal" in refused.value.message_dict
    assert not Case.objects.exists()


def test_bad_input_names_every_field_and_writes_nothing(partner_admin):
    with pytest.raises(RuleViolation) as refused:
        dispute(
            partner_admin, kind="channel_conflict", subject="x" * 201, body="  ", files=[text_file("evil.exe", b"MZ")]
        )
    assert set(refused.value.message_dict) == {"kind", "subject", "body", "attachments"}
    assert not Case.objects.exists() and not DealRegistration.objects.exists()
