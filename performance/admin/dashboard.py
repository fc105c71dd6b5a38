"""The program dashboard and the partner leaderboard: two staff pages in the admin.

Both are read-only pages of the admin site itself (not of one model), added in front of the
site's own URLs: ``/admin/performance/dashboard/`` and ``/admin/performance/leaderboard/``.
The program admin, managers and finance see them; partner users never reach the admin.
"""

import html
from collections import OrderedDict
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms.utils import flatatt
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from partners.models import Partner, PartnerType
from prm.roles import Role

from ..selectors.dashboard import months_between, program_dashboard
from ..selectors.leaderboard import COLUMN, COLUMNS, DEFAULT_SORT, DETAILS, FIELD, leaderboard, leaderboard_table
from ..selectors.scorecards import month_starts

VIEWERS = (Role.ADMIN, Role.MANAGER, Role.FINANCE)
MAX_MONTHS = 36
PER_PAGE = 50


def may_view_program(user) -> bool:
    """Whether ``user`` may open the program dashboard and the leaderboard (the admin index shows
    their links to these users only)."""
    return bool(user.is_active and user.is_staff and (user.is_superuser or user.role in VIEWERS))


def _require_viewer(request) -> None:
    if not may_view_program(request.user):
        raise PermissionDenied("Only the program admin, managers and finance see the program's figures.")


# --- forms --------------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    """A period of whole days; by default the trailing 12 months (the current month and the 11
    before it, so that monthly charts have whole months)."""

    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        start, end = self.default_period()
        self.fields["start"].initial, self.fields["end"].initial = start, end

    @staticmethod
    def default_period() -> tuple[date, date]:
        today = timezone.localdate()
        return month_starts(today, 12)[0], today

    def clean(self):
        data = super().clean()
        default_start, default_end = self.default_period()
        start, end = data.get("start") or default_start, data.get("end") or default_end
        if "start" in self.errors or "end" in self.errors:
            return data
        if end < start:
            self.add_error("end", "The period ends on or after its start.")
        elif months_between(start, end) > MAX_MONTHS:
            self.add_error("start", f"Choose a period of at most {MAX_MONTHS} months.")
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date, date] | None:
        """The chosen period; the default one when nothing was asked; None when the input is wrong."""
        if not self.is_bound:
            return self.default_period()
        return (self.cleaned_data["start"], self.cleaned_data["end"]) if self.is_valid() else None


class PlainSelect(forms.Select):
    """A select written out directly instead of through a template per option: the leaderboard's
    filters have up to ~30 options and the page must stay cheap (see BENCHMARKS.md)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = "" if value is None else str(value)
        options = "".join(
            f'<option value="{escape(option)}"{" selected" if str(option) == chosen else ""}>{escape(label)}</option>'
            for option, label in self.choices
        )
        return mark_safe(f"<select{flatatt({'name': name, **self.build_attrs(self.attrs, attrs)})}>{options}</select>")  # noqa: S308


class LeaderboardForm(PeriodForm):
    """The leaderboard's filters and order. The tier and country lists are those of the table."""

    tier = forms.ChoiceField(label="Tier", required=False, widget=PlainSelect)
    partner_type = forms.ChoiceField(
        label="Type", required=False, choices=[("", "Any type"), *PartnerType.choices], widget=PlainSelect
    )
    country = forms.ChoiceField(label="Country", required=False, widget=PlainSelect)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Partner.Status.choices], widget=PlainSelect
    )
    sort = forms.ChoiceField(required=False, choices=[(c.key, c.label) for c in COLUMNS], widget=forms.HiddenInput)
    dir = forms.ChoiceField(
        required=False, choices=[("desc", "descending"), ("asc", "ascending")], widget=forms.HiddenInput
    )

    def set_choices(self, table) -> None:
        tiers = [(str(pk), name) for pk, name in table.tiers]
        self.fields["tier"].choices = [("", "Any tier"), *tiers, ("none", "No tier")]
        self.fields["country"].choices = [("", "Any country"), *table.countries]


# --- the dashboard ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def dashboard_view(request):
    _require_viewer(request)
    form = PeriodForm(request.GET or None)
    period = form.period()
    dashboard = program_dashboard(start=period[0], end=period[1], user=request.user) if period else None
    context = {
        **admin.site.each_context(request),
        "title": "Program dashboard",
        "form": form,
        "dashboard": dashboard,
        "leaderboard_url": reverse("admin:performance_leaderboard")
        + (f"?{urlencode({'start': period[0], 'end': period[1]})}" if period and form.is_bound else ""),
    }
    return TemplateResponse(request, "admin/performance/dashboard.html", context)


