"""Reads of the public partner locator. The locator is public: it reads across organizations on
purpose (``scopes_disabled``) but only the profiles of active partners that opted in, and only
their public fields (name, logo, texts, country, specializations, tier)."""

from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet
from django.utils.text import capfirst
from django_countries import countries

from partners.models import Partner, PartnerType, Tier
from prm.scoping import scopes_disabled

from ..models import LocatorProfile

MAX_QUERY = 100


def listed_profiles() -> QuerySet[LocatorProfile]:
    """Profiles shown on the locator: listed, of an active partner."""
    with scopes_disabled():
        return LocatorProfile.objects.filter(listed=True, partner__status=Partner.Status.ACTIVE).select_related(
            "partner", "partner__tier"
        )


def public_profile(slug: str) -> LocatorProfile | None:
    """The listed profile with this slug, or None (unlisted, inactive, unknown)."""
    with scopes_disabled():
        return listed_profiles().filter(slug=slug).first()


@dataclass
class LocatorFilters:
    q: str = ""
    country: str = ""
    partner_type: str = ""
    specialization: str = ""
    tier: str = ""

    @classmethod
    def from_params(cls, params) -> "LocatorFilters":
        def get(name):
            return " ".join(str(params.get(name, "")).split())[:MAX_QUERY]

        return cls(
            q=get("q"),
            country=get("country").upper(),
            partner_type=get("partner_type"),
            specialization=get("specialization").lower(),
            tier=get("tier").lower(),
        )

    def offered_only(self, options: dict) -> "LocatorFilters":
        """These filters without the values the filter lists do not offer (a hand-edited or stale
        link): they are left out rather than searched for and echoed back."""

        def kept(value: str, choices) -> str:
            return value if value in {code for code, _ in choices} else ""

        return replace(
            self,
            country=kept(self.country, options["countries"]),
            partner_type=kept(self.partner_type, options["partner_types"]),
            specialization=self.specialization if self.specialization in options["specializations"] else "",
            tier=kept(self.tier, options["tiers"]),
        )

    @property
    def active(self) -> bool:
        return any((self.q, self.country, self.partner_type, self.specialization, self.tier))

    def described(self) -> str:
        """The filters in words, for the empty state: "“cloud”, in Germany, Gold"."""
        parts = []
        if self.q:
            parts.append(f"“{self.q}”")
        if self.country:
            parts.append(f"serving {countries.name(self.country) or self.country}")
        if self.partner_type:
            parts.append(dict(PartnerType.choices).get(self.partner_type, self.partner_type).lower())
        if self.specialization:
            parts.append(f"specialized in {self.specialization}")
        if self.tier:
            parts.append(f"tier {capfirst(self.tier)}")
        return ", ".join(parts)


def locator_search(filters: LocatorFilters) -> QuerySet[LocatorProfile]:
    """Listed profiles matching the search (name, summary, description, specializations) and the
    filters: country (the partner's own or one it serves), partner type, specialization, tier
    (by name, in any case)."""
    profiles = listed_profiles()
    if filters.q:
        for word in filters.q.split()[:8]:
            profiles = profiles.filter(
                Q(partner__name__icontains=word)
                | Q(summary__icontains=word)
                | Q(description__icontains=word)
                | Q(partner__specializations__icontains=word)
            )
    if filters.country:
        profiles = profiles.filter(Q(partner__country=filters.country) | Q(regions__icontains=f'"{filters.country}"'))
    if filters.partner_type:
        profiles = profiles.filter(partner__partner_type=filters.partner_type)
    if filters.specialization:
        profiles = profiles.filter(partner__specializations__icontains=f'"{filters.specialization}"')
    if filters.tier:
        profiles = profiles.filter(partner__tier__name__iexact=filters.tier)
    return profiles.order_by("-partner__tier__rank", "partner__name", "pk")


def filter_options() -> dict:
    """The choices of the filters, from the listed partners only (three queries)."""
    with scopes_disabled():
        rows = list(listed_profiles().values_list("partner__country", "regions", "partner__specializations"))
        tiers = list(
            Tier.objects.filter(partners__status=Partner.Status.ACTIVE, partners__locator_profile__listed=True)
            .distinct()
            .order_by("-rank")
            .values_list("name", flat=True)
        )
    # A tier's value in the URL is its name in lower case (?tier=gold); any case is accepted.
    codes, specializations = set(), set()
    for country, regions, specs in rows:
        codes.add(country)
        codes.update(code for code in (regions or []) if code in countries)
        specializations.update(str(spec).strip().lower() for spec in (specs or []) if str(spec).strip())
    return {
        "countries": sorted(((code, countries.name(code)) for code in codes), key=lambda c: c[1]),
        "partner_types": PartnerType.choices,
        "specializations": sorted(specializations),
        "tiers": [(name.lower(), name) for name in tiers],
    }
