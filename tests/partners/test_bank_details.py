"""Bank numbers stay private: never in the history tables, never rendered back in full (portal
and admin), replaced only when someone types a new one."""

import pytest
from django.db import connection

from partners import services
from partners.models import PayoutDetails

from ..admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

IBAN = "DE89370400440532013000"
IBAN_SPACED = "DE89 3704 0044 0532 0130 00"
OTHER_IBAN = "GB82WEST12345698765432"
ROUTING, ACCOUNT = "011000015", "123456789"
SECRETS = [IBAN, IBAN_SPACED, "370400440532013000", OTHER_IBAN, ACCOUNT, ROUTING]
URL = "/portal/payout-details/"


@pytest.fixture
def details(partner_admin):
    return services.payout_details_save(
        partner=partner_admin.partner,
        by=partner_admin,
        data={
            "method": "iban",
            "currency": "EUR",
            "account_holder": "Acme Cloud Partners",
            "iban": IBAN_SPACED,
            "bic": "DEUTDEFF",
        },
    )


def assert_no_secret(html: str) -> None:
    for secret in SECRETS:
        assert secret not in html, secret


def form_data(response) -> dict:
    """What a browser posts back from the portal form: its visible values, as rendered."""
    form = response.context["form"]
    data = {}
    for name in form.fields:
        if form.fields[name].disabled:
            continue
        value = form[name].value()
        if value not in (None, False):
            data[name] = value
    return data


def test_the_history_table_has_no_bank_number_columns(details):
    history_table = PayoutDetails.history.model._meta.db_table
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, history_table)}
    assert not columns & {"iban", "routing_number", "account_number"}
    assert {"account_hint", "bic", "method", "currency"} <= columns
    row = PayoutDetails.history.get()
    assert row.account_hint == "DE89 •••• •••• 3000"


