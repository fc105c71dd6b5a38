"""Markdown written by staff (agreements, lessons, newsletters), rendered to HTML that is safe to show."""

import re
from urllib.parse import urljoin, urlsplit

import markdown
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
# Links and images point at web pages or at this site (relative URLs are kept); never at
# javascript:, data: or any other scheme.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def markdown_to_html(text: str, *, top_heading: int = 1) -> str:
    """Markdown -> sanitized HTML: no scripts, styles, event handlers or raw HTML tricks.

    ``top_heading`` is the level a ``#`` heading gets, so text shown under a page's own headings
    keeps the page's outline (a lesson under an h3 starts at h4)."""
    extensions, configs = ["tables", "sane_lists"], {}
    if top_heading > 1:
        extensions.append("toc")
        configs["toc"] = {"baselevel": top_heading}
    html = markdown.markdown(text or "", extensions=extensions, extension_configs=configs, output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


_LINK_ATTRIBUTE = re.compile(r'(<(?:a|img)\b[^>]*?\s(?:href|src)=")([^"]*)(")')


def absolute_urls(html: str, base_url: str) -> str:
    """Links and images of sanitized HTML made absolute against ``base_url``: a mail has no page
    its links could be relative to, so ``/portal/training/`` becomes ``<SITE_URL>/portal/training/``.
    Absolute URLs (``https:``, ``mailto:``) and in-page anchors are kept as they are."""

    def absolute(match: re.Match) -> str:
        url = match.group(2)
        if not url or url.startswith("#") or urlsplit(url).scheme:
            return match.group(0)
        return f"{match.group(1)}{urljoin(base_url.rstrip('/') + '/', url)}{match.group(3)}"

    return _LINK_ATTRIBUTE.sub(absolute, html)
