"""Writes of conflicts and disputes: opening cases (channel conflicts by themselves, disputes by
partners), the thread, mediation by evidence requests, escalation of breached SLAs, outcomes
that act on deals and the ledger, and reopening. Each function states the rule it implements."""

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from deals import services as deal_services
from deals.models import ConflictMatch, DealRegistration
from incentives import services as incentive_services
from incentives.models import CommissionLine
from partners.models import Partner, User
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock, lock_one
from prm.mail import send_templated_mail
from prm.money import is_currency, round_money
from prm.roles import MANAGER_ROLES, PARTNER_ROLES, Role, require_role
from prm.scoping import scopes_disabled
from prm.text import check_text
from prm.transitions import check_transition
from prm.uploads import ATTACHMENT_EXTENSIONS, display_name, storage_name, validate_upload

from .models import (
    BODY_MAX,
    NOTE_MAX,
    SUBJECT_MAX,
    Case,
    CaseAttachment,
    CaseMessage,
    CaseOutcome,
    CaseParticipant,
    CommissionSplit,
    ContestedRegistration,
    EvidenceAnswer,
    EvidenceRequest,
)

Status = Case.Status
Kind = Case.Kind
Priority = Case.Priority
Outcome = CaseOutcome.Outcome

CASE_TRANSITIONS = {
    Status.OPEN: {Status.INVESTIGATING, Status.ESCALATED, Status.RESOLVED},
    Status.INVESTIGATING: {Status.ESCALATED, Status.RESOLVED},
    Status.ESCALATED: {Status.INVESTIGATING, Status.RESOLVED},
    Status.RESOLVED: {Status.OPEN},
}
PRIORITY_ORDER = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]
MAX_ATTACHMENTS = 5


# --- Rules shared by the writes -----------------------------------------------------------------


def sla_due_times(*, kind: str, priority: str, start: datetime) -> tuple[datetime, datetime]:
    """When the first response and the resolution are due: calendar hours per kind and priority
    (PRM_CASE_SLA_HOURS)."""
    first, resolution = settings.PRM_CASE_SLA_HOURS[kind][priority]
    return start + timedelta(hours=first), start + timedelta(hours=resolution)


def _text(errors: dict, field: str, value, *, limit: int, required: bool = True, what: str = "") -> str:
    """Collect the error of one free-text input (required, length, plain text: no bidirectional
    overrides or control characters, as prm.text checks everywhere) so all come in one answer."""
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value).strip()
    if required and not value:
        errors[field] = [what or "This field is required."]
        return value
    try:
        check_text(field=field, value=value, limit=limit, multiline=limit > SUBJECT_MAX)
    except ValidationError as error:
        errors[field] = error.message_dict[field]
    return value


def _check_files(errors: dict, files, field: str = "attachments") -> list:
    files = [f for f in (files or []) if f]
    if len(files) > MAX_ATTACHMENTS:
        errors[field] = [f"At most {MAX_ATTACHMENTS} files at once."]
        return files
    for file in files:
        try:
            validate_upload(file, field=field, allowed=ATTACHMENT_EXTENSIONS, max_bytes=settings.PRM_UPLOAD_MAX_BYTES)
        except RuleViolation as error:
            errors.setdefault(field, []).extend(error.message_dict[field])
            break
    return files


def _store_files(case: Case, files, *, by: User, message=None, evidence=None, partner=None) -> None:
    for file in files:
        attachment = CaseAttachment(
            case=case,
            message=message,
            evidence=evidence,
            partner=partner,
            name=display_name(file.name),
            size=file.size,
            uploaded_by=by,
        )
        attachment.file.save(storage_name(file.name, str(case.pk)), file, save=False)  # under upload_to "cases/"
        attachment.save()


def _locked(case: Case) -> Case:
    with scopes_disabled():
        return lock_one(
            Case.objects.all(),
            case.pk,
            message="Someone else is working on this case right now. Try again in a moment.",
        )


def _participant_ids(case: Case) -> list[int]:
    with scopes_disabled():
        return list(CaseParticipant.objects.filter(case=case).values_list("partner_id", flat=True))


