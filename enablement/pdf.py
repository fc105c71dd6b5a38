"""Certificate documents, rendered with the PDF kernel (prm.pdf) from the certification's snapshot."""

from django.conf import settings

from prm.pdf import render_pdf

from .models import Certification


def certificate_pdf(certification: Certification) -> bytes:
    return render_pdf(
        "enablement/pdf/certificate.html",
        {
            "certification": certification,
            "verify_url": f"{settings.SITE_URL}/certificates/{certification.verification_code}/",
        },
    )
