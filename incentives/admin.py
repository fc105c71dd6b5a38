from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils.html import format_html

from prm.admin import ReadOnlyInline, ReferenceForm, ask_then_run, run_for_each
from prm.audit import AuditedAdmin
from prm.errors import error_messages, error_text
from prm.scoping import scopes_disabled

from . import api, selectors, services
from .models import CommissionLine, CommissionPlan, CommissionRule, ExchangeRate, PayoutRun, PayoutStatement
from .pdf import statement_filename


@admin.register(ExchangeRate)
class ExchangeRateAdmin(AuditedAdmin):
    list_display = ["date", "from_currency", "to_currency", "rate"]
    list_filter = ["from_currency", "to_currency"]
    date_hierarchy = "date"


class RuleInline(admin.StackedInline):
    model = CommissionRule
    extra = 0
    fields = [("kind", "order"), ("rate", "amount", "target"), "brackets", ("product", "starts_on", "ends_on")]

    def _in_use(self, obj):
        return obj is not None and CommissionLine.objects.filter(plan=obj).exists()

    def has_add_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._in_use(obj) and super().has_delete_permission(request, obj)


@admin.register(CommissionPlan)
class CommissionPlanAdmin(AuditedAdmin):
    list_display = ["name", "version", "tier", "partner", "currency", "period", "starts_on", "ends_on", "line_count"]
    list_filter = ["tier", "period", "currency"]
    search_fields = ["name", "partner__name"]
    list_select_related = ["tier", "partner"]
    inlines = [RuleInline]
    actions = ["new_version"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(booked=Count("lines"))

    @admin.display(description="lines booked", ordering="booked")
    def line_count(self, plan):
        return plan.booked

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and CommissionLine.objects.filter(plan=obj).exists():
            # In use: never edited in place. Only its end date may be set, to retire it.
            return ["name", "version", "tier", "partner", "currency", "period", "starts_on", "previous_version"]
        return ["version", "previous_version"]

    @admin.action(description="Create a new version starting today (rules copied)")
    def new_version(self, request, queryset):
        for plan in queryset:
            try:
                copy = services.commission_plan_new_version(plan=plan, by=request.user)
            except (ValidationError, PermissionDenied) as error:
                messages.error(request, f"{plan}: {error_text(error)}")
                continue
            messages.success(
                request,
                f"{copy} starts on {copy.starts_on:%d %B %Y} and replaces {plan}. Edit the new version's rules.",
            )


# Admin forms serve staff only: their choices are built at import with scoping off on purpose.
with scopes_disabled():

    class AdjustmentForm(forms.ModelForm):
        class Meta:
            model = CommissionLine
            fields = ["partner", "deal", "amount", "currency", "explanation", "corrects"]
            help_texts = {
                "amount": "Negative to take commission back.",
                "explanation": "The partner reads this on the statement.",
            }


@admin.register(CommissionLine)
class CommissionLineAdmin(admin.ModelAdmin):
    """The ledger: append-only. Finance adds adjustment lines; nothing is edited or deleted."""

    list_display = ["id", "booked_on", "partner", "kind", "amount_display", "explanation", "deal"]
    list_filter = ["kind", "currency", "booked_on"]
    search_fields = ["partner__name", "explanation", "deal__customer_name"]
    list_select_related = ["partner", "deal"]
    raw_id_fields = ["partner", "deal", "corrects"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AdjustmentForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return AdjustmentForm.Meta.fields
        return [f.name for f in CommissionLine._meta.fields]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in CommissionLine._meta.fields] if obj else []

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, line):
        return f"{line.amount:,.2f} {line.currency}"

    def save_model(self, request, obj, form, change):
        line = services.commission_adjust(
            partner=obj.partner,
            amount=obj.amount,
            currency=obj.currency,
            explanation=obj.explanation,
            by=request.user,
            deal=obj.deal,
            corrects=obj.corrects,
        )
        obj.pk = line.pk


def _statement_pdf_link(statement):
    """A statement's PDF, rendered by a worker: the link, and whether it is ready yet."""
    url = reverse("admin:incentives_payoutstatement_pdf", args=[statement.pk])
    if statement.pdf_ready:
        return format_html('<a href="{}">Download</a>', url)
    return format_html('<a href="{}">Prepare and download</a> (not rendered yet)', url)