def _require_participant(user: User, case: Case) -> None:
    if not (user and user.is_authenticated and user.is_active and user.role in PARTNER_ROLES):
        raise PermissionDenied("Only users of an involved partner organization may do this.")
    if user.partner_id not in _participant_ids(case):
        raise PermissionDenied("Your organization is not involved in this case.")


def _raise(errors: dict) -> None:
    if errors:
        raise RuleViolation(errors)


# --- Notifications ------------------------------------------------------------------------------


def _partner_recipients(case: Case, partner_ids) -> dict[int, set[str]]:
    """Who hears about a case at each involved partner: its active partner admins and whoever of
    that partner opened the case (one query)."""
    found: dict[int, set[str]] = {pk: set() for pk in partner_ids}
    with scopes_disabled():
        rows = User.objects.filter(partner_id__in=found, is_active=True).filter(
            Q(role=Role.PARTNER_ADMIN) | Q(pk=case.opened_by_id)
        )
        for partner_id, email in rows.values_list("partner_id", "email"):
            found[partner_id].add(email)
    return found


def _tell_partners(
    case: Case, headline: str, detail: str = "", *, partner_ids=None, details: dict | None = None
) -> None:
    """Mail each involved partner separately (never one mail to several organizations), with
    nothing but its own side: never an internal note, evidence or another partner."""
    ids = list(partner_ids) if partner_ids is not None else _participant_ids(case)
    for partner_id, emails in _partner_recipients(case, ids).items():
        if emails:
            send_templated_mail(
                to=sorted(emails),
                template="conflicts/email/case_update",
                context={
                    "case": case,
                    "headline": headline,
                    "detail": (details or {}).get(partner_id, detail),
                    "link": f"{settings.SITE_URL}/portal/cases/{case.pk}/",
                },
            )


def _tell_staff(case: Case, headline: str, detail: str = "", *, escalation: bool = False) -> None:
    emails = set()
    if case.owner_id:
        with scopes_disabled():
            owner = User.objects.filter(pk=case.owner_id, is_active=True).first()
        if owner:
            emails.add(owner.email)
    if escalation:
        emails.update(settings.PRM_CASE_ESCALATION_CONTACTS)
    if emails:
        send_templated_mail(
            to=sorted(emails),
            template="conflicts/email/case_staff",
            context={
                "case": case,
                "headline": headline,
                "detail": detail,
                "link": f"{settings.SITE_URL}/admin/conflicts/case/{case.pk}/change/",
            },
        )


# --- Opening ------------------------------------------------------------------------------------


@transaction.atomic
def case_open_dispute(
    *,
    partner: Partner,
    user: User,
    kind: str,
    subject: str,
    body: str,
    deal: DealRegistration | None = None,
    commission_line: CommissionLine | None = None,
    attachments=(),
) -> Case:
    """A partner user disputes a commission line, a deal, or something else. A commission dispute
    points at one of the partner's commission lines, a deal dispute at one of its deals. SLA due
    times start now; the case waits in the managers' queue until someone takes it."""
    if not (user.is_active and user.partner_id == partner.pk and user.role in PARTNER_ROLES):
        raise PermissionDenied("Only users of this partner organization open its disputes.")
    errors: dict = {}
    if kind not in Case.DISPUTE_KINDS:
        errors["kind"] = [f"Choose one of: {', '.join(Case.DISPUTE_KINDS)}."]
    subject = _text(errors, "subject", subject, limit=SUBJECT_MAX, what="Give the case a subject.")
    body = _text(errors, "body", body, limit=BODY_MAX, what="Say what the dispute is about.")
    if deal is not None and deal.partner_id != partner.pk:
        errors["deal"] = ["Choose one of your organization's deals."]
    if commission_line is not None and commission_line.partner_id != partner.pk:
        errors["commission_line"] = ["Choose one of your organization's commission lines."]
    if kind == Kind.COMMISSION_DISPUTE and commission_line is None and "commission_line" not in errors:
        errors["commission_line"] = ["A commission dispute names the commission line it is about."]
    if kind == Kind.DEAL_DISPUTE and deal is None and "deal" not in errors:
        errors["deal"] = ["A deal dispute names the deal it is about."]
    files = _check_files(errors, attachments)
    _raise(errors)
    now = timezone.now()
    first_due, resolution_due = sla_due_times(kind=kind, priority=Priority.NORMAL, start=now)
    case = Case.objects.create(
        kind=kind,
        subject=subject,
        opened_by=user,
        deal=deal,
        commission_line=commission_line,
        opened_at=now,
        first_response_due=first_due,
        resolution_due=resolution_due,
    )
    CaseParticipant.objects.create(case=case, partner=partner, joined_at=now)
    message = CaseMessage.objects.create(case=case, author=user, partner=partner, body=body, created_at=now)
    _store_files(case, files, by=user, message=message, partner=partner)
    _tell_partners(
        case,
        f"Your case #{case.pk} is open.",
        f"A partner manager answers by {timezone.localtime(first_due):%d %B %Y, %H:%M}.",
    )
    return case