# --- the leaderboard ----------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _cell(kind: str, value) -> str:
    if value is None:
        return "–"
    if kind == "money":
        return _money(value)
    if kind == "percent":
        return f"{value:,.1f}%"
    if kind in ("days", "hours"):
        return f"{value:,.1f}"
    if kind == "score":
        return f"{value:+,.1f}" if value else "0"
    return f"{value:,}"


def leaderboard_rows(rows: list[tuple], currency: str) -> list[dict]:
    """One page of the table, as the template shows it: every cell's text made here, once."""
    change = reverse("admin:partners_partner_change", args=[0]).replace("/0/", "/{}/")
    out = []
    for row in rows:
        details = row[DETAILS] or {}
        cells = [
            {"text": row[FIELD["tier_name"]] or "No tier"},
            {"text": row[FIELD["type_label"]]},
            {"text": row[FIELD["country_name"]]},
        ]
        for column in COLUMNS:
            if not column.is_figure:
                continue
            value = row[FIELD[column.key]]
            cell = {"text": _cell(column.kind, value), "figure": True}
            split = details.get(column.key)
            if split and column.key == "avg_deal_size":
                cell["detail"] = "per currency: " + "; ".join(f"{_money(amount)} {code}" for code, amount in split)
            elif split:
                cell["detail"] = " + ".join(f"{_money(amount)} {code}" for code, amount in split)
                if value is None:
                    cell["detail"] += f" (no exchange rate into {currency})"
            cells.append(cell)
        out.append({"name": row[FIELD["name"]], "url": change.format(row[FIELD["id"]]), "cells": cells})
    return out


def rows_html(rows: list[dict]) -> str:
    """The table's body. Written here rather than in the template: a page is about 1,200 cells,
    and the template engine's per-variable lookups made rendering them most of the page's time
    (see BENCHMARKS.md). Every text is escaped (the standard library's escape, which Django's
    wraps)."""
    out = []
    for row in rows:
        cells = "".join(
            f'<td class="figure">{html.escape(c["text"])}'
            + (f'<span class="performance-detail">{html.escape(c["detail"])}</span>' if c.get("detail") else "")
            + "</td>"
            if c.get("figure")
            else f"<td>{html.escape(c['text'])}</td>"
            for c in row["cells"]
        )
        link = f'<a href="{html.escape(row["url"])}">{html.escape(row["name"])}</a>'
        out.append(f'<tr><th scope="row">{link}</th>{cells}</tr>')
    return mark_safe("\n".join(out))  # noqa: S308  (every value above is escaped)


# This process's pages of the leaderboard, by table stamp, filters, order and page number: the
# same page asked for again costs neither formatting nor HTML.
_PAGES: "OrderedDict[tuple, tuple[list[dict], str]]" = OrderedDict()
PAGES_KEPT = 500


def _page_body(key: tuple, rows: list[tuple], currency: str) -> tuple[list[dict], str]:
    body = _PAGES.get(key)
    if body is None:
        shown = leaderboard_rows(rows, currency)
        body = _PAGES[key] = (shown, rows_html(shown))
        while len(_PAGES) > PAGES_KEPT:
            _PAGES.popitem(last=False)
    return body


def _query(params: dict, **changes) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return "?" + urlencode(merged)


def leaderboard_headers(params: dict, sort: str, descending: bool, currency: str) -> list[dict]:
    """The column headers: each a link that sorts by it (a figure starts from the highest, a
    name from A), the sorted one a link that reverses the order; aria-sort says which is sorted."""
    headers = []
    for column in COLUMNS:
        current = column.key == sort
        if current:
            next_dir = "asc" if descending else "desc"
        else:
            next_dir = "desc" if column.is_figure else "asc"
        label = f"{column.label} ({currency})" if column.kind == "money" else column.label
        headers.append(
            {
                "key": column.key,
                "label": label,
                "help": column.help,
                "figure": column.is_figure,
                "url": _query(params, sort=column.key, dir=next_dir, page=None),
                "aria_sort": ("descending" if descending else "ascending") if current else None,
                "next": "highest first"
                if next_dir == "desc" and column.is_figure
                else ("lowest first" if column.is_figure else ("Z to A" if next_dir == "desc" else "A to Z")),
            }
        )
    return headers


