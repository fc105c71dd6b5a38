"""Writes of deal registration: submit with conflict detection, the manager's decisions, closing,
protection extensions, expiry and CSV import. Each function states the rule it implements."""

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rapidfuzz import process
from simple_history.utils import bulk_update_with_history

from partners.models import OnboardingEvent, Partner, User
from partners.services import onboarding_event_record
from prm.csv import csv_safe
from prm.domains import email_domain, host_of, registrable_domain
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock, lock_one
from prm.mail import send_templated_mail
from prm.roles import MANAGER_ROLES, PARTNER_ROLES, Role, require_role
from prm.scoping import scopes_disabled
from prm.text import REASON_MAX, check_text
from prm.transitions import check_transition

from .matching import name_blocks, normalize_company_name, scorer
from .models import ConflictMatch, DealRegistration, ExtensionRequest
from .signals import deal_conflict_found, deal_win_reversed, deal_won

Status = DealRegistration.Status
Kind = ConflictMatch.Kind

DEAL_TRANSITIONS = {
    Status.DRAFT: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.APPROVED, Status.REJECTED},
    Status.APPROVED: {Status.WON, Status.LOST, Status.EXPIRED},
}
# A channel-conflict case may award a customer to another registration: then an approved
# (protected) registration is rejected too.
CASE_DECISION_TRANSITIONS = {**DEAL_TRANSITIONS, Status.APPROVED: {*DEAL_TRANSITIONS[Status.APPROVED], Status.REJECTED}}

# The fields a partner gives when registering (API and portal use these names).
DEAL_FIELDS = (
    "customer_name",
    "customer_domain",
    "customer_country",
    "customer_contact_name",
    "customer_contact_email",
    "amount",
    "currency",
    "expected_close_date",
    "products",
    "notes",
)

# Matches kept at most, and 4x as many similar-name candidates scored (a bound on one check).
MAX_SIMILAR_CANDIDATES = 500


# --- Conflict detection ------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    other: DealRegistration
    kind: str
    score: int
    reason: str


def _set_keys(deal: DealRegistration) -> None:
    deal.name_key = normalize_company_name(deal.customer_name)
    deal.name_block, deal.word_block = name_blocks(deal.name_key)
    deal.domain_key = registrable_domain(deal.customer_domain) or ""
    deal.email_domain_key = email_domain(deal.customer_contact_email) or ""


