"""Quarterly business reviews in the admin: managers prepare a partner's review (its goals for the
next quarter), see whether its PDF is rendered and download it, ask for it to be rendered again,
and ask for every partner's review of a quarter in one ZIP (a QBR pack) whose page shows the
worker's progress. Every write goes through services.qbr; documents render in workers."""

from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from prm.admin import run_for_each
from prm.audit import AuditedAdmin
from prm.errors import error_messages
from prm.scoping import scopes_disabled

from ..models import QbrPack, QuarterlyReview, quarter_label, quarter_start
from ..pdf import qbr_filename
from ..services import qbr as services
from .filters import QuarterFilter

QUARTERS_OFFERED = 8


def recent_quarters(count: int = QUARTERS_OFFERED, *, include: date | None = None) -> list[tuple[str, str]]:
    """The current quarter and the ``count - 1`` before it, newest first, as form choices
    (``("2026-01-01", "Q1 2026")``); ``include`` adds an older quarter an object already has."""
    first = quarter_start(timezone.localdate())
    quarters = []
    for _ in range(count):
        quarters.append(first)
        first = quarter_start(first - timedelta(days=1))
    if include and include not in quarters:
        quarters.append(include)
    return [(q.isoformat(), quarter_label(q)) for q in quarters]


def last_complete_quarter() -> str:
    """The quarter a review is usually about: the last one that is over."""
    return quarter_start(quarter_start(timezone.localdate()) - timedelta(days=1)).isoformat()


class QuarterChoiceField(forms.TypedChoiceField):
    """A quarter that has started, chosen from the ``count`` most recent ones."""

    def __init__(self, *, count: int = QUARTERS_OFFERED, **kwargs):
        kwargs.setdefault("coerce", date.fromisoformat)
        kwargs.setdefault("help_text", "Quarters that have started; QBRs are prepared once a quarter has begun.")
        kwargs.setdefault("initial", last_complete_quarter)
        super().__init__(choices=lambda: recent_quarters(count), **kwargs)

    def prepare_value(self, value):
        return value.isoformat() if isinstance(value, date) else value


# Admin forms serve staff only: their choices are built at import with scoping off on purpose.
with scopes_disabled():

    class QuarterlyReviewForm(forms.ModelForm):
        quarter = QuarterChoiceField()

        class Meta:
            model = QuarterlyReview
            fields = ["partner", "quarter", "goals"]
            widgets = {"goals": forms.Textarea(attrs={"rows": 8})}
            help_texts = {
                "goals": "One goal a line. The partner reads them in the QBR. Saving renders the PDF again.",
            }

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.instance.pk:  # partner and quarter are fixed once the review exists
                self.fields.pop("quarter", None)

        def validate_unique(self):
            """A second review of the same partner and quarter is refused in words naming both."""
            partner, quarter = self.cleaned_data.get("partner"), self.cleaned_data.get("quarter")
            if self.instance.pk is None and partner and quarter:
                if QuarterlyReview.objects.filter(partner=partner, quarter=quarter).exists():
                    self.add_error(
                        "quarter",
                        f"{partner} has a review of {quarter_label(quarter)} already: change that one instead.",
                    )
                    return
            super().validate_unique()


def _document(review: QuarterlyReview) -> str:
    """The PDF's state in words, with the download link when there is a file."""
    url = reverse("admin:performance_quarterlyreview_pdf", args=[review.pk])
    if review.pdf_status == QuarterlyReview.PdfStatus.READY and review.pdf:
        return format_html('<a href="{}">Download PDF</a>', url)
    if review.pdf_status == QuarterlyReview.PdfStatus.PENDING:
        return "Being rendered by a worker…"
    if review.pdf_status == QuarterlyReview.PdfStatus.FAILED:
        return f"Rendering failed: {review.pdf_error}"
    return "Not rendered yet"


