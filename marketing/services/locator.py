"""Writes of the public partner locator: a partner admin keeps the organization's locator profile
(opt in, texts, logo, countries served); managers may correct or unlist it in the admin; a
prospect's message from a partner page becomes a lead offered to that partner."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django_countries import countries

from partners.models import Partner, User
from prm.errors import RuleViolation
from prm.roles import MANAGER_ROLES, Role
from prm.scoping import scopes_disabled
from prm.uploads import MB, storage_name, validate_upload

from ..models import Lead, LocatorProfile
from .leads import lead_create, lead_validated

# What a locator profile is edited with (portal form, admin form).
PROFILE_FIELDS = ("listed", "summary", "description", "regions")
LOGO_EXTENSIONS = ("png", "jpg", "jpeg", "webp")
LOGO_MAX_BYTES = 1 * MB
MAX_REGIONS = 60
# The contact form's field a person never sees (hidden from sight, from screen readers and from
# the tab order): only a bot fills it in.
HONEYPOT = "homepage"
# Contact-form messages are counted per client address over this window (seconds).
RATE_WINDOW = 3600


class TooManyMessages(Exception):
    """The client's address sent PRM_LOCATOR_CONTACTS_PER_HOUR messages this hour (answered 429)."""


def _slug_for(partner: Partner) -> str:
    """A slug made from the partner's name, unique among profiles ("acme", "acme-2", …)."""
    base = (slugify(partner.name) or "partner")[:70].strip("-") or "partner"
    slug, n = base, 1
    with scopes_disabled():
        taken = set(
            LocatorProfile.objects.filter(slug__startswith=base).exclude(partner=partner).values_list("slug", flat=True)
        )
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def locator_profile_for(*, partner: Partner) -> LocatorProfile:
    """The partner's locator profile, made (unlisted, empty) on first use."""
    with scopes_disabled():
        profile = LocatorProfile.objects.select_related("partner").filter(partner=partner).first()
        if profile is not None:
            return profile
        try:
            with transaction.atomic():
                return LocatorProfile.objects.create(partner=partner, slug=_slug_for(partner), listed=False)
        except IntegrityError:  # made by a request at the same time
            return LocatorProfile.objects.select_related("partner").get(partner=partner)


def locator_profile_may_edit(by: User, partner: Partner) -> bool:
    """Who may change ``partner``'s locator profile: its active partner admins, and managers."""
    if not (by and by.is_authenticated and by.is_active):
        return False
    if by.is_staff and by.role in MANAGER_ROLES:
        return True
    return by.partner_id == partner.pk and by.role == Role.PARTNER_ADMIN


def _clean_regions(value, errors: dict) -> list[str]:
    if value in (None, ""):
        return []
    if not isinstance(value, list | tuple):
        errors["regions"] = ["Choose the countries from the list."]
        return []
    codes, unknown = [], []
    for code in value:
        code = str(code).strip().upper()
        if code not in countries:
            unknown.append(code)
        elif code not in codes:
            codes.append(code)
    if unknown:
        errors["regions"] = [f"Unknown country code: {', '.join(unknown[:5])}."]
    elif len(codes) > MAX_REGIONS:
        errors["regions"] = [f"Choose at most {MAX_REGIONS} countries."]
    return sorted(codes)


def _apply(profile: LocatorProfile, partner: Partner, data: dict, logo=None) -> None:
    """Put ``data`` on ``profile`` (unsaved) or raise ``RuleViolation`` naming every bad field."""
    unknown = sorted(set(data) - set(PROFILE_FIELDS))
    if unknown:
        raise RuleViolation({field: ["This field is not part of the locator profile."] for field in unknown})
    errors: dict = {}
    if "listed" in data:
        profile.listed = bool(data["listed"])
    for field in ("summary", "description"):
        if field in data:
            value = data[field] or ""
            setattr(profile, field, " ".join(value.split()) if field == "summary" else value.strip())
    if "regions" in data:
        profile.regions = _clean_regions(data["regions"], errors)
    if profile.listed and partner.status != Partner.Status.ACTIVE:
        errors["listed"] = [
            f"Only active partners are shown on the partner locator; {partner.name} is "
            f"{partner.get_status_display().lower()}."
        ]
    if profile.listed and not profile.summary:
        errors.setdefault("summary", []).append("Write a short summary: it is what customers see in the list.")
    if logo:
        try:
            validate_upload(logo, field="logo", allowed=LOGO_EXTENSIONS, max_bytes=LOGO_MAX_BYTES)
        except RuleViolation as error:
            errors.setdefault("logo", []).extend(error.message_dict["logo"])
    try:
        profile.full_clean(exclude=["partner", "logo", "updated_by", "slug", "regions", "updated_at"])
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise RuleViolation(errors)


