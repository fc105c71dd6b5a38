"""The admin's history is read-only: an old version's page sends the reader back to the list."""

import pytest

from partners.models import Partner

pytestmark = pytest.mark.django_db


def test_an_old_version_is_never_a_form_to_revert_to(client, manager, partner):
    client.force_login(manager)
    version = Partner.history.filter(id=partner.pk).latest("history_date")
    response = client.get(f"/admin/partners/partner/{partner.pk}/history/{version.history_id}/", follow=True)
    assert response.redirect_chain == [(f"/admin/partners/partner/{partner.pk}/history/", 302)]
    assert "The history is read-only" in response.content.decode()
    assert (
        client.post(
            f"/admin/partners/partner/{partner.pk}/history/{version.history_id}/", {"name": "Renamed"}
        ).status_code
        == 302
    )
    assert Partner.objects.get(pk=partner.pk).name == partner.name
