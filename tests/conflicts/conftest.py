from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conflicts import services
from conflicts.models import Case
from deals import services as deal_services

from ..factories import DealFactory, PartnerUserFactory, StaffUserFactory


def text_file(name="notes.txt", content=b"Meeting notes: the customer asked us first.\n"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


def pdf_file(name="quote.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.7\n% a quote\n", content_type="application/pdf")


def dispute(user, *, kind="other", subject="A question", body="Please look into this.", files=(), **objects) -> Case:
    return services.case_open_dispute(
        partner=user.partner, user=user, kind=kind, subject=subject, body=body, attachments=list(files), **objects
    )


def register(user, customer="Fabrikam Inc.", domain="fabrikam.com", amount="48000.00"):
    return deal_services.deal_submit(
        partner=user.partner,
        user=user,
        data=dict(
            customer_name=customer,
            customer_domain=domain,
            customer_country="US",
            amount=amount,
            currency="USD",
            expected_close_date=timezone.localdate() + timedelta(days=30),
            products=["Cloud Suite"],
        ),
    )


@pytest.fixture
def manager2(db):
    return StaffUserFactory(email="manager2@example.com")


@pytest.fixture
def third_admin(db):
    """A third partner's admin, for cases that involve more than two organizations."""
    return PartnerUserFactory(email="ann@initech.example.com", partner__name="Initech Systems")


@pytest.fixture
def clash(partner_admin, rival_admin, commit):
    """Acme's approved registration, then Globex registers the same customer: the clash opens a
    case by itself (deal_conflict_found after commit, then the task)."""
    ours = DealFactory(
        partner=partner_admin.partner,
        registered_by=partner_admin,
        customer_name="Fabrikam",
        customer_domain="fabrikam.com",
        status="approved",
        protected_until=timezone.localdate() + timedelta(days=60),
    )
    with commit():
        theirs = register(rival_admin, customer="Fabrikam, Inc.")
    case = Case.objects.get(kind="channel_conflict")
    return case, ours, theirs
