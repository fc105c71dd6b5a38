"""Writes of market development funds: allocations (by tier rule or by hand), fund requests
(submit, withdraw, approve fully or partly, reject), claims with proof of performance (submit,
approve with a reimbursement booked in the ledger, reject) and the daily expiry of unclaimed funds.

Every rule is stated in the docstring of the service that implements it; the admin, the portal,
the API and the task call these and nothing else."""

import calendar
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from deals.models import DealRegistration
from incentives.services import reimbursement_book
from partners.models import Partner, User
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock, lock_one
from prm.mail import send_templated_mail
from prm.money import format_money, is_currency, round_money
from prm.roles import FINANCE_ROLES, MANAGER_ROLES, PARTNER_ROLES, Role, require_role
from prm.scoping import scopes_disabled
from prm.text import NOTES_MAX, REASON_MAX, check_text
from prm.transitions import check_transition
from prm.uploads import display_name, extension_of, storage_name, validate_upload

from ..models import (
    ActivityDeal,
    ActivityType,
    AllocationPeriod,
    ClaimProof,
    FundAllocation,
    FundClaim,
    FundRequest,
    FundTierRule,
)
from ..selectors.funds import allocation_covering, available_of, claim_window_refusal, linkable_deals

Status = FundRequest.Status
TRANSITIONS = {
    Status.SUBMITTED: {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN},
    Status.APPROVED: {Status.CLAIMED, Status.EXPIRED},
    # A refused claim: claim again, or, past the claim deadline, the funds expire at once.
    Status.CLAIMED: {Status.REIMBURSED, Status.APPROVED, Status.EXPIRED},
}
CLAIM_TRANSITIONS = {FundClaim.Status.SUBMITTED: {FundClaim.Status.APPROVED, FundClaim.Status.REJECTED}}
# Proof of performance: invoices, photos, attendee lists; checked like content uploads.
PROOF_EXTENSIONS = ("pdf", "png", "jpg", "jpeg", "webp", "csv", "xlsx", "docx")
PROOF_KINDS = {
    "png": ClaimProof.Kind.PHOTO,
    "jpg": ClaimProof.Kind.PHOTO,
    "jpeg": ClaimProof.Kind.PHOTO,
    "webp": ClaimProof.Kind.PHOTO,
    "csv": ClaimProof.Kind.ATTENDEES,
    "xlsx": ClaimProof.Kind.ATTENDEES,
    "pdf": ClaimProof.Kind.INVOICE,
    "docx": ClaimProof.Kind.OTHER,
}
MAX_PROOFS = 10
REQUEST_FIELDS = ("activity_type", "title", "starts_on", "ends_on", "planned_cost", "expected_leads", "description")


def _raise(errors: dict) -> None:
    if errors:
        raise RuleViolation({k: v if isinstance(v, list) else [v] for k, v in errors.items()})


def _money(errors: dict, field: str, value, *, what: str) -> Decimal | None:
    try:
        amount = Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        amount = None
    if amount is None or not amount.is_finite():
        errors[field] = f"Give the {what} as an amount, e.g. 2500.00."
        return None
    if amount <= 0:
        errors[field] = f"The {what} must be more than zero."
    elif round_money(amount) != amount:
        errors[field] = f"Give the {what} with at most two decimals."
    return amount


def _text(errors: dict, field: str, value, *, limit: int, what: str, multiline: bool = True) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = f"Write {what}."
        return value
    try:
        check_text(field=field, value=value, limit=limit, multiline=multiline)
    except RuleViolation as error:
        errors[field] = error.message_dict[field]
    return value


def _require_partner_user(user: User, partner_id: int, *, action: str) -> None:
    if not (user and user.is_authenticated and user.is_active and user.role in PARTNER_ROLES):
        raise PermissionDenied(f"Only partner users may {action}.")
    if user.partner_id != partner_id:
        raise PermissionDenied(f"Only users of the request's organization may {action}.")


def _locked_request(request: FundRequest) -> FundRequest:
    with scopes_disabled():
        return lock_one(
            FundRequest.objects.select_related("allocation", "partner"),
            request.pk,
            message="Someone else is deciding this fund request right now. Try again in a moment.",
        )


