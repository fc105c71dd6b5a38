"""API of scorecards: one partner's figures over a period, ``GET partners/<id>/scorecard/``.

Staff read any partner's scorecard, partner users their own organization's: the partner is looked
up through the scoping kernel, so another organization's id and an unknown id are both 404.
Every figure comes from ``performance.selectors.scorecards`` (a fixed number of grouped queries).
"""

from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from partners.models import Partner
from prm.api import ScopedAPIView

from ..selectors.scorecards import Scorecard, money_list, scorecard

# Periods are read within these days: a date far outside them is a typo, and the day after the
# last one must still be a date (periods end at the next day's midnight).
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
# Output only: no digit limit (a sum of many deals may have more digits than one deal's amount).
PERCENT = {"max_digits": None, "decimal_places": 1, "allow_null": True}


class ScorecardInputSerializer(serializers.Serializer):
    """The period: both days included. Omitted, the period is the calendar year to date: ``end``
    is today and ``start`` the first of January of ``end``'s year."""

    start = serializers.DateField(required=False, help_text="First day (YYYY-MM-DD); default 1 January of end's year.")
    end = serializers.DateField(required=False, help_text="Last day (YYYY-MM-DD), included; default today.")

    def validate(self, data):
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end.replace(month=1, day=1)
        for field, day in (("start", start), ("end", end)):
            if not EARLIEST <= day <= LATEST:
                raise serializers.ValidationError(
                    {field: [f"Give a day from {EARLIEST.isoformat()} to {LATEST.isoformat()}."]}
                )
        if end < start:
            said = "" if "end" in data else " (end defaults to today)"
            raise serializers.ValidationError(
                {"end": [f"The period ends on or after its start, {start.isoformat()}{said}."]}
            )
        return {"start": start, "end": end}


class ScorecardMoneySerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217")
    amount = serializers.DecimalField(max_digits=None, decimal_places=2)


class ScorecardTargetSerializer(serializers.Serializer):
    """The period's target, from every target that overlaps the asked period: won revenue and
    deals won count each target for the share of its days inside the period (overlap days /
    target days, rounded half up), summed; certified users is the highest overlapping target.
    Each figure is null where no overlapping target sets it."""

    won_revenue = ScorecardMoneySerializer(
        many=True,
        allow_null=True,
        help_text="Prorated won revenue target: one item in the program currency, or null.",
    )
    new_deals = serializers.DecimalField(
        max_digits=None,
        decimal_places=1,
        allow_null=True,
        help_text='Prorated deals won target, a string with one decimal ("198.9"), or null.',
    )
    certified_users = serializers.IntegerField(
        allow_null=True, help_text="The highest certified users target among the overlapping ones (not prorated)."
    )


class ScorecardAttainmentSerializer(serializers.Serializer):
    """Each target's attainment in percent with one decimal ("84.0"; above "100.0" when exceeded);
    null where no target sets the figure, the target is zero, or (won revenue) a currency has no
    exchange rate."""

    won_revenue = serializers.DecimalField(**PERCENT)
    new_deals = serializers.DecimalField(**PERCENT)
    certified_users = serializers.DecimalField(**PERCENT)


