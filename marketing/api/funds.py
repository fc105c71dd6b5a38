"""API of market development funds: allocations with their balance (staff all, partners their
own), fund requests (partners submit, withdraw and claim; managers approve or reject) and claims
(finance approves or rejects, never the manager who approved the request)."""

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from prm.api import FileNegotiation, ScopedGenericViewSet
from prm.text import NOTES_MAX, REASON_MAX
from prm.uploads import content_type_of

from ..models import ActivityType, FundAllocation, FundClaim, FundRequest
from ..selectors import funds as selectors
from ..services import funds as services


class Money(serializers.DecimalField):
    def __init__(self, **kwargs):
        super().__init__(max_digits=14, decimal_places=2, **kwargs)


class AllocationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    partner = serializers.IntegerField(source="partner_id")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    currency = serializers.CharField()
    allocated = Money()
    requested = Money()
    approved = Money()
    claimed = Money(help_text="Claims waiting for finance: a part of approved.")
    reimbursed = Money(help_text="Reimbursements booked in the ledger.")
    paid = Money(help_text="Of reimbursed, what a paid payout run holds.")
    available = Money(help_text="allocated − approved − reimbursed.")


class ProofOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, proof) -> str:
        """The API's download (token authentication), not the portal's (a browser session)."""
        return reverse("api:fund-claim-proof", args=[proof.claim_id, proof.pk])


class ClaimOutput(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField(source="request_id")
    partner = serializers.IntegerField(source="partner_id")
    amount = Money()
    currency = serializers.CharField(source="request.allocation.currency")
    leads_generated = serializers.IntegerField()
    results = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField()
    decision_reason = serializers.CharField()
    reimbursed_amount = Money(allow_null=True)
    commission_line = serializers.IntegerField(source="reimbursement_line_id", allow_null=True)
    proofs = ProofOutput(many=True)


class RequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    partner = serializers.IntegerField(source="partner_id")
    allocation = serializers.IntegerField(source="allocation_id")
    currency = serializers.CharField(source="allocation.currency")
    activity_type = serializers.CharField()
    title = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    planned_cost = Money()
    expected_leads = serializers.IntegerField()
    description = serializers.CharField()
    status = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    approved_amount = Money(allow_null=True)
    decided_at = serializers.DateTimeField()
    decision_reason = serializers.CharField()
    claim_deadline = serializers.DateField()
    deals = serializers.SerializerMethodField()
    claims = ClaimOutput(many=True)

    def get_deals(self, request) -> list[int]:
        return [link.deal_id for link in request.deal_links.all()]


class RequestInput(serializers.Serializer):
    activity_type = serializers.ChoiceField(choices=ActivityType.values)
    title = serializers.CharField(max_length=200)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    planned_cost = Money()
    expected_leads = serializers.IntegerField(min_value=0, required=False, default=0)
    description = serializers.CharField(max_length=NOTES_MAX)


class ApproveInput(serializers.Serializer):
    amount = Money(required=False, allow_null=True, help_text="Empty: the planned cost.")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)


class ClaimInput(serializers.Serializer):
    amount = Money()
    leads_generated = serializers.IntegerField(min_value=0)
    results = serializers.CharField(max_length=NOTES_MAX)
    proofs = serializers.ListField(child=serializers.FileField(), required=False, default=list)
    deals = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class FundAllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Fund allocations with their balance: staff see all, partner users their organization's."""

    serializer_class = AllocationOutput

    def get_queryset(self):
        return selectors.allocation_balances().order_by("-period_start", "id")

    def get_object(self):
        try:
            return super().get_object()
        except FundAllocation.DoesNotExist as error:
            raise Http404 from error


class FundRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Fund requests: partner users submit, withdraw and claim their organization's; managers
    approve (fully or partly) or reject."""

    serializer_class = RequestOutput
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return (
            selectors.fund_request_list(status=self.request.query_params.get("status"))
            .prefetch_related("deal_links", "claims__proofs", "claims__request__allocation")
            .order_by("-submitted_at", "-id")
        )

    @extend_schema(parameters=[OpenApiParameter("status", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_object(self):
        try:
            return super().get_object()
        except FundRequest.DoesNotExist as error:
            raise Http404 from error

    def _respond(self, request_obj, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=request_obj.pk)).data, status=code)

    @extend_schema(request=RequestInput, responses={201: RequestOutput})
    def create(self, request):
        if request.user.partner_id is None:
            raise PermissionDenied("Partner users request funds; staff decide them.")
        values = _valid(RequestInput, request.data)
        created = services.fund_request_submit(partner=request.user.partner, user=request.user, **values)
        return self._respond(created, status.HTTP_201_CREATED)

    @extend_schema(request=ApproveInput, responses={200: RequestOutput})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        fund_request = self.get_object()
        values = _valid(ApproveInput, request.data)
        services.fund_request_approve(request=fund_request, amount=values.get("amount"), by=request.user)
        return self._respond(fund_request)

    @extend_schema(request=ReasonInput, responses={200: RequestOutput})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        fund_request = self.get_object()
        values = _valid(ReasonInput, request.data)
        services.fund_request_reject(request=fund_request, reason=values["reason"], by=request.user)
        return self._respond(fund_request)

    @extend_schema(request=None, responses={200: RequestOutput})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        fund_request = self.get_object()
        services.fund_request_withdraw(request=fund_request, by=request.user)
        return self._respond(fund_request)

    @extend_schema(request={"multipart/form-data": ClaimInput}, responses={201: RequestOutput})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        fund_request = self.get_object()
        values = _valid(ClaimInput, request.data)
        found = selectors.deals_by_id(values["deals"])
        missing = [pk for pk in values["deals"] if pk not in found]
        if missing:
            raise serializers.ValidationError({"deals": [f"No deal {missing[0]} of your organization."]})
        services.fund_claim_submit(
            request=fund_request,
            by=request.user,
            amount=values["amount"],
            leads_generated=values["leads_generated"],
            results=values["results"],
            proofs=values["proofs"],
            deals=list(found.values()),
        )
        return self._respond(fund_request, status.HTTP_201_CREATED)


class FundClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Claims: partner users see their organization's; finance approves or rejects them."""

    serializer_class = ClaimOutput

    def get_queryset(self):
        wanted = self.request.query_params.get("status")
        return selectors.fund_claim_list(status=wanted).order_by("-submitted_at", "-id")

    def get_object(self):
        try:
            return super().get_object()
        except FundClaim.DoesNotExist as error:
            raise Http404 from error

    def _respond(self, claim):
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data)

    @extend_schema(request=None, responses={200: ClaimOutput})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        claim = self.get_object()
        services.fund_claim_approve(claim=claim, by=request.user)
        return self._respond(claim)

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"], url_path="proofs/<int:proof_id>", content_negotiation_class=FileNegotiation)
    def proof(self, request, pk=None, proof_id=None):
        """A proof file of the claim, always as an attachment (never rendered by the browser)."""
        found = selectors.claim_proof(claim=self.get_object(), pk=proof_id)
        if found is None:
            raise Http404
        response = FileResponse(
            found.file.open("rb"), as_attachment=True, filename=found.name, content_type=content_type_of(found.name)
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @extend_schema(request=ReasonInput, responses={200: ClaimOutput})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        claim = self.get_object()
        values = _valid(ReasonInput, request.data)
        services.fund_claim_reject(claim=claim, reason=values["reason"], by=request.user)
        return self._respond(claim)