def conflicts_find(deal: DealRegistration) -> list[Match]:
    """Every open registration (submitted or approved) this one may clash with.

    - same registrable domain (customer domain or contact e-mail; free mail ignored) -> strong
    - same normalized name, anywhere -> strong
    - similar normalized name (>= PRM_CONFLICT_SIMILARITY_THRESHOLD) in the same country -> weak
    A match with the partner's own registration is a duplicate. Indexed queries narrow the
    candidates (exact keys; then name blocks in the same country, scored in bulk by RapidFuzz
    on their keys alone), so a check never scans the table: at most three queries.
    """
    domains = {d for d in (deal.domain_key, deal.email_domain_key) if d}
    strong = Q(name_key=deal.name_key) if deal.name_key else Q(pk__in=[])
    if domains:
        strong |= Q(domain_key__in=domains) | Q(email_domain_key__in=domains)
    threshold = settings.PRM_CONFLICT_SIMILARITY_THRESHOLD
    with scopes_disabled():
        open_deals = DealRegistration.objects.filter(status__in=DealRegistration.OPEN_STATUSES).exclude(pk=deal.pk)
        found = {d.pk: d for d in open_deals.filter(strong)[:MAX_SIMILAR_CANDIDATES]}
        similar_scores = {}
        if deal.name_key:
            blocks = {deal.name_block, deal.word_block}
            candidates = (
                open_deals.filter(customer_country=deal.customer_country)
                .filter(Q(name_block__in=blocks) | Q(word_block__in=blocks))
                .exclude(name_key=deal.name_key)
                .values_list("id", "name_key")[: MAX_SIMILAR_CANDIDATES * 4]
            )
            keys = dict(candidates)
            for _, score, pk in process.extract(
                deal.name_key, keys, scorer=scorer, score_cutoff=threshold, limit=MAX_SIMILAR_CANDIDATES
            ):
                if pk not in found:
                    similar_scores[pk] = round(score)
            if similar_scores:
                found.update({d.pk: d for d in open_deals.filter(pk__in=similar_scores)})
    matches = []
    for other in found.values():
        shared = domains & {other.domain_key, other.email_domain_key}
        same_name = bool(deal.name_key) and other.name_key == deal.name_key
        reasons = []
        if shared:
            reasons.append(f"same customer domain {sorted(shared)[0]}")
        if same_name:
            reasons.append(f'same customer name "{deal.name_key}"')
        if reasons:
            kind, score = (Kind.DOMAIN if shared else Kind.NAME), 100
        else:
            kind, score = Kind.SIMILAR_NAME, similar_scores[other.pk]
            reasons.append(
                f'customer name "{other.customer_name}" is {score}% alike in the same country ({deal.customer_country})'
            )
        # Reasons are stored on the partner's own registration: they never name the other partner
        # (staff see the partner beside the reason, in the API and the admin).
        whose = f"registration #{other.pk} ({other.status})"
        if other.partner_id == deal.partner_id:
            kind = Kind.DUPLICATE
            why = f"Duplicate of your own {whose}: {' and '.join(reasons)}"
        else:
            joined = " and ".join(reasons)
            why = f"{joined[0].upper()}{joined[1:]} as {whose}"
        matches.append(Match(other=other, kind=kind, score=score, reason=why[:300]))
    return sorted(matches, key=lambda m: (-m.score, -m.other.pk))


# --- Notifications -----------------------------------------------------------------------------


def _partner_admin_emails(partner_ids) -> dict[int, set[str]]:
    """The active partner admins' addresses of each partner (one query for all of them)."""
    emails: dict[int, set[str]] = {pk: set() for pk in partner_ids}
    with scopes_disabled():
        rows = User.objects.filter(partner_id__in=emails, role=Role.PARTNER_ADMIN, is_active=True)
        for partner_id, email in rows.values_list("partner_id", "email"):
            emails[partner_id].add(email)
    return emails


def _notify(deal: DealRegistration, headline: str, detail: str = "", admins: set[str] | None = None) -> None:
    """Tell the partner (who registered it, and the partner admins) what happened to a deal.
    Never names another partner: conflict details are for managers only. Batch callers pass
    the partner admins' addresses they looked up at once."""
    if admins is None:
        admins = _partner_admin_emails([deal.partner_id])[deal.partner_id]
    recipients = set(admins)
    registrant = deal.registered_by
    if registrant and registrant.is_active and registrant.partner_id == deal.partner_id:
        recipients.add(registrant.email)
    if recipients:
        send_templated_mail(
            to=sorted(recipients),
            template="deals/email/deal_update",
            context={
                "deal": deal,
                "headline": headline,
                "detail": detail,
                "link": f"{settings.SITE_URL}/portal/deals/{deal.pk}/",
            },
        )


# --- Submit --------------------------------------------------------------------------------------


def _clean_data(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in DEAL_FIELDS}
    if "customer_domain" in data:
        data["customer_domain"] = host_of(data["customer_domain"] or "")
        if data["customer_domain"].startswith("www."):
            data["customer_domain"] = data["customer_domain"][4:]
    if "currency" in data:
        data["currency"] = (data["currency"] or "").strip().upper()
    if "customer_contact_email" in data:
        data["customer_contact_email"] = (data["customer_contact_email"] or "").strip().lower()
    if "products" in data:
        data["products"] = [" ".join(str(p).split()) for p in (data["products"] or [])]
    if "customer_name" in data:
        data["customer_name"] = " ".join((data["customer_name"] or "").split())
    return data