@transaction.atomic
def case_open_for_conflict(*, deal_id: int) -> Case | None:
    """A registration that clashes with other partners' registrations opens a channel-conflict
    case linking every contested registration; when one of them is already in an unresolved
    case, the new registration (and its partner) joins that case instead. Acts for the program:
    safe to run twice (a registration already in an unresolved case is left alone)."""
    with scopes_disabled():
        deal = DealRegistration.objects.filter(pk=deal_id).first()
        if deal is None:
            return None
        others = list(
            ConflictMatch.objects.filter(deal=deal)
            .exclude(other__partner_id=deal.partner_id)
            .values_list("other_id", flat=True)
        )
        if not others:
            return None
        # Registrations in pk order, within the lock timeout: two clashes on the same customer
        # submitted at once end up in one case.
        involved = lock(DealRegistration.objects.filter(pk__in=[deal.pk, *others]))
        decided = ContestedRegistration.objects.filter(deal=deal).select_related("case").first()
        if decided is not None:
            return decided.case  # this clash has its case already (unresolved or decided)
        links = ContestedRegistration.objects.filter(
            deal__in=involved, case__kind=Kind.CHANNEL_CONFLICT, case__status__in=Case.UNRESOLVED
        ).order_by("case_id")
        case = links.first().case if links else None
        now = timezone.now()
        if case is None:
            first_due, resolution_due = sla_due_times(kind=Kind.CHANNEL_CONFLICT, priority=Priority.NORMAL, start=now)
            case = Case.objects.create(
                kind=Kind.CHANNEL_CONFLICT,
                subject="Channel conflict: registrations for the same customer",
                opened_at=now,
                first_response_due=first_due,
                resolution_due=resolution_due,
            )
        linked = set(ContestedRegistration.objects.filter(case=case).values_list("deal_id", flat=True))
        already = set(_participant_ids(case))
        ContestedRegistration.objects.bulk_create(
            [ContestedRegistration(case=case, deal=d, added_at=now) for d in involved if d.pk not in linked]
        )
        joining = sorted({d.partner_id for d in involved} - already)
        CaseParticipant.objects.bulk_create(
            [CaseParticipant(case=case, partner_id=pk, joined_at=now) for pk in joining]
        )
        _tell_partners(
            case,
            f"Your deal registration is in conflict review: channel-conflict case #{case.pk}.",
            "Another registration for the same customer exists. A partner manager decides which one is protected "
            "and may ask you for evidence.",
            partner_ids=joining,
        )
        _tell_staff(case, f"Channel conflict case #{case.pk}: {len(involved)} registrations contested.")
        return case


# --- Working the case ---------------------------------------------------------------------------


