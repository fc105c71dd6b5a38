"""API: token sign-in, the caller (`me/`), partner organizations."""

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from prm.api import LoginRateThrottle, ScopedAPIView, ScopedGenericViewSet

from . import selectors
from .models import Partner


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, write_only=True)


class TokenView(ScopedAPIView):
    """Exchange e-mail and password for an API token (`Authorization: Token <token>`)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request, email=data.validated_data["email"].lower(), password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": ["E-mail or password is not correct."]})
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
        partner = selectors.partner_list().filter(pk=user.partner_id).first() if user.partner_id else None
        return Response(MeSerializer({"email": user.email, "role": user.role, "partner": partner}).data)


class PartnerSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier.name", default=None, read_only=True)

    class Meta:
        model = Partner
        fields = ["id", "name", "status", "tier", "partner_type", "country", "website"]


class PartnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Partner organizations: staff see all, a partner user sees its own."""

    serializer_class = PartnerSerializer

    def get_queryset(self):
        return selectors.partner_list()

