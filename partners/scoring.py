"""Fit scoring of applications against the ideal partner profile (DESIGN.md, Recruitment).

Each active criterion earns points: its full weight when met, nothing when not; the
specializations criterion earns in proportion to the overlap, up to ``min_matches`` wanted
specializations for the full weight. The fit score is the share of all points earned, 0-100,
rounded half up. A failed must-have disqualifies, with its reason. Every criterion appears in the
breakdown with points earned, maximum and a reason a manager can read.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django_countries import countries

from .models import FitCriterion, PartnerType, RevenueBand

Kind = FitCriterion.Kind
BAND_ORDER = [band.value for band in RevenueBand]


@dataclass(frozen=True)
class Fit:
    score: int
    breakdown: list[dict]
    disqualified: bool
    disqualification_reason: str


def normalize_specializations(values) -> list[str]:
    """Trimmed, lower-case, without duplicates, in the order given."""
    seen: dict[str, None] = {}
    for value in values or []:
        text = " ".join(str(value).split()).lower()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def _label_list(values, labels: dict | None = None) -> str:
    return ", ".join(str(labels.get(v, v)) if labels else str(v) for v in values)


def _evaluate(criterion: FitCriterion, application) -> tuple[int, bool, str]:
    """Points earned, whether it is met, and why."""
    weight = criterion.weight
    kind = criterion.kind
    if kind == Kind.COUNTRY:
        country = str(application.country)
        met = country in criterion.values
        where = countries.name(country) or country
        reason = f"{where} is {'in' if met else 'not in'} the target regions ({_label_list(criterion.values)})"
        return (weight if met else 0), met, reason
    if kind == Kind.PARTNER_TYPE:
        labels = dict(PartnerType.choices)
        met = application.partner_type in criterion.values
        reason = (
            f"{labels.get(application.partner_type, application.partner_type)} is "
            f"{'a wanted' if met else 'not a wanted'} partner type ({_label_list(criterion.values, labels)})"
        )
        return (weight if met else 0), met, reason
    if kind == Kind.EMPLOYEES:
        low, high = criterion.min_employees, criterion.max_employees
        employees = application.employees
        met = (low is None or employees >= low) and (high is None or employees <= high)
        band = f"{low or 1}-{high}" if high is not None else f"{low} or more"
        reason = f"{employees} employees is {'within' if met else 'outside'} the band {band}"
        return (weight if met else 0), met, reason
    if kind == Kind.REVENUE:
        labels = dict(RevenueBand.choices)
        met = BAND_ORDER.index(application.annual_revenue) >= BAND_ORDER.index(criterion.min_revenue)
        reason = (
            f"Revenue {labels[application.annual_revenue]} is "
            f"{'at least' if met else 'below'} {labels[criterion.min_revenue]}"
        )
        return (weight if met else 0), met, reason
    if kind == Kind.SPECIALIZATIONS:
        wanted = normalize_specializations(criterion.values)
        overlap = [s for s in normalize_specializations(application.specializations) if s in wanted]
        needed = min(criterion.min_matches, len(wanted)) or 1
        share = Decimal(min(len(overlap), needed)) / Decimal(needed)
        points = int((share * weight).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        met = len(overlap) >= needed
        if overlap:
            reason = f"{len(overlap)} of the wanted specializations ({', '.join(overlap)}); {needed} earn full points"
        else:
            reason = f"None of the wanted specializations ({', '.join(wanted)})"
        return points, met, reason
    raise ValueError(f"Unknown criterion kind {kind!r}")


def score_application(application, criteria) -> Fit:
    """Score one application against the given active criteria."""
    breakdown, earned, maximum, failed = [], 0, 0, []
    for criterion in criteria:
        points, met, reason = _evaluate(criterion, application)
        if criterion.must_have and not met:
            failed.append(f"Must-have not met: {criterion.name}. {reason}.")
        breakdown.append(
            {
                "criterion": criterion.name,
                "points": points,
                "max_points": criterion.weight,
                "met": met,
                "must_have": criterion.must_have,
                "reason": reason,
            }
        )
        earned += points
        maximum += criterion.weight
    score = 0
    if maximum:
        score = int((Decimal(100 * earned) / Decimal(maximum)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    return Fit(score=score, breakdown=breakdown, disqualified=bool(failed), disqualification_reason=" ".join(failed))


def validate_criterion(criterion: FitCriterion) -> None:
    """The parameters a criterion needs for its kind, each error on its field."""
    errors: dict[str, str] = {}
    values = criterion.values
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError({"values": 'Give a list of texts, e.g. ["DE", "AT"].'})
    kind = criterion.kind
    if kind == Kind.COUNTRY:
        criterion.values = [v.strip().upper() for v in values]
        unknown = [v for v in criterion.values if v not in dict(countries)]
        if not criterion.values:
            errors["values"] = "List the target countries as ISO codes, e.g. DE."
        elif unknown:
            errors["values"] = f"Not ISO 3166 country codes: {', '.join(unknown)}."
    elif kind == Kind.PARTNER_TYPE:
        criterion.values = [v.strip().lower() for v in values]
        unknown = [v for v in criterion.values if v not in PartnerType.values]
        if not criterion.values or unknown:
            errors["values"] = f"List partner types among: {', '.join(PartnerType.values)}."
    elif kind == Kind.EMPLOYEES:
        low, high = criterion.min_employees, criterion.max_employees
        if low is None and high is None:
            errors["min_employees"] = "Give a minimum, a maximum or both."
        elif low is not None and high is not None and low > high:
            errors["max_employees"] = "The maximum must not be below the minimum."
    elif kind == Kind.REVENUE:
        if not criterion.min_revenue:
            errors["min_revenue"] = "Choose the smallest revenue band that meets the criterion."
    elif kind == Kind.SPECIALIZATIONS:
        criterion.values = normalize_specializations(values)
        if not criterion.values:
            errors["values"] = 'List the wanted specializations, e.g. ["cloud", "security"].'
    if errors:
        raise ValidationError(errors)
