"""Pages of the partners app: the public application form and the partner portal's home,
onboarding, agreement, profile, team and payout details."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from prm.errors import StateConflict, error_messages, form_errors_from
from prm.markup import markdown_to_html
from prm.portal import partner_required
from prm.roles import Role
from prm.views import client_ip

from . import selectors, services
from .api import ApplicationRateThrottle
from .forms import (
    AgreementSignForm,
    ApplicationForm,
    InvitationAcceptForm,
    PartnerProfileForm,
    PayoutDetailsForm,
    TeamInviteForm,
)
from .models import PayoutDetails

# --- Public ------------------------------------------------------------------------------------


def apply(request):
    """The public application form (same rules as POST /api/v1/applications/)."""
    form = ApplicationForm(request.POST or None)
    if request.method == "POST":
        if not ApplicationRateThrottle().allow_request(request, None):
            messages.error(request, "Too many applications from your network. Please try again later.")
            return render(request, "partners/apply.html", {"form": form}, status=429)
        if form.is_valid():
            try:
                services.application_submit(data=form.cleaned_data)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                return redirect("apply_thanks")
    return render(request, "partners/apply.html", {"form": form})


def apply_thanks(request):
    return render(request, "partners/apply_thanks.html")


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_accept(request, token):
    invitation = services.invitation_for_token(token)
    if invitation is None or not invitation.is_usable:
        return render(request, "partners/invitation_invalid.html", {"invitation": invitation}, status=404)
    if request.user.is_authenticated:
        messages.warning(request, "Sign out first to accept an invitation for another account.")
        return redirect("home")
    form = InvitationAcceptForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["password1"], full_name=form.cleaned_data["full_name"]
            )
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to the {invitation.partner.name} partner portal.")
            if invitation.partner.status == invitation.partner.Status.ONBOARDING:
                return redirect("portal:onboarding")
            return redirect("portal:home")
    return render(request, "partners/invitation_accept.html", {"form": form, "invitation": invitation})


# --- Portal ------------------------------------------------------------------------------------


@partner_required
def portal_home(request):
    partner = request.partner
    tasks = selectors.onboarding_tasks(partner)
    return render(
        request,
        "portal/home.html",
        {
            "partner": partner,
            "team": selectors.team_list(),
            "tasks": tasks,
            "progress": selectors.progress_percent(tasks),
            "agreement_to_sign": services.agreement_needs_signature(partner),
        },
    )


@partner_required
def onboarding(request):
    partner = request.partner
    tasks = selectors.onboarding_tasks(partner)
    next_task = next((t for t in tasks if not t.done and t.required), None) or next(
        (t for t in tasks if not t.done), None
    )
    return render(
        request,
        "portal/onboarding.html",
        {
            "partner": partner,
            "tasks": tasks,
            "next_task": next_task,
            "progress": selectors.progress_percent(tasks),
            "done_count": sum(1 for t in tasks if t.done),
        },
    )


@partner_required
def agreement(request):
    """Read the current agreement; a partner admin signs it by typing their name and consenting."""
    partner = request.partner
    current = services.agreement_current()
    to_sign = services.agreement_needs_signature(partner)
    can_sign = request.user.role == Role.PARTNER_ADMIN and to_sign is not None
    form = AgreementSignForm(request.POST or None)
    if request.method == "POST":
        if request.user.role != Role.PARTNER_ADMIN:
            raise PermissionDenied("Only a partner admin signs the agreement.")
        if form.is_valid():
            try:
                services.agreement_sign(
                    partner=partner,
                    user=request.user,
                    # Signed already (a double click) or no longer current: the service says so.
                    agreement=to_sign or current,
                    signer_name=form.cleaned_data["signer_name"],
                    consent=form.cleaned_data["consent"],
                    ip=client_ip(request),
                    user_agent=request.META.get("HTTP_USER_AGENT", ""),
                )
            except StateConflict as error:
                # The page shows the agreement as it is now (signed, or replaced); say why on it.
                for message in error_messages(error):
                    messages.error(request, message)
                return redirect("portal:agreement")
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, f"Thank you: version {to_sign.version} of the agreement is signed.")
                return redirect("portal:agreement")
    return render(
        request,
        "portal/agreement.html",
        {
            "partner": partner,
            "agreement": current,
            "body_html": markdown_to_html(current.body_markdown) if current else "",
            "to_sign": to_sign,
            "can_sign": can_sign,
            "form": form,
            "signatures": selectors.agreement_signatures(partner),
        },
    )


@partner_required
def agreement_pdf(request, pk):
    """The signed PDF once a worker has stored it; until then a page that says it is being
    prepared and shows the link when it is (the render is asked for again, harmlessly)."""
    signature = get_object_or_404(selectors.agreement_signatures(request.partner), pk=pk)
    if not signature.pdf:
        services.agreement_pdf_enqueue(signature=signature)
        signature.refresh_from_db(fields=["pdf"])
    if not signature.pdf:
        return render(
            request,
            "portal/document_pending.html",
            {
                "title": f"Signed agreement, version {signature.agreement.version}",
                "status_url": reverse("portal:agreement_pdf_status", args=[signature.pk]),
                "download_url": reverse("portal:agreement_pdf", args=[signature.pk]),
                "back_url": reverse("portal:agreement"),
                "back_text": "Back to the agreement",
            },
            status=202,
        )
    return FileResponse(
        signature.pdf.open("rb"),
        as_attachment=True,
        filename=f"agreement-v{signature.agreement.version}-signed.pdf",
        content_type="application/pdf",
    )


@never_cache
@partner_required
def agreement_pdf_status(request, pk):
    """Polled by static/js/poll.js: whether the signed PDF is stored yet."""
    signature = get_object_or_404(selectors.agreement_signatures(request.partner), pk=pk)
    return JsonResponse({"ready": bool(signature.pdf), "url": reverse("portal:agreement_pdf", args=[signature.pk])})


@partner_required
def profile(request):
    partner = request.partner
    can_edit = request.user.role == Role.PARTNER_ADMIN
    form = PartnerProfileForm(request.POST or None, instance=partner)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only a partner admin edits the company profile.")
        if form.is_valid():
            data = {field: form.cleaned_data[field] for field in form.Meta.fields}
            try:
                services.partner_profile_update(partner=partner, by=request.user, data=data)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, "The company profile is saved.")
                return redirect("portal:profile")
    return render(request, "portal/profile.html", {"partner": partner, "form": form, "can_edit": can_edit})


@partner_required
def team(request):
    partner = request.partner
    is_admin = request.user.role == Role.PARTNER_ADMIN
    form = TeamInviteForm(request.POST or None)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied("Only a partner admin invites colleagues.")
        if form.is_valid():
            try:
                services.team_invite(partner=partner, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, f"An invitation was e-mailed to {form.cleaned_data['email']}.")
                return redirect("portal:team")
    return render(
        request,
        "portal/team.html",
        {
            "partner": partner,
            "members": selectors.team_list(include_inactive=is_admin),
            "invitations": selectors.open_invitations() if is_admin else [],
            "form": form,
            "is_admin": is_admin,
        },
    )


@require_POST
@partner_required
def team_member_deactivate(request, pk):
    member = get_object_or_404(selectors.team_list(include_inactive=True), pk=pk)
    try:
        services.team_member_deactivate(member=member, by=request.user)
    except ValidationError as error:
        for message in error_messages(error):
            messages.error(request, message)
    else:
        messages.success(request, f"{member.get_full_name()} can no longer sign in.")
    return redirect("portal:team")


@partner_required
def payout_details(request):
    """Where commissions are paid. Bank numbers are shown masked; "Change bank details" (``?change=bank``)
    gives empty inputs, and an input left empty keeps the stored number."""
    partner = request.partner
    if request.user.role != Role.PARTNER_ADMIN:
        raise PermissionDenied("Only a partner admin sees and changes payout details.")
    instance = selectors.payout_details_of(partner)
    changing = request.GET.get("change") == "bank" or request.POST.get("change_bank_details") in (
        "True",
        "true",
        "on",
        "1",
    )
    form = PayoutDetailsForm(
        request.POST or None, instance=instance or PayoutDetails(partner=partner), change_bank_details=changing
    )
    if request.method == "POST" and form.is_valid():
        data = {field: form.cleaned_data[field] for field in form.Meta.fields}
        try:
            services.payout_details_save(partner=partner, by=request.user, data=data)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Payout details are saved.")
            return redirect("portal:payout_details")
    # The banner shows what is stored, never what a refused form put on its instance.
    stored = selectors.payout_details_of(partner) if request.method == "POST" else instance
    return render(request, "portal/payout_details.html", {"partner": partner, "form": form, "details": stored})
