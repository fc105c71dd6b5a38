from datetime import timedelta

from django.utils import timezone


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
