"""API of tier reviews, for managers: the proposals with their reasons, and the decisions.

As for the other staff-only resources, the list answers 403 to everyone but managers and program
admins (finance and partner users included), and a single review is simply not found (404) for
them, as any object outside the caller's scope."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from prm.api import ScopedGenericViewSet
from prm.roles import MANAGER_ROLES
from prm.text import REASON_MAX

from ..models import TierReview
from ..selectors.tier_reviews import tier_review_list
from ..services import tier_reviews as services

ALL = "all"


class IsManager(BasePermission):
    message = "Only partner managers and admins work with tier reviews."

    def has_permission(self, request, view):
        if view.detail:
            return request.user.is_authenticated
        return request.user.is_authenticated and request.user.role in MANAGER_ROLES


PartnerRef = inline_serializer("TierReviewPartner", {"id": serializers.IntegerField(), "name": serializers.CharField()})


class TierReviewSerializer(serializers.ModelSerializer):
    partner = serializers.SerializerMethodField()
    current_tier = serializers.CharField(source="current_tier.name", default=None, read_only=True)
    proposed_tier = serializers.CharField(source="proposed_tier.name", default=None, read_only=True)
    reasons = serializers.ListField(child=serializers.CharField(), read_only=True)
    decided_by = serializers.EmailField(source="decided_by.email", default=None, read_only=True)

    class Meta:
        model = TierReview
        fields = [
            "id",
            "partner",
            "current_tier",
            "proposed_tier",
            "reasons",
            "direction",
            "status",
            "evaluated_on",
            "proposed_at",
            "decided_at",
            "decided_by",
            "decision_note",
        ]

    @extend_schema_field(PartnerRef)
    def get_partner(self, review) -> dict:
        return {"id": review.partner_id, "name": review.partner.name}


class ApplySerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=REASON_MAX, help_text="Added to the partner's e-mail."
    )


class DismissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX, help_text="Kept with the review; the partner is not told.")


class TierReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Tier changes the evaluation proposed, with the reasons in words; managers apply (the tier
    changes, with history, and the partner is told) or dismiss them (with a reason)."""

    serializer_class = TierReviewSerializer
    permission_classes = [IsManager]

    def get_queryset(self):
        if self.request.user.role not in MANAGER_ROLES:
            return TierReview.objects.none()
        if self.action != "list":
            return tier_review_list()
        params = self.request.query_params
        # The list is of the proposals waiting for a decision unless asked otherwise.
        status = params.get("status") or TierReview.Status.PROPOSED
        return tier_review_list(status=None if status == ALL else status, direction=params.get("direction"))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=[*TierReview.Status.values, ALL],
                default=TierReview.Status.PROPOSED,
                description="The proposals waiting for a decision by default; one status, or `all`.",
            ),
            OpenApiParameter("direction", str, enum=TierReview.Direction.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _respond(self, review):
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(request=ApplySerializer, responses={200: TierReviewSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        """Apply: 409 when the review is decided already or the partner's tier changed since."""
        review = self.get_object()
        data = ApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(services.tier_review_apply(review=review, by=request.user, **data.validated_data))

    @extend_schema(request=DismissSerializer, responses={200: TierReviewSerializer})
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        review = self.get_object()
        data = DismissSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(
            services.tier_review_dismiss(review=review, by=request.user, reason=data.validated_data["reason"])
        )