class StatementInline(ReadOnlyInline):
    model = PayoutStatement
    fields = ["partner", "currency", "total", "line_count", "pdf_link"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("run", "partner")

    @admin.display(description="PDF")
    def pdf_link(self, statement):
        return _statement_pdf_link(statement)


class RunForm(forms.ModelForm):
    class Meta:
        model = PayoutRun
        fields = ["period_end"]


@admin.register(PayoutRun)
class PayoutRunAdmin(AuditedAdmin):
    form = RunForm
    # Totals per currency are on each run's page (one query there), not in the list.
    list_display = [
        "__str__",
        "status",
        "statement_total",
        "created_by",
        "approved_by",
        "payment_reference",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["created_by", "approved_by"]
    inlines = [StatementInline]
    actions = ["recalculate", "restart", "approve", "mark_paid"]
    change_form_template = "admin/incentives/payoutrun/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n=Count("statements"))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "period_end",
            "status",
            "created_by",
            "created_at",
            "calculated_at",
            "approved_by",
            "approved_at",
            "paid_at",
            "payment_reference",
            "error",
            "documents",
            "heartbeat_at",
            "totals",
        ]

    def get_fields(self, request, obj=None):
        return ["period_end"] if obj is None else self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description="statements", ordering="n")
    def statement_total(self, run):
        return run.n

    @admin.display(description="PDFs")
    def documents(self, run):
        return documents_text(run)

    @admin.display(description="totals")
    def totals(self, run):
        return ", ".join(f"{t['amount']:,.2f} {t['currency']}" for t in selectors.run_totals([run])[run.pk]) or "—"

    def save_model(self, request, obj, form, change):
        run = services.payout_run_create(period_end=obj.period_end, by=request.user)
        obj.pk = run.pk
        messages.info(request, "The run is being calculated by a worker; this page shows its progress.")

    def add_view(self, request, form_url="", extra_context=None):
        if request.method == "POST":
            form = RunForm(request.POST)
            if form.is_valid():
                try:
                    run = services.payout_run_create(period_end=form.cleaned_data["period_end"], by=request.user)
                except ValidationError as error:
                    for message in error_messages(error):
                        messages.error(request, message)
                    return redirect("admin:incentives_payoutrun_add")
                messages.info(request, "The run is being calculated by a worker; this page shows its progress.")
                return redirect("admin:incentives_payoutrun_change", run.pk)
        return super().add_view(request, form_url, extra_context)

    @admin.action(description="Recalculate (not approved runs)")
    def recalculate(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda r: services.payout_run_recalculate(run=r, by=request.user),
            ("{count} run is being recalculated.", "{count} runs are being recalculated."),
        )

    @admin.action(description="Restart stuck work (a calculation or PDFs whose worker died)")
    def restart(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda r: services.payout_run_restart(run=r, by=request.user),
            (
                "{count} run restarted: a worker takes it up again.",
                "{count} runs restarted: a worker takes them up again.",
            ),
        )

    @admin.action(description="Approve (four eyes: not your own run)")
    def approve(self, request, queryset):
        run_for_each(
            request,
            queryset,
            lambda r: services.payout_run_approve(run=r, by=request.user),
            ("{count} run approved.", "{count} runs approved."),
        )

    @admin.action(description="Mark paid with a payment reference…")
    def mark_paid(self, request, queryset):
        return ask_then_run(
            self,
            request,
            queryset,
            form_class=ReferenceForm,
            title="Mark payout runs paid",
            submit="Mark paid",
            done_message=("{count} run marked paid.", "{count} runs marked paid."),
            action=lambda r, reference: services.payout_run_mark_paid(run=r, by=request.user, reference=reference),
        )

    def get_urls(self):
        return [
            path("<int:pk>/statements.zip", self.admin_site.admin_view(self.zip_view), name="incentives_payoutrun_zip"),
            path("<int:pk>/export.csv", self.admin_site.admin_view(self.csv_view), name="incentives_payoutrun_csv"),
            path(
                "<int:pk>/documents.json",
                self.admin_site.admin_view(self.documents_view),
                name="incentives_payoutrun_documents",
            ),
            *super().get_urls(),
        ]

    def zip_view(self, request, pk):
        """The stored ZIP; otherwise a worker builds it and the run's page shows its progress."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = services.statements_zip_request(run=get_object_or_404(PayoutRun, pk=pk), by=request.user)
        if run.zip_ready:
            return api.statements_zip_response(run)
        messages.info(
            request, "The ZIP of all statement PDFs is being prepared by a worker; this page shows when it is ready."
        )
        return redirect("admin:incentives_payoutrun_change", run.pk)

    def documents_view(self, request, pk):
        """Polled by static/js/poll.js on the run's page: PDFs rendered and the ZIP's progress."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(PayoutRun, pk=pk)
        return JsonResponse(
            {
                "ready": run.zip_ready,
                "url": reverse("admin:incentives_payoutrun_zip", args=[run.pk]),
                "progress": f"{documents_text(run)} ZIP: {api.zip_progress_text(run)}",
                "pdfs_rendered": run.pdfs_rendered,
                "zip_status": run.zip_status,
            }
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = PayoutRun.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra = {"zip_progress": api.zip_progress_text(run), "documents": documents_text(run)} if run else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def csv_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return api.run_csv_response(get_object_or_404(PayoutRun, pk=pk))


@admin.register(PayoutStatement)
class PayoutStatementAdmin(admin.ModelAdmin):
    list_display = ["run", "partner", "currency", "total", "line_count"]
    # The PDF is private (no public URL): shown as a link to the staff download view.
    fields = ["run", "partner", "currency", "total", "line_count", "after_line_id", "last_line_id", "pdf_link"]
    readonly_fields = fields
    list_filter = ["run", "currency"]
    search_fields = ["partner__name"]
    list_select_related = ["run", "partner"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="PDF")
    def pdf_link(self, statement):
        return _statement_pdf_link(statement)

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="incentives_payoutstatement_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        with scopes_disabled():
            statement = get_object_or_404(PayoutStatement.objects.select_related("run"), pk=pk)
            if not services.statement_pdf_request(statement=statement):
                messages.info(
                    request, "The statement PDF is being prepared by a worker. Try the link again in a moment."
                )
                return redirect("admin:incentives_payoutstatement_change", statement.pk)
        return FileResponse(
            statement.pdf.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=statement_filename(statement),
        )


def documents_text(run: PayoutRun) -> str:
    """ "2 of 3 statement PDFs rendered." for a run's page."""
    if run.status not in PayoutRun.DOCUMENTED_STATUSES:
        return "Rendered once the run is calculated."
    total, rendered = run.statements.count(), run.pdfs_rendered
    if total == 0:
        return "No statements."
    return f"{rendered} of {total} statement PDF{pluralize(total)} rendered."
