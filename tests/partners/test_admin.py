import pytest
from django.db import IntegrityError, transaction

from partners.models import Partner, User

from ..admin_forms import admin_form_data
from ..factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_manager_edits_a_partner_and_the_change_is_in_its_history(client, manager, partner):
    client.force_login(manager)
    url = f"/admin/partners/partner/{partner.pk}/change/"
    response = client.post(
        url, admin_form_data(client.get(url), legal_name="Acme Cloud Partners GmbH", website="https://acme-cloud.de")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    partner.refresh_from_db()
    assert partner.domain == "acme-cloud.de"
    latest = Partner.history.filter(id=partner.pk).latest("history_date")
    assert latest.legal_name == "Acme Cloud Partners GmbH"
    assert latest.history_user == manager
    assert latest.prev_record.legal_name == ""
    assert client.get(f"/admin/partners/partner/{partner.pk}/history/").status_code == 200


def test_finance_may_view_but_not_change_partners(client, partner):
    client.force_login(StaffUserFactory(role="finance"))
    assert partner.name in client.get("/admin/partners/partner/").content.decode()
    page = client.get(f"/admin/partners/partner/{partner.pk}/change/")
    assert page.context["has_change_permission"] is False
    assert 'name="name"' not in page.content.decode() and partner.name in page.content.decode()
    assert client.post(f"/admin/partners/partner/{partner.pk}/change/", {"name": "Renamed"}).status_code == 403
    assert client.get("/admin/partners/partner/add/").status_code == 403
    assert client.get("/admin/partners/user/").status_code == 403
    partner.refresh_from_db()
    assert partner.name == "Acme Cloud Partners"


def test_admin_list_pages_open_for_a_superuser(client, partner_admin):
    client.force_login(StaffUserFactory(role="admin", is_superuser=True))
    shows = {
        "/admin/": "Partners",
        "/admin/partners/partner/": "Acme Cloud Partners",
        "/admin/partners/user/": partner_admin.email,
        "/admin/partners/tier/": "Silver",
        "/admin/partners/invitation/": "0 invitations",
    }
    for url, text in shows.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_a_partner_user_cannot_also_be_staff(partner):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="x@example.com", partner=partner, role="partner_rep", is_staff=True)


def test_a_staff_role_cannot_belong_to_a_partner(partner):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="y@example.com", partner=partner, role="manager")


def test_managers_cannot_change_users_or_their_rights(client, manager, partner_admin):
    finance = StaffUserFactory(role="finance")
    client.force_login(manager)
    page = client.get(f"/admin/partners/user/{manager.pk}/change/")
    assert (page.status_code, page.context["has_change_permission"]) == (200, False)  # view only
    response = client.post(
        f"/admin/partners/user/{manager.pk}/change/", {"email": manager.email, "role": "admin", "is_superuser": "on"}
    )
    assert response.status_code == 403
    assert (
        client.post(
            f"/admin/partners/user/{finance.pk}/password/", {"password1": "x-Y-z-12345!", "password2": "x-Y-z-12345!"}
        ).status_code
        == 403
    )
    manager.refresh_from_db()
    assert (manager.role, manager.is_superuser) == ("manager", False)
