"""Writes of lead distribution: a lead enters (admin, API, CSV, the locator's contact form), is
offered to one partner at a time by the routing rules, and is accepted (a vendor-sourced deal
registration), declined or timed out (offered to the next partner), or returned to the managers."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from deals.models import DealRegistration
from deals.services import deal_register_from_lead
from partners.models import Partner, User
from partners.selectors import partner_admin_emails
from prm.domains import FREE_MAIL_DOMAINS, email_domain, host_of, registrable_domain
from prm.errors import Busy, RuleViolation, StateConflict
from prm.locks import lock_one, lock_table
from prm.mail import send_templated_mail
from prm.roles import MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled
from prm.text import REASON_MAX, check_text, short_date
from prm.transitions import check_transition

from ..models import Lead, LeadOffer, LocatorProfile, RoutingRule

# The fields a lead is entered with (admin form, API, CSV columns use these names).
LEAD_FIELDS = (
    "company",
    "domain",
    "contact_name",
    "contact_email",
    "contact_phone",
    "country",
    "product_interest",
    "size",
    "campaign",
    "message",
)
# The fields a partner sees only once it accepted the lead.
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone", "message")
# A partner without a closed deal in the trailing 12 months counts as winning none of them (0 %):
# a proven partner is preferred to an unproven one; among unproven ones, leads go round in turn.
NO_CLOSED_DEALS_WIN_RATE = 0.0
WIN_RATE_DAYS = 365

# Every change of a lead's status, in one place (a lead is offered again to the next partner
# while it is offered; routing a returned lead that still finds nobody returns it again).
LEAD_TRANSITIONS = {
    Lead.Status.NEW: {Lead.Status.OFFERED, Lead.Status.RETURNED, Lead.Status.CLOSED},
    Lead.Status.OFFERED: {Lead.Status.OFFERED, Lead.Status.ACCEPTED, Lead.Status.RETURNED, Lead.Status.CLOSED},
    Lead.Status.RETURNED: {Lead.Status.OFFERED, Lead.Status.RETURNED, Lead.Status.CLOSED},
    Lead.Status.ACCEPTED: set(),
    Lead.Status.CLOSED: set(),
}
OFFER_TRANSITIONS = {
    LeadOffer.Status.PENDING: {
        LeadOffer.Status.ACCEPTED,
        LeadOffer.Status.DECLINED,
        LeadOffer.Status.EXPIRED,
        LeadOffer.Status.WITHDRAWN,
    },
}
# A phone number as people write it: digits, spaces, + - ( ) and dots.
PHONE_CHARACTERS = frozenset("0123456789 +-().")
PHONE_LENGTH = (6, 40)


def _set_lead_status(lead: Lead, status: str) -> None:
    check_transition(LEAD_TRANSITIONS, lead.status, status, what="lead")
    lead.status = status


def _set_offer_status(offer: LeadOffer, status: str) -> None:
    check_transition(OFFER_TRANSITIONS, offer.status, status, what="lead offer")
    offer.status = status


def _link(name: str, pk: int) -> str:
    return settings.SITE_URL + reverse(name, args=[pk])


def _clean_data(data: dict) -> dict:
    data = {field: data[field] for field in LEAD_FIELDS if field in data and data[field] is not None}
    for field, value in list(data.items()):
        if isinstance(value, str):
            data[field] = value.strip() if field == "message" else " ".join(value.split())
    if data.get("domain"):
        domain = host_of(data["domain"])
        data["domain"] = domain[4:] if domain.startswith("www.") else domain
    if data.get("contact_email"):
        data["contact_email"] = data["contact_email"].lower()
    if data.get("country"):
        data["country"] = data["country"].upper()
    return data


def lead_validated(*, data: dict, source: str) -> Lead:
    """A lead built from ``data`` and checked field by field; ``RuleViolation`` names every bad
    field and nothing is written. Without a domain, the contact's e-mail domain is taken unless it
    is a free-mail provider: accepting a lead registers a deal, which needs the customer's domain."""
    lead = Lead(source=source, **_clean_data(data))
    errors: dict[str, list[str]] = {}
    try:
        lead.full_clean(exclude=["partner", "requested_partner", "deal", "created_by"])
    except ValidationError as error:
        errors = error.message_dict
    if lead.domain and "domain" not in errors and registrable_domain(lead.domain) is None:
        errors["domain"] = ["Enter the company's web domain, e.g. company.com."]
    if lead.contact_phone:
        low, high = PHONE_LENGTH
        if not set(lead.contact_phone) <= PHONE_CHARACTERS or not low <= len(lead.contact_phone) <= high:
            errors["contact_phone"] = [
                f"Enter a phone number of {low} to {high} characters: digits, spaces and + - ( ) . only."
            ]
    if not lead.domain and "contact_email" not in errors:
        lead.domain = email_domain(lead.contact_email) or ""
        if not lead.domain:
            at = lead.contact_email.rsplit("@", 1)[-1]
            if (registrable_domain(at) or at) in FREE_MAIL_DOMAINS:
                errors["domain"] = [
                    "Give the company's domain (e.g. example.com): the contact's e-mail is at a free-mail provider."
                ]
            else:
                errors["domain"] = [f"Give the company's web domain (e.g. company.com): {at} in the e-mail is not one."]
    if errors:
        raise RuleViolation(errors)
    return lead


