"""API of lead distribution: staff see and enter every lead; a partner sees the leads offered to
it (the contact details only once it accepted) and accepts or declines them."""

from django.http import Http404
from django_countries import countries
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from prm.api import ScopedGenericViewSet
from prm.text import REASON_MAX

from ..models import Lead
from ..selectors import leads as selectors
from ..services import leads as services


class LeadOfferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    partner = serializers.IntegerField(source="partner_id")
    status = serializers.CharField()
    reasons = serializers.CharField()
    offered_at = serializers.DateTimeField()
    accept_by = serializers.DateTimeField()
    responded_at = serializers.DateTimeField()
    decline_reason = serializers.CharField()


class LeadOutput(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.CharField()
    domain = serializers.CharField()
    country = serializers.CharField()
    product_interest = serializers.CharField()
    size = serializers.CharField()
    source = serializers.CharField()
    campaign = serializers.CharField()
    status = serializers.CharField()
    accept_by = serializers.DateTimeField(allow_null=True)
    deal = serializers.IntegerField(source="deal_id", allow_null=True)
    created_at = serializers.DateTimeField()
    contact_name = serializers.SerializerMethodField()
    contact_email = serializers.SerializerMethodField()
    contact_phone = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()

    def _contact(self, lead, field):
        user = self.context["request"].user
        return getattr(lead, field) if selectors.contact_visible(lead, user.partner_id) else None

    def get_contact_name(self, lead) -> str | None:
        return self._contact(lead, "contact_name")

    def get_contact_email(self, lead) -> str | None:
        return self._contact(lead, "contact_email")

    def get_contact_phone(self, lead) -> str | None:
        return self._contact(lead, "contact_phone")

    def get_message(self, lead) -> str | None:
        return self._contact(lead, "message")


class StaffLeadOutput(LeadOutput):
    partner = serializers.IntegerField(source="partner_id", allow_null=True)
    refusals = serializers.IntegerField()
    return_reason = serializers.CharField()
    offers = LeadOfferOutput(many=True)


class LeadInput(serializers.Serializer):
    company = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=150)
    contact_email = serializers.EmailField()
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    country = serializers.ChoiceField(choices=list(countries))
    product_interest = serializers.CharField(max_length=100, required=False, allow_blank=True)
    size = serializers.CharField(max_length=10, required=False, allow_blank=True)
    campaign = serializers.CharField(max_length=120, required=False, allow_blank=True)
    message = serializers.CharField(required=False, allow_blank=True)


class AcceptInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField(max_length=3)
    expected_close_date = serializers.DateField()
    products = serializers.ListField(child=serializers.CharField(max_length=100), required=False)


class AcceptOutput(serializers.Serializer):
    deal = serializers.IntegerField()


class DeclineInput(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Leads: staff see all; a partner user the leads offered to (or accepted by) its organization."""

    def get_serializer_class(self):
        return StaffLeadOutput if self.request.user.is_staff else LeadOutput

    def get_queryset(self):
        leads = selectors.lead_list(status=self.request.query_params.get("status") or None).order_by(
            "-created_at", "-id"
        )
        if self.request.user.is_staff:
            leads = leads.prefetch_related("offers")
        return leads

    def get_object(self):
        try:
            return super().get_object()
        except Lead.DoesNotExist as error:
            raise Http404 from error

    @extend_schema(request=LeadInput, responses={201: StaffLeadOutput})
    def create(self, request):
        if not request.user.is_staff:
            raise PermissionDenied("Leads are entered by the partner team.")
        data = LeadInput(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_create(data=dict(data.validated_data), by=request.user, source=Lead.Source.API)
        return Response(self.get_serializer(self.get_queryset().get(pk=lead.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AcceptInput, responses={201: AcceptOutput})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        lead = self.get_object()
        if request.user.partner_id is None:
            raise PermissionDenied("Partner users accept the leads offered to them.")
        data = AcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        deal = services.lead_accept(lead=lead, by=request.user, data=dict(data.validated_data))
        return Response({"deal": deal.pk}, status=status.HTTP_201_CREATED)

    @extend_schema(request=DeclineInput, responses={200: LeadOutput})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        lead = self.get_object()
        if request.user.partner_id is None:
            raise PermissionDenied("Partner users decline the leads offered to them.")
        data = DeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        lead = services.lead_decline(lead=lead, by=request.user, reason=data.validated_data["reason"])
        onward = "goes to another partner" if lead.status == lead.Status.OFFERED else "goes back to the partner team"
        return Response({"detail": f"Declined; the lead {onward}."}, status=status.HTTP_200_OK)
