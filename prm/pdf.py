"""The PDF kernel: render a template to PDF with WeasyPrint.

Every document extends ``pdf/base.html`` and is styled by the one print stylesheet
``static/css/print.css``, using fonts installed on the machine. Resources are read from the
static files only: the fetcher refuses anything else, so a document never reaches the network
(and a URL smuggled into user-supplied text cannot make the server fetch it).

Documents render in workers after commit (DESIGN.md), never inside a transaction: a render takes
a good part of a second, holds no lock worth holding, and its work is lost if the transaction
rolls back. ``render_pdf`` refuses to run inside an atomic block (``RenderInTransaction``), so a
service that renders where it should enqueue fails in the first test that calls it. A test's own
wrapping transaction does not count: tests run everything inside one.
"""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connections
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

PRINT_STYLESHEET = "css/print.css"


class ExternalResourceRefused(ValueError):
    pass


class RenderInTransaction(RuntimeError):
    """A document was about to render inside a database transaction; enqueue it after commit."""


def in_transaction() -> bool:
    """Whether any database connection is inside an atomic block (other than a test case's own)."""
    return any(
        any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)
        for connection in connections.all(initialized_only=True)
    )


class StaticOnlyFetcher(URLFetcher):
    """Serve ``/static/...`` from the static files finders; refuse every other URL."""

    def fetch(self, url, headers=None):
        prefix = f"file://{settings.STATIC_URL}"
        if url.startswith(prefix):
            found = finders.find(url[len(prefix) :].split("?")[0])
            if found:
                return super().fetch(Path(found).as_uri(), headers)
        raise ExternalResourceRefused(f"PDF documents may only use static files, not {url!r}.")


@lru_cache(maxsize=1)
def _fonts_and_stylesheet() -> tuple[FontConfiguration, CSS]:
    """Parsed once per process: the font configuration and the print stylesheet (a worker
    renders many documents; re-reading fonts for each costs a good part of a render)."""
    fonts = FontConfiguration()
    path = finders.find(PRINT_STYLESHEET)
    family = settings.PRM_PDF_FONT_FAMILY.replace('"', "")
    css = Path(path).read_text() + f'\nhtml {{ font-family: "{family}", sans-serif; }}\n'
    return fonts, CSS(string=css, font_config=fonts)


def render_pdf(template_name: str, context: dict | None = None) -> bytes:
    """Render ``template_name`` with ``context`` and return the PDF bytes (never inside a transaction)."""
    if in_transaction():
        raise RenderInTransaction(
            f"{template_name} would render inside a transaction: render documents in a task enqueued on commit."
        )
    html = render_to_string(template_name, context or {})
    fonts, stylesheet = _fonts_and_stylesheet()
    document = HTML(string=html, base_url="file:///", url_fetcher=StaticOnlyFetcher())
    return document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
