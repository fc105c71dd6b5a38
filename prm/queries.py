"""Query helpers every app's lists use."""

from django.db.models import F, Func, IntegerField, QuerySet, Subquery


def count_subquery(queryset: QuerySet, *, distinct: str | None = None) -> Subquery:
    """How many rows ``queryset`` has (or how many different values of the field ``distinct``), as
    a subquery to annotate a list with (filter it on ``OuterRef("pk")``). Unlike ``Count`` over
    several relations, it joins nothing to the list's rows, so one relation's rows never multiply
    another's: counting attempts and certifications of a course stays one row per course."""
    if distinct:
        counted = Func(F(distinct), function="COUNT", template="%(function)s(DISTINCT %(expressions)s)")
    else:
        counted = Func(F("pk"), function="COUNT")
    return Subquery(queryset.order_by().annotate(n=counted).values("n")[:1], output_field=IntegerField())
