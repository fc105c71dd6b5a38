import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django_countries.filters import CountryFilter

from prm.admin import ReadOnlyInline, ReasonForm, ask_then_run, counted, run_for_each
from prm.audit import AuditedAdmin
from prm.errors import form_errors_from

from . import services
from .models import ConflictMatch, DealRegistration, ExtensionRequest


class ConflictPanel(ReadOnlyInline):
    """The conflict panel of a registration: every match, its kind, score and reason."""

    model = ConflictMatch
    fk_name = "deal"
    fields = ["other_link", "other_partner", "other_status", "kind", "score", "reason"]
    verbose_name = "conflict"
    verbose_name_plural = "Conflicts with open registrations"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("other__partner")

    @admin.display(description="registration")
    def other_link(self, match):
        url = reverse("admin:deals_dealregistration_change", args=[match.other_id])
        return format_html('<a href="{}">#{} {}</a>', url, match.other_id, match.other.customer_name)

    @admin.display(description="partner")
    def other_partner(self, match):
        return match.other.partner.name

    @admin.display(description="status")
    def other_status(self, match):
        return match.other.get_status_display()


class ExtensionInline(ReadOnlyInline):
    model = ExtensionRequest
    fields = ["requested_at", "requested_by", "reason", "status", "new_protected_until", "decided_by", "decision_note"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("deal", "requested_by", "decided_by")


class ConflictFilter(admin.SimpleListFilter):
    title = "conflict review"
    parameter_name = "conflict"

    def lookups(self, request, model_admin):
        return [("yes", "In conflict review"), ("no", "No conflict")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(in_conflict_review=self.value() == "yes")
        return queryset


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, UTF-8, with a header row.")


@admin.register(DealRegistration)
class DealRegistrationAdmin(AuditedAdmin):
    list_display = [
        "customer_name",
        "partner",
        "status",
        "conflict_badge",
        "amount_display",
        "customer_country",
        "expected_close_date",
        "protected_until",
        "submitted_at",
    ]
    list_filter = ["status", ConflictFilter, "partner", ("customer_country", CountryFilter), "currency"]
    search_fields = ["customer_name", "customer_domain", "partner__name", "customer_contact_email"]
    list_select_related = ["partner"]
    ordering = ["-submitted_at"]
    date_hierarchy = "submitted_at"
    actions = ["approve", "reject", "reverse_win", "export_csv"]
    inlines = [ConflictPanel, ExtensionInline]
    readonly_fields = [
        "partner",
        "registered_by",
        "status",
        "in_conflict_review",
        "protected_until",
        "rejection_reason",
        "final_amount",
        "closed_on",
        "decided_by",
        "decided_at",
        "submitted_at",
        "created_at",
        "name_key",
        "domain_key",
        "email_domain_key",
    ]
    fieldsets = [
        (
            "Status",
            {
                "fields": [
                    "status",
                    "in_conflict_review",
                    "protected_until",
                    "rejection_reason",
                    "final_amount",
                    "closed_on",
                    "decided_by",
                    "decided_at",
                ]
            },
        ),
        (
            "Customer",
            {
                "fields": [
                    "partner",
                    "registered_by",
                    "customer_name",
                    "customer_domain",
                    "customer_country",
                    "customer_contact_name",
                    "customer_contact_email",
                ]
            },
        ),
        (
            "Opportunity",
            {
                "fields": [
                    "amount",
                    "currency",
                    "expected_close_date",
                    "products",
                    "notes",
                    "submitted_at",
                    "created_at",
                ]
            },
        ),
        ("Comparison keys", {"classes": ["collapse"], "fields": ["name_key", "domain_key", "email_domain_key"]}),
    ]
    change_list_template = "admin/deals/dealregistration/change_list.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(conflict_count=Count("conflicts"))

    def has_add_permission(self, request):
        return False  # partners register deals; managers import them from CSV

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request)

    def get_changeform_initial_data(self, request):
        return {}

    @admin.display(description="conflicts", ordering="conflict_count")
    def conflict_badge(self, deal):
        if not deal.conflict_count:
            return "—"
        label = "review" if deal.in_conflict_review else "seen"
        return format_html('<strong class="conflict-badge">{} {}</strong>', deal.conflict_count, label)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, deal):
        return f"{deal.amount:,.2f} {deal.currency}"

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description="Approve (protect for the tier's days)")
    def approve(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda d: services.deal_approve(deal=d, by=request.user),
            ("{count} deal approved.", "{count} deals approved."),
        )

    @admin.action(description="Reject with a reason…")
    def reject(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Reject deal registrations",
            submit="Reject and notify the partners",
            done_message=("{count} deal rejected.", "{count} deals rejected."),
            action=lambda d, reason: services.deal_reject(deal=d, by=request.user, reason=reason),
        )

    @admin.action(description="Reverse a win (refund, cancellation) and claw back commission…")
    def reverse_win(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Reverse won deals (commission is clawed back)",
            submit="Reverse and notify the partners",
            done_message=(
                "{count} win reversed; commission clawed back.",
                "{count} wins reversed; commission clawed back.",
            ),
            action=lambda d, reason: services.deal_reverse_win(deal=d, by=request.user, reason=reason),
        )

    @admin.action(description="Export to CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="deals-{timezone.localdate():%Y-%m-%d}.csv"'
        writer = csv.writer(response)
        writer.writerows(services.deals_export_rows(queryset.select_related("partner").order_by("id")))
        return response

    # --- views ---------------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="deals_dealregistration_import"),
            path("<int:pk>/close/", self.admin_site.admin_view(self.close_view), name="deals_dealregistration_close"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a CSV of registrations; any failing row imports nothing and every error is listed."""
        if not self.has_view_permission(request) or not request.user.has_perm("deals.change_dealregistration"):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                text = form.cleaned_data["file"].read().decode("utf-8")
            except UnicodeDecodeError:
                errors = ["The file is not UTF-8 text."]
            else:
                count, errors = services.deals_import_csv(text=text, by=request.user)
                if not errors:
                    messages.success(
                        request,
                        counted(
                            (
                                "{count} registration imported and checked for conflicts.",
                                "{count} registrations imported and checked for conflicts.",
                            ),
                            count,
                        ),
                    )
                    return redirect("admin:deals_dealregistration_changelist")
        return render(
            request,
            "admin/deals/dealregistration/import.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import deal registrations",
                "form": form,
                "errors": errors,
                "columns": services.CSV_COLUMNS,
                "opts": self.model._meta,
            },
        )

    def close_view(self, request, pk):
        deal = get_object_or_404(DealRegistration, pk=pk)
        form = CloseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.deal_close(deal=deal, by=request.user, **form.cleaned_data)
            except ValidationError as error:  # a deal that is not approved (a double click), a bad amount
                form_errors_from(form, error)
            else:
                messages.success(request, f"{deal.customer_name} is closed as {form.cleaned_data['outcome']}.")
                return redirect("admin:deals_dealregistration_change", deal.pk)
        return render(
            request,
            "admin/deals/dealregistration/close.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Close {deal.customer_name}",
                "form": form,
                "deal": deal,
                "opts": self.model._meta,
            },
        )

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["close_url"] = (
            reverse("admin:deals_dealregistration_close", args=[obj.pk]) if obj and obj.status == "approved" else None
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(choices=[("won", "Won"), ("lost", "Lost")])
    amount = forms.DecimalField(label="Final amount (won deals)", max_digits=14, decimal_places=2, required=False)
    closed_on = forms.DateField(
        required=False, help_text="Today when empty.", widget=forms.DateInput(attrs={"type": "date"})
    )


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(AuditedAdmin):
    list_display = [
        "deal",
        "partner",
        "requested_by",
        "requested_at",
        "status",
        "current_protection",
        "new_protected_until",
    ]
    list_filter = ["status"]
    list_select_related = ["deal__partner", "requested_by"]
    search_fields = ["deal__customer_name", "deal__partner__name"]
    readonly_fields = [
        "deal",
        "requested_by",
        "reason",
        "requested_at",
        "status",
        "decided_by",
        "decided_at",
        "new_protected_until",
        "decision_note",
    ]
    actions = ["grant", "refuse"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="partner")
    def partner(self, r):
        return r.deal.partner.name

    @admin.display(description="protected until")
    def current_protection(self, r):
        return r.deal.protected_until

    @admin.action(description="Grant one more protection period")
    def grant(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda r: services.extension_grant(request=r, by=request.user),
            ("{count} extension granted.", "{count} extensions granted."),
        )

    @admin.action(description="Refuse with a reason…")
    def refuse(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ReasonForm,
            title="Refuse extension requests",
            submit="Refuse and notify the partners",
            done_message=("{count} extension refused.", "{count} extensions refused."),
            action=lambda r, reason: services.extension_refuse(request=r, by=request.user, note=reason),
        )
