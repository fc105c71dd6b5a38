"""Reads of market development funds: allocation balances (set-based, a constant number of
queries for any number of allocations), requests with their claims, and the return on each
funded activity (cost against leads, registered deals and revenue won from them)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import DecimalField, Exists, F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from deals.models import DealRegistration
from incentives.models import PayoutRun, PayoutStatement
from prm.money import round_money
from prm.scoping import scopes_disabled

from ..models import ActivityDeal, ClaimProof, FundAllocation, FundClaim, FundRequest

ZERO = Decimal("0.00")
BALANCE = ("allocated", "requested", "approved", "claimed", "reimbursed", "paid", "expired", "available")
MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
Status = FundRequest.Status


def _sum(queryset: QuerySet, group: str, amount: str):
    """The sum of ``amount`` over ``queryset``'s rows of the outer allocation (0 when none)."""
    total = queryset.order_by().values(group).annotate(total=Sum(amount)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY_FIELD), ZERO, output_field=MONEY_FIELD)


def _paid_line():
    """The claim's reimbursement line lies in a statement of a paid payout run (statements name
    their lines by id range per partner and currency)."""
    return Exists(
        PayoutStatement.objects.filter(
            run__status=PayoutRun.Status.PAID,
            partner_id=OuterRef("partner_id"),
            currency=OuterRef("reimbursement_line__currency"),
            after_line_id__lt=OuterRef("reimbursement_line_id"),
            last_line_id__gte=OuterRef("reimbursement_line_id"),
        )
    )


def with_balances(allocations: QuerySet) -> QuerySet:
    """Annotate each allocation with its balance, in one query whatever their number:

    - ``requested``: planned cost of requests waiting for a decision (not committed yet);
    - ``approved``: the approved amount of requests approved and not reimbursed yet (statuses
      approved and claimed): committed;
    - ``claimed``: the claimed amount of claims waiting for finance (a part of ``approved``);
    - ``reimbursed``: what finance approved of claims (booked in the ledger; it replaces the
      approved amount, so the rest of an approved amount returns to the balance);
    - ``paid``: the part of ``reimbursed`` whose ledger line a PAID payout run holds;
    - ``expired``: the approved amount of requests never claimed in time (back in the balance);
    - ``available`` = allocated − approved − reimbursed (the one place it is computed).
    """
    requests = FundRequest.objects.filter(allocation_id=OuterRef("pk"))
    claims = FundClaim.objects.filter(request__allocation_id=OuterRef("pk"))
    reimbursed_claims = claims.filter(status=FundClaim.Status.APPROVED)
    return allocations.annotate(
        requested=_sum(requests.filter(status=Status.SUBMITTED), "allocation_id", "planned_cost"),
        approved=_sum(requests.filter(status__in=FundRequest.COMMITTED), "allocation_id", "approved_amount"),
        claimed=_sum(claims.filter(status=FundClaim.Status.SUBMITTED), "request__allocation_id", "amount"),
        reimbursed=_sum(reimbursed_claims, "request__allocation_id", "reimbursed_amount"),
        paid=_sum(reimbursed_claims.filter(_paid_line()), "request__allocation_id", "reimbursed_amount"),
        expired=_sum(requests.filter(status=Status.EXPIRED), "allocation_id", "approved_amount"),
    ).annotate(available=F("allocated") - F("approved") - F("reimbursed"))


def available_of(allocation: FundAllocation) -> Decimal:
    """allocated − approved − reimbursed, read fresh (call it under the allocation's lock)."""
    row = with_balances(FundAllocation.objects.filter(pk=allocation.pk)).values("available")[0]
    return round_money(row["available"])


def allocation_balances(*, partner=None) -> QuerySet:
    """Allocations (the caller's scope; one partner's when given) with their balance columns and
    ``available``; newest period first."""
    queryset = FundAllocation.objects.select_related("partner")
    if partner is not None:
        queryset = queryset.filter(partner=partner)
    return with_balances(queryset)


def balance_dict(allocation) -> dict:
    """The balance of an annotated allocation (``with_balances``), rounded."""
    return {name: round_money(getattr(allocation, name)) for name in BALANCE}


def allocation_covering(*, partner, starts_on, ends_on) -> FundAllocation | None:
    """The partner's allocation whose period holds the whole activity (the program currency's
    first when the partner has several)."""
    with scopes_disabled():
        candidates = list(
            FundAllocation.objects.filter(partner=partner, period_start__lte=starts_on, period_end__gte=ends_on)
        )
    candidates.sort(key=lambda a: (a.currency != settings.PRM_PROGRAM_CURRENCY, a.currency))
    return candidates[0] if candidates else None


def fund_request_list(*, partner=None, status: str | None = None) -> QuerySet:
    queryset = FundRequest.objects.select_related("allocation", "partner", "decided_by")
    if partner is not None:
        queryset = queryset.filter(partner=partner)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def fund_claim_list(*, status: str | None = None) -> QuerySet:
    """Claims in the caller's scope with their request, allocation and proofs."""
    queryset = FundClaim.objects.select_related("request__allocation").prefetch_related("proofs")
    return queryset.filter(status=status) if status else queryset


def claim_window_refusal(request: FundRequest, *, today) -> str | None:
    """Why a claim is not taken on ``today`` (None when it is): claims run from the activity's
    last day until the claim deadline. The one statement of the claim window (service and pages)."""
    if today < request.ends_on:
        return f"Claim after the activity: it runs until {request.ends_on:%d %b %Y}."
    if request.claim_deadline and today > request.claim_deadline:
        return f"The claim deadline was {request.claim_deadline:%d %b %Y}: these funds can no longer be claimed."
    return None


