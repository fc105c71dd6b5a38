"""Internal notes and evidence never reach a partner (API, portal, e-mail, files); in a
channel-conflict case each partner sees only its own side: never the rival's identity,
registration, messages, files or evidence."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conflicts import services
from conflicts.models import CaseAttachment, CaseMessage, EvidenceAnswer
from prm.scoping import scope_for

from .conftest import dispute, text_file

pytestmark = pytest.mark.django_db
NOTE = "INTERNAL: Globex looks like it poached this one"
EVIDENCE = "EVIDENCE: workshop with the CIO on 3 March"
TO_RIVAL = "Globex, please send your signed order"
FROM_RIVAL = "We met their CFO at a trade fair"


@pytest.fixture
def worked(clash, manager, partner, rival, rival_admin, partner_admin, commit):
    """A clash with a note, messages to and from each side, and Acme's evidence with a file."""
    case, ours, theirs = clash
    mail.outbox.clear()
    with commit():
        services.case_post_message(case=case, by=manager, internal=True, body=NOTE, attachments=[text_file("note.txt")])
        services.case_post_message(case=case, by=manager, partner=rival, body=TO_RIVAL)
        services.case_post_message(case=case, by=rival_admin, body=FROM_RIVAL, attachments=[text_file("rival.txt")])
        services.case_post_message(case=case, by=manager, partner=partner, body="Acme, please send your evidence.")
        request = services.evidence_request(
            case=case, partner=partner, by=manager, due_on=timezone.localdate() + timedelta(days=3)
        )
        services.evidence_answer(
            request=request,
            by=partner_admin,
            first_contact_on=timezone.localdate(),
            activities=EVIDENCE,
            customer_contact="Jordan, CIO",
            attachments=[text_file("evidence.txt")],
        )
    return case, ours, theirs


SECRETS = [NOTE, EVIDENCE, TO_RIVAL, FROM_RIVAL, "Jordan, CIO", "Globex", "evidence.txt", "rival.txt", "note.txt"]


def test_the_partner_api_shows_only_its_own_side(partner_api, worked):
    case, ours, theirs = worked
    for url in ["/api/v1/cases/", f"/api/v1/cases/{case.pk}/"]:
        body = partner_api.get(url).content.decode()
        for secret in SECRETS:
            assert secret not in body, (url, secret)
    detail = partner_api.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["registrations"] == [ours.pk]
    assert [m["body"] for m in detail["messages"]] == ["Acme, please send your evidence."]
    assert "participants" not in detail and all("answer" not in r for r in detail["evidence_requests"])


def test_the_rival_sees_its_own_side_only(api, rival_admin, worked, partner):
    case, ours, theirs = worked
    api.force_authenticate(rival_admin)
    detail = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["registrations"] == [theirs.pk]
    assert [m["body"] for m in detail["messages"]] == [TO_RIVAL, FROM_RIVAL]
    body = str(detail)
    for secret in [NOTE, EVIDENCE, partner.name, "Acme, please send", "evidence.txt", "note.txt"]:
        assert secret not in body


def test_the_portal_shows_only_its_own_side(client, partner_admin, worked):
    case, ours, theirs = worked
    client.force_login(partner_admin)
    for url in ["/portal/cases/", f"/portal/cases/{case.pk}/"]:
        html = client.get(url).content.decode()
        for secret in SECRETS:
            assert secret not in html, (url, secret)
    html = client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "Acme, please send your evidence." in html and ours.customer_name in html


def test_no_email_to_a_partner_carries_a_note_evidence_or_the_other_side(
    worked, partner_admin, rival_admin, partner, rival
):
    to_partners = [m for m in mail.outbox if set(m.to) & {partner_admin.email, rival_admin.email}]
    assert to_partners
    for message in to_partners:
        text = message.subject + message.body + message.alternatives[0][0]
        for secret in [NOTE, EVIDENCE, "Jordan, CIO"]:
            assert secret not in text
        if partner_admin.email in message.to:
            assert TO_RIVAL not in text and FROM_RIVAL not in text and rival.name not in text


def test_the_scoping_kernel_never_returns_notes_evidence_or_the_rivals_rows(partner_admin, worked):
    with scope_for(partner_admin):
        assert not CaseMessage.objects.filter(internal=True).exists()
        assert set(CaseMessage.objects.values_list("partner_id", flat=True)) == {partner_admin.partner_id}
        assert not EvidenceAnswer.objects.exists()
        assert not CaseAttachment.objects.exists()  # note, evidence and rival files: none are Acme's


def test_internal_and_evidence_files_are_404_for_partners(client, partner_admin, rival_admin, worked):
    for user in (partner_admin, rival_admin):
        client.force_login(user)
        for attachment in CaseAttachment.objects.exclude(partner_id=user.partner_id):
            assert client.get(f"/portal/cases/attachments/{attachment.pk}/").status_code == 404


def test_staff_see_every_side(manager_api, worked):
    case, ours, theirs = worked
    detail = manager_api.get(f"/api/v1/cases/{case.pk}/").json()
    assert {p["name"] for p in detail["participants"]} == {"Acme Cloud Partners", "Globex Solutions"}
    assert any(m["internal"] and m["body"] == NOTE for m in detail["messages"])
    assert detail["evidence_requests"][0]["answer"]["activities"] == EVIDENCE
    assert sorted(detail["registrations"]) == sorted([ours.pk, theirs.pk])


def test_partners_cannot_write_internal_notes(partner_api, worked):
    case, *_ = worked
    response = partner_api.post(f"/api/v1/cases/{case.pk}/messages/", {"body": "psst", "internal": True})
    assert response.status_code == 403
    assert not CaseMessage.objects.filter(body="psst").exists()


def test_a_staff_message_in_a_multi_partner_case_names_its_partner(manager_api, worked):
    case, *_ = worked
    response = manager_api.post(f"/api/v1/cases/{case.pk}/messages/", {"body": "To whom?"})
    assert response.status_code == 400 and set(response.json()) == {"partner"}


def test_a_dispute_thread_hides_notes_from_its_partner(partner_api, partner_admin, manager):
    case = dispute(partner_admin)
    services.case_post_message(case=case, by=manager, internal=True, body=NOTE)
    services.case_post_message(case=case, by=manager, body="We are on it.")  # the only partner: addressed to it
    messages = partner_api.get(f"/api/v1/cases/{case.pk}/").json()["messages"]
    assert [m["body"] for m in messages] == ["Please look into this.", "We are on it."]
