"""Pages of the partner locator: the public list and partner pages with their contact form
(no sign-in), and the portal page where a partner admin keeps the organization's profile."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET
from django_countries import countries

from partners.models import Partner
from prm.errors import form_errors_from
from prm.portal import partner_required
from prm.uploads import content_type_of
from prm.views import client_ip

from ..forms.locator import LocatorContactForm, LocatorProfileForm
from ..selectors import locator as selectors
from ..services import locator as services
from ..services.locator import HONEYPOT, locator_profile_for, locator_profile_may_edit, locator_profile_save

PAGE_SIZE = 12
# Logos may be cached by browsers and proxies for a quarter of an hour (an unlisted partner's logo
# disappears within that); the URL carries the profile's update time, so a new logo is a new URL.
LOGO_MAX_AGE = 900

# --- Public ------------------------------------------------------------------------------------


@require_GET
def locator_list(request):
    """Active partners that opted in, searched and filtered, a page at a time."""
    options = selectors.filter_options()
    filters = selectors.LocatorFilters.from_params(request.GET).offered_only(options)
    page = Paginator(selectors.locator_search(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in vars(filters).items() if v})
    return render(
        request,
        "marketing/locator/list.html",
        {"page": page, "filters": filters, "options": options, "query": query},
    )


def _profile_or_404(slug: str):
    profile = selectors.public_profile(slug)
    if profile is None:
        raise Http404("No listed partner has this address.")
    return profile


def _served(profile) -> list[str]:
    """The countries a partner serves, by name: its own first."""
    own = profile.partner.country.code
    return [countries.name(own), *sorted(countries.name(code) for code in profile.regions if code != own)]


def _detail(request, profile, form, status=200):
    return render(
        request,
        "marketing/locator/detail.html",
        {
            "profile": profile,
            "form": form,
            "served": _served(profile),
            "accept_hours": settings.PRM_LEAD_ACCEPT_HOURS,
        },
        status=status,
    )


@require_GET
def locator_detail(request, slug):
    profile = _profile_or_404(slug)
    return _detail(request, profile, LocatorContactForm())


def _too_many(request, profile, form):
    messages.error(request, "Too many messages were sent from your network in the last hour. Please try again later.")
    return _detail(request, profile, form, status=429)


def locator_contact(request, slug):
    """The contact form of one partner: parsed by the form, sent by ``services.locator_contact``
    (honeypot, rate limit, the lead offered to that partner)."""
    profile = _profile_or_404(slug)
    if request.method != "POST":
        return redirect(reverse("locator_public:detail", args=[slug]) + "#contact")
    form = LocatorContactForm(request.POST)
    honeypot = request.POST.get(HONEYPOT, "")
    if not form.is_valid() and not honeypot:
        return _detail(request, profile, form)
    try:
        services.locator_contact(
            partner=profile.partner, data={**form.cleaned_data, HONEYPOT: honeypot}, client_ip=client_ip(request)
        )
    except services.TooManyMessages:
        return _too_many(request, profile, form)
    except ValidationError as error:
        form_errors_from(form, error)
        return _detail(request, profile, form)
    return redirect("locator_public:thanks", slug=slug)


@require_GET
def locator_thanks(request, slug):
    profile = _profile_or_404(slug)
    return render(
        request,
        "marketing/locator/thanks.html",
        {"profile": profile, "accept_hours": settings.PRM_LEAD_ACCEPT_HOURS},
    )


@require_GET
def locator_logo(request, slug):
    """A listed partner's logo, from private storage, as an image of its own type."""
    profile = _profile_or_404(slug)
    if not profile.logo:
        raise Http404("This partner has no logo.")
    try:
        file = profile.logo.open("rb")
    except FileNotFoundError as error:
        raise Http404("The logo file is missing.") from error
    response = FileResponse(file, content_type=content_type_of(profile.logo.name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = f"public, max-age={LOGO_MAX_AGE}"
    return response


# --- Portal --------------------------------------------------------------------------------------


@partner_required
def profile_edit(request):
    """The organization's locator profile: partner admins edit it, reps see it read-only."""
    partner = request.partner
    profile = locator_profile_for(partner=partner)
    can_edit = locator_profile_may_edit(request.user, partner)
    initial = {
        "listed": profile.listed,
        "summary": profile.summary,
        "description": profile.description,
        "regions": profile.regions,
    }
    form = LocatorProfileForm(request.POST or None, request.FILES or None, initial=initial, has_logo=bool(profile.logo))
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only a partner admin edits the locator profile.")
        if form.is_valid():
            data = {field: form.cleaned_data[field] for field in ("listed", "summary", "description", "regions")}
            try:
                profile = locator_profile_save(
                    partner=partner,
                    by=request.user,
                    data=data,
                    logo=form.cleaned_data.get("logo"),
                    remove_logo=form.cleaned_data.get("remove_logo", False),
                )
            except ValidationError as error:
                form_errors_from(form, error)
            else:
                messages.success(
                    request,
                    "The locator profile is saved. "
                    + ("It is public now." if profile.listed else "It is not shown on the public locator."),
                )
                return redirect("locator:profile")
    return render(
        request,
        "marketing/locator/profile.html",
        {
            "partner": partner,
            "profile": profile,
            "form": form,
            "can_edit": can_edit,
            "is_active": partner.status == Partner.Status.ACTIVE,
            "public": profile.listed and partner.status == Partner.Status.ACTIVE,
            "regions": [countries.name(code) for code in profile.regions],
        },
    )
