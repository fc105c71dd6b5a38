"""Pages of the partner locator: the public list and partner pages with their contact form
(no sign-in), and the portal page where a partner admin keeps the organization's profile."""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
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
from prm.roles import Role
from prm.uploads import content_type_of
from prm.views import client_ip

from ..forms.locator import HONEYPOT, LocatorContactForm, LocatorProfileForm
from ..models import Lead
from ..selectors import locator as selectors
from ..services.leads import lead_create
from ..services.locator import locator_profile_for, locator_profile_save

PAGE_SIZE = 12
# Logos may be cached by browsers and proxies for a quarter of an hour (an unlisted partner's logo
# disappears within that); the URL carries the profile's update time, so a new logo is a new URL.
LOGO_MAX_AGE = 900
# Contact-form messages are counted per client address over this window (seconds).
RATE_WINDOW = 3600

# --- Public ------------------------------------------------------------------------------------


@require_GET
def locator_list(request):
    """Active partners that opted in, searched and filtered, a page at a time."""
    filters = selectors.LocatorFilters.from_params(request.GET)
    page = Paginator(selectors.locator_search(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in vars(filters).items() if v})
    return render(
        request,
        "marketing/locator/list.html",
        {"page": page, "filters": filters, "options": selectors.filter_options(), "query": query},
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
        {"profile": profile, "form": form, "served": _served(profile)},
        status=status,
    )


@require_GET
def locator_detail(request, slug):
    profile = _profile_or_404(slug)
    return _detail(request, profile, LocatorContactForm())


def _rate_key(request) -> str:
    return "locator-contact:" + hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]


def _sent_so_far(request) -> int:
    return cache.get(_rate_key(request)) or 0


def _count_a_contact(request) -> int:
    """Count one more message from the client's address this hour; the count, atomically."""
    key = _rate_key(request)
    cache.add(key, 0, timeout=RATE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # the hour ended between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW)
        return 1


def _too_many(request, profile, form):
    messages.error(request, "Too many messages were sent from your network in the last hour. Please try again later.")
    return _detail(request, profile, form, status=429)


def locator_contact(request, slug):
    """The contact form of one partner: a valid message becomes a lead offered to that partner.
    A bot that fills in the hidden field is thanked and nothing is written; an address that sent
    PRM_LOCATOR_CONTACTS_PER_HOUR messages this hour is answered 429 (counted in the cache, like
    the sign-in limits; the count is taken before the lead is written, so two requests at once
    cannot both pass the last slot)."""
    profile = _profile_or_404(slug)
    if request.method != "POST":
        return redirect(reverse("locator_public:detail", args=[slug]) + "#contact")
    form = LocatorContactForm(request.POST)
    limit = settings.PRM_LOCATOR_CONTACTS_PER_HOUR
    if _sent_so_far(request) >= limit:
        return _too_many(request, profile, form)
    if request.POST.get(HONEYPOT):
        _count_a_contact(request)
        return redirect("locator_public:thanks", slug=slug)
    if form.is_valid():
        if _count_a_contact(request) > limit:
            return _too_many(request, profile, form)
        try:
            lead_create(data=form.cleaned_data, by=None, source=Lead.Source.LOCATOR, requested_partner=profile.partner)
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            return redirect("locator_public:thanks", slug=slug)
    return _detail(request, profile, form)


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
    can_edit = request.user.role == Role.PARTNER_ADMIN
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
