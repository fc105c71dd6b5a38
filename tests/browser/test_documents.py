"""Documents render in workers: a page waiting for one says so and, polling its status URL with
static/js/poll.js (no inline script), shows the download link as soon as the worker stored it."""

import pytest
from playwright.sync_api import expect

from partners import services
from partners.models import AgreementSignature

from ..factories import PASSWORD, AgreementFactory, PartnerFactory, PartnerUserFactory, SignatureFactory
from .conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_agreement_page_shows_the_signed_pdf_once_a_worker_stored_it(live_server, page):
    alice = PartnerUserFactory(partner=PartnerFactory(name="Acme Cloud Partners"), email="alice@acme.example.com")
    signature = SignatureFactory(
        partner=alice.partner, signer=alice, agreement=AgreementFactory(), signer_name="Alice Anders"
    )
    AgreementSignature.objects.filter(pk=signature.pk).update(pdf="")  # signed; its render not done yet
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/portal/agreement/")
    expect(page.get_by_text("The signed PDF is being prepared")).to_be_visible()
    expect(page.get_by_role("link", name="Download the signed PDF")).to_be_hidden()
    screenshot(page, "agreement-pdf-being-prepared")

    assert services.agreement_pdf_store(signature_id=signature.pk)  # what the worker does
    expect(page.get_by_role("link", name="Download the signed PDF")).to_be_visible(timeout=15000)
    expect(page.get_by_text("The signed PDF is being prepared")).to_be_hidden()
    assert not errors  # the CSP allowed the script and it ran cleanly