def _context_without_app_list(request) -> dict:
    """The admin's context for every page, without the list of every app and model the
    navigation sidebar shows: this page hides the sidebar (its 23 columns need the width), and
    building that list (each model's permissions) took 40% of a cached page's time."""
    site = admin.site
    script_name = request.META["SCRIPT_NAME"]
    return {
        "site_title": site.site_title,
        "site_header": site.site_header,
        "site_url": script_name if site.site_url == "/" and script_name else site.site_url,
        "has_permission": site.has_permission(request),
        "available_apps": [],
        "is_popup": False,
        "is_nav_sidebar_enabled": False,
        "log_entries": site.get_log_entries(request),
    }


@require_http_methods(["GET", "HEAD", "POST"])
def leaderboard_view(request):
    """GET: the leaderboard. POST (the "Recompute now" button): compute the period's table again,
    then show it (the same filters and order)."""
    _require_viewer(request)
    data = request.GET.copy() if request.GET else None
    if data is not None and (
        data.get("sort", "") not in ("", *COLUMN) or data.get("dir", "") not in ("", "asc", "desc")
    ):
        # A hand-edited or stale link: the default order, said in words, rather than an empty page.
        data.pop("sort", None), data.pop("dir", None)
        messages.warning(request, "That order is not one of the columns: the leaderboard is sorted by won revenue.")
    form = LeaderboardForm(data)
    period = PeriodForm(data).period()
    context = {
        **_context_without_app_list(request),
        "title": "Partner leaderboard",
        "form": form,
    }
    if period is None:
        form.set_choices(_EmptyTable)
        form.is_valid()  # the period's errors, shown on its fields
        # The tier and country lists are the period's table's: they are checked once the period is right.
        for name in ("tier", "country"):
            form.errors.pop(name, None)
        return TemplateResponse(request, "admin/performance/leaderboard.html", context)
    start, end = period
    if request.method == "POST":
        table = leaderboard_table(start=start, end=end, refresh=True)
        messages.success(
            request, f"The leaderboard is computed again: figures as of {timezone.localtime(table.computed_at):%H:%M}."
        )
        return redirect(request.get_full_path())
    table = leaderboard_table(start=start, end=end)
    form.set_choices(table)
    if form.is_bound and not form.is_valid():
        return TemplateResponse(request, "admin/performance/leaderboard.html", context)
    filters = form.cleaned_data if form.is_bound else {}
    sort = filters.get("sort") or DEFAULT_SORT
    descending = (filters.get("dir") or ("desc" if COLUMN[sort].is_figure else "asc")) == "desc"
    board = leaderboard(
        table=table,
        tier=filters.get("tier", ""),
        partner_type=filters.get("partner_type", ""),
        country=filters.get("country", ""),
        status=filters.get("status", ""),
        sort=sort,
        descending=descending,
    )
    page = Paginator(board.rows, PER_PAGE).get_page(request.GET.get("page"))
    params = {key: value for key, value in request.GET.items() if key in form.fields}
    chosen = tuple(filters.get(k, "") for k in ("tier", "partner_type", "country", "status"))
    rows, body = _page_body((table.stamp, *chosen, sort, descending, page.number), page.object_list, table.currency)
    context.update(
        {
            "board": board,
            "table": table,
            "page": page,
            "rows": rows,
            "rows_html": body,
            "headers": leaderboard_headers(params, sort, descending, table.currency),
            "sorted_label": COLUMN[sort].label.lower() if sort != "name" else "name",
            "sorted_order": (
                ("highest first" if descending else "lowest first")
                if COLUMN[sort].is_figure
                else ("Z to A" if descending else "A to Z")
            ),
            "computed_at": timezone.localtime(table.computed_at),
            "pages": {
                "first": _query(params, page=1) if page.has_previous() else None,
                "previous": _query(params, page=page.previous_page_number()) if page.has_previous() else None,
                "next": _query(params, page=page.next_page_number()) if page.has_next() else None,
                "last": _query(params, page=page.paginator.num_pages) if page.has_next() else None,
            },
            "dashboard_url": reverse("admin:performance_dashboard") + _query({"start": start, "end": end}),
        }
    )
    return TemplateResponse(request, "admin/performance/leaderboard.html", context)


class _EmptyTable:
    tiers: list = []
    countries: list = []


# --- the admin's URLs ---------------------------------------------------------------------------


def _with_performance_pages(get_urls):
    def get_urls_with_performance_pages():
        view = admin.site.admin_view
        return [
            path("performance/dashboard/", view(dashboard_view), name="performance_dashboard"),
            path("performance/leaderboard/", view(leaderboard_view), name="performance_leaderboard"),
            *get_urls(),
        ]

    return get_urls_with_performance_pages


admin.site.get_urls = _with_performance_pages(admin.site.get_urls)