@transaction.atomic
def lead_create(*, data: dict, by: User | None, source: str, requested_partner: Partner | None = None) -> Lead:
    """A lead enters the program and is offered at once: to ``requested_partner`` when a prospect
    asked for that partner (the locator's contact form), else by the routing rules."""
    lead = lead_validated(data=data, source=source)
    lead.created_by = by if by is not None and by.is_authenticated else None
    lead.requested_partner = requested_partner
    lead.save()
    if requested_partner is not None:
        lead_offer(lead=lead, partner=requested_partner, rule=None, reasons="Asked for by name on the partner locator")
    else:
        lead_route(lead=lead)
    return lead


def _manager_emails() -> list[str]:
    return sorted(
        User.objects.filter(is_staff=True, is_active=True, role__in=MANAGER_ROLES).values_list("email", flat=True)
    )


@transaction.atomic
def lead_offer(*, lead: Lead, partner: Partner, rule: RoutingRule | None, reasons: str) -> LeadOffer:
    """Offer ``lead`` to ``partner`` until the accept-by time (PRM_LEAD_ACCEPT_HOURS from now);
    the partner's admins are told after commit."""
    now = timezone.now()
    offer = LeadOffer.objects.create(
        lead=lead,
        partner=partner,
        rule=rule,
        reasons=reasons[: LeadOffer._meta.get_field("reasons").max_length],
        offered_at=now,
        accept_by=now + timedelta(hours=settings.PRM_LEAD_ACCEPT_HOURS),
    )
    _set_lead_status(lead, Lead.Status.OFFERED)
    lead.partner, lead.return_reason = partner, ""
    lead.save(update_fields=["partner", "status", "return_reason"])
    recipients = partner_admin_emails([partner.pk]).get(partner.pk, [])
    if recipients:
        send_templated_mail(
            to=recipients,
            template="marketing/email/lead_offered",
            context={"lead": lead, "offer": offer, "link": _link("leads:detail", lead.pk)},
        )
    return offer


# --- Routing -------------------------------------------------------------------------------------


@dataclass
class Candidate:
    partner: Partner
    regions: list
    offers_this_month: int
    last_offered_at: datetime | None
    won: int
    lost: int

    @property
    def win_rate(self) -> float:
        closed = self.won + self.lost
        return self.won / closed if closed else NO_CLOSED_DEALS_WIN_RATE


