"""Portal pages of lead distribution: the leads offered to the organization, a lead with its
Accept and Decline forms; the contact details only once accepted."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render

from prm.errors import StateConflict, error_messages, form_errors_from
from prm.portal import partner_required

from ..forms.leads import LeadAcceptForm, LeadDeclineForm
from ..models import Lead
from ..selectors import leads as selectors
from ..services import leads as services

PAGE_SIZE = 20


def _lead(request, pk) -> Lead:
    lead = selectors.lead_list().filter(pk=pk).first()
    if lead is None:
        raise Http404("No such lead.")
    return lead


@partner_required
def lead_list(request):
    # Those waiting for an answer first, the most urgent on top; then the accepted ones.
    leads = selectors.lead_list().order_by(F("accept_by").asc(nulls_last=True), "-created_at", "-id")
    page = Paginator(leads, PAGE_SIZE).get_page(request.GET.get("page"))
    for lead in page.object_list:
        lead.hours_left = selectors.hours_left(lead.accept_by)
    return render(
        request,
        "marketing/leads/list.html",
        {
            "page": page,
            "query": "",
            "partner": request.partner,
            "past": selectors.past_answers(partner_id=request.partner.pk),
        },
    )


def _detail(request, lead, *, accept_form=None, decline_form=None, status=200):
    offered = lead.status == Lead.Status.OFFERED and lead.pending_offer_id is not None
    initial = {"products": lead.product_interest}
    return render(
        request,
        "marketing/leads/detail.html",
        {
            "lead": lead,
            "partner": request.partner,
            "offered": offered,
            "hours_left": selectors.hours_left(lead.accept_by),
            "show_contact": selectors.contact_visible(lead, request.partner.pk),
            "accept_form": (accept_form or LeadAcceptForm(initial=initial)) if offered else None,
            "decline_form": (decline_form or LeadDeclineForm()) if offered else None,
        },
        status=status,
    )


def _refused(request, lead, error):
    for message in error_messages(error):
        messages.error(request, message)
    return redirect("leads:detail", pk=lead.pk)


@partner_required
def lead_detail(request, pk):
    return _detail(request, _lead(request, pk))


@partner_required
def lead_accept(request, pk):
    lead = _lead(request, pk)
    if request.method != "POST":  # a bookmarked or reloaded answer page: the lead itself
        return redirect("leads:detail", pk=lead.pk)
    form = LeadAcceptForm(request.POST)
    if form.is_valid():
        try:
            deal = services.lead_accept(lead=lead, by=request.user, data=form.cleaned_data)
        except StateConflict as error:
            return _refused(request, lead, error)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "The lead is yours: it is now an approved, protected deal registration.")
            return redirect("deals:detail", pk=deal.pk)
    return _detail(request, lead, accept_form=form)


@partner_required
def lead_decline(request, pk):
    lead = _lead(request, pk)
    if request.method != "POST":
        return redirect("leads:detail", pk=lead.pk)
    form = LeadDeclineForm(request.POST)
    if form.is_valid():
        try:
            services.lead_decline(lead=lead, by=request.user, reason=form.cleaned_data["reason"])
        except StateConflict as error:
            return _refused(request, lead, error)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            lead.refresh_from_db()
            onward = (
                "It goes to another partner."
                if lead.status == Lead.Status.OFFERED
                else "It goes back to the partner team."
            )
            messages.success(request, f"You declined the lead {lead.company}. {onward}")
            return redirect("leads:list")
    return _detail(request, lead, decline_form=form)
