"""Portal pages of deal registration: list, register, detail with timeline, ask for extension."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from prm.errors import error_messages, form_errors_from
from prm.portal import partner_required

from . import selectors, services
from .forms import DealFilterForm, DealForm, ExtensionRequestForm
from .models import DealRegistration, ExtensionRequest

PAGE_SIZE = 25


@partner_required
def deal_list(request):
    filters = DealFilterForm(request.GET or None)
    status = search = None
    if filters.is_valid():
        status, search = filters.cleaned_data["status"] or None, filters.cleaned_data["search"] or None
    counts = selectors.status_counts()
    paginator = Paginator(selectors.deal_list(status=status, search=search), PAGE_SIZE)
    if not search:
        # The status counts already say how many there are: no second COUNT query.
        paginator.count = counts.get(status, 0) if status else sum(counts.values())
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "deals/list.html",
        {
            "page": page,
            "filters": filters,
            "status_options": [
                (value, label, counts.get(value, 0)) for value, label in DealRegistration.Status.choices
            ],
            "query": query.urlencode(),
            "partner": request.partner,
        },
    )


def _with_rule_errors(form, partner) -> None:
    """An invalid form also names what the registration rules find in the fields that did parse
    (the customer domain, a past close date, products...), so one answer names every error."""
    for field, field_messages in services.deal_field_errors(partner=partner, data=form.cleaned_data).items():
        if field not in form.errors:
            form.add_error(field, field_messages)


def _save(request, form, draft=None):
    """Submit the form's registration, or keep it as a draft ("Save as draft" button)."""
    try:
        if request.POST.get("save") == "draft":
            deal = services.deal_save_draft(
                partner=request.partner, user=request.user, data=form.cleaned_data, deal=draft
            )
            messages.success(request, "Your draft is saved. Submit it when it is ready.")
        elif draft is not None:
            with transaction.atomic():  # a draft that fails to submit keeps its last saved state
                deal = services.deal_save_draft(
                    partner=request.partner, user=request.user, data=form.cleaned_data, deal=draft
                )
                deal = services.deal_submit_draft(deal=deal, user=request.user)
            messages.success(request, "Your deal is registered. A partner manager will review it.")
        else:
            deal = services.deal_submit(partner=request.partner, user=request.user, data=form.cleaned_data)
            messages.success(request, "Your deal is registered. A partner manager will review it.")
    except ValidationError as error:
        form_errors_from(form, error)
        return None
    return redirect("deals:detail", pk=deal.pk)


@partner_required
def deal_new(request):
    payout = getattr(request.partner, "payout_details", None)  # the partner's currency, if known
    form = DealForm(request.POST or None, default_currency=payout.currency if payout else "USD")
    if request.method == "POST":
        if form.is_valid():
            response = _save(request, form)
            if response:
                return response
        else:
            _with_rule_errors(form, request.partner)
    return render(request, "deals/new.html", {"form": form, "partner": request.partner})


@partner_required
def deal_edit(request, pk):
    draft = get_object_or_404(selectors.deal_list(), pk=pk)
    if request.method != "POST" and draft.status != DealRegistration.Status.DRAFT:
        messages.info(request, f"This registration is {draft.get_status_display().lower()}: only drafts are edited.")
        return redirect("deals:detail", pk=draft.pk)
    initial = {field: getattr(draft, field) for field in services.DEAL_FIELDS}
    form = DealForm(request.POST or None, initial=initial, default_currency=draft.currency)
    if request.method == "POST":
        # A registration submitted meanwhile (a double click) is refused by the service, on the form.
        if form.is_valid():
            response = _save(request, form, draft=draft)
            if response:
                return response
        else:
            _with_rule_errors(form, request.partner)
    return render(request, "deals/new.html", {"form": form, "partner": request.partner, "draft": draft})


@require_POST
@partner_required
def deal_discard(request, pk):
    draft = get_object_or_404(selectors.deal_list(), pk=pk)
    try:
        services.deal_discard_draft(deal=draft, user=request.user)
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
        return redirect("deals:detail", pk=draft.pk)
    messages.success(request, f"The draft for {draft.customer_name} is discarded.")
    return redirect("deals:list")


@partner_required
def deal_detail(request, pk):
    deal = get_object_or_404(selectors.deal_list(), pk=pk)
    requests = list(selectors.extension_requests(deal))
    can_ask = deal.status == DealRegistration.Status.APPROVED and not any(
        r.status == ExtensionRequest.Status.PENDING for r in requests
    )
    return render(
        request,
        "deals/detail.html",
        {
            "deal": deal,
            "timeline": selectors.deal_timeline(deal),
            "extension_requests": requests,
            "extension_form": ExtensionRequestForm() if can_ask else None,
            "partner": request.partner,
        },
    )


@require_POST
@partner_required
def deal_extension_request(request, pk):
    deal = get_object_or_404(selectors.deal_list(), pk=pk)
    form = ExtensionRequestForm(request.POST)
    if form.is_valid():
        try:
            services.extension_request(deal=deal, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, message)
        else:
            messages.success(request, "Your extension request is sent to your partner manager.")
    else:
        messages.error(request, "Say why the deal needs more time.")
    return redirect("deals:detail", pk=deal.pk)
