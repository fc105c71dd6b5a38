"""The API kernel: base views that run in the caller's scope, pagination and the error format.

Every view under /api/v1/ derives from ``ScopedAPIView`` or ``ScopedGenericViewSet`` (a test walks
the URL configuration and fails otherwise). Pagination is in prm.pagination, which DRF imports
while it loads (a module of its own avoids a circular import). DRF authenticates tokens inside the view, after
the middleware chose a scope for the (then anonymous) request, so the view enters the scope of
the authenticated user itself before anything else runs.
"""

from rest_framework import serializers, viewsets
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import api_error
from .scoping import scope_for


class ScopedViewMixin:
    def initial(self, request, *args, **kwargs):
        self.perform_authentication(request)
        self._scope = scope_for(request.user)
        self._scope.__enter__()
        super().initial(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        self._scope = None
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            if self._scope is not None:
                self._scope.__exit__(None, None, None)
                self._scope = None


class FileNegotiation(BaseContentNegotiation):
    """For endpoints that answer with a file (PDF, ZIP, CSV): any Accept header is fine; errors
    are still JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ScopedAPIView(ScopedViewMixin, APIView):
    pass


class ScopedGenericViewSet(ScopedViewMixin, viewsets.GenericViewSet):
    lookup_value_converter = "int"


class FlatListField(serializers.ListField):
    """A list whose item errors read "Item 2: ..." in the field's flat list of messages."""

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except ValidationError as error:
            if isinstance(error.detail, dict):
                raise ValidationError(
                    [
                        f"Item {int(index) + 1}: {message}"
                        for index, messages in error.detail.items()
                        for message in messages
                    ]
                ) from error
            raise


# Failed token sign-ins are counted like allauth counts failed sign-ins on its login page, by
# allauth's own rate-limit code in the same shared cache (its internal module: the public
# ``allauth.core.ratelimit`` reads only allauth's settings): per account *and* client address, so an
# attacker who guesses one account's password locks only that account, from that address; and per
# address, with a looser cap, so one address cannot try many accounts. A good sign-in gives its
# count back, so people in one office who type their password right are never refused.
SIGN_IN_FAILED_ACCOUNT = "api_token_failed_account"
SIGN_IN_FAILED_ADDRESS = "api_token_failed_address"


def _allauth_rate(drf_rate: str, per: str) -> str:
    """DRF's ``"10/min"`` as allauth's ``"10/60s/key"``."""
    amount, duration = SimpleRateThrottle.parse_rate(None, drf_rate)
    return f"{amount}/{duration}s/{per}"


def sign_in_rates() -> dict[str, str]:
    rates = api_settings.DEFAULT_THROTTLE_RATES
    return {
        SIGN_IN_FAILED_ACCOUNT: _allauth_rate(rates["login"], "key"),
        SIGN_IN_FAILED_ADDRESS: _allauth_rate(rates.get("login_address") or "100/min", "ip"),
    }


class SignInAttempt:
    """One token sign-in attempt, counted as a failure until ``succeeded()`` gives it back."""

    def __init__(self, usages):
        self._usages = usages

    def succeeded(self) -> None:
        for usage in self._usages:
            usage.rollback()


def sign_in_attempt(request, *, email: str) -> SignInAttempt:
    """Count a sign-in attempt for ``email`` from the request's client address, or answer 429
    when that account (from this address) or this address has failed too often."""
    from allauth.account.adapter import get_adapter
    from allauth.core.internal import ratelimit

    request = getattr(request, "_request", request)
    address = get_adapter(request).get_client_ip(request)
    config = sign_in_rates()
    usages = []
    for action, key, refusal in (
        (
            SIGN_IN_FAILED_ACCOUNT,
            f"{email.lower()}|{address}",
            "Too many failed sign-ins for this account from your address.",
        ),
        (SIGN_IN_FAILED_ADDRESS, None, "Too many failed sign-ins from your address."),
    ):
        usage = ratelimit.consume(request, app="prm.api", action=action, config=config, key=key)
        if usage is None:
            wait = ratelimit.parse_rate(config[action]).duration
            raise Throttled(wait=wait, detail=f"{refusal} Try again later.")
        usages.extend(usage.usage)
    return SignInAttempt(usages)


def exception_handler(exc, context):
    """DRF's handler, with every 400 shaped as ``{"field": ["message", ...]}``.

    Services refuse with the kernel's errors (``prm.errors``), which map to 400 and 409 there.
    """
    refusal = api_error(exc)
    if refusal is not None:
        code, body = refusal
        return Response(body, status=code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError) and not isinstance(response.data, dict):
        response.data = {"non_field_errors": response.data}
    return response


class PreparingSerializer(serializers.Serializer):
    """202 of a document a worker is still preparing (a PDF, a ZIP): ask again after Retry-After."""

    detail = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.CharField(required=False)
