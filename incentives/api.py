"""API of commissions and payouts."""

import csv

from django.http import FileResponse, HttpResponse
from django.template.defaultfilters import pluralize
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from prm.api import FileNegotiation, PreparingSerializer, ScopedGenericViewSet
from prm.csv import csv_safe
from prm.roles import FINANCE_ROLES

from . import selectors, services
from .models import CommissionLine, PayoutRun, PayoutStatement, ZipStatus
from .pdf import statement_filename


class IsFinance(BasePermission):
    """Lists and new runs are for finance (403 otherwise); a single run is simply not found (404)
    for anyone else, as every object outside the caller's scope."""

    message = "Only finance users and admins work with payout runs."

    def has_permission(self, request, view):
        if view.detail:
            return request.user.is_authenticated
        return request.user.is_authenticated and request.user.role in FINANCE_ROLES


class CommissionLineSerializer(serializers.ModelSerializer):
    statement = serializers.SerializerMethodField()

    class Meta:
        model = CommissionLine
        fields = [
            "id",
            "partner",
            "deal",
            "kind",
            "base_amount",
            "rate",
            "amount",
            "currency",
            "original_amount",
            "original_currency",
            "fx_rate",
            "explanation",
            "booked_on",
            "statement",
        ]

    def get_statement(self, line) -> int | None:
        return self.context.get("statement_of", {}).get(line.pk)


class CommissionLineViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    """Commission lines with their explanations: finance/admin all, partner users their own."""

    serializer_class = CommissionLineSerializer

    def get_queryset(self):
        return selectors.line_list(user=self.request.user)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "statement_of": getattr(self, "_statement_of", {})}

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        self._statement_of = _statements_of(page, user=request.user)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _statements_of(lines, *, user) -> dict[int, int]:
    """Which visible statement each line belongs to (statements name their lines by id range)."""
    if not lines:
        return {}
    partner_ids = {line.partner_id for line in lines}
    ids = [line.pk for line in lines]
    ranges = (
        selectors.statement_list(user=user)
        .filter(partner_id__in=partner_ids, last_line_id__gte=min(ids), after_line_id__lt=max(ids))
        .values_list("pk", "partner_id", "currency", "after_line_id", "last_line_id")
    )
    found = {}
    for pk, partner_id, currency, after, last in ranges:
        for line in lines:
            if line.partner_id == partner_id and line.currency == currency and after < line.pk <= last:
                found[line.pk] = pk
    return found


RETRY_AFTER_SECONDS = 5


def preparing(detail: str, *, progress: str = "") -> Response:
    """A document a worker is still preparing: 202 Accepted, and when to ask again."""
    body = {"detail": detail, "status": "preparing", **({"progress": progress} if progress else {})}
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class StatementSerializer(serializers.ModelSerializer):
    period_end = serializers.DateField(source="run.period_end")

    class Meta:
        model = PayoutStatement
        fields = ["id", "run", "partner", "period_end", "total", "currency", "line_count"]


class StatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Statements: finance/admin all; partner users their own, of approved or paid runs only."""

    serializer_class = StatementSerializer

    def get_queryset(self):
        return selectors.statement_list(user=self.request.user)

    @extend_schema(responses={(200, "application/pdf"): bytes, 202: PreparingSerializer})
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation)
    def pdf(self, request, pk=None):
        """The statement PDF; 202 with Retry-After while a worker renders it (ask again then)."""
        statement = self.get_object()
        if not services.statement_pdf_request(statement=statement):
            return preparing("The statement PDF is being prepared; try again in a few seconds.")
        return FileResponse(
            statement.pdf.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=statement_filename(statement),
        )


class TotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class PayoutRunSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email")
    approved_by = serializers.EmailField(source="approved_by.email", default=None)
    statement_count = serializers.SerializerMethodField()
    pdfs_rendered = serializers.IntegerField(
        read_only=True, help_text="Statements whose stored PDF shows the run as it is now."
    )
    totals = serializers.SerializerMethodField()

    class Meta:
        model = PayoutRun
        fields = [
            "id",
            "status",
            "period_end",
            "created_by",
            "approved_by",
            "statement_count",
            "totals",
            "error",
            "payment_reference",
            "pdfs_rendered",
            "zip_status",
            "zip_progress",
            "created_at",
            "calculated_at",
            "approved_at",
            "paid_at",
            "heartbeat_at",
        ]

    def get_statement_count(self, run) -> int:
        return run.statement_count

    @extend_schema_field(TotalSerializer(many=True))
    def get_totals(self, run):
        totals = self.context.get("totals")
        return TotalSerializer(
            totals.get(run.pk, []) if totals is not None else selectors.run_totals([run])[run.pk], many=True
        ).data


class PeriodEndSerializer(serializers.Serializer):
    period_end = serializers.DateField()


class ReferenceSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=100)


class PayoutRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Payout runs for finance: create (computed by a worker), recalculate, approve, mark paid."""

    serializer_class = PayoutRunSerializer
    permission_classes = [IsFinance]

    def get_queryset(self):
        if self.request.user.role not in FINANCE_ROLES:
            return PayoutRun.objects.none()
        return selectors.run_list()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        context = {**self.get_serializer_context(), "totals": selectors.run_totals(page)}
        return self.get_paginated_response(PayoutRunSerializer(page, many=True, context=context).data)

    @extend_schema(
        request=PeriodEndSerializer,
        responses={
            202: inline_serializer("RunStarted", {"id": serializers.IntegerField(), "status": serializers.CharField()})
        },
    )
    def create(self, request):
        data = PeriodEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.payout_run_create(period_end=data.validated_data["period_end"], by=request.user)
        # The status when the run was accepted; a worker computes it from here.
        return Response({"id": run.pk, "status": PayoutRun.Status.CALCULATING}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: PayoutRunSerializer})
    @action(detail=True, methods=["post"])
    def recalculate(self, request, pk=None):
        run = services.payout_run_recalculate(run=self.get_object(), by=request.user)
        return Response({"id": run.pk, "status": "calculating"}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "RunRestarted", {"id": serializers.IntegerField(), "status": serializers.CharField()}
            )
        },
    )
    @action(detail=True, methods=["post"])
    def restart(self, request, pk=None):
        """Restart a run's stuck work (its calculation, or its PDFs) when its worker died:
        409 when the work is done or a worker is alive on it."""
        run = services.payout_run_restart(run=self.get_object(), by=request.user)
        return Response({"id": run.pk, "status": run.status}, status=status.HTTP_202_ACCEPTED)

    def _respond(self, run):
        return Response(self.get_serializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._respond(services.payout_run_approve(run=self.get_object(), by=request.user))

    @extend_schema(request=ReferenceSerializer)
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        run = self.get_object()
        data = ReferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.payout_run_mark_paid(run=run, by=request.user, reference=data.validated_data["reference"])
        )

    # statements_zip and export_csv are routed in prm/urls.py as files (no trailing slash).
    @extend_schema(responses={(200, "application/zip"): bytes, 202: PreparingSerializer})
    def statements_zip(self, request, pk=None):
        """All statement PDFs of the run in one ZIP, built by a worker: 202 with Retry-After and
        the progress until it is ready, then the file."""
        run = services.statements_zip_request(run=self.get_object(), by=request.user)
        if not run.zip_ready:
            return preparing(
                "The ZIP of the statements is being prepared; try again in a few seconds.",
                progress=zip_progress_text(run),
            )
        return statements_zip_response(run)

    @extend_schema(responses={(200, "text/csv"): str})
    def export_csv(self, request, pk=None):
        return run_csv_response(self.get_object())


def statements_zip_response(run: PayoutRun) -> FileResponse:
    """The run's stored ZIP (tasks.build_statements_zip)."""
    return FileResponse(
        run.statements_zip.open("rb"),
        content_type="application/zip",
        as_attachment=True,
        filename=f"statements-{run.reference}.zip",
    )


def zip_progress_text(run: PayoutRun) -> str:
    """Where the run's ZIP stands, in words."""
    total = run.statements.count()
    if run.zip_ready:
        return f"Ready: {total} statement{pluralize(total)}."
    if run.zip_status == ZipStatus.FAILED:
        return f"The ZIP could not be built: {run.zip_error}"
    if run.zip_status != ZipStatus.BUILDING:
        return "Not asked for yet."
    rendered = run.pdfs_rendered
    if rendered < total:
        return f"Rendering PDFs: {rendered} of {total} ready."
    return f"Adding PDFs to the ZIP: {run.zip_progress} of {total}."


def run_csv_response(run: PayoutRun) -> HttpResponse:
    """One row per statement, for accounting."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payout-{run.reference}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "run",
            "period_end",
            "statement",
            "partner_id",
            "partner",
            "currency",
            "total",
            "line_count",
            "status",
            "payment_reference",
        ]
    )
    for s in run.statements.select_related("partner").order_by("partner__name", "currency"):
        writer.writerow(
            [
                run.reference,
                run.period_end.isoformat(),
                s.pk,
                s.partner_id,
                csv_safe(s.partner.name),
                s.currency,
                f"{s.total:.2f}",
                s.line_count,
                run.status,
                csv_safe(run.payment_reference),
            ]
        )
    return response
