"""Every admin page opens (or is refused with 403) for every staff role, on the demo data:
lists, an object's page, its history and the add page of every registered model."""

import pytest
from django.contrib import admin
from django.core.management import call_command

from partners.models import User
from prm.scoping import scopes_disabled

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo")


@pytest.mark.parametrize("email", ["admin@demo.test", "manager@demo.test", "finance@demo.test"])
def test_every_admin_page_opens_for_every_staff_role(client, demo, email):
    client.force_login(User.objects.get(email=email))
    opened = 0
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(base)
        assert response.status_code in (200, 403), base
        if response.status_code != 200:
            continue
        opened += 1
        with scopes_disabled():
            obj = model._default_manager.order_by("pk").first()
        urls = [base + "add/"] + ([f"{base}{obj.pk}/change/", f"{base}{obj.pk}/history/"] if obj else [])
        for url in urls:
            assert client.get(url).status_code in (200, 302, 403), url
    assert opened >= 5


LISTS = ["/api/v1/me/", "/api/v1/partners/", "/api/v1/applications/", "/api/v1/deals/", "/api/v1/commission-lines/",
         "/api/v1/payout-runs/", "/api/v1/statements/", "/api/v1/content/", "/api/v1/courses/", "/api/v1/certifications/"]
PORTAL = ["/portal/", "/portal/onboarding/", "/portal/deals/", "/portal/deals/new/", "/portal/statements/",
          "/portal/agreement/", "/portal/team/", "/portal/profile/", "/portal/payout-details/", "/portal/training/",
          "/portal/content/"]


@pytest.mark.parametrize("email", [
    "admin@demo.test", "manager@demo.test", "finance@demo.test", "alice@acme.demo.test", "carol@acme.demo.test",
    "bob@globex.demo.test", "dana@initech.demo.test",
])
def test_every_api_list_and_portal_page_answers_every_demo_account(api, client, demo, email):
    user = User.objects.get(email=email)
    api.force_authenticate(user)
    for url in LISTS:
        response = api.get(url)
        assert response.status_code in (200, 403), (url, response.status_code)
        results = response.json().get("results") if response.status_code == 200 else None
        if results and "id" in results[0] and url != "/api/v1/commission-lines/":  # lines: list only
            assert api.get(f"{url}{results[0]['id']}/").status_code == 200, url
    if user.partner_id:
        client.force_login(user)
        for url in PORTAL:
            assert client.get(url).status_code in (200, 403), url
