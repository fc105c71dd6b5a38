"""The partner agreement: versions, publishing, signing with a fingerprint and a PDF.

The signed PDF is rendered by a worker after the signature commits (tasks.render_signed_agreement),
never inside the signing request's transaction; until it is stored, pages say it is being prepared.
"""

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from prm.errors import RuleViolation, StateConflict
from prm.roles import MANAGER_ROLES, Role, require_role
from prm.scoping import scopes_disabled
from prm.text import check_text

from ..models import (
    Agreement,
    AgreementSignature,
    OnboardingEvent,
    Partner,
    User,
)
from .onboarding import onboarding_event_record


def agreement_text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def agreement_current() -> Agreement | None:
    return Agreement.objects.filter(published_at__isnull=False).order_by("-version").first()


@transaction.atomic
def agreement_publish(*, agreement: Agreement, by: User) -> Agreement:
    """Publish a version: its text is fixed (hashed) and every partner is asked to sign it."""
    require_role(by, *MANAGER_ROLES, action="publish agreements")
    if agreement.is_published:
        raise StateConflict("This version is already published; write a new version to change the text.")
    newest = agreement_current()
    if newest and agreement.version <= newest.version:
        raise RuleViolation({"version": f"Use a version above {newest.version}, the newest published one."})
    agreement.text_sha256 = agreement_text_sha256(agreement.body_markdown)
    agreement.published_at = timezone.now()
    agreement.save(update_fields=["text_sha256", "published_at"])
    return agreement


def agreement_needs_signature(partner: Partner) -> Agreement | None:
    """The current agreement if the partner has not signed it yet."""
    current = agreement_current()
    if current is None:
        return None
    with scopes_disabled():
        signed = AgreementSignature.objects.filter(partner=partner, agreement=current).exists()
    return None if signed else current


@transaction.atomic
def agreement_sign(
    *,
    partner: Partner,
    user: User,
    agreement: Agreement,
    signer_name: str,
    consent: bool,
    ip: str,
    user_agent: str = "",
) -> AgreementSignature:
    """A partner admin signs the current agreement version by typing their full name and consenting.

    Records the version, the SHA-256 of the exact text, the signer, the time and the IP, and
    enqueues, once the signature commits, the rendering of the signed PDF that both sides keep.
    """
    if not (user.partner_id == partner.pk and user.role == Role.PARTNER_ADMIN):
        raise PermissionDenied("Only a partner admin of this organization may sign the agreement.")
    errors = {}
    signer_name = " ".join((signer_name or "").split())
    if len(signer_name) < 3 or "@" in signer_name:
        errors["signer_name"] = "Type your full name to sign."
    else:
        try:
            check_text(
                field="signer_name",
                value=signer_name,
                limit=AgreementSignature._meta.get_field("signer_name").max_length,
                multiline=False,
            )
        except ValidationError as error:
            errors.update(error.message_dict)
    if not consent:
        errors["consent"] = "Confirm that you have read the agreement and accept it on behalf of your company."
    if errors:
        raise RuleViolation(errors)
    current = agreement_current()
    if current is None:
        raise StateConflict("No agreement is published yet: there is nothing to sign.")
    if agreement is None or agreement.pk != current.pk:
        raise StateConflict("A newer version of the agreement exists: read and sign that one.")
    digest = agreement_text_sha256(agreement.body_markdown)
    if digest != agreement.text_sha256:
        raise StateConflict("The agreement text does not match its published fingerprint; contact your manager.")
    with scopes_disabled():
        if AgreementSignature.objects.filter(partner=partner, agreement=agreement).exists():
            raise StateConflict("Your organization has already signed this version.")
    signature = AgreementSignature.objects.create(
        partner=partner,
        agreement=agreement,
        signer=user,
        signer_name=signer_name,
        signer_email=user.email,
        text_sha256=digest,
        signed_at=timezone.now(),
        ip_address=ip,
        user_agent=(user_agent or "")[:300],
    )
    onboarding_event_record(partner=partner, event=OnboardingEvent.AGREEMENT_SIGNED, by=user)
    agreement_pdf_enqueue(signature=signature)
    return signature


def agreement_pdf_enqueue(*, signature: AgreementSignature) -> None:
    """Have a worker render the signed PDF once the current transaction commits (a no-op for the
    worker when it is stored already, so asking again after a lost task is harmless)."""
    from ..tasks import render_signed_agreement

    render_signed_agreement.delay_on_commit(signature.pk)


def agreement_pdf_store(*, signature_id: int) -> bool:
    """Render and store a signature's PDF unless it is stored already; True when this call stored it.

    Runs in a worker, outside any transaction: the document renders first, then one conditional
    UPDATE claims the empty slot, so two workers given the same signature store one file.
    """
    from ..pdf import agreement_signed_pdf

    with scopes_disabled():
        signature = AgreementSignature.objects.select_related("agreement", "partner").filter(pk=signature_id).first()
        if signature is None or signature.pdf:
            return False
        document = agreement_signed_pdf(signature)
        signature.pdf.save(
            f"agreement-v{signature.agreement.version}-partner-{signature.partner_id}.pdf", document, save=False
        )
        stored = AgreementSignature.objects.filter(pk=signature.pk, pdf="").update(pdf=signature.pdf.name)
        if not stored:
            signature.pdf.storage.delete(signature.pdf.name)
        return bool(stored)
