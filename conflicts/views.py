"""Portal pages of conflicts and disputes: the organization's cases, a case with its thread
(its own side only), opening a dispute, replying, answering evidence requests, reopening, and
downloading attachments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from prm.errors import StateConflict, error_messages, form_errors_from
from prm.portal import partner_required
from prm.uploads import content_type_of

from . import selectors, services
from .forms import CaseFilterForm, DisputeForm, EvidenceForm, ReopenForm, ReplyForm
from .models import Case, CaseAttachment, EvidenceRequest

PAGE_SIZE = 20


def _case(request, pk) -> Case:
    return get_object_or_404(selectors.case_list(user=request.user), pk=pk)


@partner_required
def case_list(request):
    filters = CaseFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] or None if filters.is_valid() else None
    page = Paginator(selectors.case_list(user=request.user, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "conflicts/list.html",
        {"page": page, "filters": filters, "query": query.urlencode(), "partner": request.partner},
    )


@partner_required
def case_new(request):
    form = DisputeForm(
        request.POST or None,
        request.FILES or None,
        deals=selectors.deals_to_dispute(request.partner),
        lines=selectors.lines_to_dispute(request.partner),
        initial={
            "deal": request.GET.get("deal"),
            "commission_line": request.GET.get("line"),
            "kind": "deal_dispute"
            if request.GET.get("deal")
            else "commission_dispute"
            if request.GET.get("line")
            else None,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open_dispute(partner=request.partner, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, f"Case #{case.pk} is open. A partner manager will answer here.")
            return redirect("conflicts:detail", pk=case.pk)
    return render(request, "conflicts/new.html", {"form": form, "partner": request.partner})


def _detail(request, case, *, reply_form=None, reopen_form=None, evidence_forms=None):
    requests = selectors.evidence_requests(case, user=request.user)
    evidence_forms = evidence_forms or {}
    open_requests = [
        (r, evidence_forms.get(r.pk) or EvidenceForm(prefix=f"evidence-{r.pk}"))
        for r in requests
        if r.status == EvidenceRequest.Status.REQUESTED and not case.is_resolved
    ]
    outcome = next(iter(selectors.outcomes(case)), None) if case.is_resolved else None
    reopen_until = selectors.reopen_until(case)
    can_reopen = reopen_until is not None and timezone.now() <= reopen_until
    return render(
        request,
        "conflicts/detail.html",
        {
            "case": case,
            "thread": selectors.case_thread(case, user=request.user),
            "registrations": selectors.contested_registrations(case),
            "open_requests": open_requests,
            "answered_requests": [r for r in requests if r.status == EvidenceRequest.Status.ANSWERED],
            "outcome": outcome,
            "awarded_to_you": outcome is not None
            and outcome.awarded_deal_id is not None
            and outcome.awarded_deal.partner_id == request.partner.pk,
            "split_to_you": selectors.split_for(outcome, partner=request.partner) if outcome else None,
            "timeline": selectors.case_timeline(case),
            "reply_form": None if case.is_resolved else (reply_form or ReplyForm()),
            "reopen_form": (reopen_form or ReopenForm()) if can_reopen else None,
            "reopen_until": reopen_until,
            "partner": request.partner,
        },
    )


def _refused(request, case, error):
    """A refusal of the case's state (resolved, or the request answered, since the page was
    loaded): the form it came from is no longer shown, so the case page says it on top."""
    for message in error_messages(error):
        messages.error(request, message)
    return redirect("conflicts:detail", pk=case.pk)


@partner_required
def case_detail(request, pk):
    return _detail(request, _case(request, pk))


@require_POST
@partner_required
def case_reply(request, pk):
    case = _case(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.case_post_message(case=case, by=request.user, **form.cleaned_data)
        except StateConflict as error:  # resolved meanwhile: the page has no reply form to show it on
            return _refused(request, case, error)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Your message is sent to your partner manager.")
            return redirect("conflicts:detail", pk=case.pk)
    return _detail(request, case, reply_form=form)


@require_POST
@partner_required
def case_reopen(request, pk):
    case = _case(request, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.case_reopen(case=case, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in error_messages(error):
                messages.error(request, message)
        else:
            messages.success(request, "The case is open again. A partner manager will look at it.")
        return redirect("conflicts:detail", pk=case.pk)
    return _detail(request, case, reopen_form=form)


@require_POST
@partner_required
def evidence_answer(request, pk, request_pk):
    case = _case(request, pk)
    evidence = get_object_or_404(EvidenceRequest.objects.filter(case=case), pk=request_pk)
    form = EvidenceForm(request.POST, request.FILES, prefix=f"evidence-{evidence.pk}")
    if form.is_valid():
        try:
            services.evidence_answer(request=evidence, by=request.user, **form.cleaned_data)
        except StateConflict as error:  # answered or resolved meanwhile: its form is no longer on the page
            return _refused(request, case, error)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Thank you: your evidence is sent. Only partner managers read it.")
            return redirect("conflicts:detail", pk=case.pk)
    return _detail(request, case, evidence_forms={evidence.pk: form})


@login_required
def attachment_download(request, pk):
    """A file of a case: staff any, partner users only those of messages with their organization
    (the scoped manager hides internal and evidence files). Always a download, never rendered."""
    try:
        attachment = selectors.attachment_for(pk)
    except CaseAttachment.DoesNotExist as error:
        raise Http404 from error
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=content_type_of(attachment.name),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