def month_start(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def routing_candidates(*, exclude: set[int]) -> list[Candidate]:
    """Every active partner not in ``exclude`` with what the routing weighs: offers this calendar
    month, its last offer, deals won and lost over the trailing 12 months. One query."""
    now = timezone.now()
    since = timezone.localdate() - timedelta(days=WIN_RATE_DAYS)

    def count(queryset):
        return Coalesce(
            Subquery(
                queryset.filter(partner_id=OuterRef("pk"))
                .order_by()
                .values("partner_id")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )

    closed = DealRegistration.objects.filter(closed_on__gte=since)
    partners = (
        Partner.objects.filter(status=Partner.Status.ACTIVE)
        .exclude(pk__in=exclude)
        .select_related("tier", "locator_profile")
        .annotate(
            offers_this_month=count(LeadOffer.objects.filter(offered_at__gte=month_start(now))),
            last_offered_at=Subquery(
                LeadOffer.objects.filter(partner_id=OuterRef("pk"))
                .order_by()
                .values("partner_id")
                .annotate(last=Max("offered_at"))
                .values("last")[:1]
            ),
            won=count(closed.filter(status=DealRegistration.Status.WON)),
            lost=count(closed.filter(status=DealRegistration.Status.LOST)),
        )
        .order_by("pk")
    )
    return [Candidate(p, _regions_of(p), p.offers_this_month, p.last_offered_at, p.won, p.lost) for p in partners]


def _regions_of(partner: Partner) -> list[str]:
    """The countries the partner serves besides its own (its locator profile's regions)."""
    try:
        profile = partner.locator_profile
    except LocatorProfile.DoesNotExist:
        return []
    return [str(code).upper() for code in profile.regions or ()]


def _country_served(lead: Lead, candidate: Candidate) -> str | None:
    """How the partner covers the lead's country in words ("in DE", "serves DE"), or None."""
    country = str(lead.country)
    if str(candidate.partner.country) == country:
        return f"in {country}"
    if country in candidate.regions:
        return f"serves {country}"
    return None


def _folded(values) -> set[str]:
    return {str(v).strip().casefold() for v in values or () if str(v).strip()}


def _rule_matches_lead(*, rule: RoutingRule, lead: Lead) -> bool:
    if rule.countries and str(lead.country) not in rule.countries:
        return False
    if rule.product_interests and lead.product_interest.strip().casefold() not in _folded(rule.product_interests):
        return False
    return True


def _matched_specializations(rule: RoutingRule, partner: Partner) -> list[str]:
    wanted = _folded(rule.specializations)
    return [s for s in partner.specializations or () if str(s).strip().casefold() in wanted]


def _rule_qualifies(*, rule: RoutingRule, candidate: Candidate, lead: Lead) -> bool:
    partner = candidate.partner
    if rule.partner_in_lead_country and _country_served(lead, candidate) is None:
        return False
    if rule.partner_types and partner.partner_type not in rule.partner_types:
        return False
    if rule.specializations and not _matched_specializations(rule, partner):
        return False
    if rule.minimum_tier_id and (partner.tier is None or partner.tier.rank < rule.minimum_tier.rank):
        return False
    return candidate.offers_this_month < rule.monthly_capacity


def _longest_waiting_first(candidate: Candidate) -> tuple:
    """The round-robin turn: never offered a lead comes first, then the one whose last offer is oldest."""
    return (candidate.last_offered_at is not None, candidate.last_offered_at or timezone.now())


def _percent(rate: float) -> str:
    return f"{round(rate * 100)}%"


def _choose(rule: RoutingRule, qualified: list[Candidate]) -> tuple[Candidate, str]:
    """The partner the rule picks among the qualified ones, and why, in words."""
    count = len(qualified)
    if rule.prefer_win_rate:
        ranked = sorted(qualified, key=lambda c: (-c.win_rate, *_longest_waiting_first(c), c.partner.pk))
    else:
        ranked = sorted(qualified, key=lambda c: (*_longest_waiting_first(c), c.partner.pk))
    chosen = ranked[0]
    if count == 1:
        return chosen, "the only qualified partner"
    turn = (
        "never offered a lead before"
        if chosen.last_offered_at is None
        else f"last offered a lead on {short_date(timezone.localdate(chosen.last_offered_at))}"
    )
    if rule.prefer_win_rate:
        equals = [c for c in qualified if c.win_rate == chosen.win_rate]
        if len(equals) == 1:
            return chosen, f"highest win rate among {count} ({_percent(chosen.win_rate)})"
        return chosen, (f"win rate {_percent(chosen.win_rate)} shared by {len(equals)} of {count}; in turn: {turn}")
    return chosen, f"in turn among {count}: {turn}"


def _reasons(rule: RoutingRule, lead: Lead, candidate: Candidate, choice: str) -> str:
    partner = candidate.partner
    served = _country_served(lead, candidate) if rule.partner_in_lead_country else None
    parts = [f"Rule “{rule.name}”", served or str(lead.country)]
    if rule.product_interests:
        parts.append(f"interest {lead.product_interest}")
    if rule.partner_types:
        parts.append(partner.get_partner_type_display().lower())
    matched = _matched_specializations(rule, partner)
    if matched:
        parts.append(f"specialization {', '.join(matched)}")
    parts.append(partner.tier.name if partner.tier_id else "no tier")
    parts.append(f"{candidate.offers_this_month + 1} of {rule.monthly_capacity} leads this month")
    parts.append(choice)
    return "; ".join(parts)


def route_decision(*, lead: Lead) -> tuple[RoutingRule, Candidate, str] | None:
    """The rule, partner and reasons the routing chooses for ``lead`` now, or ``None``. Three
    queries, whatever the number of rules and partners: the rules, the partners already offered
    this lead, the candidates."""
    with scopes_disabled():
        rules = list(RoutingRule.objects.filter(active=True).select_related("minimum_tier").order_by("order", "id"))
        offered = set(LeadOffer.objects.filter(lead_id=lead.pk).values_list("partner_id", flat=True))
        matching = [rule for rule in rules if _rule_matches_lead(rule=rule, lead=lead)]
        if not matching:
            return None
        candidates = routing_candidates(exclude=offered)
    for rule in matching:
        qualified = [c for c in candidates if _rule_qualifies(rule=rule, candidate=c, lead=lead)]
        if qualified:
            chosen, choice = _choose(rule, qualified)
            return rule, chosen, _reasons(rule, lead, chosen, choice)
    return None


@transaction.atomic
def lead_route(*, lead: Lead) -> LeadOffer | None:
    """Offer ``lead`` to the partner the routing rules choose, or return it to the managers when
    none qualifies.

    The first active rule (lowest ``order``) whose lead conditions match (country, product
    interest) and that finds an active partner meeting its partner conditions (type,
    specialization, minimum tier) with capacity left this calendar month decides. A partner
    already offered this lead is never a candidate. Among the qualified partners: the higher win
    rate first when the rule prefers it (won / (won + lost) deals closed in the trailing 12 months;
    none closed counts as 0 %), then in turn (never offered a lead first, then the oldest last
    offer), then the lowest id. A rule with ``partner_in_lead_country`` (the default) takes only
    partners located in the lead's country or serving it (their locator profile's regions). The
    reasons are stored in words on the offer.

    Routing is serialized (a SHARE ROW EXCLUSIVE lock on the offers' table): two leads routed at
    once never both take a partner's last monthly slot or the same turn; ``Busy`` if it is held
    longer than the lock timeout."""
    lock_table(LeadOffer, "SHARE ROW EXCLUSIVE", message="Leads are being routed right now; try again in a moment.")
    decision = route_decision(lead=lead)
    if decision is None:
        with scopes_disabled():
            tried = LeadOffer.objects.filter(lead_id=lead.pk).count()
        reason = "No active partner matches a routing rule with capacity left this month"
        if tried:
            reason += f" (besides the {tried} already offered it)"
        _return(lead, reason + ".")
        return None
    rule, chosen, reasons = decision
    with scopes_disabled():
        return lead_offer(lead=lead, partner=chosen.partner, rule=rule, reasons=reasons)


def _return(lead: Lead, reason: str) -> None:
    _set_lead_status(lead, Lead.Status.RETURNED)
    lead.partner, lead.return_reason = None, reason[:300]
    lead.save(update_fields=["partner", "status", "return_reason"])
    recipients = _manager_emails()
    if recipients:
        send_templated_mail(
            to=recipients,
            template="marketing/email/lead_returned",
            context={
                "lead": lead,
                "reason": lead.return_reason,
                "link": _link("admin:marketing_lead_change", lead.pk),
            },
        )


def _next(lead: Lead, refused: LeadOffer) -> None:
    """After a refusal: the next partner, or back to the managers after too many refusals. A lead
    the prospect sent to one partner from the locator is never offered to another by the routing:
    it returns to the managers, who may pass it on by hand."""
    if lead.requested_partner_id is not None:
        with scopes_disabled():
            asked = Partner.objects.get(pk=lead.requested_partner_id).name
            refuser = asked if refused.partner_id == lead.requested_partner_id else refused.partner.name
        answer = "declined" if refused.status == LeadOffer.Status.DECLINED else "did not answer in time"
        _return(lead, f"The prospect asked for {asked} on the partner locator; {refuser} {answer}.")
    elif lead.refusals >= settings.PRM_LEAD_MAX_REFUSALS:
        _return(
            lead,
            f"Refused {lead.refusals} times (declined or timed out); "
            f"the routing stops after {settings.PRM_LEAD_MAX_REFUSALS}.",
        )
    else:
        lead_route(lead=lead)


# --- Answers of the partner ----------------------------------------------------------------------


def _locked_offer(lead: Lead, user: User) -> tuple[Lead, LeadOffer]:
    """The lead locked, and its pending offer to the user's organization (409 in words otherwise)."""
    with scopes_disabled():
        lead = lock_one(Lead.objects.all(), lead.pk)
        offer = LeadOffer.objects.filter(lead=lead, status=LeadOffer.Status.PENDING).first()
        if offer is None or offer.partner_id != user.partner_id:
            mine = LeadOffer.objects.filter(lead=lead, partner_id=user.partner_id).first()
            if mine is not None and mine.status != LeadOffer.Status.PENDING:
                when = short_date(timezone.localdate(mine.responded_at or mine.accept_by))
                raise StateConflict(f"This lead was already answered: {mine.get_status_display().lower()} on {when}.")
            raise StateConflict("This lead is no longer offered to your organization.")
        if offer.accept_by <= timezone.now():
            raise StateConflict(
                f"The time to accept this lead ran out on {short_date(timezone.localdate(offer.accept_by))}."
            )
    return lead, offer


def _require_member(user: User) -> None:
    if user.partner_id is None:
        raise PermissionDenied("Partner users answer the leads offered to their organization.")


@transaction.atomic
def lead_accept(*, lead: Lead, by: User, data: dict) -> DealRegistration:
    """The partner accepts the lead offered to it: it becomes an approved, protected,
    vendor-sourced deal registration (amount, currency, expected close date and products come from
    ``data``; the customer from the lead). Only before the accept-by time; the lead row is locked,
    so an accept racing a decline or the timeout is answered once (the other gets a 409)."""
    _require_member(by)
    lead, offer = _locked_offer(lead, by)
    deal_data = {
        "customer_name": lead.company,
        "customer_domain": lead.domain,
        "customer_country": str(lead.country),
        "customer_contact_name": lead.contact_name,
        "customer_contact_email": lead.contact_email,
        "notes": lead.message,
        **{field: data.get(field) for field in ("amount", "currency", "expected_close_date", "products")},
    }
    if deal_data["products"] is None:
        deal_data["products"] = [lead.product_interest] if lead.product_interest else []
    deal = deal_register_from_lead(partner=by.partner, user=by, data=deal_data)
    _set_offer_status(offer, LeadOffer.Status.ACCEPTED)
    offer.responded_at, offer.responded_by = timezone.now(), by
    offer.save(update_fields=["status", "responded_at", "responded_by"])
    _set_lead_status(lead, Lead.Status.ACCEPTED)
    lead.deal = deal
    lead.save(update_fields=["status", "deal"])
    return deal


@transaction.atomic
def lead_decline(*, lead: Lead, by: User, reason: str) -> Lead:
    """The partner declines with a reason; the lead goes to the next partner (or back to the
    managers after PRM_LEAD_MAX_REFUSALS refusals) and leaves the partner's list."""
    _require_member(by)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why you decline the lead; the partner managers read it."})
    check_text(field="reason", value=reason, limit=REASON_MAX)
    lead, offer = _locked_offer(lead, by)
    _set_offer_status(offer, LeadOffer.Status.DECLINED)
    offer.responded_at, offer.responded_by = timezone.now(), by
    offer.decline_reason = reason
    offer.save(update_fields=["status", "responded_at", "responded_by", "decline_reason"])
    lead.refusals += 1
    lead.save(update_fields=["refusals"])
    with scopes_disabled():
        _next(lead, offer)
    return lead


def lead_offers_expire(*, now: datetime | None = None) -> int:
    """Offers whose accept-by time passed time out: each lead goes to the next partner (or back
    to the managers). One transaction per lead, under its lock; returns how many timed out."""
    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            LeadOffer.objects.filter(status=LeadOffer.Status.PENDING, accept_by__lte=now).values_list("pk", "lead_id")
        )
    expired = 0
    for offer_pk, lead_pk in due:
        try:
            expired += _expire_one(offer_pk, lead_pk, now)
        except Busy:  # a partner is answering right now; the next run looks again
            continue
    return expired


def _expire_one(offer_pk: int, lead_pk: int, now: datetime) -> int:
    with transaction.atomic(), scopes_disabled():
        lead = lock_one(Lead.objects.all(), lead_pk)
        offer = LeadOffer.objects.filter(pk=offer_pk, status=LeadOffer.Status.PENDING, accept_by__lte=now).first()
        if offer is None:  # answered meanwhile
            return 0
        _set_offer_status(offer, LeadOffer.Status.EXPIRED)
        offer.responded_at = now
        offer.save(update_fields=["status", "responded_at"])
        lead.refusals += 1
        lead.save(update_fields=["refusals"])
        _next(lead, offer)
        return 1


# --- Managers ------------------------------------------------------------------------------------


def _manager_locked(lead: Lead, by: User, action: str) -> Lead:
    require_role(by, *MANAGER_ROLES, action=action)
    with scopes_disabled():
        lead = lock_one(Lead.objects.all(), lead.pk)
    if lead.status in (Lead.Status.ACCEPTED, Lead.Status.CLOSED):
        raise StateConflict(
            f"This lead is {lead.get_status_display().lower()}: it is no longer routed, offered or closed."
        )
    return lead


def _withdraw_pending(lead: Lead) -> None:
    with scopes_disabled():
        for offer in LeadOffer.objects.filter(lead=lead, status=LeadOffer.Status.PENDING):
            _set_offer_status(offer, LeadOffer.Status.WITHDRAWN)
            offer.responded_at = timezone.now()
            offer.save(update_fields=["status", "responded_at"])


@transaction.atomic
def lead_reroute(*, lead: Lead, by: User) -> LeadOffer | None:
    """A manager routes the lead again (a pending offer is withdrawn; refusals start from 0);
    partners already offered it are skipped."""
    lead = _manager_locked(lead, by, "route leads")
    _withdraw_pending(lead)
    lead.refusals = 0
    lead.save(update_fields=["refusals"])
    with scopes_disabled():
        return lead_route(lead=lead)


@transaction.atomic
def lead_offer_to(*, lead: Lead, partner: Partner, by: User) -> LeadOffer:
    """A manager offers the lead to a partner of their choice (a pending offer is withdrawn)."""
    lead = _manager_locked(lead, by, "offer leads")
    if partner.status != Partner.Status.ACTIVE:
        raise RuleViolation({"partner": f"{partner.name} is not active."})
    with scopes_disabled():
        if LeadOffer.objects.filter(lead=lead, partner=partner).exists():
            raise RuleViolation({"partner": f"{partner.name} was already offered this lead."})
        _withdraw_pending(lead)
        return lead_offer(lead=lead, partner=partner, rule=None, reasons=f"Chosen by {by.get_full_name() or by.email}")


@transaction.atomic
def lead_close(*, lead: Lead, by: User, reason: str) -> Lead:
    """A manager closes a lead that is not accepted (spam, duplicate, no longer interested)."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why the lead is closed."})
    check_text(field="reason", value=reason, limit=300)
    lead = _manager_locked(lead, by, "close leads")
    _withdraw_pending(lead)
    _set_lead_status(lead, Lead.Status.CLOSED)
    lead.partner, lead.return_reason = None, reason
    lead.save(update_fields=["partner", "status", "return_reason"])
    return lead


# --- CSV import ----------------------------------------------------------------------------------


@transaction.atomic
def leads_import_csv(*, file, by: User) -> list[Lead]:
    """Import leads from a CSV file with a header row of LEAD_FIELDS names (company,
    contact_name, contact_email and country required). All or nothing: every error names its row
    and column, and no lead is written unless every row is valid; then each lead is routed."""
    require_role(by, *MANAGER_ROLES, action="import leads")
    raw = file.read()
    not_text = "This file is not a CSV text file. Save the sheet as “CSV UTF-8” and upload that file."
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise RuleViolation({"file": not_text}) from None
    if "\x00" in text:
        raise RuleViolation({"file": not_text})
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in LEAD_FIELDS]
    missing = [h for h in ("company", "contact_name", "contact_email", "country") if h not in header]
    if not header or unknown or missing:
        problems = []
        if unknown:
            problems.append(f"unknown columns: {', '.join(unknown)}")
        if missing:
            problems.append(f"missing columns: {', '.join(missing)}")
        raise RuleViolation(
            {
                "file": f"The header row must name the columns ({', '.join(LEAD_FIELDS)}); "
                + "; ".join(problems or ["empty file"])
                + "."
            }
        )
    errors: list[str] = []
    leads = []
    for number, row in enumerate(reader, start=2):
        data = {(k or "").strip(): (v or "") for k, v in row.items() if k}
        try:
            leads.append(lead_validated(data=data, source=Lead.Source.CSV))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.extend(f"Row {number}, column {field}: {message}" for message in messages)
    if not leads and not errors:
        errors.append("The file has no rows below the header.")
    if errors:
        raise RuleViolation({"file": errors})
    created = []
    for lead in leads:
        lead.created_by = by
        lead.save()
        lead_route(lead=lead)
        created.append(lead)
    return created
