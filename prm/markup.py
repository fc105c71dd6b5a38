"""Markdown written by staff (agreements, newsletters), rendered to HTML that is safe to show."""

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}


def markdown_to_html(text: str) -> str:
    """Markdown -> sanitized HTML: no scripts, styles, event handlers or raw HTML tricks."""
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer")