@transaction.atomic
def case_assign(*, case: Case, owner: User, by: User, priority: str | None = None) -> Case:
    """A manager gives the case an owner (a manager or admin) and, optionally, a priority, whose SLA
    due times (counted from the opening) then apply; an open case is then investigated."""
    require_role(by, *MANAGER_ROLES, action="assign cases")
    if not (owner and owner.is_active and owner.role in MANAGER_ROLES):
        raise RuleViolation({"owner": ["The owner is an active partner manager or program admin."]})
    case = _locked(case)
    if case.is_resolved:
        raise StateConflict("This case is resolved: it has no one to work it any more.")
    if priority is not None:
        if priority not in Case.Priority.values:
            raise RuleViolation({"priority": [f"Choose one of: {', '.join(Case.Priority.values)}."]})
        case.priority = priority
        case.first_response_due, case.resolution_due = sla_due_times(
            kind=case.kind, priority=priority, start=case.opened_at
        )
    case.owner = owner
    if case.status == Status.OPEN:
        check_transition(CASE_TRANSITIONS, case.status, Status.INVESTIGATING, what="case")
        case.status = Status.INVESTIGATING
    case.save()
    if owner.pk != by.pk:
        _tell_staff(case, f"You own case #{case.pk} now.")
    return case


def _responded(case: Case, now: datetime) -> None:
    """Staff said something to a partner: the first response is in; an open case is investigated."""
    if case.first_response_at is None:
        case.first_response_at = now
    if case.status == Status.OPEN:
        case.status = Status.INVESTIGATING


@transaction.atomic
def case_post_message(
    *,
    case: Case,
    by: User,
    body: str,
    internal: bool = False,
    partner: Partner | None = None,
    attachments=(),
) -> CaseMessage:
    """Both sides write in the thread. A partner user's message is between its organization and
    staff. Staff address each message to one involved partner (the only one, by default), or
    keep it as an internal note that no partner ever sees. Resolved cases take no messages:
    the partner reopens it instead."""
    errors: dict = {}
    body = _text(errors, "body", body, limit=BODY_MAX, what="Write a message.")
    files = _check_files(errors, attachments)
    if by.is_staff:
        require_role(by, *MANAGER_ROLES, action="write in cases")
        participants = _participant_ids(case)
        if internal:
            partner = None
        elif partner is None:
            if len(participants) != 1:
                errors["partner"] = ["Choose the partner this message is for: each one reads only its own messages."]
            else:
                with scopes_disabled():
                    partner = Partner.objects.get(pk=participants[0])
        elif partner.pk not in participants:
            errors["partner"] = ["This partner is not involved in the case."]
    else:
        if internal:
            raise PermissionDenied("Only staff write internal notes.")
        _require_participant(by, case)
        partner = by.partner
    _raise(errors)
    case = _locked(case)
    if case.is_resolved:
        raise StateConflict("This case is resolved: reopen it to write again.")
    now = timezone.now()
    message = CaseMessage.objects.create(
        case=case, author=by, partner=partner, internal=internal, body=body, created_at=now
    )
    _store_files(case, files, by=by, message=message, partner=partner)
    if by.is_staff and not internal:
        _responded(case, now)
        case.save()
        _tell_partners(case, f"A partner manager replied in case #{case.pk}.", body, partner_ids=[partner.pk])
    elif not by.is_staff:
        _tell_staff(case, f"{partner.name} wrote in case #{case.pk}.", body)
    return message


@transaction.atomic
def evidence_request(
    *, case: Case, partner: Partner, by: User, due_on: date, instructions: str = ""
) -> EvidenceRequest:
    """Mediation: the owner asks one involved partner for its evidence (first contact date,
    activities, customer contact, files) by a due date. Asking is a response to the partner."""
    require_role(by, *MANAGER_ROLES, action="request evidence")
    errors: dict = {}
    instructions = _text(errors, "instructions", instructions, limit=NOTE_MAX, required=False)
    if partner is None or partner.pk not in _participant_ids(case):
        errors["partner"] = ["Ask a partner involved in the case."]
    if not isinstance(due_on, date):
        errors["due_on"] = ["Give the date the evidence is due."]
    elif due_on < timezone.localdate():
        errors["due_on"] = ["The due date cannot be in the past."]
    _raise(errors)
    case = _locked(case)
    if case.is_resolved:
        raise StateConflict("This case is resolved: no more evidence is needed.")
    request = EvidenceRequest.objects.create(
        case=case, partner=partner, requested_by=by, due_on=due_on, instructions=instructions
    )
    _responded(case, request.requested_at)
    case.save()
    _tell_partners(
        case,
        f"Please send your evidence for case #{case.pk} by {due_on:%d %B %Y}.",
        "Tell us when you first contacted the customer, what you did since, and who your contact is; attach what "
        "supports it. Only partner managers read it.",
        partner_ids=[partner.pk],
    )
    return request


