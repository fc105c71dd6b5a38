import io

import pytest
from django.conf import settings as django_settings
from pypdf import PdfReader

from prm.pdf import ExternalResourceRefused, StaticOnlyFetcher, render_pdf


@pytest.fixture
def test_templates(settings):
    settings.TEMPLATES = [
        {
            **django_settings.TEMPLATES[0],
            "DIRS": [*django_settings.TEMPLATES[0]["DIRS"], django_settings.BASE_DIR / "tests" / "templates"],
        }
    ]


def test_render_pdf_produces_a_document_with_the_text(test_templates):
    pdf = render_pdf(
        "pdf/kernel_test.html",
        {"partner_name": "Société Générale", "rows": [("ACME renewal", "48,000.00 USD"), ("Globex", "1,250.50 EUR")]},
    )
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Statement for Société Générale" in text
    assert "48,000.00 USD" in text and "1,250.50 EUR" in text
    assert "Page 1 of 1" in text
    fonts = {str(font.get("/BaseFont")) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert any("DejaVu" in font for font in fonts), fonts


def test_the_fetcher_serves_static_files_and_refuses_the_network():
    fetcher = StaticOnlyFetcher()
    response = fetcher.fetch("file:///static/css/print.css")
    assert b"@page" in response.read()
    with pytest.raises(ExternalResourceRefused):
        fetcher.fetch("https://example.com/tracker.png")
    with pytest.raises(ExternalResourceRefused):
        fetcher.fetch("file:///etc/passwd")


@pytest.mark.django_db
def test_render_pdf_refuses_to_run_inside_a_transaction(test_templates):
    from django.db import transaction

    from prm.pdf import RenderInTransaction

    context = {"partner_name": "Acme", "rows": []}
    with pytest.raises(RenderInTransaction, match="enqueued on commit"), transaction.atomic():
        render_pdf("pdf/kernel_test.html", context)
    assert render_pdf("pdf/kernel_test.html", context).startswith(b"%PDF-")  # outside one it renders