def _tell_partner(request: FundRequest, headline: str, detail: str = "") -> None:
    """Mail the partner's active admins and whoever submitted the request (after commit)."""
    with scopes_disabled():
        emails = sorted(
            set(
                User.objects.filter(partner_id=request.partner_id, is_active=True)
                .filter(Q(role=Role.PARTNER_ADMIN) | Q(pk=request.submitted_by_id))
                .values_list("email", flat=True)
            )
        )
    if emails:
        send_templated_mail(
            to=emails,
            template="marketing/email/fund_update",
            context={
                "request": request,
                "headline": headline,
                "detail": detail,
                "link": settings.SITE_URL + reverse("funds:detail", args=[request.pk]),
            },
        )


# --- Allocations ---------------------------------------------------------------------------------


def period_of(*, period: str, on: date) -> tuple[date, date]:
    """The calendar year or quarter holding ``on``."""
    if period == AllocationPeriod.QUARTER:
        first_month = 3 * ((on.month - 1) // 3) + 1
        last_month = first_month + 2
        return date(on.year, first_month, 1), date(on.year, last_month, calendar.monthrange(on.year, last_month)[1])
    return date(on.year, 1, 1), date(on.year, 12, 31)


def _overlapping(partner_id: int, currency: str, start: date, end: date, *, exclude=None):
    with scopes_disabled():
        found = FundAllocation.objects.filter(
            partner_id=partner_id, currency=currency, period_start__lte=end, period_end__gte=start
        )
        if exclude is not None:
            found = found.exclude(pk=exclude)
        return found.first()


@transaction.atomic
def allocation_create(
    *,
    partner: Partner,
    period_start: date,
    period_end: date,
    currency: str,
    allocated: Decimal,
    by: User,
    note: str = "",
    tier_rule: FundTierRule | None = None,
) -> FundAllocation:
    """A manager sets money aside for one partner over a period, in one currency. A partner's
    allocations in one currency never overlap (the partner row is locked while checking, so two
    managers cannot both add one); the period runs forward."""
    require_role(by, *MANAGER_ROLES, action="allocate market development funds")
    errors: dict = {}
    currency = (currency or "").upper()
    if not is_currency(currency):
        errors["currency"] = "Enter an ISO 4217 currency code."
    allocated = _money(errors, "allocated", allocated, what="allocated amount")
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = "The period cannot end before it starts."
    if note:
        _text(errors, "note", note, limit=300, what="a note", multiline=False)
    _raise(errors)
    with scopes_disabled():
        lock_one(Partner.objects.all(), partner.pk, message="Someone else is allocating funds to this partner.")
    other = _overlapping(partner.pk, currency, period_start, period_end)
    if other is not None:
        raise RuleViolation(
            {
                "period_start": [
                    f"{partner.name} already has a {currency} allocation for an overlapping period: {other}."
                ]
            }
        )
    return FundAllocation.objects.create(
        partner=partner,
        period_start=period_start,
        period_end=period_end,
        currency=currency,
        allocated=allocated,
        note=note,
        created_by=by,
        source=FundAllocation.Source.TIER_RULE if tier_rule else FundAllocation.Source.MANUAL,
        tier_rule=tier_rule,
    )


@transaction.atomic
def allocations_for_period(*, on: date, by: User) -> list[FundAllocation]:
    """Allocate by tier rule for the period holding ``on``: for each active rule, every active
    partner of the rule's tier that has no allocation in the rule's currency overlapping the
    rule's period (the year or quarter holding ``on``) gets one of the rule's amount. Running it
    again allocates nothing twice."""
    require_role(by, *MANAGER_ROLES, action="allocate market development funds")
    created = []
    with scopes_disabled():
        rules = list(FundTierRule.objects.filter(active=True).select_related("tier"))
        for rule in rules:
            start, end = period_of(period=rule.period, on=on)
            partners = Partner.objects.filter(tier=rule.tier, status=Partner.Status.ACTIVE).order_by("pk")
            taken = set(
                FundAllocation.objects.filter(
                    currency=rule.currency, period_start__lte=end, period_end__gte=start
                ).values_list("partner_id", flat=True)
            )
            for partner in partners:
                if partner.pk in taken:
                    continue
                created.append(
                    allocation_create(
                        partner=partner,
                        period_start=start,
                        period_end=end,
                        currency=rule.currency,
                        allocated=rule.amount,
                        by=by,
                        tier_rule=rule,
                    )
                )
                taken.add(partner.pk)
    return created


# --- Requests ------------------------------------------------------------------------------------


@transaction.atomic
def fund_request_submit(
    *,
    partner: Partner,
    user: User,
    activity_type: str,
    title: str,
    starts_on: date,
    ends_on: date,
    planned_cost: Decimal,
    description: str,
    expected_leads: int | None = 0,
) -> FundRequest:
    """A partner user asks for funds for one marketing activity. It is drawn on the partner's
    allocation whose period holds the activity (its currency is the allocation's) and asks for
    at most that allocation's available balance (named when refused); the activity must not have
    ended yet, and its last day is not before its first."""
    _require_partner_user(user, partner.pk, action="request market development funds")
    errors: dict = {}
    if activity_type not in ActivityType.values:
        errors["activity_type"] = "Choose event, webinar, digital campaign or content."
    title = _text(errors, "title", title, limit=200, what="a title", multiline=False)
    description = _text(errors, "description", description, limit=NOTES_MAX, what="what the activity is")
    planned_cost = _money(errors, "planned_cost", planned_cost, what="planned cost")
    if expected_leads is None or int(expected_leads) < 0:
        errors["expected_leads"] = "Give the leads you expect as a number, 0 or more."
    allocation = None
    if not starts_on:
        errors["starts_on"] = "Give the activity's first day."
    if not ends_on:
        errors["ends_on"] = "Give the activity's last day."
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = "The activity cannot end before it starts."
        elif ends_on < timezone.localdate():
            errors["ends_on"] = "The activity has ended already: ask for funds before it ends."
        else:
            allocation = allocation_covering(partner=partner, starts_on=starts_on, ends_on=ends_on)
            if allocation is None:
                errors["starts_on"] = "No fund allocation of your organization covers these dates."
            elif "planned_cost" not in errors:
                with scopes_disabled():
                    available = available_of(allocation)
                if planned_cost > available:
                    errors["planned_cost"] = (
                        f"Your allocation has {format_money(available, allocation.currency)} available: "
                        f"ask for at most that."
                    )
    _raise(errors)
    return FundRequest.objects.create(
        allocation=allocation,
        partner=partner,
        activity_type=activity_type,
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        planned_cost=planned_cost,
        expected_leads=int(expected_leads or 0),
        description=description,
        submitted_by=user,
        submitted_at=timezone.now(),
    )


@transaction.atomic
def fund_request_withdraw(*, request: FundRequest, by: User) -> FundRequest:
    """The partner withdraws a request while it waits for a decision."""
    _require_partner_user(by, request.partner_id, action="withdraw this fund request")
    request = _locked_request(request)
    check_transition(TRANSITIONS, request.status, Status.WITHDRAWN, what="fund request")
    request.status = Status.WITHDRAWN
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    return request


def claim_deadline_of(request: FundRequest) -> date:
    """The last day a claim is taken: PRM_MDF_CLAIM_DAYS after the activity ends, or the
    allocation period's last day when that comes first (the period's funds end with it)."""
    return min(request.ends_on + timedelta(days=settings.PRM_MDF_CLAIM_DAYS), request.allocation.period_end)


@transaction.atomic
def fund_request_approve(*, request: FundRequest, amount: Decimal | None, by: User) -> FundRequest:
    """A manager approves a submitted request, fully (no amount: the planned cost) or partly
    (0 < amount <= planned cost). Approval never overspends the allocation: its row is locked,
    the available balance is computed under the lock, and an amount above it is refused naming
    what is available. The claim deadline is PRM_MDF_CLAIM_DAYS after the activity ends, but never
    after the allocation's period: unclaimed funds expire at the period's end."""
    require_role(by, *MANAGER_ROLES, action="approve fund requests")
    with scopes_disabled():
        lock_one(
            FundAllocation.objects.all(),
            request.allocation_id,
            message="Someone else is approving funds on this allocation. Try again in a moment.",
        )
    request = _locked_request(request)
    check_transition(TRANSITIONS, request.status, Status.APPROVED, what="fund request")
    errors: dict = {}
    amount = request.planned_cost if amount in (None, "") else _money(errors, "amount", amount, what="amount")
    _raise(errors)
    currency = request.allocation.currency
    if amount > request.planned_cost:
        raise RuleViolation(
            {"amount": [f"Approve at most the planned cost, {format_money(request.planned_cost, currency)}."]}
        )
    with scopes_disabled():
        available = available_of(request.allocation)
    if amount > available:
        raise RuleViolation(
            {
                "amount": [
                    f"Only {format_money(available, currency)} is available on this allocation: "
                    f"approve that much at most."
                ]
            }
        )
    request.status = Status.APPROVED
    request.approved_amount = amount
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_reason = ""
    request.claim_deadline = claim_deadline_of(request)
    request.save()
    partly = amount < request.planned_cost
    _tell_partner(
        request,
        f"Funds approved: {request.title}",
        f"{'Partly approved' if partly else 'Approved'}: {format_money(amount, currency)}. "
        f"Claim the cost with proof of performance after the activity, by {request.claim_deadline:%d %b %Y}.",
    )
    return request


@transaction.atomic
def fund_request_reject(*, request: FundRequest, reason: str, by: User) -> FundRequest:
    """A manager rejects a submitted request with a reason the partner reads."""
    require_role(by, *MANAGER_ROLES, action="reject fund requests")
    errors: dict = {}
    reason = _text(errors, "reason", reason, limit=REASON_MAX, what="the reason")
    _raise(errors)
    request = _locked_request(request)
    check_transition(TRANSITIONS, request.status, Status.REJECTED, what="fund request")
    request.status = Status.REJECTED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_reason = reason
    request.save()
    _tell_partner(request, f"Fund request rejected: {request.title}", reason)
    return request


# --- Claims --------------------------------------------------------------------------------------


def _check_proofs(errors: dict, files) -> list:
    files = [f for f in (files or []) if f]
    if not files:
        errors["proofs"] = "Add at least one proof: an invoice, photos or the attendee list."
    elif len(files) > MAX_PROOFS:
        errors["proofs"] = f"At most {MAX_PROOFS} files at once."
    else:
        for file in files:
            try:
                validate_upload(file, field="proofs", allowed=PROOF_EXTENSIONS, max_bytes=settings.PRM_UPLOAD_MAX_BYTES)
            except RuleViolation as error:
                errors["proofs"] = error.message_dict["proofs"]
                break
    return files


def _check_deals(errors: dict, request: FundRequest, deals: list) -> list:
    """The deals a claim may link: the partner's own, as ``linkable_deals`` says (partner-sourced,
    registered since the activity began, not drafts nor rejected, not another activity's), or already linked to
    this request by an earlier claim. The deal rows are locked (pk order) before the check, so two
    claims linking one deal at once are told apart: the second sees the first's link."""
    if not deals:
        return deals
    foreign = next(
        (d for d in deals if not isinstance(d, DealRegistration) or d.partner_id != request.partner_id), None
    )
    if foreign is not None:
        errors["deals"] = "Link only your organization's own deal registrations."
        return deals
    with scopes_disabled():
        locked = lock(
            DealRegistration.objects.filter(pk__in=[d.pk for d in deals]),
            message="Someone else is linking these deals right now. Try again in a moment.",
        )
        allowed = set(
            linkable_deals(request.partner, since=request.starts_on)
            .filter(pk__in=[d.pk for d in locked])
            .values_list("pk", flat=True)
        )
        allowed |= set(ActivityDeal.objects.filter(request=request).values_list("deal_id", flat=True))
        taken = set(
            ActivityDeal.objects.filter(deal__in=locked).exclude(request=request).values_list("deal_id", flat=True)
        )
    for deal in locked:
        if deal.pk in allowed:
            continue
        if deal.status == DealRegistration.Status.DRAFT or not deal.submitted_at:
            errors["deals"] = f"{deal.customer_name} is a draft: submit the registration before linking it."
        elif deal.status == DealRegistration.Status.REJECTED:
            errors["deals"] = f"{deal.customer_name} was rejected, so it cannot count for the activity."
        elif deal.pk in taken:
            errors["deals"] = f"{deal.customer_name} is already linked to another activity."
        elif deal.source != DealRegistration.Source.PARTNER:
            errors["deals"] = f"{deal.customer_name} came from a lead the vendor passed on, not from the activity."
        else:
            errors["deals"] = f"{deal.customer_name} was registered before the activity began."
        break
    return locked


@transaction.atomic
def fund_claim_submit(
    *,
    request: FundRequest,
    by: User,
    amount: Decimal,
    leads_generated: int | None,
    results: str,
    proofs: list,
    deals: list | None = None,
) -> FundClaim:
    """After the activity (from its last day on) and until the claim deadline, the partner claims
    its actual cost (at most the approved amount) with proof of performance (at least one file,
    checked like content uploads) and results; deals of its own organization that came from the
    activity (registered from its first day on) are linked to it, a deal counting for one
    activity only. Late claims are refused, naming the deadline."""
    _require_partner_user(by, request.partner_id, action="claim these funds")
    request = _locked_request(request)
    check_transition(TRANSITIONS, request.status, Status.CLAIMED, what="fund request")
    refusal = claim_window_refusal(request, today=timezone.localdate())
    if refusal:
        raise StateConflict(refusal)
    errors: dict = {}
    currency = request.allocation.currency
    amount = _money(errors, "amount", amount, what="amount")
    if "amount" not in errors and amount > request.approved_amount:
        errors["amount"] = f"Claim at most the approved {format_money(request.approved_amount, currency)}."
    if leads_generated is None or int(leads_generated) < 0:
        errors["leads_generated"] = "Give the leads generated as a number, 0 or more."
    results = _text(errors, "results", results, limit=NOTES_MAX, what="the results of the activity")
    files = _check_proofs(errors, proofs)
    deals = _check_deals(errors, request, list(deals or []))
    _raise(errors)
    claim = FundClaim.objects.create(
        request=request,
        partner_id=request.partner_id,
        amount=amount,
        leads_generated=int(leads_generated),
        results=results,
        submitted_by=by,
        submitted_at=timezone.now(),
    )
    for file in files:
        proof = ClaimProof(
            claim=claim,
            kind=PROOF_KINDS.get(extension_of(file.name), ClaimProof.Kind.OTHER),
            name=display_name(file.name),
            size=file.size,
            uploaded_by=by,
        )
        proof.file.save(storage_name(file.name, str(claim.pk)), file, save=False)
        proof.save()
    linked = set(ActivityDeal.objects.filter(request=request).values_list("deal_id", flat=True))
    try:
        with transaction.atomic():  # a savepoint: the deal rows are locked, but be plain if a race slips by
            ActivityDeal.objects.bulk_create(
                [ActivityDeal(request=request, deal=d) for d in deals if d.pk not in linked]
            )
    except IntegrityError as error:
        raise RuleViolation({"deals": ["One of these deals was just linked to another activity."]}) from error
    request.status = Status.CLAIMED
    request.save(update_fields=["status"])
    return claim


def _locked_claim(claim: FundClaim) -> FundClaim:
    with scopes_disabled():
        return lock_one(
            FundClaim.objects.select_related("request__allocation"),
            claim.pk,
            message="Someone else is deciding this claim right now. Try again in a moment.",
        )


def _four_eyes(claim: FundClaim, by: User) -> None:
    if claim.request.decided_by_id is not None and claim.request.decided_by_id == by.pk:
        raise PermissionDenied("You approved this fund request: another finance user decides its claim (four eyes).")


@transaction.atomic
def fund_claim_approve(*, claim: FundClaim, by: User) -> FundClaim:
    """Finance approves a waiting claim, never the person who approved the request (four eyes).
    The claimed amount is booked as a reimbursement line in the ledger (paid in the next payout
    run, like commission) and the request is reimbursed."""
    require_role(by, *FINANCE_ROLES, action="approve fund claims")
    _four_eyes(claim, by)
    claim = _locked_claim(claim)
    request = _locked_request(claim.request)
    check_transition(CLAIM_TRANSITIONS, claim.status, FundClaim.Status.APPROVED, what="claim")
    check_transition(TRANSITIONS, request.status, Status.REIMBURSED, what="fund request")
    line = reimbursement_book(
        partner=request.partner,
        amount=claim.amount,
        currency=request.allocation.currency,
        explanation=f"{request.title} (fund request #{request.pk})",  # the line's kind says "MDF reimbursement"
        by=by,
    )
    claim.status = FundClaim.Status.APPROVED
    claim.decided_by = by
    claim.decided_at = timezone.now()
    claim.reimbursed_amount = claim.amount
    claim.reimbursement_line = line
    claim.save()
    request.status = Status.REIMBURSED
    request.save(update_fields=["status"])
    _tell_partner(
        request,
        f"Claim approved: {request.title}",
        f"{format_money(claim.amount, request.allocation.currency)} is reimbursed with your next payout.",
    )
    return claim


@transaction.atomic
def fund_claim_reject(*, claim: FundClaim, reason: str, by: User) -> FundClaim:
    """Finance refuses a waiting claim with a reason (never the person who approved the
    request). Until the claim deadline the request is approved again, so the partner may claim
    again; after it, the request expires at once (its approved amount returns to the balance)
    rather than waiting for the daily task, and the partner is told it can no longer be claimed."""
    require_role(by, *FINANCE_ROLES, action="reject fund claims")
    _four_eyes(claim, by)
    errors: dict = {}
    reason = _text(errors, "reason", reason, limit=REASON_MAX, what="the reason")
    _raise(errors)
    claim = _locked_claim(claim)
    request = _locked_request(claim.request)
    check_transition(CLAIM_TRANSITIONS, claim.status, FundClaim.Status.REJECTED, what="claim")
    claim.status = FundClaim.Status.REJECTED
    claim.decided_by = by
    claim.decided_at = timezone.now()
    claim.decision_reason = reason
    claim.save()
    if request.claim_deadline and timezone.localdate() > request.claim_deadline:
        request.status = Status.EXPIRED
        request.expired_at = timezone.now()
        request.save(update_fields=["status", "expired_at"])
        detail = (
            f"{reason}\nThe claim deadline was {request.claim_deadline:%d %b %Y}: these funds can no longer be "
            f"claimed, and the approved amount is back in your balance."
        )
    else:
        request.status = Status.APPROVED
        request.save(update_fields=["status"])
        detail = f"{reason}\nYou may claim again until {request.claim_deadline:%d %b %Y}."
    _tell_partner(request, f"Claim refused: {request.title}", detail)
    return claim


# --- Expiry --------------------------------------------------------------------------------------


def fund_requests_expire(*, today: date | None = None) -> int:
    """Approved requests not claimed by their claim deadline expire, and their amount returns to
    the allocation's available balance. Each is locked and checked again, so a claim submitted
    meanwhile wins and running it twice expires nothing twice. Returns how many expired."""
    today = today or timezone.localdate()
    with scopes_disabled():
        due = list(
            FundRequest.objects.filter(status=Status.APPROVED, claim_deadline__lt=today).values_list("pk", flat=True)
        )
    expired = 0
    for pk in due:
        with transaction.atomic():
            request = _locked_request(FundRequest(pk=pk))
            if request.status != Status.APPROVED or not request.claim_deadline or request.claim_deadline >= today:
                continue
            request.status = Status.EXPIRED
            request.expired_at = timezone.now()
            request.save(update_fields=["status", "expired_at"])
            _tell_partner(
                request,
                f"Funds expired: {request.title}",
                f"No claim came by {request.claim_deadline:%d %b %Y}; the approved amount is back in your balance.",
            )
            expired += 1
    return expired
