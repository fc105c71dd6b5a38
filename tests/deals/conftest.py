from datetime import timedelta

import pytest
from django.utils import timezone

from partners.models import User

from ..factories import PartnerUserFactory


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def rep(partner) -> User:
    return PartnerUserFactory(partner=partner, role="partner_rep", email="carol@acme.example.com", full_name="Carol Chen")


def deal_data(**changes) -> dict:
    data = {
        "customer_name": "Fabrikam Inc.",
        "customer_domain": "fabrikam.com",
        "customer_country": "US",
        "customer_contact_name": "Jordan Buyer",
        "customer_contact_email": "jordan@fabrikam.com",
        "amount": "48000.00",
        "currency": "USD",
        "expected_close_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "products": ["Cloud Suite"],
        "notes": "Renewal of their on-premise licences.",
    }
    data.update(changes)
    return data
