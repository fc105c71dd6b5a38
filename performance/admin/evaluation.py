"""The program evaluation in the admin: the costs of the program that managers and finance enter
per quarter (ProgramCost, saved through services.evaluation), and the evaluation page for
leadership, quarter by quarter, with its CSV export. Managers, finance and program admins see it
(whoever may view program costs)."""

import csv
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone

from prm.audit import AuditedAdmin
from prm.csv import csv_safe
from prm.money import currency_choices, format_money

from ..models import ProgramCost, quarter_label, quarter_start
from ..selectors.evaluation import Evaluation, QuarterEvaluation, program_evaluation
from ..services.evaluation import program_cost_save
from .filters import QuarterFilter
from .qbr import QuarterChoiceField, recent_quarters

QUARTERS_EVALUATED = 20  # five years to choose from
DEFAULT_QUARTERS = 4


class ProgramCostForm(forms.ModelForm):
    quarter = QuarterChoiceField(count=QUARTERS_EVALUATED, help_text="The quarter the cost belongs to.")
    currency = forms.ChoiceField(choices=currency_choices)

    class Meta:
        model = ProgramCost
        fields = ["quarter", "category", "description", "amount", "currency"]
        help_texts = {"description": "One line, such as “Partner summit Berlin: venue and travel”."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["quarter"].choices = recent_quarters(QUARTERS_EVALUATED, include=self.instance.quarter)
        else:
            self.fields["currency"].initial = settings.PRM_PROGRAM_CURRENCY


@admin.register(ProgramCost)
class ProgramCostAdmin(AuditedAdmin):
    form = ProgramCostForm
    list_display = ["quarter_name", "category", "description", "amount_display", "entered_by", "entered_at"]
    list_filter = [QuarterFilter, "category", "currency"]
    search_fields = ["description"]
    list_select_related = ["entered_by"]
    change_list_template = "admin/performance/programcost/change_list.html"

    @admin.display(description="quarter", ordering="quarter")
    def quarter_name(self, cost):
        return quarter_label(cost.quarter)

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, cost):
        return format_money(cost.amount, cost.currency)

    def save_model(self, request, obj, form, change):
        cost = program_cost_save(by=request.user, data=form.cleaned_data, cost=obj if change else None)
        obj.pk = cost.pk

    def get_urls(self):
        return [
            path(
                "evaluation/",
                self.admin_site.admin_view(self.evaluation_view),
                name="performance_programcost_evaluation",
            ),
            path(
                "evaluation.csv",
                self.admin_site.admin_view(self.evaluation_csv_view),
                name="performance_programcost_evaluation_csv",
            ),
            *super().get_urls(),
        ]

    def evaluation_view(self, request):
        """The evaluation of the chosen quarters (the last four by default), one row each, and totals."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form, evaluation = _evaluation_for(request)
        context = {
            **self.admin_site.each_context(request),
            "title": "Program evaluation",
            "opts": self.model._meta,
            "form": form,
            "evaluation": evaluation,
            "rows": [_row_view(row) for row in evaluation.quarters],
            "total": _row_view(evaluation.total),
            "csv_url": f"{reverse('admin:performance_programcost_evaluation_csv')}?{request.GET.urlencode()}",
        }
        return render(request, "admin/performance/evaluation.html", context)

    def evaluation_csv_view(self, request):
        """The same figures as the page, one row per quarter and a totals row, for spreadsheets."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        _, evaluation = _evaluation_for(request)
        return evaluation_csv(evaluation)


# --- the evaluation page ----------------------------------------------------------------------------


class EvaluationPeriodForm(forms.Form):
    start = QuarterChoiceField(label="From", count=QUARTERS_EVALUATED, help_text="")
    end = QuarterChoiceField(label="To", count=QUARTERS_EVALUATED, help_text="")

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The last quarter comes on or after the first.")
        return data


def default_period() -> dict:
    current = quarter_start(timezone.localdate())
    first = current
    for _ in range(DEFAULT_QUARTERS - 1):
        first = quarter_start(first - timedelta(days=1))
    return {"start": first, "end": current}


def _evaluation_for(request) -> tuple[EvaluationPeriodForm, Evaluation]:
    """The period asked for in the query string (the last four quarters when none or invalid)."""
    period = default_period()
    if "start" in request.GET or "end" in request.GET:
        form = EvaluationPeriodForm(request.GET)
        if form.is_valid():
            period = form.cleaned_data
    else:
        form = EvaluationPeriodForm(initial={k: v.isoformat() for k, v in period.items()})
    return form, program_evaluation(start=period["start"], end=period["end"])


def _money(amounts: dict) -> str:
    return " · ".join(format_money(amount, code) for code, amount in sorted(amounts.items()))


def _row_view(row: QuarterEvaluation) -> dict:
    """One row of the page's table: each figure as it reads, its breakdown and what is missing."""

    def total(value):
        return "—" if value is None else format_money(value, row.currency)

    return {
        "row": row,
        "revenue": total(row.revenue_total),
        "revenue_by_currency": _money(row.revenue) if set(row.revenue) - {row.currency} else "",
        "commissions": total(row.commissions_paid_total),
        "commissions_by_currency": _money(row.commissions_paid) if set(row.commissions_paid) - {row.currency} else "",
        "other_costs": total(row.other_costs_total),
        "other_costs_by_currency": _money(row.other_costs) if set(row.other_costs) - {row.currency} else "",
        "cost": total(row.cost_total),
        "return_on_cost": "—" if row.return_on_cost is None else f"{row.return_on_cost}×",
        "net_return": "—" if row.net_return_percent is None else f"{row.net_return_percent}%",
        "active_ratio": "—" if row.active_ratio is None else f"{row.active_ratio}%",
        "median_days": "—" if row.median_days_to_first_deal is None else f"{row.median_days_to_first_deal} days",
    }


CSV_COLUMNS = [
    "quarter",
    "start",
    "end",
    "currency",
    "partner_sourced_revenue",
    "commissions_paid",
    "other_program_costs",
    "program_cost",
    "return_on_cost",
    "net_return_percent",
    "active_partners",
    "partners_not_terminated",
    "active_partner_ratio_percent",
    "partners_activated",
    "activated_with_a_deal",
    "median_days_to_first_deal",
    "missing_exchange_rates",
]


def _cell(value):
    return "" if value is None else value


def evaluation_csv(evaluation: Evaluation) -> HttpResponse:
    """One row per quarter and a last "Total" row; money in the program currency, blank where a
    figure cannot be computed (no cost, or a missing exchange rate, named in the last column)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"program-evaluation-{evaluation.start.isoformat()}-{evaluation.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in [*evaluation.quarters, evaluation.total]:
        writer.writerow(
            [
                csv_safe(row.label),
                row.start.isoformat(),
                row.end.isoformat(),
                row.currency,
                _cell(row.revenue_total),
                _cell(row.commissions_paid_total),
                _cell(row.other_costs_total),
                _cell(row.cost_total),
                _cell(row.return_on_cost),
                _cell(row.net_return_percent),
                row.active_partners,
                row.partners,
                _cell(row.active_ratio),
                row.activated,
                row.activated_with_deal,
                _cell(row.median_days_to_first_deal),
                csv_safe(" ".join(row.missing_rates)),
            ]
        )
    return response
