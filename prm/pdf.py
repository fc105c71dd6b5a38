"""The PDF kernel: render a template to PDF with WeasyPrint.

Every document extends ``pdf/base.html`` and is styled by the one print stylesheet
``static/css/print.css``, using fonts installed on the machine. Resources are read from the
static files only: the fetcher refuses anything else, so a document never reaches the network
(and a URL smuggled into user-supplied text cannot make the server fetch it).
"""

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

PRINT_STYLESHEET = "css/print.css"


class ExternalResourceRefused(ValueError):
    pass


class StaticOnlyFetcher(URLFetcher):
    """Serve ``/static/...`` from the static files finders; refuse every other URL."""

    def fetch(self, url, headers=None):
        prefix = f"file://{settings.STATIC_URL}"
        if url.startswith(prefix):
            found = finders.find(url[len(prefix) :].split("?")[0])
            if found:
                return super().fetch(Path(found).as_uri(), headers)
        raise ExternalResourceRefused(f"PDF documents may only use static files, not {url!r}.")


def _print_stylesheet() -> CSS:
    path = finders.find(PRINT_STYLESHEET)
    font = settings.PRM_PDF_FONT_FAMILY.replace('"', "")
    return CSS(string=Path(path).read_text() + f'\nhtml {{ font-family: "{font}", sans-serif; }}\n')


def render_pdf(template_name: str, context: dict | None = None) -> bytes:
    """Render ``template_name`` with ``context`` and return the PDF bytes."""
    html = render_to_string(template_name, context or {})
    document = HTML(string=html, base_url="file:///", url_fetcher=StaticOnlyFetcher())
    return document.write_pdf(stylesheets=[_print_stylesheet()])