def can_claim(request: FundRequest, *, today) -> bool:
    """The request is approved and its claim window is open."""
    return request.status == Status.APPROVED and claim_window_refusal(request, today=today) is None


def request_proofs(request: FundRequest) -> QuerySet:
    """The proof files of every claim of ``request``, oldest first."""
    return ClaimProof.objects.filter(claim__request=request).order_by("uploaded_at", "id")


def proof_of(pk) -> ClaimProof | None:
    """A proof file in the caller's scope (another organization's: None)."""
    return ClaimProof.objects.filter(pk=pk).select_related("claim").first()


def live_claim(request: FundRequest) -> FundClaim | None:
    """The claim that counts: the one waiting or approved (at most one), else the latest refused."""
    claims = sorted(request.claims.all(), key=lambda c: (c.status != FundClaim.Status.REJECTED, c.submitted_at))
    return claims[-1] if claims else None


def linkable_deals(partner, *, since=None) -> QuerySet:
    """The partner's registrations an activity may claim: partner-sourced (a lead the vendor passed
    on is the vendor's result, not the activity's), submitted on or after the activity's first day
    (``since``), not drafts or rejected, not claimed by another activity (newest first)."""
    taken = ActivityDeal.objects.filter(deal_id=OuterRef("pk"))
    found = (
        DealRegistration.objects.filter(
            partner=partner, submitted_at__isnull=False, source=DealRegistration.Source.PARTNER
        )
        .exclude(status__in=[DealRegistration.Status.DRAFT, DealRegistration.Status.REJECTED])
        .exclude(Exists(taken))
    )
    if since is not None:
        found = found.filter(submitted_at__date__gte=since)
    return found.order_by("-submitted_at", "-id")


def claim_proof(*, claim: FundClaim, pk: int) -> ClaimProof | None:
    """One proof file of ``claim`` (None when the claim has no such proof)."""
    return ClaimProof.objects.filter(claim=claim, pk=pk).first()


def deals_by_id(ids) -> dict:
    """The caller's scope's deal registrations among ``ids`` (another organization's are missing)."""
    return {deal.pk: deal for deal in DealRegistration.objects.filter(pk__in=list(ids))}


# --- Return on investment -----------------------------------------------------------------------


def _add(totals: dict, currency: str, amount: Decimal) -> None:
    # Plain dicts, not defaultdicts: a template's ``roi.cost.items`` would create an "items" key.
    totals[currency] = totals.get(currency, ZERO) + amount


@dataclass
class Roi:
    """One activity's (or a partner's) return: cost against leads, registered deals and the
    revenue won from them (per currency: a deal's currency may not be the funds')."""

    cost: dict = field(default_factory=dict)
    leads: int = 0
    expected_leads: int = 0
    deals: int = 0
    won_deals: int = 0
    won_revenue: dict = field(default_factory=dict)

    def add(self, other: "Roi") -> None:
        for currency, amount in other.cost.items():
            _add(self.cost, currency, amount)
        for currency, amount in other.won_revenue.items():
            _add(self.won_revenue, currency, amount)
        self.leads += other.leads
        self.expected_leads += other.expected_leads
        self.deals += other.deals
        self.won_deals += other.won_deals

    @property
    def cost_per_lead(self) -> dict:
        return {c: round_money(a / self.leads) for c, a in self.cost.items()} if self.leads else {}

    @property
    def revenue_per_cost(self) -> Decimal | None:
        """Won revenue for each unit of cost, where both are in one currency."""
        if len(self.cost) != 1:
            return None
        currency, cost = next(iter(self.cost.items()))
        if not cost or not self.won_revenue or set(self.won_revenue) - {currency}:
            return None
        return round_money(self.won_revenue.get(currency, ZERO) / cost)


FUNDED = (Status.APPROVED, Status.CLAIMED, Status.REIMBURSED)


def roi_of(requests) -> dict[int, Roi]:
    """ROI per request id, for requests loaded with ``with_roi`` (no further query). Cost is the
    reimbursed amount once finance approved the claim, else the approved amount; requests never
    funded (submitted, rejected, withdrawn, expired) cost nothing. Leads are the claim's."""
    found = {}
    for request in requests:
        roi = Roi(expected_leads=request.expected_leads)
        claim = live_claim(request)
        if request.status == Status.REIMBURSED and claim is not None:
            _add(roi.cost, request.allocation.currency, claim.reimbursed_amount or ZERO)
        elif request.status in FUNDED and request.approved_amount:
            _add(roi.cost, request.allocation.currency, request.approved_amount)
        if claim is not None and claim.status != FundClaim.Status.REJECTED:
            roi.leads = claim.leads_generated
        for link in request.deal_links.all():
            roi.deals += 1
            if link.deal.status == DealRegistration.Status.WON:
                roi.won_deals += 1
                _add(roi.won_revenue, link.deal.currency, link.deal.final_amount or link.deal.amount)
        found[request.pk] = roi
    return found


def with_roi(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("allocation").prefetch_related("claims", "deal_links__deal")


def partner_roi(requests) -> Roi:
    total = Roi()
    for roi in roi_of(requests).values():
        total.add(roi)
    return total


def roi_by_partner(*, partner=None) -> list[tuple]:
    """(partner, Roi) for each partner with funded activities, in three queries."""
    requests = with_roi(fund_request_list(partner=partner, status=None).filter(status__in=FUNDED))
    totals: dict = {}
    names = {}
    requests = list(requests)
    rois = roi_of(requests)
    for request in requests:
        names[request.partner_id] = request.partner
        totals.setdefault(request.partner_id, Roi()).add(rois[request.pk])
    return sorted(((names[pk], roi) for pk, roi in totals.items()), key=lambda pair: pair[0].name)
