"""Portal pages of market development funds: the organization's balances and requests, a new
request, a request with its timeline and ROI, withdrawing, claiming with proof of performance,
and downloading proofs. Another organization's request or proof is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from prm.errors import error_messages, form_errors_from
from prm.portal import partner_required
from prm.uploads import content_type_of

from ..forms.funds import ClaimForm, FundRequestForm
from ..models import FundClaim, FundRequest
from ..selectors import funds as selectors
from ..services import funds as services

PAGE_SIZE = 20


def _request(request, pk) -> FundRequest:
    return get_object_or_404(selectors.with_roi(selectors.fund_request_list()), pk=pk)


@partner_required
def home(request):
    allocations = [(a, selectors.balance_dict(a)) for a in selectors.allocation_balances().order_by("-period_start")]
    page = Paginator(selectors.fund_request_list().order_by("-submitted_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "marketing/funds/home.html",
        {
            "allocations": allocations,
            "page": page,
            "roi": selectors.partner_roi(
                selectors.with_roi(selectors.fund_request_list().filter(status__in=selectors.FUNDED))
            ),
            "partner": request.partner,
        },
    )


@partner_required
def new(request):
    form = FundRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.fund_request_submit(partner=request.partner, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Request #{created.pk} is submitted. A partner manager will decide it.")
            return redirect("funds:detail", pk=created.pk)
    allocations = [
        (a, selectors.balance_dict(a)) for a in selectors.allocation_balances().order_by("period_start", "currency")
    ]
    return render(
        request, "marketing/funds/new.html", {"form": form, "allocations": allocations, "partner": request.partner}
    )


def _timeline(fund_request: FundRequest, claims) -> list[tuple]:
    """(when, what) of the request's life, oldest first."""
    steps = [(fund_request.submitted_at, "Submitted")]
    if fund_request.decided_at and fund_request.status == FundRequest.Status.WITHDRAWN:
        steps.append((fund_request.decided_at, "Withdrawn"))
    elif fund_request.decided_at and fund_request.status == FundRequest.Status.REJECTED:
        steps.append((fund_request.decided_at, f"Rejected: {fund_request.decision_reason}"))
    elif fund_request.decided_at:
        steps.append((fund_request.decided_at, "Approved"))
    for claim in claims:
        steps.append((claim.submitted_at, "Claim submitted"))
        if claim.status == FundClaim.Status.APPROVED:
            steps.append((claim.decided_at, "Claim approved: reimbursed with the next payout"))
        elif claim.status == FundClaim.Status.REJECTED:
            steps.append((claim.decided_at, f"Claim refused: {claim.decision_reason}"))
    if fund_request.expired_at:
        steps.append((fund_request.expired_at, "Expired: not claimed by the deadline"))
    return sorted(steps, key=lambda step: step[0])


@partner_required
def detail(request, pk):
    fund_request = _request(request, pk)
    claims = sorted(fund_request.claims.all(), key=lambda c: (c.submitted_at, c.pk))
    today = timezone.localdate()
    can_claim = selectors.can_claim(fund_request, today=today)
    proofs = selectors.request_proofs(fund_request)
    return render(
        request,
        "marketing/funds/detail.html",
        {
            "fund_request": fund_request,
            "currency": fund_request.allocation.currency,
            "claims": claims,
            "proofs": proofs,
            "deals": [link.deal for link in fund_request.deal_links.all()],
            "timeline": _timeline(fund_request, claims),
            "roi": selectors.roi_of([fund_request])[fund_request.pk],
            "can_claim": can_claim,
            "today": today,
            "partner": request.partner,
        },
    )


@partner_required
def withdraw(request, pk):
    """GET asks for confirmation (a page: no script under the CSP); POST withdraws."""
    fund_request = _request(request, pk)
    if request.method != "POST":
        if fund_request.status != FundRequest.Status.SUBMITTED:
            messages.info(
                request, f"This request is {fund_request.get_status_display().lower()}: it cannot be withdrawn."
            )
            return redirect("funds:detail", pk=fund_request.pk)
        return render(
            request, "marketing/funds/withdraw.html", {"fund_request": fund_request, "partner": request.partner}
        )
    try:
        services.fund_request_withdraw(request=fund_request, by=request.user)
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, "The request is withdrawn.")
    return redirect("funds:detail", pk=fund_request.pk)


@partner_required
def claim(request, pk):
    fund_request = _request(request, pk)
    if request.method == "GET" and fund_request.status != FundRequest.Status.APPROVED:
        messages.info(
            request, f"This request is {fund_request.get_status_display().lower()}: there is nothing to claim."
        )
        return redirect("funds:detail", pk=fund_request.pk)
    currency = fund_request.allocation.currency
    form = ClaimForm(
        request.POST or None,
        request.FILES or None,
        deals=selectors.linkable_deals(request.partner, since=fund_request.starts_on),
        approved_amount=fund_request.approved_amount,
        currency=currency,
        initial={"amount": fund_request.approved_amount},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.fund_claim_submit(
                request=fund_request,
                by=request.user,
                amount=form.cleaned_data["amount"],
                leads_generated=form.cleaned_data["leads_generated"],
                results=form.cleaned_data["results"],
                proofs=form.cleaned_data["proofs"],
                deals=list(form.cleaned_data["deals"]),
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Your claim is submitted. Finance will review it.")
            return redirect("funds:detail", pk=fund_request.pk)
    return render(
        request,
        "marketing/funds/claim.html",
        {
            "form": form,
            "fund_request": fund_request,
            "currency": currency,
            # Linked by an earlier, refused claim: they stay linked (not offered again, not lost).
            "linked_deals": [link.deal for link in fund_request.deal_links.all()],
            "partner": request.partner,
        },
    )


@login_required
def proof(request, pk):
    """A proof file of a claim: staff any, partner users their organization's (the scoped
    manager hides the others: 404). Always a download, never rendered."""
    found = selectors.proof_of(pk)
    if found is None:
        raise Http404
    response = FileResponse(
        found.file.open("rb"), as_attachment=True, filename=found.name, content_type=content_type_of(found.name)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
