"""Template helpers of the kernel: money formatting, excerpts and the portal navigation."""

import re
from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from prm.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=""):
    """``{{ deal.amount|money:deal.currency }}`` -> ``48,000.00 USD`` (the kernel's one format)."""
    if amount is None or amount == "":
        return ""
    return format_money(amount, currency).strip()


@register.filter
def figure(value):
    """A number as people read it: ``12345`` -> ``12,345``, ``Decimal("1234.5")`` -> ``1,234.5``,
    money (two places) keeps its two places; None -> "–"."""
    if value is None or value == "":
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    value = Decimal(value)
    places = max(0, -value.as_tuple().exponent) if isinstance(value.as_tuple().exponent, int) else 0
    return f"{value:,.{min(places, 2)}f}"


# A list item's bullet, a numbered item's number, a rule ("----"), or a lone dash between words.
_NOT_WORDS = re.compile(r"^\s*(?:[-*•]|\d+[.)]|-{3,}|={3,})\s+|\s+-+(?=\s|$)|^\s*-{3,}\s*$", re.MULTILINE)


@register.filter
def excerpt(text, words=40):
    """``{{ newsletter.body_text|excerpt:40 }}``: plain text (a mail's text part) as one run of
    words, without list bullets or rules, cut after ``words`` words (never within one) with "…"."""
    found = _NOT_WORDS.sub(" ", text or "").split()
    if len(found) <= int(words):
        return " ".join(found)
    return " ".join(found[: int(words)]) + " …"


# (url name, label, active for sub-pages too, partner admins only)
PORTAL_NAV = [
    ("portal:home", "Home", False, False),
    ("deals:list", "Deals", True, False),
    ("statements:list", "Statements", False, False),
    ("performance:scorecard", "Scorecard", False, False),
    ("leads:list", "Leads", True, False),
    ("funds:home", "Funds", True, False),
    ("training:home", "Training", True, False),
    ("content:list", "Content", True, False),
    ("news:list", "News", True, False),
    ("surveys:list", "Surveys", True, False),
    ("conflicts:list", "Cases", True, False),
]
# The organization's own pages, under one "Organization" menu: the bar holds the daily work and
# still fits a 1280-pixel screen.
ORGANIZATION_NAV = [
    ("portal:onboarding", "Onboarding", False, False),
    ("portal:agreement", "Agreement", False, False),
    ("portal:team", "Team", False, False),
    ("portal:profile", "Profile", False, False),
    ("locator:profile", "Locator profile", False, True),
    ("portal:payout_details", "Payout details", False, True),
]


def _nav_items(request, entries) -> list[tuple[str, str, str, str]]:
    is_admin = request.user.role == "partner_admin"
    items = []
    for name, label, prefix, admin_only in entries:
        if admin_only and not is_admin:
            continue
        url = reverse(name)
        active = request.path.startswith(url) if prefix else request.path == url
        items.append((" active" if active else "", "page" if active else "false", url, label))
    return items


@register.simple_tag(takes_context=True)
def portal_nav(context):
    """The portal's main navigation, the current page marked for assistive technology; the
    organization's pages in a menu (a button that says whether it is open), marked active when
    one of them is the current page."""
    request = context["request"]
    main = format_html_join(
        "\n",
        '<li class="nav-item"><a class="nav-link text-nowrap{}" aria-current="{}" href="{}">{}</a></li>',
        _nav_items(request, PORTAL_NAV),
    )
    organization = _nav_items(request, ORGANIZATION_NAV)
    links = format_html_join(
        "\n",
        '<li><a class="dropdown-item{}" aria-current="{}" href="{}">{}</a></li>',
        organization,
    )
    current = any(active for active, *_ in organization)
    menu = format_html(
        '<li class="nav-item dropdown">'
        '<button class="nav-link dropdown-toggle text-nowrap{}" type="button" id="nav-organization" '
        'data-bs-toggle="dropdown" aria-expanded="false">Organization</button>'
        '<ul class="dropdown-menu dropdown-menu-end" aria-labelledby="nav-organization">{}</ul></li>',
        " active" if current else "",
        links,
    )
    return format_html("{}\n{}", main, menu)


@register.simple_tag(takes_context=True)
def portal_home_panels(context, position="bottom"):
    """The panels other stages add to the portal home at ``position`` (prm.home_panels), in
    registration order."""
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from prm.home_panels import home_panels

    request = context["request"]
    rendered = []
    for panel in home_panels(position):
        found = panel(request)
        if found:
            template, panel_context = found
            rendered.append(render_to_string(template, panel_context, request=request))
    return mark_safe("".join(rendered))  # each panel is a template rendered with autoescaping


@register.filter
def fields_with_errors(form):
    """The visible fields of a form that have errors, in form order (for the error summary)."""
    return [field for field in form.visible_fields() if field.errors]
