"""The audience part of the newsletter, announcement and survey admin forms: the countries'
two lists sit under their label, not beside it (the label used to float to their right)."""

import os
from pathlib import Path

import pytest

from ..factories import PartnerFactory, StaffUserFactory
from .test_cases import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("PRM_AUDIENCE_SHOTS", Path(__file__).parent / "screenshots"))


@pytest.mark.parametrize("model", ["newsletter", "announcement", "survey"])
def test_the_countries_label_stands_above_its_lists(live_server, browser, model):
    PartnerFactory()  # a tier to choose
    StaffUserFactory(email="manager@example.com")
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, "manager@example.com")
    page.goto(f"{live_server.url}/admin/enablement/{model}/add/")
    page.locator(".selector").wait_for()
    label = page.locator("label[for=id_audience_countries]").bounding_box()
    lists = page.locator(".field-audience_countries .selector").bounding_box()
    assert label["x"] + label["width"] <= lists["x"] + 1  # the label, then its lists
    assert label["x"] < lists["x"] + lists["width"] / 2  # not floated to the right
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".field-audience_countries").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"admin-{model}-add-audience.png"), full_page=True)
    context.close()
