"""Tier reviews in the admin: the proposals waiting for a decision (the default view), each with
its reasons and figures; Apply and Dismiss (with a reason) on a review's page and in bulk, each
through the services; "Review tiers now" runs the evaluation in a worker. Reviews are never added
or edited here: their history is read-only."""

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from prm.admin import ask_then_run, run_for_each
from prm.audit import AuditedAdmin
from prm.money import format_money
from prm.text import REASON_MAX, short_date, validate_multiline_text

from .. import tasks
from ..models import TierReview
from ..services import tier_reviews as services

Status = TierReview.Status


class StatusFilter(admin.SimpleListFilter):
    """By status; the proposals waiting for a decision unless another status (or all) is chosen."""

    title = "status"
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*Status.choices, (self.ALL, "All")]

    def current(self) -> str:
        return self.value() if self.value() in {*Status.values, self.ALL} else Status.PROPOSED

    def queryset(self, request, queryset):
        chosen = self.current()
        return queryset if chosen == self.ALL else queryset.filter(status=chosen)

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.current() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class DismissForm(forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX,
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the review; the partner is not told. The same change is not proposed again "
        "until the partner earns a different tier or meets or misses a different requirement.",
    )


@admin.register(TierReview)
class TierReviewAdmin(AuditedAdmin):
    list_display = ["partner", "change", "direction", "reasons_text", "evaluated", "status", "proposed_at"]
    list_filter = [StatusFilter, "direction"]
    list_select_related = ["partner", "current_tier", "proposed_tier"]
    search_fields = ["partner__name"]
    ordering = ["-proposed_at", "-id"]
    actions = ["apply_reviews", "dismiss_reviews"]
    change_list_template = "admin/performance/tierreview/change_list.html"
    change_form_template = "admin/performance/tierreview/change_form.html"
    fields = [
        "partner",
        "change",
        "direction",
        "status",
        "reasons_list",
        "figures_text",
        "evaluated_on",
        "proposed_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # the evaluation proposes them

    def has_change_permission(self, request, obj=None):
        # A review changes only by Apply or Dismiss (services), never by editing its fields.
        return False if obj is not None else super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # decisions are history

    # --- what a row shows ----------------------------------------------------------------------

    @admin.display(description="change")
    def change(self, review):
        before = review.current_tier.name if review.current_tier_id else "No tier"
        after = review.proposed_tier.name if review.proposed_tier_id else "no tier"
        return f"{before} → {after}"

    @admin.display(description="evaluated on (figures as of)", ordering="evaluated_on")
    def evaluated(self, review):
        return review.evaluated_on

    @admin.display(description="reasons")
    def reasons_text(self, review):
        return "; ".join(review.reasons)

    @admin.display(description="reasons")
    def reasons_list(self, review):
        items = format_html_join("", "<li>{}</li>", ((reason,) for reason in review.reasons))
        return format_html('<ul class="tier-review-reasons">{}</ul>', items)

    @admin.display(description="figures")
    def figures_text(self, review):
        figures = review.figures or {}
        rows = []
        revenue, currency = figures.get("won_revenue_12m"), figures.get("currency", "")
        rows.append(
            (
                "Won revenue, trailing 12 months",
                format_money(revenue, currency) if revenue is not None else "unknown (no exchange rate)",
            )
        )
        if "certified_users" in figures:
            rows.append(("Certified users", f"{figures['certified_users']:,}"))
        if figures.get("period"):
            start, end = figures["period"]
            rows.append(("Period", f"{_day(start)} – {_day(end)}"))
        if figures.get("missing_rates"):
            rows.append(("No exchange rate for", ", ".join(figures["missing_rates"])))
        if figures.get("short_since"):
            rows.append(("Short of its tier since", _day(figures["short_since"])))
        return format_html(
            '<dl class="tier-review-figures">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)
        )

    # --- the review's page: Apply and Dismiss buttons for a proposal ---------------------------

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_decide"] = bool(
            obj is not None and obj.status == Status.PROPOSED and self.has_change_permission(request)
        )
        context["dismiss_form"] = DismissForm()
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _back(self, request, reviews, response=None):
        """An action started by a button on a review's page returns to that page."""
        if response is None and request.POST.get("_from_change") and len(reviews) == 1:
            return redirect("admin:performance_tierreview_change", reviews[0].pk)
        return response

    @staticmethod
    def _selected(request, queryset) -> list[TierReview]:
        """The reviews ticked, whatever their status now: the list shows proposals by default, and
        one decided meanwhile (a double click, another tab) is refused in words, not skipped."""
        if request.POST.get("select_across") == "1":
            reviews = queryset
        else:
            reviews = TierReview.objects.filter(pk__in=request.POST.getlist(ACTION_CHECKBOX_NAME))
        return list(reviews.select_related("partner", "current_tier", "proposed_tier").order_by("pk"))

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description="Apply (change the tier and tell the partner)", permissions=["change"])
    def apply_reviews(self, request, queryset):
        reviews = self._selected(request, queryset)
        run_for_each(
            request,
            reviews,
            lambda review: services.tier_review_apply(review=review, by=request.user),
            (
                "{count} tier review applied; the partner is told by e-mail.",
                "{count} tier reviews applied; the partners are told by e-mail.",
            ),
        )
        return self._back(request, reviews)

    @admin.action(description="Dismiss with a reason…", permissions=["change"])
    def dismiss_reviews(self, request, queryset):
        reviews = self._selected(request, queryset)
        response = ask_then_run(
            self,
            request,
            reviews,
            form_class=DismissForm,
            title="Dismiss tier reviews",
            submit="Dismiss",
            done_message=("{count} tier review dismissed.", "{count} tier reviews dismissed."),
            action=lambda review, reason: services.tier_review_dismiss(review=review, by=request.user, reason=reason),
        )
        return self._back(request, reviews, response)

    # --- Review tiers now ----------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "review-now/",
                self.admin_site.admin_view(require_POST(self.review_now_view)),
                name="performance_tierreview_review_now",
            ),
            *super().get_urls(),
        ]

    def review_now_view(self, request):
        """Run the evaluation now, in a worker, once this request commits."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        tasks.review_tiers.delay_on_commit()
        messages.info(
            request,
            "The tiers are being reviewed in the background: new proposals appear in this list in a minute or two.",
        )
        return redirect("admin:performance_tierreview_changelist")

    def changelist_view(self, request, extra_context=None):
        extra = {"can_review_now": self.has_change_permission(request)}
        return super().changelist_view(request, {**extra, **(extra_context or {})})


def _day(iso: str) -> str:
    return short_date(date.fromisoformat(iso))