@transaction.atomic
def evidence_answer(
    *,
    request: EvidenceRequest,
    by: User,
    first_contact_on,
    activities: str,
    customer_contact: str,
    attachments=(),
) -> EvidenceAnswer:
    """The asked partner answers once, in a structured form; the answer is for staff only."""
    if not (by.is_active and by.partner_id == request.partner_id and by.role in PARTNER_ROLES):
        raise PermissionDenied("Only users of the asked partner organization answer its evidence request.")
    errors: dict = {}
    if not isinstance(first_contact_on, date):
        errors["first_contact_on"] = ["Give the date you first contacted the customer."]
    elif first_contact_on > timezone.localdate():
        errors["first_contact_on"] = ["The first contact cannot be in the future."]
    activities = _text(
        errors, "activities", activities, limit=BODY_MAX, what="Describe what you did with the customer."
    )
    customer_contact = _text(
        errors, "customer_contact", customer_contact, limit=200, what="Name your contact at the customer."
    )
    files = _check_files(errors, attachments)
    _raise(errors)
    with scopes_disabled():
        # The case first (as resolving locks it), then the request: an answer never lands on a
        # case a manager is resolving at the same moment.
        case = lock_one(Case.objects.all(), request.case_id)
        request = lock_one(EvidenceRequest.objects.all(), request.pk)
    if request.status != EvidenceRequest.Status.REQUESTED:
        raise StateConflict("This evidence request is already answered.")
    if case.is_resolved:
        raise StateConflict("This case is resolved: no more evidence is needed.")
    answer = EvidenceAnswer.objects.create(
        request=request,
        answered_by=by,
        first_contact_on=first_contact_on,
        activities=activities,
        customer_contact=customer_contact,
    )
    request.status = EvidenceRequest.Status.ANSWERED
    request.save(update_fields=["status"])
    _store_files(case, files, by=by, evidence=answer, partner=None)
    _tell_staff(case, f"Evidence arrived for case #{case.pk}.")
    return answer


# --- Escalation -----------------------------------------------------------------------------------


def _raised(priority: str) -> str:
    index = PRIORITY_ORDER.index(priority)
    return PRIORITY_ORDER[min(index + 1, len(PRIORITY_ORDER) - 1)]


@transaction.atomic
def cases_escalate(*, now: datetime | None = None) -> int:
    """Every breached SLA escalates its case once (per breach: the first response, the resolution):
    the case becomes escalated, its priority goes up one step, and its owner and the escalation
    contacts (PRM_CASE_ESCALATION_CONTACTS) are told. Returns how many breaches escalated."""
    now = now or timezone.now()
    first_breach = Q(
        first_response_at__isnull=True, first_response_due__lt=now, first_response_escalated_at__isnull=True
    )
    resolution_breach = Q(resolution_due__lt=now, resolution_escalated_at__isnull=True)
    with scopes_disabled():
        breached = lock(Case.objects.filter(status__in=Case.UNRESOLVED).filter(first_breach | resolution_breach))
        count = 0
        for case in breached:
            which = []
            if (
                case.first_response_at is None
                and case.first_response_due < now
                and case.first_response_escalated_at is None
            ):
                case.first_response_escalated_at = now
                which.append(f"no first response since {timezone.localtime(case.first_response_due):%d %B %Y, %H:%M}")
            if case.resolution_due < now and case.resolution_escalated_at is None:
                case.resolution_escalated_at = now
                which.append(f"not resolved by {timezone.localtime(case.resolution_due):%d %B %Y, %H:%M}")
            if case.status != Status.ESCALATED:
                check_transition(CASE_TRANSITIONS, case.status, Status.ESCALATED, what="case")
                case.status = Status.ESCALATED
            case.priority = _raised(case.priority)
            case._change_reason = "SLA breached"
            case.save()
            count += len(which)
            _tell_staff(
                case,
                f"Case #{case.pk} is escalated: {' and '.join(which)}.",
                f"Priority is now {case.get_priority_display().lower()}.",
                escalation=True,
            )
    return count