def locator_profile_check(*, partner: Partner, data: dict) -> None:
    """Raise ``RuleViolation`` if ``locator_profile_save`` would refuse ``data`` (for the admin's form)."""
    with scopes_disabled():
        current = LocatorProfile.objects.filter(partner=partner).first()
    profile = LocatorProfile(partner=partner, slug="x") if current is None else current
    _apply(profile, partner, data)


@transaction.atomic
def locator_profile_save(
    *, partner: Partner, by: User, data: dict, logo=None, remove_logo: bool = False
) -> LocatorProfile:
    """A partner admin of ``partner`` (or a manager) saves its locator profile. Only an active
    partner may be listed, and a listed profile has a summary; the logo is a PNG, JPEG or WebP of
    at most 1 MB (its content checked). ``RuleViolation`` names every bad field and nothing is
    written."""
    if not locator_profile_may_edit(by, partner):
        raise PermissionDenied(f"Only a partner admin of {partner.name} may edit its locator profile.")
    profile = locator_profile_for(partner=partner)
    with scopes_disabled():
        profile = LocatorProfile.objects.select_for_update().select_related("partner").get(pk=profile.pk)
    _apply(profile, partner, data, logo)
    old_logo = profile.logo.name if profile.logo else ""
    if logo:
        profile.logo.save(storage_name(logo.name, str(partner.pk)), logo, save=False)
    elif remove_logo:
        profile.logo = ""
    profile.updated_at, profile.updated_by = timezone.now(), by
    profile.save()
    if old_logo and old_logo != (profile.logo.name if profile.logo else ""):
        storage = profile.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    return profile


# --- The contact form --------------------------------------------------------------------------


def _rate_key(client_ip: str) -> str:
    return "locator-contact:" + hashlib.sha256(client_ip.encode()).hexdigest()[:32]


def _sent_so_far(key: str) -> int:
    return cache.get(key) or 0


def _count_a_message(key: str) -> int:
    """Count one more message from the client's address this hour; the count, atomically."""
    cache.add(key, 0, timeout=RATE_WINDOW)
    try:
        return cache.incr(key)
    except ValueError:  # the hour ended between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW)
        return 1


def locator_contact(*, partner: Partner, data: dict, client_ip: str) -> Lead | None:
    """A prospect's message to ``partner`` from its locator page becomes a lead offered to that
    partner only; the lead, or None for a bot (``data`` has the hidden HONEYPOT field filled in:
    it is counted, nothing is written). An address that sent PRM_LOCATOR_CONTACTS_PER_HOUR
    messages this hour gets ``TooManyMessages`` (counted in the cache like the sign-in limits, and
    before the lead is written, so two requests at once cannot both take the last slot). A refused
    message (``RuleViolation`` naming the lead's fields) costs no slot."""
    limit = settings.PRM_LOCATOR_CONTACTS_PER_HOUR
    key = _rate_key(client_ip)
    if _sent_so_far(key) >= limit:
        raise TooManyMessages
    if data.get(HONEYPOT):
        _count_a_message(key)
        return None
    data = {field: value for field, value in data.items() if field != HONEYPOT}
    lead_validated(data=data, source=Lead.Source.LOCATOR)
    if _count_a_message(key) > limit:
        raise TooManyMessages
    return lead_create(data=data, by=None, source=Lead.Source.LOCATOR, requested_partner=partner)
