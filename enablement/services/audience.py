"""The one reading of an audience given to a service (newsletters, announcements, surveys), from
the admin (``AudienceForm.audience_data``), the API or code: ``audience_apply``."""

from django_countries import countries

from partners.models import Partner, PartnerType, Tier
from prm.errors import RuleViolation

from ..models import Audience, Recipients, comma_value

# The audience's lists: the values each accepts, how a value given in another case is written, and
# what the values are called in an error.
CHOICE_LISTS = {
    "partner_types": (lambda: PartnerType.values, str.lower, "partner type"),
    "countries": (lambda: dict(countries), str.upper, "country code"),
    "partner_statuses": (lambda: Partner.Status.values, str.lower, "partner status"),
}


def _as_list(value) -> list | None:
    """A list given as a list (tuple, set) or as a comma-separated string; None stands for []."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return None


def _tiers(value) -> tuple[list[Tier], list[str]]:
    """Tiers given as Tier objects, ids (``3`` or ``"3"``) or names (case-insensitive), one or a
    list: the tiers found and the values that name no tier."""
    values = [value] if isinstance(value, (str, int, Tier)) and not isinstance(value, bool) else _as_list(value)
    if values is None:
        return [], [str(value)]

    def as_id(item):
        if isinstance(item, int) and not isinstance(item, bool):
            return item
        return int(item.strip()) if isinstance(item, str) and item.strip().isdigit() else None

    ids = [as_id(item) for item in values if as_id(item) is not None]
    names = {item.strip().lower() for item in values if isinstance(item, str) and as_id(item) is None}
    by_id = {tier.pk: tier for tier in Tier.objects.filter(pk__in=ids)} if ids else {}
    by_name = {tier.name.lower(): tier for tier in Tier.objects.all() if tier.name.lower() in names} if names else {}
    found, unknown = {}, []
    for item in values:
        if isinstance(item, Tier) and item.pk:
            tier = item
        elif as_id(item) is not None:
            tier = by_id.get(as_id(item))
        elif isinstance(item, str):
            tier = by_name.get(item.strip().lower())
        else:
            tier = None
        if tier is None:
            unknown.append(str(item).strip())
        else:
            found[tier.pk] = tier
    return list(found.values()), unknown


def audience_apply(*, target: Audience, data: dict) -> list[Tier] | None:
    """Write the audience of ``data`` on ``target`` (not saved): ``partner_types``, ``countries``,
    ``partner_statuses`` (lists or comma-separated strings, any case; empty: any) and
    ``recipients`` (``all`` or ``admins``; empty: all). Returns the tiers to set once ``target`` is
    saved (``tiers``: Tier objects, ids or names, case-insensitive), or None when ``data`` has no
    ``tiers``. Keys absent from ``data`` change nothing. Any problem is a ``RuleViolation`` naming
    each field concerned, and nothing is written on ``target``."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    tiers = None
    if "tiers" in data:
        tiers, unknown = _tiers(data["tiers"])
        if unknown:
            errors["tiers"] = [f"Unknown tier: {', '.join(unknown)}. Give tier names or ids."]
    for field, (known, normal, what) in CHOICE_LISTS.items():
        if field not in data:
            continue
        given = _as_list(data[field])
        if given is None or not all(isinstance(v, str) for v in given):
            errors[field] = [f"Give a list of {what}s, or a comma-separated string."]
            continue
        given = [normal(v.strip()) for v in given if v.strip()]
        unknown = [v for v in given if v not in known()]
        if unknown:
            errors[field] = [f"Unknown {what}: {', '.join(unknown)}."]
        else:
            values[field] = comma_value(given)
    if "recipients" in data:
        recipients = data["recipients"] or Recipients.ALL
        if recipients not in Recipients.values:
            choices = " or ".join(f"“{value}” ({label.lower()})" for value, label in Recipients.choices)
            errors["recipients"] = [f"Choose {choices}."]
        else:
            values["recipients"] = recipients
    if errors:
        raise RuleViolation(errors)
    for field, value in values.items():
        setattr(target, field, value)
    return tiers