def _validated_deal(*, partner: Partner, user: User | None, data: dict, today: date | None = None) -> DealRegistration:
    deal = DealRegistration(partner=partner, registered_by=user, **_clean_data(data))
    errors: dict[str, list[str]] = {}
    try:
        deal.full_clean(exclude=["partner", "registered_by"])
    except ValidationError as error:
        errors = error.message_dict
    close_date = deal.expected_close_date
    if (
        isinstance(close_date, date)
        and "expected_close_date" not in errors
        and close_date < (today or timezone.localdate())
    ):
        errors["expected_close_date"] = ["The expected close date cannot be in the past."]
    if "customer_name" not in errors and not normalize_company_name(deal.customer_name):
        errors["customer_name"] = ["Enter the customer's company name."]
    if errors:
        raise RuleViolation(errors)
    return deal


def deal_field_errors(*, partner: Partner, data: dict) -> dict[str, list[str]]:
    """The errors the registration rules find in the fields given (missing fields are not
    reported here), so that one answer can name every invalid field."""
    present = [field for field in DEAL_FIELDS if field in data]
    try:
        _validated_deal(partner=partner, user=None, data={**_placeholders(), **data})
    except ValidationError as error:
        return {field: messages for field, messages in error.message_dict.items() if field in present}
    return {}


def _placeholders() -> dict:
    """Valid values for fields a caller has not given (deal_field_errors checks the others)."""
    return {
        "customer_name": "Placeholder",
        "customer_domain": "example.com",
        "customer_country": "US",
        "amount": Decimal("1"),
        "currency": "USD",
        "expected_close_date": timezone.localdate(),
        "products": [],
    }


def _record_submission(deal: DealRegistration) -> DealRegistration:
    deal.status = Status.SUBMITTED
    deal.submitted_at = timezone.now()
    _set_keys(deal)
    deal.save()
    matches = conflicts_find(deal)
    if matches:
        ConflictMatch.objects.bulk_create(
            [ConflictMatch(deal=deal, other=m.other, kind=m.kind, score=m.score, reason=m.reason) for m in matches]
        )
        deal.in_conflict_review = True
        deal.save(update_fields=["in_conflict_review"])
        transaction.on_commit(lambda: deal_conflict_found.send(sender=DealRegistration, deal=deal, matches=matches))
    _notify(
        deal,
        "Your deal registration is received and in conflict review."
        if deal.in_conflict_review
        else "Your deal registration is received.",
        "Another registration for this customer exists, so a partner manager reviews it before deciding."
        if deal.in_conflict_review
        else "A partner manager will approve or reject it.",
    )
    return deal


@transaction.atomic
def deal_submit(*, partner: Partner, user: User, data: dict) -> DealRegistration:
    """A partner user registers a customer opportunity; it is checked for channel conflict at once.

    Every field is validated (nothing is written on bad input); the registration is in conflict
    review when it matches any open registration of another partner, or duplicates one of its own.
    """
    _require_member(user, partner)
    return _record_submission(_validated_deal(partner=partner, user=user, data=data))


def _require_member(user: User, partner: Partner) -> None:
    if not (user.is_active and user.partner_id == partner.pk and user.role in PARTNER_ROLES):
        raise PermissionDenied("Only users of this partner organization register its deals.")
    if partner.status in (Partner.Status.SUSPENDED, Partner.Status.TERMINATED):
        raise PermissionDenied(f"{partner.name} is {partner.status}: deals cannot be registered.")


@transaction.atomic
def deal_save_draft(
    *, partner: Partner, user: User, data: dict, deal: DealRegistration | None = None
) -> DealRegistration:
    """A partner user keeps a registration as a draft to finish later: validated like a
    submission, but neither checked for conflicts nor protected, and no one is notified."""
    _require_member(user, partner)
    if deal is not None and (deal.partner_id != partner.pk or deal.status != Status.DRAFT):
        raise StateConflict("Only a draft of your organization can be edited.")
    draft = _validated_deal(partner=partner, user=deal.registered_by if deal else user, data=data)
    draft.pk = deal.pk if deal else None
    draft.status = Status.DRAFT
    if deal is not None:
        draft.created_at = deal.created_at
    _set_keys(draft)
    draft.save()
    return draft


