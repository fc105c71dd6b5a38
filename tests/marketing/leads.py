"""Helpers of the lead distribution tests: a lead as the program stores it, a routing rule."""

import itertools

from marketing.models import Lead, RoutingRule

_numbers = itertools.count(1)


def lead_data(**fields) -> dict:
    n = next(_numbers)
    return {
        "company": f"Prospect {n} GmbH",
        "domain": f"prospect{n}.de",
        "contact_name": f"Petra Prospect{n}",
        "contact_email": f"petra{n}@prospect{n}.de",
        "contact_phone": "+49 30 1234567",
        "country": "DE",
        "product_interest": "Firewall",
        "size": "",
        "campaign": "Security summit",
        "message": "Call me about firewalls.",
        **fields,
    }


def make_lead(**fields) -> Lead:
    """A new lead, saved without routing."""
    return Lead.objects.create(**lead_data(**fields))


def make_rule(**fields) -> RoutingRule:
    return RoutingRule.objects.create(**{"name": "Everyone", "order": 10, "monthly_capacity": 10, **fields})