# --- Resolution -----------------------------------------------------------------------------------


def _decimal(errors: dict, field: str, value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors[field] = ["Enter a number, e.g. 250.00."]
        return None
    if not number.is_finite():
        errors[field] = ["Enter a number, e.g. 250.00."]
        return None
    return number


def _case_deals(case: Case) -> list[DealRegistration]:
    with scopes_disabled():
        contested = list(
            DealRegistration.objects.filter(contested_in__case=case).select_related("partner").order_by("pk")
        )
        if case.deal_id and all(d.pk != case.deal_id for d in contested):
            contested.append(DealRegistration.objects.select_related("partner").get(pk=case.deal_id))
    return contested


@transaction.atomic
def case_resolve(
    *,
    case: Case,
    by: User,
    outcome: str,
    note: str,
    deal: DealRegistration | None = None,
    amount=None,
    currency: str = "",
    partner: Partner | None = None,
    split_percent=None,
    split_partner: Partner | None = None,
) -> CaseOutcome:
    """A manager resolves the case with an outcome that acts, all in one transaction, and the
    reason the partners are told:

    - ``award_deal``: the awarded registration is approved (or stays approved or won) and every
      other open contested registration is rejected with the case as reason; optionally
      ``split_percent`` of its commission goes to ``split_partner`` (booked when the deal is won).
    - ``adjust_commission``: an adjustment line (positive or negative) for the disputing partner,
      linked to the case; paid in the next payout run.
    - ``no_action``: closes with the note.

    The case row is locked first: of two managers resolving at once, the second is told the
    case is already resolved (409) and nothing else happens.
    """
    require_role(by, *MANAGER_ROLES, action="resolve cases")
    errors: dict = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [f"Choose one of: {', '.join(Outcome.values)}."]
    note = _text(errors, "note", note, limit=NOTE_MAX, what="Give the reason the partners are told.")
    amount = _decimal(errors, "amount", amount)
    split_percent = _decimal(errors, "split_percent", split_percent)
    _raise(errors)

    case = _locked(case)
    if case.is_resolved:
        raise StateConflict(f"Case #{case.pk} is already resolved.")
    check_transition(CASE_TRANSITIONS, case.status, Status.RESOLVED, what="case")
    participants = _participant_ids(case)
    record = CaseOutcome(case=case, outcome=outcome, note=note, decided_by=by)
    effects = {}

    if outcome == Outcome.AWARD_DEAL:
        candidates = _case_deals(case)
        awarded = next((d for d in candidates if deal is not None and d.pk == deal.pk), None)
        if awarded is None:
            errors["deal"] = ["Choose one of the registrations this case is about."]
        elif awarded.status not in (*DealRegistration.OPEN_STATUSES, DealRegistration.Status.WON):
            errors["deal"] = [
                f"This registration is {awarded.status}: only an open or won registration can be awarded."
            ]
        if split_percent is not None:
            if not (Decimal("0") < split_percent < Decimal("100")) or split_percent.as_tuple().exponent < -2:
                errors["split_percent"] = ["Give a percentage above 0 and below 100, with at most two decimals."]
            if split_partner is None or split_partner.pk not in participants:
                errors["split_partner"] = ["Choose another partner involved in the case."]
            elif awarded is not None and split_partner.pk == awarded.partner_id:
                errors["split_partner"] = ["The split goes to another partner than the awarded one."]
        elif split_partner is not None:
            errors["split_percent"] = ["Give the percentage of the commission that goes to the other partner."]
        _raise(errors)
        if awarded.status == DealRegistration.Status.SUBMITTED:
            deal_services.deal_approve(deal=awarded, by=by)
        rejected = []
        for other in candidates:
            if other.pk != awarded.pk and other.is_open:
                deal_services.deal_reject(
                    deal=other,
                    by=by,
                    case_id=case.pk,
                    reason=f"Case #{case.pk} awarded this customer to another registration. {note}"[:2000],
                )
                rejected.append(other.partner_id)
        record.awarded_deal = awarded
        record.save()
        # A case resolved again (after a reopening) decides the split anew: the earlier one is undone.
        _splits_supersede(case=case, by=by)
        if split_percent is not None:
            split = CommissionSplit.objects.create(
                outcome=record, deal=awarded, to_partner=split_partner, percent=split_percent
            )
            awarded.refresh_from_db()
            if awarded.status == DealRegistration.Status.WON:
                commission_split_book(split=split)
        for partner_id in participants:
            if partner_id == awarded.partner_id:
                effects[partner_id] = f"Your registration is awarded the customer. {note}"
            elif partner_id in rejected:
                effects[partner_id] = f"The customer is awarded to another registration; yours is rejected. {note}"
            if split_percent is not None and partner_id == split_partner.pk:
                effects[partner_id] = (
                    f"{effects.get(partner_id, '')} You receive {split_percent.normalize():f}% of the "
                    "awarded deal's commission when it is won."
                ).strip()
    elif outcome == Outcome.ADJUST_COMMISSION:
        if partner is None and len(participants) == 1:
            with scopes_disabled():
                partner = Partner.objects.get(pk=participants[0])
        if partner is None or partner.pk not in participants:
            errors["partner"] = ["Choose the involved partner whose commission is adjusted."]
        if amount is None or round_money(amount) == 0:
            errors["amount"] = ["Give a non-zero adjustment amount (negative to take commission back)."]
        elif round_money(amount) != amount:
            errors["amount"] = ["Give the amount with at most two decimals."]
        if not currency and partner is not None:
            currency = _currency_for(case, partner)
        currency = (currency or "").strip().upper()
        if not is_currency(currency):
            errors["currency"] = ["Enter an ISO 4217 currency code."]
        _raise(errors)
        with scopes_disabled():
            line = incentive_services.commission_adjustment_book(
                partner=partner,
                amount=amount,
                currency=currency,
                explanation=note,
                by=by,
                case_id=case.pk,
                deal=case.deal if case.deal and case.deal.partner_id == partner.pk else None,
                corrects=case.commission_line
                if case.commission_line and case.commission_line.partner_id == partner.pk
                else None,
            )
        record.commission_line = line
        record.save()
        effects[partner.pk] = (
            f"An adjustment of {line.amount:,.2f} {line.currency} is booked to your commission; it is paid with the "
            f"next payout run. {note}"
        )
    else:
        record.save()

    now = timezone.now()
    case.status = Status.RESOLVED
    case.resolved_at = now
    if case.first_response_at is None:
        case.first_response_at = now
    case.save()
    _tell_partners(case, f"Case #{case.pk} is resolved.", note, details=effects)
    return record


def _currency_for(case: Case, partner: Partner) -> str:
    if case.commission_line_id and case.commission_line.partner_id == partner.pk:
        return case.commission_line.currency
    details = getattr(partner, "payout_details", None)
    return details.currency if details else ""


# --- Commission splits ----------------------------------------------------------------------------


def _splits_supersede(*, case: Case, by: User) -> None:
    """Undo the splits of the case's earlier outcomes: a booked one by correcting lines on both
    sides, one not booked yet by marking it so (the win will not book it)."""
    with scopes_disabled():
        for split in lock(CommissionSplit.objects.filter(outcome__case=case, reversed_at__isnull=True)):
            for line in split.lines.order_by("id"):
                incentive_services.commission_adjustment_book(
                    partner=line.partner,
                    amount=-line.amount,
                    currency=line.currency,
                    corrects=line,
                    by=by,
                    case_id=case.pk,
                    explanation=f"The case was decided again: the earlier split (line #{line.pk}) is undone",
                )
            split.reversed_at = timezone.now()
            split.save(update_fields=["reversed_at"])


@transaction.atomic
def commission_split_book(*, split: CommissionSplit) -> list[CommissionLine]:
    """Book a split of a won deal's commission, once: per currency of the deal's accruals, the
    percentage is taken from the awarded partner and given to the other partner."""
    with scopes_disabled():
        split = lock_one(CommissionSplit.objects.all(), split.pk)
        if split.booked_at is not None or split.reversed_at is not None:
            return []
        outcome = CaseOutcome.objects.select_related("decided_by").get(pk=split.outcome_id)
        deal = DealRegistration.objects.select_related("partner").get(pk=split.deal_id)
        to_partner = Partner.objects.get(pk=split.to_partner_id)
        totals = (
            CommissionLine.objects.filter(deal=deal, partner_id=deal.partner_id, kind=CommissionLine.Kind.ACCRUAL)
            .values("currency")
            .annotate(total=Sum("amount"))
            .order_by("currency")
        )
        lines = []
        for row in totals:
            share = round_money(row["total"] * split.percent / Decimal("100"))
            if share == 0:
                continue
            why = (
                f"{split.percent.normalize():f}% of the commission on deal {deal.customer_name} split by the case "
                "decision"
            )
            lines.append(
                incentive_services.commission_adjustment_book(
                    partner=deal.partner,
                    amount=-share,
                    currency=row["currency"],
                    deal=deal,
                    by=outcome.decided_by,
                    case_id=outcome.case_id,
                    explanation=why,
                )
            )
            lines.append(
                incentive_services.commission_adjustment_book(
                    partner=to_partner,
                    amount=share,
                    currency=row["currency"],
                    by=outcome.decided_by,
                    case_id=outcome.case_id,
                    explanation=f"{split.percent.normalize():f}% of the commission on a contested deal, split by the "
                    f"case decision",
                )
            )
        split.booked_at = timezone.now()
        split.save(update_fields=["booked_at"])
        split.lines.add(*lines)
        return lines


@transaction.atomic
def commission_split_reverse(*, deal: DealRegistration, by: User | None) -> list[CommissionLine]:
    """A reversed win takes the split back from the other partner too (the awarded partner's side
    is clawed back with the deal's lines)."""
    with scopes_disabled():
        corrections = []
        for split in lock(CommissionSplit.objects.filter(deal=deal, booked_at__isnull=False, reversed_at__isnull=True)):
            outcome = CaseOutcome.objects.select_related("decided_by").get(pk=split.outcome_id)
            for line in split.lines.filter(partner_id=split.to_partner_id).order_by("id"):
                corrections.append(
                    incentive_services.commission_adjustment_book(
                        partner=line.partner,
                        amount=-line.amount,
                        currency=line.currency,
                        corrects=line,
                        by=outcome.decided_by,
                        case_id=outcome.case_id,
                        explanation=f"Reversal of the split on a contested deal (the win was reversed), line "
                        f"#{line.pk}",
                    )
                )
            split.reversed_at = timezone.now()
            split.save(update_fields=["reversed_at"])
        return corrections


# --- Reopening ------------------------------------------------------------------------------------


@transaction.atomic
def case_reopen(*, case: Case, by: User, reason: str) -> Case:
    """An involved partner reopens a resolved case once, within PRM_CASE_REOPEN_DAYS of its
    resolution, saying why; the resolution SLA starts again (the outcome's effects stay)."""
    errors: dict = {}
    reason = _text(errors, "reason", reason, limit=BODY_MAX, what="Say why the case should be looked at again.")
    _require_participant(by, case)
    _raise(errors)
    case = _locked(case)
    if not case.is_resolved:
        raise StateConflict("Only a resolved case can be reopened.")
    if case.reopened_at is not None:
        raise StateConflict("This case was reopened once already; open a new case instead.")
    now = timezone.now()
    if now > case.resolved_at + timedelta(days=settings.PRM_CASE_REOPEN_DAYS):
        raise StateConflict(f"A case can be reopened within {settings.PRM_CASE_REOPEN_DAYS} days of its resolution.")
    check_transition(CASE_TRANSITIONS, case.status, Status.OPEN, what="case")
    _, resolution_due = sla_due_times(kind=case.kind, priority=case.priority, start=now)
    case.status = Status.OPEN
    case.reopened_at = now
    case.resolved_at = None
    case.resolution_due = resolution_due
    case.resolution_escalated_at = None
    case.save()
    CaseMessage.objects.create(case=case, author=by, partner=by.partner, body=reason, created_at=now)
    _tell_staff(case, f"{by.partner.name} reopened case #{case.pk}.", reason)
    return case