@admin.register(QuarterlyReview)
class QuarterlyReviewAdmin(AuditedAdmin):
    form = QuarterlyReviewForm
    list_display = ["partner", "quarter_name", "document", "rendered_at", "requested_by"]
    list_filter = [QuarterFilter, "pdf_status"]
    search_fields = ["partner__name"]
    list_select_related = ["partner", "requested_by"]
    autocomplete_fields = ["partner"]
    actions = ["render_again"]
    change_form_template = "admin/performance/quarterlyreview/change_form.html"
    change_list_template = "admin/performance/quarterlyreview/change_list.html"

    @admin.display(description="quarter", ordering="quarter")
    def quarter_name(self, review):
        return quarter_label(review.quarter)

    @admin.display(description="PDF")
    def document(self, review):
        return _document(review)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["partner", "quarter", "goals"]
        return ["partner", "quarter_name", "goals", "document", "requested_by", "requested_at", "rendered_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["partner", "quarter_name", "document", "requested_by", "requested_at", "rendered_at"]

    def save_model(self, request, obj, form, change):
        review = services.qbr_prepare(partner=obj.partner, quarter=obj.quarter, by=request.user, goals=obj.goals)
        obj.pk = review.pk
        messages.info(request, "The PDF is being rendered by a worker; the review's page shows when it is ready.")

    @admin.action(description="Render the PDF again with today's figures")
    def render_again(self, request, queryset):
        run_for_each(
            request,
            queryset.select_related("partner"),
            lambda review: services.qbr_render_again(review=review, by=request.user),
            ("{count} QBR is being rendered again.", "{count} QBRs are being rendered again."),
        )

    def get_urls(self):
        return [
            path("<int:pk>/pdf/", self.admin_site.admin_view(self.pdf_view), name="performance_quarterlyreview_pdf"),
            path(
                "<int:pk>/status.json",
                self.admin_site.admin_view(self.status_view),
                name="performance_quarterlyreview_status",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request, pk):
        """The stored PDF; while there is none, the review's page says why."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        review = get_object_or_404(QuarterlyReview.objects.select_related("partner"), pk=pk)
        if not review.pdf:
            messages.info(request, f"The PDF of {review} is not ready: {_document(review)}.")
            return redirect("admin:performance_quarterlyreview_change", review.pk)
        return FileResponse(
            review.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=qbr_filename(review)
        )

    def status_view(self, request, pk):
        """Polled by static/js/poll.js on the review's page while its PDF renders."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        review = get_object_or_404(QuarterlyReview, pk=pk)
        return JsonResponse(
            {
                "ready": services.qbr_pdf_ready(review),
                "url": reverse("admin:performance_quarterlyreview_pdf", args=[review.pk]),
                "progress": str(_document(review)) if review.pdf_status != "ready" else "Ready.",
                "pdf_status": review.pdf_status,
            }
        )


# --- QBR packs --------------------------------------------------------------------------------------


class QbrPackForm(forms.ModelForm):
    quarter = QuarterChoiceField(
        help_text="Every partner active or with activity in the quarter gets a QBR; ready ones are kept as they are."
    )

    class Meta:
        model = QbrPack
        fields = ["quarter"]


def pack_progress_text(pack: QbrPack) -> str:
    """Where a pack stands, in words."""
    if pack.status == QbrPack.Status.READY:
        note = f" {pack.error}." if pack.error else ""
        return f"Ready: {pack.done} QBR{pluralize(pack.done)} of {quarter_label(pack.quarter)}.{note}"
    if pack.status == QbrPack.Status.FAILED:
        return f"The pack could not be built: {pack.error}"
    if pack.total and pack.done >= pack.total:
        return "Adding the PDFs to the ZIP…"
    return f"Rendering QBRs: {pack.done} of {pack.total} done."


@admin.register(QbrPack)
class QbrPackAdmin(admin.ModelAdmin):
    """A pack is asked for (add) and then only read: its page follows the worker's progress and
    offers the ZIP once it is ready."""

    form = QbrPackForm
    list_display = ["__str__", "status", "progress", "requested_by", "requested_at", "finished_at", "download"]
    list_filter = ["status", QuarterFilter]
    list_select_related = ["requested_by"]
    change_form_template = "admin/performance/qbrpack/change_form.html"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["quarter"]
        return ["quarter_name", "status", "progress", "requested_by", "requested_at", "finished_at", "download"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="quarter", ordering="quarter")
    def quarter_name(self, pack):
        return quarter_label(pack.quarter)

    @admin.display(description="progress")
    def progress(self, pack):
        return pack_progress_text(pack)

    @admin.display(description="ZIP")
    def download(self, pack):
        if pack.status != QbrPack.Status.READY:
            return "—"
        return format_html('<a href="{}">Download ZIP</a>', reverse("admin:performance_qbrpack_zip", args=[pack.pk]))

    def add_view(self, request, form_url="", extra_context=None):
        if request.method == "POST" and self.has_add_permission(request):
            form = QbrPackForm(request.POST)
            if form.is_valid():
                try:
                    pack = services.qbr_pack_request(quarter=form.cleaned_data["quarter"], by=request.user)
                except ValidationError as error:
                    for message in error_messages(error):
                        messages.error(request, message)
                    return redirect("admin:performance_qbrpack_add")
                messages.info(request, "A worker renders the QBRs; this page shows its progress.")
                return redirect("admin:performance_qbrpack_change", pack.pk)
        return super().add_view(request, form_url, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pack = QbrPack.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        extra = {"progress_text": pack_progress_text(pack)} if pack else {}
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def get_urls(self):
        return [
            path("<int:pk>/qbrs.zip", self.admin_site.admin_view(self.zip_view), name="performance_qbrpack_zip"),
            path(
                "<int:pk>/progress.json",
                self.admin_site.admin_view(self.progress_view),
                name="performance_qbrpack_progress",
            ),
            *super().get_urls(),
        ]

    def zip_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        pack = get_object_or_404(QbrPack, pk=pk)
        if pack.status != QbrPack.Status.READY or not pack.archive:
            messages.info(request, f"The ZIP is not ready: {pack_progress_text(pack)}")
            return redirect("admin:performance_qbrpack_change", pack.pk)
        name = f"qbrs-{quarter_label(pack.quarter).replace(' ', '-').lower()}.zip"
        return FileResponse(pack.archive.open("rb"), content_type="application/zip", as_attachment=True, filename=name)

    def progress_view(self, request, pk):
        """Polled by static/js/poll.js on the pack's page."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        pack = get_object_or_404(QbrPack, pk=pk)
        return JsonResponse(
            {
                "ready": pack.status == QbrPack.Status.READY,
                "url": reverse("admin:performance_qbrpack_zip", args=[pack.pk]),
                "progress": pack_progress_text(pack),
                "status": pack.status,
                "done": pack.done,
                "recipient_count": pack.total,  # the name poll.js reads for its progress bar
                "percent": int(pack.done * 100 / pack.total) if pack.total else 0,
            }
        )
