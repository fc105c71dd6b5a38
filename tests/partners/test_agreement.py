"""Agreement signing: versions, fingerprints, who signs, the signed PDF for both sides (rendered
by a worker after the signature commits, never in the signing request)."""

import hashlib
import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from partners import services
from partners.models import Agreement, AgreementSignature, OnboardingTask

from ..factories import PartnerUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

TEXT = "# Partner agreement\n\n## Commissions\nWe pay **commissions** on won deals.\n\n<script>alert(1)</script>"


@pytest.fixture
def agreement(manager):
    return services.agreement_publish(agreement=Agreement.objects.create(version=1, body_markdown=TEXT), by=manager)


def sign(client, HTTP_X_FORWARDED_FOR=None, **data):
    extra = {"HTTP_X_FORWARDED_FOR": HTTP_X_FORWARDED_FOR} if HTTP_X_FORWARDED_FOR else {}
    return client.post(
        "/portal/agreement/",
        {"signer_name": "Alice Anders", "consent": "on", **data},
        REMOTE_ADDR="203.0.113.9",
        **extra,
    )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_publishing_fixes_the_fingerprint_of_the_text(agreement):
    assert agreement.text_sha256 == hashlib.sha256(TEXT.encode()).hexdigest()
    assert agreement.published_at is not None


def test_a_published_version_cannot_be_published_again_or_replaced_by_an_older_number(agreement, manager):
    with pytest.raises(ValidationError):
        services.agreement_publish(agreement=agreement, by=manager)
    with pytest.raises(ValidationError) as error:
        services.agreement_publish(agreement=Agreement.objects.create(version=0, body_markdown="old"), by=manager)
    assert "version" in error.value.message_dict


def test_partner_admin_signs_with_name_consent_ip_and_fingerprint(client, partner_admin, agreement, checklist):
    services.onboarding_start(partner=partner_admin.partner)
    client.force_login(partner_admin)
    page = client.get("/portal/agreement/")
    assert b"We pay <strong>commissions</strong>" in page.content
    assert b"<script>alert(1)</script>" not in page.content
    response = sign(client)
    assert response.status_code == 302
    signature = AgreementSignature.objects.get()
    assert (signature.partner, signature.agreement, signature.signer) == (
        partner_admin.partner,
        agreement,
        partner_admin,
    )
    assert (signature.signer_name, signature.ip_address) == ("Alice Anders", "203.0.113.9")
    assert signature.text_sha256 == agreement.text_sha256
    assert OnboardingTask.objects.get(partner=partner_admin.partner, key="agreement_signed").done