@transaction.atomic
def deal_submit_draft(*, deal: DealRegistration, user: User) -> DealRegistration:
    """Submit a draft: validated again (its dates may have passed), then checked for conflicts."""
    _require_member(user, deal.partner)
    deal = _locked(deal)
    check_transition(DEAL_TRANSITIONS, deal.status, Status.SUBMITTED, what="deal")
    data = {field: getattr(deal, field) for field in DEAL_FIELDS}
    checked = _validated_deal(partner=deal.partner, user=deal.registered_by, data=data)
    checked.pk, checked.created_at = deal.pk, deal.created_at
    return _record_submission(checked)


@transaction.atomic
def deal_discard_draft(*, deal: DealRegistration, user: User) -> None:
    """A draft that will not be submitted is deleted (its history stays in the audit trail)."""
    _require_member(user, deal.partner)
    if deal.status != Status.DRAFT:
        raise StateConflict("Only drafts can be discarded.")
    deal.delete()


# --- Decisions -----------------------------------------------------------------------------------


BUSY_DEAL = "Someone else is changing this deal right now. Try again in a moment."


def _locked(deal: DealRegistration) -> DealRegistration:
    """The deal's row, locked within PRM_LOCK_TIMEOUT (``Busy`` when another request holds it)."""
    with scopes_disabled():
        return lock_one(
            DealRegistration.objects.select_related("partner__tier", "registered_by"), deal.pk, message=BUSY_DEAL
        )


def protection_days(partner: Partner) -> int:
    tier = partner.tier
    return tier.protection_days if tier and tier.protection_days else settings.PRM_DEFAULT_PROTECTION_DAYS


@transaction.atomic
def deal_approve(*, deal: DealRegistration, by: User) -> DealRegistration:
    """A manager approves: the deal is protected for the partner tier's protection days."""
    require_role(by, *MANAGER_ROLES, action="approve deals")
    deal = _locked(deal)
    check_transition(DEAL_TRANSITIONS, deal.status, Status.APPROVED, what="deal")
    deal.status = Status.APPROVED
    deal.protected_until = timezone.localdate() + timedelta(days=protection_days(deal.partner))
    deal.in_conflict_review = False
    deal.decided_by, deal.decided_at = by, timezone.now()
    deal.approved_at = deal.decided_at
    deal.save()
    _notify(deal, "Your deal registration is approved.", f"It is protected until {deal.protected_until:%d %B %Y}.")
    return deal


@transaction.atomic
def deal_register_from_lead(*, partner: Partner, user: User, data: dict) -> DealRegistration:
    """A partner accepted a lead the vendor passed to it: the lead becomes a registration that is
    approved and protected at once (the vendor chose the partner, so no manager decides again)
    and counted as vendor-sourced. Every field is validated like a partner's registration. It is
    still checked for channel conflict, and what is found is stored for the managers to see;
    it does not hold the registration in review."""
    _require_member(user, partner)
    deal = _validated_deal(partner=partner, user=user, data=data)
    deal.source = DealRegistration.Source.VENDOR
    deal.status = Status.APPROVED
    deal.submitted_at = deal.approved_at = deal.decided_at = timezone.now()
    deal.protected_until = timezone.localdate() + timedelta(days=protection_days(partner))
    _set_keys(deal)
    deal.save()
    matches = conflicts_find(deal)
    if matches:
        ConflictMatch.objects.bulk_create(
            [ConflictMatch(deal=deal, other=m.other, kind=m.kind, score=m.score, reason=m.reason) for m in matches]
        )
    return deal


