"""Documents of the partners app, rendered with the PDF kernel (prm.pdf)."""

from django.core.files.base import ContentFile

from prm.markup import markdown_to_html
from prm.pdf import render_pdf

from .models import AgreementSignature


def agreement_signed_pdf(signature: AgreementSignature) -> ContentFile:
    """The agreement text as signed, followed by the signature evidence: one copy for each side."""
    agreement = signature.agreement
    return ContentFile(
        render_pdf(
            "partners/pdf/agreement_signed.html",
            {"signature": signature, "agreement": agreement, "body_html": markdown_to_html(agreement.body_markdown)},
        )
    )
