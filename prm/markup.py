"""Markdown written by staff (agreements, lessons, newsletters), rendered to HTML that is safe to show."""

import re
from html.parser import HTMLParser
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


class _TextFromHTML(HTMLParser):
    """Plain text from sanitized HTML: paragraphs and list items on their own lines, links as
    "text (url)". Only what survived sanitizing is read, so the text part is as safe as the HTML."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br" or tag == "tr":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)
        if tag == "hr":
            self.parts.append("----\n\n")

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and href.startswith(("http://", "https://", "mailto:")):
                self.parts.append(f" ({href.removeprefix('mailto:')})")

    def handle_data(self, data):
        self.parts.append(data)

    def text(self) -> str:
        text = "".join(self.parts)
        text = re.sub(r"[ \t]+\n", "\n", text)
        return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def html_to_text(html: str) -> str:
    """Plain text from HTML that ``markdown_to_html`` sanitized (the text part of a mail): blocks
    and list items on their own lines, links as "text (url)" for web and mail links only."""
    parser = _TextFromHTML()
    parser.feed(html)
    parser.close()
    return parser.text()