@transaction.atomic
def deal_reject(*, deal: DealRegistration, by: User, reason: str, case_id: int | None = None) -> DealRegistration:
    """A manager rejects with a reason the partner reads. Deciding a channel-conflict case
    (``case_id``), a manager may also reject an approved registration: its protection ends."""
    require_role(by, *MANAGER_ROLES, action="reject deals")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why the registration is rejected; the partner reads it."})
    check_text(field="reason", value=reason, limit=REASON_MAX)
    deal = _locked(deal)
    check_transition(
        CASE_DECISION_TRANSITIONS if case_id else DEAL_TRANSITIONS, deal.status, Status.REJECTED, what="deal"
    )
    deal.status = Status.REJECTED
    deal.protected_until = None
    deal.rejection_reason = reason
    deal.in_conflict_review = False
    deal.decided_by, deal.decided_at = by, timezone.now()
    deal.save()
    _notify(deal, "Your deal registration is rejected.", f"Reason: {reason}")
    return deal


def _parse_amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise RuleViolation({"amount": "Enter the amount as a number, e.g. 48000.00."}) from None


@transaction.atomic
def deal_close(
    *, deal: DealRegistration, by: User, outcome: str, amount=None, closed_on: date | None = None
) -> DealRegistration:
    """A manager closes an approved deal: won (with the final amount and date) or lost.

    A win is announced (``deal_won``) for commissions and closes the "first deal" onboarding task.
    """
    require_role(by, *MANAGER_ROLES, action="close deals")
    if outcome not in (Status.WON, Status.LOST):
        raise RuleViolation({"outcome": 'Choose "won" or "lost".'})
    errors = {}
    amount = _parse_amount(amount)
    closed_on = closed_on or timezone.localdate()
    if closed_on > timezone.localdate():
        errors["closed_on"] = "A deal cannot close in the future."
    if outcome == Status.WON:
        if amount is None or amount <= 0:
            errors["amount"] = "Give the final amount of the won deal (more than 0)."
        elif amount.as_tuple().exponent < -2 or amount >= Decimal("1e12"):
            errors["amount"] = "Give the amount with at most two decimals."
    if errors:
        raise RuleViolation(errors)
    deal = _locked(deal)
    check_transition(DEAL_TRANSITIONS, deal.status, outcome, what="deal")
    deal.status = outcome
    deal.closed_on = closed_on
    deal.final_amount = amount if outcome == Status.WON else None
    deal.decided_by, deal.decided_at = by, timezone.now()
    deal.save()
    if outcome == Status.WON:
        onboarding_event_record(partner=deal.partner, event=OnboardingEvent.FIRST_DEAL_WON, by=by)
        deal_won.send(sender=DealRegistration, deal=deal, by=by)
        _notify(
            deal,
            "Congratulations: your deal is won.",
            f"Final amount {deal.final_amount:,.2f} {deal.currency}, closed on {closed_on:%d %B %Y}.",
        )
    else:
        _notify(deal, "Your deal is closed as lost.")
    return deal


@transaction.atomic
def deal_reverse_win(*, deal: DealRegistration, by: User, reason: str) -> DealRegistration:
    """A manager undoes a win (refund, cancelled order) within PRM_CLAWBACK_DAYS of the close:
    the deal becomes lost and its commission is clawed back by new, negative lines."""
    require_role(by, *MANAGER_ROLES, action="reverse won deals")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why the win is reversed; the partner reads it."})
    check_text(field="reason", value=reason, limit=REASON_MAX)
    deal = _locked(deal)
    if deal.status != Status.WON:
        raise StateConflict("Only a won deal can have its win reversed.")
    window_end = deal.closed_on + timedelta(days=settings.PRM_CLAWBACK_DAYS)
    if timezone.localdate() > window_end:
        raise StateConflict(f"The clawback window ended on {window_end:%d %B %Y}; book an adjustment instead.")
    deal.status = Status.LOST
    deal.reversal_reason = reason
    deal.decided_by, deal.decided_at = by, timezone.now()
    deal.save()
    deal_win_reversed.send(sender=DealRegistration, deal=deal, by=by, reason=reason)
    _notify(deal, "The win of this deal is reversed.", f"Reason: {reason}. Its commission is clawed back.")
    return deal


