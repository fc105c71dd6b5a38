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