def test_the_signed_pdf_holds_the_text_and_the_evidence(client, partner_admin, agreement, commit):
    client.force_login(partner_admin)
    with commit():
        sign(client)
    signature = AgreementSignature.objects.get()
    response = client.get(f"/portal/agreement/signatures/{signature.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(b"".join(response.streaming_content))
    assert "We pay commissions on won deals." in text
    assert "Alice Anders" in text and partner_admin.email in text
    assert "203.0.113.9" in text
    assert agreement.text_sha256[:32] in text.replace("\n", "")


def test_staff_download_the_same_signed_pdf_in_the_admin(client, partner_admin, agreement, manager, commit):
    client.force_login(partner_admin)
    with commit():
        sign(client)
    signature = AgreementSignature.objects.get()
    client.force_login(manager)
    response = client.get(f"/admin/partners/agreementsignature/{signature.pk}/pdf/")
    assert response.status_code == 200
    assert "Alice Anders" in pdf_text(b"".join(response.streaming_content))


def test_the_pdf_is_rendered_after_commit_and_the_pages_say_it_is_being_prepared(
    client, partner_admin, agreement, commit
):
    client.force_login(partner_admin)
    sign(client)  # its transaction never commits here: the render it enqueued does not run
    signature = AgreementSignature.objects.get()
    assert not signature.pdf
    page = client.get("/portal/agreement/").content.decode()
    status_url = f"/portal/agreement/signatures/{signature.pk}/pdf/status/"
    assert "The signed PDF is being prepared" in page and f'data-poll-url="{status_url}"' in page
    assert '<script src="/static/js/poll.js"' in page and "<script>" not in page  # CSP: no inline script
    assert client.get(status_url).json() == {"ready": False, "url": f"/portal/agreement/signatures/{signature.pk}/pdf/"}
    with commit():  # asking for the file enqueues the render again; it runs once this request commits
        pending = client.get(f"/portal/agreement/signatures/{signature.pk}/pdf/")
    assert pending.status_code == 202 and "being prepared" in pending.content.decode()
    assert client.get(status_url).json()["ready"] is True
    signature.refresh_from_db()
    assert signature.pdf.name.startswith("agreements/")
    assert "Download the signed PDF" in client.get("/portal/agreement/").content.decode()
    response = client.get(f"/portal/agreement/signatures/{signature.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert "Alice Anders" in pdf_text(b"".join(response.streaming_content))


def test_the_admin_link_says_the_pdf_is_being_prepared_until_it_is(client, partner_admin, agreement, manager):
    client.force_login(partner_admin)
    sign(client)
    signature = AgreementSignature.objects.get()
    client.force_login(manager)
    response = client.get(f"/admin/partners/agreementsignature/{signature.pk}/pdf/", follow=True)
    assert response.redirect_chain[-1][0] == f"/admin/partners/agreementsignature/{signature.pk}/change/"
    assert "being prepared by a worker" in response.content.decode()


def test_nothing_is_rendered_for_a_signature_that_rolls_back(partner_admin, agreement, commit, settings):
    from django.db import transaction

    class Abort(Exception):
        pass

    with commit(), pytest.raises(Abort), transaction.atomic():
        services.agreement_sign(
            partner=partner_admin.partner,
            user=partner_admin,
            agreement=agreement,
            signer_name="Alice Anders",
            consent=True,
            ip="203.0.113.1",
        )
        raise Abort
    assert not AgreementSignature.objects.exists()
    assert not (settings.PRIVATE_MEDIA_ROOT / "agreements").exists()


def test_the_render_task_is_idempotent(partner_admin, agreement, commit):
    from partners.tasks import render_signed_agreement

    with commit():
        signature = services.agreement_sign(
            partner=partner_admin.partner,
            user=partner_admin,
            agreement=agreement,
            signer_name="Alice Anders",
            consent=True,
            ip="203.0.113.1",
        )
    signature.refresh_from_db()
    name = signature.pdf.name
    assert name and render_signed_agreement.delay(signature.pk).get() is False
    signature.refresh_from_db()
    assert signature.pdf.name == name
    assert [file.name for file in Path(signature.pdf.path).parent.iterdir()] == [Path(name).name]  # one file stored


def test_rendering_inside_the_signing_transaction_is_refused(partner_admin, agreement, commit):
    from django.db import transaction

    from prm.pdf import RenderInTransaction

    with commit():
        signature = services.agreement_sign(
            partner=partner_admin.partner,
            user=partner_admin,
            agreement=agreement,
            signer_name="Alice Anders",
            consent=True,
            ip="203.0.113.1",
        )
    AgreementSignature.objects.filter(pk=signature.pk).update(pdf="")
    with pytest.raises(RenderInTransaction), transaction.atomic():
        services.agreement_pdf_store(signature_id=signature.pk)


@pytest.mark.parametrize(
    ("data", "field"),
    [({"signer_name": ""}, "signer_name"), ({"signer_name": "al"}, "signer_name"), ({"consent": ""}, "consent")],
)
def test_signing_needs_a_typed_name_and_consent(client, partner_admin, agreement, data, field):
    client.force_login(partner_admin)
    response = sign(client, **data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not AgreementSignature.objects.exists()


def test_reps_read_but_do_not_sign(client, partner, agreement):
    rep = PartnerUserFactory(partner=partner, role="partner_rep")
    client.force_login(rep)
    page = client.get("/portal/agreement/")
    assert page.status_code == 200
    assert b"A partner admin of" in page.content
    assert sign(client).status_code == 403
    assert not AgreementSignature.objects.exists()


def test_a_new_version_asks_for_a_new_signature(client, partner_admin, agreement, manager):
    client.force_login(partner_admin)
    sign(client)
    assert services.agreement_needs_signature(partner_admin.partner) is None
    again = sign(client)  # nothing left to sign: a double click is told so on the page
    assert again["Location"] == "/portal/agreement/"
    assert AgreementSignature.objects.count() == 1
    v2 = services.agreement_publish(
        agreement=Agreement.objects.create(version=2, body_markdown=TEXT + "\n\nNew clause."), by=manager
    )
    assert services.agreement_needs_signature(partner_admin.partner) == v2
    assert b"Version 2 of the partner agreement is waiting" in client.get("/portal/").content
    sign(client)
    assert set(AgreementSignature.objects.values_list("agreement__version", flat=True)) == {1, 2}


def test_an_old_version_cannot_be_signed(partner_admin, agreement, manager):
    services.agreement_publish(agreement=Agreement.objects.create(version=2, body_markdown="v2"), by=manager)
    with pytest.raises(ValidationError, match="newer version"):
        services.agreement_sign(
            partner=partner_admin.partner,
            user=partner_admin,
            agreement=agreement,
            signer_name="Alice Anders",
            consent=True,
            ip="203.0.113.1",
        )


def test_a_tampered_text_is_refused(partner_admin, agreement):
    Agreement.objects.filter(pk=agreement.pk).update(body_markdown=TEXT + " (changed)")
    agreement.refresh_from_db()
    with pytest.raises(ValidationError, match="fingerprint"):
        services.agreement_sign(
            partner=partner_admin.partner,
            user=partner_admin,
            agreement=agreement,
            signer_name="Alice Anders",
            consent=True,
            ip="203.0.113.1",
        )


def test_only_members_of_the_partner_sign_for_it(rival_admin, partner, agreement):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.agreement_sign(
            partner=partner, user=rival_admin, agreement=agreement, signer_name="Bob", consent=True, ip="203.0.113.1"
        )


def test_published_agreements_are_read_only_in_the_admin(client, agreement):
    client.force_login(StaffUserFactory(role="admin", is_superuser=True))
    page = client.get(f"/admin/partners/agreement/{agreement.pk}/change/")
    assert 'name="body_markdown"' not in page.content.decode()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "198.51.100.77", "203.0.113.9"),  # no trusted proxy: a forged header is ignored
        (1, "198.51.100.77", "198.51.100.77"),  # behind one proxy: the address it saw
        (1, "10.9.9.9, 198.51.100.77", "198.51.100.77"),  # what the client put in front is ignored
    ],
)
def test_the_signers_ip_is_read_through_trusted_proxies_only(
    client, partner_admin, agreement, settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    client.force_login(partner_admin)
    sign(client, HTTP_X_FORWARDED_FOR=forwarded)
    assert AgreementSignature.objects.get().ip_address == expected


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_renders_the_signed_pdf_after_the_signature_commits(celery_broker, partner_admin, manager):
    import time

    from celery.contrib.testing.worker import start_worker

    agreement = services.agreement_publish(
        agreement=Agreement.objects.create(version=1, body_markdown=TEXT), by=manager
    )
    celery_broker.control.purge()
    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
        signature = services.agreement_sign(
            partner=partner_admin.partner,
            user=partner_admin,
            agreement=agreement,
            signer_name="Alice Anders",
            consent=True,
            ip="203.0.113.1",
        )
        deadline = time.monotonic() + 30
        while not AgreementSignature.objects.get(pk=signature.pk).pdf and time.monotonic() < deadline:
            time.sleep(0.1)
    signature.refresh_from_db()
    assert signature.pdf, "the worker did not store the signed PDF"
    with signature.pdf.open("rb") as pdf:
        assert "Alice Anders" in pdf_text(pdf.read())