# --- Protection extensions ---------------------------------------------------------------------


@transaction.atomic
def extension_request(*, deal: DealRegistration, by: User, reason: str) -> ExtensionRequest:
    """A partner user asks for longer protection of an approved deal, saying why."""
    if not (by.is_active and by.partner_id == deal.partner_id):
        raise PermissionDenied("Only users of this partner organization ask for extensions of its deals.")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why the deal needs more time."})
    check_text(field="reason", value=reason, limit=REASON_MAX)
    deal = _locked(deal)
    if deal.status != Status.APPROVED:
        raise StateConflict("Only approved deals can be extended.")
    with scopes_disabled():
        if ExtensionRequest.objects.filter(deal=deal, status=ExtensionRequest.Status.PENDING).exists():
            raise StateConflict("An extension request for this deal is already waiting for a decision.")
    return ExtensionRequest.objects.create(deal=deal, requested_by=by, reason=reason)


@transaction.atomic
def extension_grant(
    *, request: ExtensionRequest, by: User, protected_until: date | None = None, note: str = ""
) -> ExtensionRequest:
    """A manager grants: protection runs until the given date (default: one more tier period)."""
    require_role(by, *MANAGER_ROLES, action="grant extensions")
    note = check_text(field="note", value=(note or "").strip(), limit=REASON_MAX)
    with scopes_disabled():
        request = lock_one(ExtensionRequest.objects.all(), request.pk)
    if request.status != ExtensionRequest.Status.PENDING:
        raise StateConflict("This request is already decided.")
    deal = _locked(request.deal)
    if deal.status != Status.APPROVED:
        raise StateConflict("The deal is no longer approved; nothing to extend.")
    new_date = protected_until or deal.protected_until + timedelta(days=protection_days(deal.partner))
    if new_date <= deal.protected_until:
        raise RuleViolation({"protected_until": f"Choose a date after {deal.protected_until:%d %B %Y}."})
    deal.protected_until = new_date
    deal.save(update_fields=["protected_until"])
    request.status = ExtensionRequest.Status.GRANTED
    request.new_protected_until = new_date
    request.decided_by, request.decided_at, request.decision_note = by, timezone.now(), note
    request.save()
    _notify(deal, "Your extension request is granted.", f"The deal is now protected until {new_date:%d %B %Y}.")
    return request


@transaction.atomic
def extension_refuse(*, request: ExtensionRequest, by: User, note: str) -> ExtensionRequest:
    """A manager refuses, saying why."""
    require_role(by, *MANAGER_ROLES, action="refuse extensions")
    note = (note or "").strip()
    if not note:
        raise RuleViolation({"note": "Say why the extension is refused; the partner reads it."})
    check_text(field="note", value=note, limit=REASON_MAX)
    with scopes_disabled():
        request = lock_one(ExtensionRequest.objects.select_related("deal"), request.pk)
    if request.status != ExtensionRequest.Status.PENDING:
        raise StateConflict("This request is already decided.")
    request.status = ExtensionRequest.Status.REFUSED
    request.decided_by, request.decided_at, request.decision_note = by, timezone.now(), note
    request.save()
    _notify(request.deal, "Your extension request is refused.", f"Reason: {note}")
    return request


# --- Expiry --------------------------------------------------------------------------------------


