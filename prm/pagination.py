from django.conf import settings
from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """``{"count","next","previous","results"}`` with ``page`` and ``page_size`` (at most 200)."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        if self.page_size_query_param in request.query_params:
            raw = request.query_params[self.page_size_query_param]
            if not raw.isdigit() or int(raw) < 1:
                raise ValidationError({"page_size": ["Must be a whole number from 1 to 200."]})
            if int(raw) > self.max_page_size:
                raise ValidationError({"page_size": [f"At most {self.max_page_size}."]})
        return super().get_page_size(request) or settings.REST_FRAMEWORK["PAGE_SIZE"]
