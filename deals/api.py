"""API of deal registration: partners register and follow deals; managers decide and close."""

from decimal import Decimal

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from prm.api import FlatListField, ScopedGenericViewSet
from prm.errors import StateConflict
from prm.text import NOTES_MAX, REASON_MAX, validate_multiline_text, validate_plain_text

from . import selectors, services
from .models import DealRegistration, ExtensionRequest


class DealCreateSerializer(serializers.Serializer):
    customer_name = serializers.CharField(max_length=200, validators=[validate_plain_text])
    customer_domain = serializers.CharField(max_length=253)
    customer_country = serializers.CharField(max_length=2, min_length=2)
    customer_contact_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default="", validators=[validate_plain_text]
    )
    customer_contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.CharField(max_length=3, min_length=3)
    expected_close_date = serializers.DateField()
    products = FlatListField(child=serializers.CharField(max_length=100), max_length=50, required=False, default=list)
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTES_MAX, validators=[validate_multiline_text]
    )

    def validate_customer_country(self, value):
        return value.upper()


class ConflictSerializer(serializers.Serializer):
    """Staff only: which registration this one clashes with, and why."""

    deal = serializers.IntegerField(source="other_id")
    partner = serializers.SerializerMethodField()
    kind = serializers.CharField()
    score = serializers.IntegerField()
    reason = serializers.CharField()

    @extend_schema_field(
        inline_serializer("ConflictPartner", {"id": serializers.IntegerField(), "name": serializers.CharField()})
    )
    def get_partner(self, match):
        return {"id": match.other.partner_id, "name": match.other.partner.name}


class DealSerializer(serializers.ModelSerializer):
    customer_country = serializers.CharField()
    registered_by = serializers.SerializerMethodField()

    class Meta:
        model = DealRegistration
        fields = [
            "id",
            "partner",
            "status",
            "protected_until",
            "in_conflict_review",
            "customer_name",
            "customer_domain",
            "customer_country",
            "customer_contact_name",
            "customer_contact_email",
            "amount",
            "currency",
            "expected_close_date",
            "products",
            "notes",
            "rejection_reason",
            "final_amount",
            "closed_on",
            "registered_by",
            "submitted_at",
            "created_at",
        ]

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_registered_by(self, deal):
        return deal.registered_by.email if deal.registered_by_id else None


class StaffDealSerializer(DealSerializer):
    conflicts = ConflictSerializer(many=True, read_only=True)

    class Meta(DealSerializer.Meta):
        fields = [*DealSerializer.Meta.fields, "conflicts"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["won", "lost"])
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    closed_on = serializers.DateField(required=False, allow_null=True)


class GrantSerializer(serializers.Serializer):
    protected_until = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=REASON_MAX)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=REASON_MAX)


class DealViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Deal registrations: staff see all (with conflicts); partner users see their organization's."""

    def get_serializer_class(self):
        return StaffDealSerializer if self.request.user.is_staff else DealSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.deal_list(
            status=params.get("status"), search=params.get("search"), with_conflicts=self.request.user.is_staff
        )

    @extend_schema(
        parameters=[OpenApiParameter("status", str), OpenApiParameter("search", str)],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=DealCreateSerializer, responses={201: DealSerializer})
    def create(self, request):
        if request.user.partner_id is None:
            raise PermissionDenied("Only partner users register deals.")
        data = DealCreateSerializer(data=request.data)
        if not data.is_valid():
            # Name every invalid field at once: the fields that parsed are checked by the rules too.
            parsed = {}
            for name, field in data.fields.items():
                if name not in data.errors and name in request.data:
                    try:
                        value = field.run_validation(request.data[name])
                        parsed[name] = getattr(data, f"validate_{name}", lambda v: v)(value)
                    except serializers.ValidationError:
                        pass
            rule_errors = services.deal_field_errors(partner=request.user.partner, data=parsed)
            raise serializers.ValidationError({**rule_errors, **data.errors})
        deal = services.deal_submit(partner=request.user.partner, user=request.user, data=data.validated_data)
        return Response(DealSerializer(deal).data, status=status.HTTP_201_CREATED)

    def _respond(self, deal):
        deal = self.get_queryset().get(pk=deal.pk)
        return Response(self.get_serializer(deal).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._respond(services.deal_approve(deal=self.get_object(), by=request.user))

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        deal = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(services.deal_reject(deal=deal, by=request.user, reason=data.validated_data["reason"]))

    @extend_schema(request=CloseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        deal = self.get_object()
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(services.deal_close(deal=deal, by=request.user, **data.validated_data))

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="reverse-win")
    def reverse_win(self, request, pk=None):
        deal = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.deal_reverse_win(deal=deal, by=request.user, reason=data.validated_data["reason"])
        )

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="request-extension")
    def request_extension(self, request, pk=None):
        deal = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.extension_request(deal=deal, by=request.user, reason=data.validated_data["reason"])
        return Response({"status": "pending"}, status=status.HTTP_201_CREATED)

    def _pending_request(self, deal):
        pending = selectors.extension_requests(deal).filter(status=ExtensionRequest.Status.PENDING).first()
        if pending is None:
            raise StateConflict("This deal has no pending extension request.")
        return pending

    @extend_schema(request=GrantSerializer)
    @action(detail=True, methods=["post"], url_path="grant-extension")
    def grant_extension(self, request, pk=None):
        deal = self.get_object()
        data = GrantSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.extension_grant(request=self._pending_request(deal), by=request.user, **data.validated_data)
        return self._respond(deal)

    @extend_schema(request=NoteSerializer)
    @action(detail=True, methods=["post"], url_path="refuse-extension")
    def refuse_extension(self, request, pk=None):
        deal = self.get_object()
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.extension_refuse(
            request=self._pending_request(deal), by=request.user, note=data.validated_data["note"]
        )
        return self._respond(deal)
