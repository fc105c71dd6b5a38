"""Targets in the admin: the list, a form that sets one target through ``target_set``, the CSV
import page and the CSV export. A target is named by its partner and period, so its page changes
the figures only; another period is another target."""

import csv

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone

from prm.admin import counted
from prm.audit import AuditedAdmin
from prm.errors import error_messages, form_errors_from
from prm.scoping import scopes_disabled
from prm.text import short_date

from ..models import Target
from ..services import targets as services

FORM_FIELDS = ["partner", "period_start", "period_end", *services.FIGURES]


# Admin forms serve staff only, who see every partner: the partner choices are built at import,
# outside any request, so they are built with scoping off on purpose (as partners.admin does).
with scopes_disabled():

    class TargetForm(forms.ModelForm):
        """The target's fields; the rules of ``target_set`` are checked on clean, so a refusal
        shows on its field with what was typed."""

        class Meta:
            model = Target
            fields = FORM_FIELDS

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if "won_revenue" in self.fields:
                currency = settings.PRM_PROGRAM_CURRENCY
                self.fields["won_revenue"].help_text = f"In {currency}, the program currency."

        def _get_validation_exclusions(self):
            # The model's constraints on partner and period would refuse a target for exactly the
            # period of an existing one, which target_set replaces; target_check judges instead.
            return super()._get_validation_exclusions() | {"partner", "period_start", "period_end"}

        def clean(self):
            cleaned = super().clean()
            partner = cleaned.get("partner") or getattr(self.instance, "partner", None)
            if partner is None or self.errors:
                return cleaned
            try:
                services.target_check(
                    partner=partner,
                    period_start=cleaned.get("period_start", self.instance.period_start),
                    period_end=cleaned.get("period_end", self.instance.period_end),
                    **{figure: cleaned.get(figure) for figure in services.FIGURES},
                )
            except ValidationError as error:
                form_errors_from(self, error)
            return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text=f"CSV, UTF-8, with a header row; at most {services.CSV_MAX_ROWS:,} rows and "
        f"{services.CSV_MAX_BYTES // 1024:,} KB."
    )


@admin.register(Target)
class TargetAdmin(AuditedAdmin):
    form = TargetForm
    list_display = ["partner", "period", "won_revenue_display", "new_deals", "certified_users", "set_by", "set_at"]
    list_filter = ["period_start", "partner__tier"]
    search_fields = ["partner__name"]
    list_select_related = ["partner", "set_by"]
    autocomplete_fields = ["partner"]
    date_hierarchy = "period_start"
    ordering = ["-period_start", "partner__name"]
    actions = ["export_csv"]
    readonly_fields = ["set_by", "set_at"]

    def get_fields(self, request, obj=None):
        return FORM_FIELDS if obj is None else [*FORM_FIELDS, "set_by", "set_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["partner", "period_start", "period_end", "set_by", "set_at"]

    @admin.display(description="period", ordering="period_start")
    def period(self, target):
        return f"{short_date(target.period_start)} – {short_date(target.period_end)}"

    @admin.display(description="won revenue", ordering="won_revenue")
    def won_revenue_display(self, target):
        if target.won_revenue is None:
            return "—"
        return f"{target.won_revenue:,.2f} {settings.PRM_PROGRAM_CURRENCY}"

    def save_model(self, request, obj, form, change):
        saved = services.target_set(
            partner=obj.partner,
            period_start=obj.period_start,
            period_end=obj.period_end,
            by=request.user,
            **{figure: form.cleaned_data.get(figure) for figure in services.FIGURES},
        )
        obj.pk = saved.pk
        obj.set_by, obj.set_at = saved.set_by, saved.set_at

    @admin.action(description="Export to CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="targets-{timezone.localdate():%Y-%m-%d}.csv"'
        writer = csv.writer(response)
        writer.writerows(
            services.targets_export_rows(queryset.select_related("partner").order_by("partner__name", "period_start"))
        )
        return response

    # --- the import page ---------------------------------------------------------------------------

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="performance_target_import"),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a CSV of targets; any failing row imports nothing and every error is listed."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            try:
                count = services.targets_import_csv(file=form.cleaned_data["file"], by=request.user)
            except ValidationError as error:
                errors = _file_errors(error)
            else:
                messages.success(request, counted(("{count} target set.", "{count} targets set."), count))
                return redirect("admin:performance_target_changelist")
        return render(
            request,
            "admin/performance/target/import.html",
            {
                **self.admin_site.each_context(request),
                "title": "Import targets from CSV",
                "form": form,
                "errors": errors,
                "columns": services.CSV_COLUMNS,
                "max_rows": services.CSV_MAX_ROWS,
                "opts": self.model._meta,
            },
        )


def _file_errors(error: ValidationError) -> list[str]:
    """The import's errors as sentences: those of the file are "Row 3, period_end: ..." already."""
    if not hasattr(error, "error_dict"):
        return error_messages(error)
    return [
        message if field in ("file", "__all__") else f"{field}: {message}"
        for field, field_messages in error.message_dict.items()
        for message in field_messages
    ]