class ScorecardOutputSerializer(serializers.Serializer):
    """A partner's scorecard. Money is per currency ``[{"currency", "amount"}]``; percents, days
    and hours are strings with one decimal, null when there is nothing to compute them from."""

    partner = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()
    program_currency = serializers.CharField()
    won_revenue = ScorecardMoneySerializer(
        many=True, help_text="Deals won (closed) in the period, at their final amounts."
    )
    won_revenue_total = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        allow_null=True,
        help_text="Won revenue in the program currency at finance's rates of the period's last day; "
        "null when a currency has no rate (listed in missing_rates).",
    )
    missing_rates = serializers.ListField(child=serializers.CharField())
    pipeline = ScorecardMoneySerializer(
        many=True, help_text="Registrations submitted by the period's end and still open now."
    )
    registrations = serializers.IntegerField(help_text="Registrations submitted in the period.")
    won_deals = serializers.IntegerField()
    lost_deals = serializers.IntegerField()
    win_rate = serializers.DecimalField(**PERCENT, help_text="Percent of the deals closed in the period that were won.")
    avg_deal_size = ScorecardMoneySerializer(many=True)
    avg_days_to_close = serializers.DecimalField(**PERCENT, help_text="Submitted to won, deals won in the period.")
    avg_approval_hours = serializers.DecimalField(
        **PERCENT, help_text="Submitted to approved, deals approved in the period."
    )
    certified_users = serializers.IntegerField(help_text="Users with a current certification at the period's end.")
    course_completions = serializers.IntegerField(help_text="Certifications issued in the period.")
    content_downloads = serializers.IntegerField()
    open_cases = serializers.IntegerField(help_text="Cases the partner is in, open at the period's end.")
    open_disputes = serializers.IntegerField(help_text="Of which disputes.")
    nps = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    nps_responses = serializers.IntegerField()
    commission_earned = ScorecardMoneySerializer(many=True, help_text="Ledger lines booked in the period.")
    commission_paid = ScorecardMoneySerializer(many=True, help_text="Statements of payout runs paid in the period.")
    target = ScorecardTargetSerializer()
    attainment = ScorecardAttainmentSerializer()
    # --- marketing: leads ---
    leads_offered = serializers.IntegerField(help_text="Leads offered to the partner in the period.")
    leads_accepted = serializers.IntegerField(help_text="Of which accepted.")
    lead_acceptance_rate = serializers.DecimalField(**PERCENT, help_text="Percent of the offered leads accepted.")
    avg_hours_to_accept = serializers.DecimalField(**PERCENT, help_text="Offered to accepted, in hours.")
    lead_conversion = serializers.DecimalField(**PERCENT, help_text="Percent of the accepted leads whose deal is won.")


def scorecard_data(card: Scorecard) -> dict:
    """The scorecard in the API's shape (the portal and the QBR may read the same dict)."""
    target = card.target
    return {
        "partner": card.partner_id,
        "start": card.start,
        "end": card.end,
        "program_currency": card.program_currency,
        "won_revenue": money_list(card.won_revenue),
        "won_revenue_total": card.won_revenue_total,
        "missing_rates": card.missing_rates,
        "pipeline": money_list(card.pipeline),
        "registrations": card.registrations,
        "won_deals": card.won_deals,
        "lost_deals": card.lost_deals,
        "win_rate": card.win_rate,
        "avg_deal_size": money_list(card.avg_deal_size),
        "avg_days_to_close": card.avg_days_to_close,
        "avg_approval_hours": card.avg_approval_hours,
        "certified_users": card.certified_users,
        "course_completions": card.course_completions,
        "content_downloads": card.content_downloads,
        "open_cases": card.open_cases,
        "open_disputes": card.open_disputes,
        "nps": card.nps,
        "nps_responses": card.nps_responses,
        "commission_earned": money_list(card.commission_earned),
        "commission_paid": money_list(card.commission_paid),
        "target": {
            "won_revenue": money_list({card.program_currency: target.won_revenue})
            if target.won_revenue is not None
            else None,
            "new_deals": target.new_deals,
            "certified_users": target.certified_users,
        },
        "attainment": card.attainment,
        # --- marketing: leads ---
        "leads_offered": card.leads_offered,
        "leads_accepted": card.leads_accepted,
        "lead_acceptance_rate": card.lead_acceptance_rate,
        "avg_hours_to_accept": card.avg_hours_to_accept,
        "lead_conversion": card.lead_conversion,
    }


class PartnerScorecardView(ScopedAPIView):
    """A partner's scorecard over a period (both days included; by default the calendar year to
    date): staff read any partner's, partner users their own organization's (404 for any other).
    A bad date, or an end before the start, is a 400 naming the field."""

    @extend_schema(
        operation_id="partners_scorecard",
        parameters=[
            OpenApiParameter(
                "start",
                OpenApiTypes.DATE,
                description="First day of the period (YYYY-MM-DD). Default: 1 January of end's year.",
            ),
            OpenApiParameter(
                "end",
                OpenApiTypes.DATE,
                description="Last day of the period, included (YYYY-MM-DD). Default: today. "
                "Without start and end the period is the calendar year to date.",
            ),
        ],
        responses={200: ScorecardOutputSerializer},
    )
    def get(self, request, pk: int):
        partner = get_object_or_404(Partner.objects.only("pk"), pk=pk)  # scoped: others' are not found
        period = ScorecardInputSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        card = scorecard(partner=partner.pk, **period.validated_data)
        return Response(ScorecardOutputSerializer(scorecard_data(card)).data)