@transaction.atomic
def deals_expire(*, today: date | None = None) -> int:
    """Approved deals whose protection ended before today expire (daily). Returns how many."""
    today = today or timezone.localdate()
    with scopes_disabled():
        lapsed = lock(
            DealRegistration.objects.filter(status=Status.APPROVED, protected_until__lt=today).select_related(
                "registered_by"
            )
        )
    for deal in lapsed:
        deal.status = Status.EXPIRED
    bulk_update_with_history(
        lapsed, DealRegistration, ["status"], batch_size=500, default_change_reason="Protection ended"
    )
    admins = _partner_admin_emails({deal.partner_id for deal in lapsed})
    for deal in lapsed:
        _notify(
            deal,
            "Your deal registration expired.",
            f"Its protection ended on {deal.protected_until:%d %B %Y}.",
            admins=admins[deal.partner_id],
        )
    return len(lapsed)


# --- CSV import and export ---------------------------------------------------------------------

CSV_COLUMNS = ["partner", *DEAL_FIELDS]
EXPORT_COLUMNS = [
    "id",
    "partner",
    "status",
    "in_conflict_review",
    "customer_name",
    "customer_domain",
    "customer_country",
    "customer_contact_name",
    "customer_contact_email",
    "amount",
    "currency",
    "expected_close_date",
    "products",
    "notes",
    "protected_until",
    "final_amount",
    "closed_on",
    "submitted_at",
]


def _row_data(row: dict) -> dict:
    data = {field: (row.get(field) or "").strip() for field in DEAL_FIELDS}
    data["products"] = [p.strip() for p in data["products"].split(";") if p.strip()]
    return data


def _parse_date(value: str) -> date | str:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value


@transaction.atomic
def deals_import_csv(*, text: str, by: User) -> tuple[int, list[str]]:
    """A manager imports registrations on behalf of partners from CSV (columns: partner, then the
    API's deal fields; products separated by ";"). Every row is validated first: when any row
    fails, nothing is imported and each error names its row and field."""
    require_role(by, *MANAGER_ROLES, action="import deals")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [
        c
        for c in (
            "partner",
            "customer_name",
            "customer_domain",
            "customer_country",
            "amount",
            "currency",
            "expected_close_date",
        )
        if c not in (reader.fieldnames or [])
    ]
    if missing:
        return 0, [f"The header lacks the column(s): {', '.join(missing)}."]
    with scopes_disabled():
        partners = {p.name.lower(): p for p in Partner.objects.all()} | {str(p.pk): p for p in Partner.objects.all()}
    rows, errors = [], []
    for number, row in enumerate(reader, start=2):
        partner = partners.get((row.get("partner") or "").strip().lower())
        if partner is None:
            errors.append(f"Row {number}: partner: no partner named or numbered {row.get('partner')!r}.")
            continue
        data = _row_data(row)
        data["expected_close_date"] = _parse_date(data["expected_close_date"])
        try:
            rows.append(_validated_deal(partner=partner, user=None, data=data))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors.extend(f"Row {number}: {field}: {message}" for message in messages)
    if not rows and not errors:
        errors.append("The file has no rows.")
    if errors:
        return 0, errors
    for deal in rows:
        _record_submission(deal)
    return len(rows), []


def deals_export_rows(deals) -> list[list[str]]:
    """One row per registration, with the columns of EXPORT_COLUMNS; typed text through ``csv_safe``."""
    rows = [EXPORT_COLUMNS]
    for d in deals:
        rows.append(
            [
                d.pk,
                csv_safe(d.partner.name),
                d.status,
                "yes" if d.in_conflict_review else "no",
                csv_safe(d.customer_name),
                csv_safe(d.customer_domain),
                str(d.customer_country),
                csv_safe(d.customer_contact_name),
                csv_safe(d.customer_contact_email),
                f"{d.amount:.2f}",
                d.currency,
                d.expected_close_date.isoformat(),
                csv_safe(";".join(d.products)),
                csv_safe(d.notes),
                d.protected_until.isoformat() if d.protected_until else "",
                f"{d.final_amount:.2f}" if d.final_amount is not None else "",
                d.closed_on.isoformat() if d.closed_on else "",
                d.submitted_at.isoformat() if d.submitted_at else "",
            ]
        )
    return rows
