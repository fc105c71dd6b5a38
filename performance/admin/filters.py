"""List filters shared by the performance admin pages."""

from datetime import date

from django.contrib import admin

from ..models import quarter_label


class QuarterFilter(admin.SimpleListFilter):
    """The quarters that exist in the list, newest first ("Q3 2026"), instead of a date filter's
    Today / Past 7 days / This month, which mean nothing for quarters."""

    title = "quarter"
    parameter_name = "quarter"

    def lookups(self, request, model_admin):
        quarters = model_admin.get_queryset(request).order_by("-quarter").values_list("quarter", flat=True).distinct()
        return [(quarter.isoformat(), quarter_label(quarter)) for quarter in quarters]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return queryset.none()  # a hand-typed address: nothing matches, no error page
        return queryset.filter(quarter=day)
