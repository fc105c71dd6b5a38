"""The demo cases, read by each demo partner through the portal and the API, never name the other."""

import pytest
from django.core.management import call_command

from partners.models import User

pytestmark = pytest.mark.django_db


def test_demo_partners_never_read_each_others_name_in_their_cases(settings, client, api):
    settings.DEBUG = True
    call_command("seed_demo")
    for email, other in [("alice@acme.demo.test", "Globex"), ("bob@globex.demo.test", "Acme")]:
        user = User.objects.get(email=email)
        client.force_login(user)
        api.force_authenticate(user)
        listing = api.get("/api/v1/cases/?page_size=200").json()
        assert listing["count"] >= 3
        for case in listing["results"]:
            page = client.get(f"/portal/cases/{case['id']}/").content.decode()
            assert page.count(other) == 0, (email, case["id"])
            assert other not in str(case), (email, case["id"])