def test_a_changed_number_shows_in_the_history_only_masked(details, partner_admin):
    services.payout_details_save(partner=partner_admin.partner, by=partner_admin, data={"iban": OTHER_IBAN})
    hints = list(PayoutDetails.history.order_by("history_date").values_list("account_hint", flat=True))
    assert hints == ["DE89 •••• •••• 3000", "GB82 •••• •••• 5432"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {PayoutDetails.history.model._meta.db_table}")
        assert_no_secret(repr(cursor.fetchall()))


def test_the_portal_form_shows_the_numbers_masked(client, partner_admin, details):
    client.force_login(partner_admin)
    response = client.get(URL)
    html = response.content.decode()
    assert_no_secret(html)
    assert "DE89 •••• •••• 3000" in html
    assert 'href="?change=bank"' in html and "Change bank details" in html
    assert response.context["form"].fields["iban"].disabled


def test_saving_the_masked_form_keeps_the_numbers(client, partner_admin, details):
    client.force_login(partner_admin)
    data = {**form_data(client.get(URL)), "account_holder": "Acme Cloud Partners GmbH"}
    assert "iban" not in data  # a disabled input is not posted
    response = client.post(URL, data)
    assert response.status_code == 302, response.context["form"].errors
    details.refresh_from_db()
    assert (details.iban, details.account_holder) == (IBAN, "Acme Cloud Partners GmbH")


def test_a_number_posted_to_the_masked_form_is_ignored(client, partner_admin, details):
    client.force_login(partner_admin)
    data = {**form_data(client.get(URL)), "iban": OTHER_IBAN}
    assert client.post(URL, data).status_code == 302
    details.refresh_from_db()
    assert details.iban == IBAN


def test_change_bank_details_gives_empty_inputs_and_empty_keeps_the_number(client, partner_admin, details):
    client.force_login(partner_admin)
    page = client.get(URL, {"change": "bank"})
    html = page.content.decode()
    assert_no_secret(html)
    assert "Leave it empty to keep it" in html and "DE89 •••• •••• 3000" in html
    assert not page.context["form"].fields["iban"].disabled
    data = form_data(page)
    assert data["change_bank_details"] is True
    assert client.post(URL, {**data, "iban": ""}).status_code == 302
    details.refresh_from_db()
    assert details.iban == IBAN


def test_change_bank_details_replaces_the_number(client, partner_admin, details):
    client.force_login(partner_admin)
    data = form_data(client.get(URL, {"change": "bank"}))
    assert client.post(URL, {**data, "iban": OTHER_IBAN, "bic": ""}).status_code == 302
    details.refresh_from_db()
    assert details.iban == OTHER_IBAN
    assert_no_secret(client.get(URL).content.decode())


def test_a_wrong_new_number_is_named_and_never_rendered_back(client, partner_admin, details):
    client.force_login(partner_admin)
    data = form_data(client.get(URL, {"change": "bank"}))
    wrong = "DE89370400440532013001"
    response = client.post(URL, {**data, "iban": wrong})
    assert response.status_code == 200
    assert "iban" in response.context["form"].errors
    assert wrong not in response.content.decode()
    details.refresh_from_db()
    assert details.iban == IBAN


def test_another_kind_of_account_needs_change_bank_details(client, partner_admin, details):
    client.force_login(partner_admin)
    data = {**form_data(client.get(URL)), "method": "us_ach", "currency": "USD"}
    response = client.post(URL, data)
    assert response.status_code == 200
    assert "Change bank details" in " ".join(response.context["form"].errors["method"])
    details.refresh_from_db()
    assert details.method == "iban"

    data = {
        **form_data(client.get(URL, {"change": "bank"})),
        "method": "us_ach",
        "currency": "USD",
        "routing_number": ROUTING,
        "account_number": ACCOUNT,
    }
    assert client.post(URL, data).status_code == 302
    details.refresh_from_db()
    assert (details.method, details.iban, details.routing_number, details.account_number) == (
        "us_ach",
        "",
        ROUTING,
        ACCOUNT,
    )
    html = client.get(URL).content.decode()
    assert_no_secret(html)
    assert "•••• 6789" in html


def test_first_payout_details_are_typed_in_plain_inputs(client, partner_admin):
    client.force_login(partner_admin)
    page = client.get(URL)
    assert not page.context["form"].fields["iban"].disabled
    assert "Change bank details" not in page.content.decode()


def test_the_admin_shows_the_numbers_masked_and_keeps_them_when_left_empty(client, finance, details):
    client.force_login(finance)
    listing = client.get("/admin/partners/payoutdetails/").content.decode()
    assert "DE89 •••• •••• 3000" in listing
    assert_no_secret(listing)
    url = f"/admin/partners/payoutdetails/{details.pk}/change/"
    page = client.get(url)
    assert_no_secret(page.content.decode())
    response = client.post(url, admin_form_data(page, account_holder="Acme Cloud Partners Ltd"))
    assert response.status_code == 302, response.content.decode()[:3000]
    details.refresh_from_db()
    assert (details.iban, details.account_holder, details.updated_by) == (IBAN, "Acme Cloud Partners Ltd", finance)


def test_the_partner_admin_page_shows_the_numbers_masked(client, finance, details):
    client.force_login(finance)  # managers do not see payout details at all
    html = client.get(f"/admin/partners/partner/{details.partner_id}/change/").content.decode()
    assert "DE89 •••• •••• 3000" in html
    assert_no_secret(html)


def test_a_refused_number_never_shows_as_the_stored_one(client, details, partner_admin):
    client.force_login(partner_admin)
    page = client.get(URL + "?change=bank")
    response = client.post(
        URL + "?change=bank", {**form_data(page), "iban": "DE00 1234 5678", "change_bank_details": "True"}
    )
    assert response.status_code == 200 and response.context["form"].errors["iban"]
    banner = response.content.decode().split('role="status"')[1].split("</div>")[0]
    assert "DE89 •••• •••• 3000" in banner and "5678" not in banner
