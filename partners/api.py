"""API: token sign-in, the caller (`me/`), partner organizations."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from prm.api import FlatListField, ScopedAPIView, ScopedGenericViewSet, sign_in_attempt
from prm.text import MESSAGE_MAX, REASON_MAX, validate_multiline_text

from . import selectors, services
from .models import MAX_SPECIALIZATIONS, Application, Partner


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, write_only=True, max_length=4096)


class TokenView(ScopedAPIView):
    """Exchange e-mail and password for an API token (`Authorization: Token <token>`).

    Failed attempts are limited per account and client address, and per address (429 past
    either); a good sign-in is never counted (``prm.api.sign_in_attempt``).
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].lower()
        attempt = sign_in_attempt(request, email=email)
        user = authenticate(request._request, email=email, password=data.validated_data["password"])
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": ["E-mail or password is not correct."]})
        attempt.succeeded()
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class PartnerRefSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier.name", default=None, read_only=True)

    class Meta:
        model = Partner
        fields = ["id", "name", "tier"]


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.CharField()
    partner = PartnerRefSerializer(allow_null=True)


class MeView(ScopedAPIView):
    """The signed-in user: e-mail, role and organization (null for staff)."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        partner = selectors.partner_of(user) if user.partner_id else None
        return Response(MeSerializer({"email": user.email, "role": user.role, "partner": partner}).data)


class OnboardingTaskSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    done = serializers.BooleanField()


class OnboardingSerializer(serializers.Serializer):
    progress_percent = serializers.IntegerField()
    tasks = OnboardingTaskSerializer(many=True)


class PartnerSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier.name", default=None, read_only=True)
    country = serializers.CharField()
    onboarding = serializers.SerializerMethodField()

    class Meta:
        model = Partner
        fields = ["id", "name", "status", "tier", "partner_type", "country", "website", "onboarding"]

    @extend_schema_field(OnboardingSerializer)
    def get_onboarding(self, partner):
        tasks = list(partner.onboarding_tasks.all())  # prefetched by the selector
        return {
            "progress_percent": selectors.progress_percent(tasks),
            "tasks": [{"key": t.key, "title": t.title, "done": t.done} for t in tasks],
        }


class PartnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Partner organizations: staff see all, a partner user sees its own."""

    serializer_class = PartnerSerializer

    def get_queryset(self):
        return selectors.partner_list()


class ApplicationRateThrottle(AnonRateThrottle):
    scope = "applications"


class ApplicationCreateSerializer(serializers.ModelSerializer):
    specializations = FlatListField(
        child=serializers.CharField(max_length=60), max_length=MAX_SPECIALIZATIONS, required=False, default=list
    )
    message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MESSAGE_MAX, validators=[validate_multiline_text]
    )

    class Meta:
        model = Application
        fields = [
            "company_name",
            "website",
            "country",
            "partner_type",
            "employees",
            "annual_revenue",
            "specializations",
            "contact_name",
            "contact_email",
            "message",
        ]


class ApplicationSerializer(serializers.ModelSerializer):
    country = serializers.CharField()

    class Meta:
        model = Application
        fields = [
            "id",
            "status",
            "company_name",
            "website",
            "country",
            "partner_type",
            "employees",
            "annual_revenue",
            "specializations",
            "contact_name",
            "contact_email",
            "free_mail_contact",
            "message",
            "fit_score",
            "score_breakdown",
            "disqualified",
            "disqualification_reason",
            "duplicate_of",
            "duplicate_partner",
            "owner",
            "rejection_reason",
            "partner",
            "created_at",
            "decided_at",
        ]


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX)


class ApplicationViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet
):
    """Applications: anyone applies; staff read them; managers approve or reject."""

    serializer_class = ApplicationSerializer

    def get_permissions(self):
        return [AllowAny()] if self.action == "create" else super().get_permissions()

    def get_throttles(self):
        return [ApplicationRateThrottle()] if self.action == "create" else super().get_throttles()

    def get_queryset(self):
        return selectors.application_list(user=self.request.user, status=self.request.query_params.get("status"))

    @extend_schema(
        request=ApplicationCreateSerializer,
        responses={
            201: inline_serializer(
                "ApplicationCreated", {"id": serializers.IntegerField(), "status": serializers.CharField()}
            )
        },
    )
    def create(self, request):
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.application_submit(data=data.validated_data)
        return Response({"id": application.pk, "status": application.status}, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "ApplicationApproved", {"status": serializers.CharField(), "partner": serializers.IntegerField()}
            )
        },
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        partner = services.application_approve(application=self.get_object(), by=request.user)
        return Response({"status": Application.Status.APPROVED, "partner": partner.pk})

    @extend_schema(
        request=RejectSerializer,
        responses={200: inline_serializer("ApplicationRejected", {"status": serializers.CharField()})},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        application = self.get_object()
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.application_reject(application=application, by=request.user, reason=data.validated_data["reason"])
        return Response({"status": Application.Status.REJECTED})
