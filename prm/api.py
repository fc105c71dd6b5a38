"""The API kernel: base views that run in the caller's scope, pagination and the error format.

Every view under /api/v1/ derives from ``ScopedAPIView`` or ``ScopedGenericViewSet`` (a test walks
the URL configuration and fails otherwise). Pagination is in prm.pagination, which DRF imports
while it loads (a module of its own avoids a circular import). DRF authenticates tokens inside the view, after
the middleware chose a scope for the (then anonymous) request, so the view enters the scope of
the authenticated user itself before anything else runs.
"""

from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
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
                    [f"Item {int(index) + 1}: {message}" for index, messages in error.detail.items() for message in messages]
                ) from error
            raise


class LoginRateThrottle(AnonRateThrottle):
    """Sign-in attempts per client address, counted apart from other anonymous calls."""

    scope = "login"


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
