"""Demo cases: channel conflicts (one in mediation with evidence requests, one awarded with a
commission split), disputes of every kind, open, escalated and resolved; and a year of the
partners' questions and disputes, answered and resolved, some after their SLA escalated them."""

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deals import services as deal_services
from deals.models import DealRegistration
from incentives.models import CommissionLine
from partners.models import Partner, User
from prm.demo_story import moment

from . import services
from .models import Case, CaseMessage, CaseOutcome, CaseParticipant


def _deal(user, customer, domain, amount, currency="USD"):
    return deal_services.deal_submit(
        partner=Partner.objects.get(pk=user.partner_id),
        user=user,
        data=dict(
            customer_name=customer,
            customer_domain=domain,
            customer_country="US",
            customer_contact_name="Robin Buyer",
            customer_contact_email=f"robin@{domain}",
            amount=Decimal(amount),
            currency=currency,
            expected_close_date=timezone.localdate() + timedelta(days=60),
            products=["Cloud Suite"],
            notes="Demo opportunity.",
        ),
    )


# --- A year of cases -------------------------------------------------------------------------------

CASE_DAYS, CASE_EVERY_DAYS = 330, 15  # a case every fortnight or so, from eleven months ago
LATE_SHARE = 0.25  # cases whose first response came after its due time (they escalated)
# What partners asked and disputed over the year: subject, body, the note that resolved it.
QUESTIONS = [
    (
        "Demo licence for a customer workshop",
        "Can we get a 30-day demo licence for a customer workshop next week?",
        "Answered: demo licences are requested from the content library's demo page.",
    ),
    (
        "Co-branded brochure",
        "May we print the Cloud Suite brochure with our logo beside yours?",
        "Answered: yes, with the co-branding template from the marketing kit.",
    ),
    (
        "Certification exam retake",
        "One of our engineers failed the quiz twice today; when can he try again?",
        "Answered: three attempts a day; he can try again tomorrow.",
    ),
    (
        "Partner locator listing",
        "Our company is not shown in the public partner locator yet.",
        "Answered: the locator lists active partners; the listing appears after onboarding.",
    ),
    (
        "Training for a new sales rep",
        "Which learning path should a new account manager start with?",
        "Answered: the Sales foundations path, product foundations first.",
    ),
]
COMMISSION_DISPUTES = [
    (
        "Commission rate on a won deal",
        "The commission line shows a lower rate than we expected for this deal.",
        "The rate is right: it follows the brackets of your tier's plan for the year, step by step on the statement.",
    ),
    (
        "Exchange rate on our commission",
        "Our commission was converted with a rate that differs from our bank's.",
        "The conversion uses finance's rate of the closing date, as the plan says; no change.",
    ),
]
DEAL_DISPUTES = [
    (
        "Registration rejected",
        "We worked this customer for months; please look at the registration again.",
        "The customer buys directly from us under a framework contract; the rejection stands.",
    ),
]


def _date_case(case: Case, *, opened, escalated, assigned, responded, resolved) -> None:
    """Date the case, its thread, its outcome and its audit trail as they happened."""
    first_due, resolution_due = services.sla_due_times(kind=case.kind, priority=Case.Priority.NORMAL, start=opened)
    changes = dict(
        opened_at=opened,
        first_response_due=first_due,
        resolution_due=resolution_due,
        first_response_at=responded,
        resolved_at=resolved,
    )
    if escalated is not None:
        changes["first_response_escalated_at"] = escalated
    Case.objects.filter(pk=case.pk).update(**changes)
    CaseParticipant.objects.filter(case=case).update(joined_at=opened)
    messages = list(CaseMessage.objects.filter(case=case).order_by("id"))
    for message, at in zip(messages, [opened, responded, resolved], strict=False):
        CaseMessage.objects.filter(pk=message.pk).update(created_at=at)
    CaseOutcome.objects.filter(case=case).update(decided_at=resolved)
    when = {
        Case.Status.OPEN: opened,
        Case.Status.ESCALATED: escalated,
        Case.Status.INVESTIGATING: assigned,
        Case.Status.RESOLVED: resolved,
    }
    for record in case.history.all():
        case.history.filter(pk=record.pk).update(history_date=when.get(record.status) or opened)


def _cases_of_the_year(manager: User, now) -> int:
    """Disputes and questions of the partners, a few a month, each answered and resolved; about one
    in four answered late, escalated by the SLA check first."""
    draw, made = random.Random("cases"), 0
    today = timezone.localdate(now)
    people = list(
        User.objects.filter(partner__status__in=["active", "suspended"], is_active=True)
        .select_related("partner")
        .order_by("id")
    )
    for back in range(CASE_DAYS, CASE_EVERY_DAYS - 1, -CASE_EVERY_DAYS):
        day = today - timedelta(days=back - draw.randrange(CASE_EVERY_DAYS // 2))
        opened = moment(day, draw.randint(8, 16), draw.randint(0, 59), now=now)
        present = [u for u in people if u.date_joined < opened and u.partner.activated_at < opened]
        user = draw.choice(present)
        kind = draw.choice(["other", "other", "commission_dispute", "deal_dispute"])
        line = deal = None
        if kind == "commission_dispute":
            line = (
                CommissionLine.objects.filter(partner=user.partner, kind="accrual", booked_on__lt=day)
                .order_by("-booked_on", "-id")
                .first()
            )
            kind = kind if line else "other"
        elif kind == "deal_dispute":
            deal = (
                DealRegistration.objects.filter(partner=user.partner, status="rejected", decided_at__lt=opened)
                .order_by("-decided_at")
                .first()
            )
            kind = kind if deal else "other"
        texts = {"other": QUESTIONS, "commission_dispute": COMMISSION_DISPUTES, "deal_dispute": DEAL_DISPUTES}
        subject, body, note = draw.choice(texts[kind])
        if deal is not None:
            subject = f"{subject}: {deal.customer_name}"[:200]
        case = services.case_open_dispute(
            partner=user.partner, user=user, kind=kind, subject=subject, body=body, deal=deal, commission_line=line
        )
        first_hours, resolution_hours = settings.PRM_CASE_SLA_HOURS[kind][Case.Priority.NORMAL]
        first_due = opened + timedelta(hours=first_hours)
        escalated = None
        if draw.random() < LATE_SHARE:  # nobody answered in time: the SLA check escalated it
            escalated = first_due + timedelta(minutes=draw.randint(5, 55))
            Case.objects.filter(pk=case.pk).update(
                opened_at=opened,
                first_response_due=first_due,
                resolution_due=opened + timedelta(hours=resolution_hours),
            )
            services.cases_escalate(now=escalated)
            responded = escalated + timedelta(hours=draw.uniform(1, 6))
            resolved = responded + timedelta(hours=draw.uniform(4, resolution_hours * 0.6))
        else:
            responded = opened + timedelta(hours=draw.uniform(0.5, first_hours * 0.8))
            resolved = responded + timedelta(hours=draw.uniform(2, (resolution_hours - first_hours) * 0.7))
        assigned = min(opened + timedelta(hours=1), responded)
        case = Case.objects.get(pk=case.pk)
        services.case_assign(case=case, owner=manager, by=manager)
        services.case_post_message(case=case, by=manager, body="Thank you, we are looking at it.")
        services.case_resolve(case=case, by=manager, outcome="no_action", note=note)
        _date_case(case, opened=opened, escalated=escalated, assigned=assigned, responded=responded, resolved=resolved)
        made += 1
    return made


def seed(*, stdout) -> None:
    if Case.objects.exists():
        stdout.write("conflicts: already loaded")
        return
    manager = User.objects.get(email="manager@demo.test")
    year = _cases_of_the_year(manager, timezone.now())
    alice, carol, bob = (
        User.objects.get(email=e) for e in ("alice@acme.demo.test", "carol@acme.demo.test", "bob@globex.demo.test")
    )
    acme, globex = Partner.objects.get(name="Acme Cloud Partners"), Partner.objects.get(name="Globex Solutions")
    today = timezone.localdate()

    # 1. The deals demo's clash over Fabrikam: in mediation, evidence asked from both partners.
    fabrikam = DealRegistration.objects.filter(customer_name="FABRIKAM, Incorporated").first()
    if fabrikam:
        case = services.case_open_for_conflict(deal_id=fabrikam.pk)
        services.case_assign(case=case, owner=manager, by=manager)
        for partner in (acme, globex):
            services.evidence_request(
                case=case,
                partner=partner,
                by=manager,
                due_on=today + timedelta(days=5),
                instructions="When did you first meet Fabrikam, and who is your contact there?",
            )
        request = case.evidence_requests.get(partner=acme)
        services.evidence_answer(
            request=request,
            by=alice,
            first_contact_on=today - timedelta(days=120),
            customer_contact="Jordan Buyer, CIO",
            activities="Discovery workshop in spring, a proof of concept over the summer, a quote sent last month.",
            attachments=[SimpleUploadedFile("meeting-notes.txt", b"Workshop with Jordan Buyer: scope agreed.\n")],
        )
        services.case_post_message(
            case=case,
            by=manager,
            partner=None,
            internal=True,
            body="Acme has protection since last quarter; waiting for Globex's evidence.",
        )  # internal: staff only

    # 2. A clash awarded to Acme, 20% of its commission split to Globex for its introduction.
    northwind = _deal(carol, "Northwind Traders", "northwindtraders.com", "56000.00")
    _deal(bob, "Northwind Traders Ltd", "northwindtraders.com", "52000.00")
    case = services.case_open_for_conflict(
        deal_id=DealRegistration.objects.get(customer_name="Northwind Traders Ltd").pk
    )
    services.case_assign(case=case, owner=manager, by=manager)
    services.case_post_message(
        case=case,
        by=manager,
        partner=globex,
        body="Thank you for the registration. Another partner registered this customer earlier; we are checking.",
    )
    services.case_resolve(
        case=case,
        by=manager,
        outcome="award_deal",
        deal=northwind,
        split_percent=Decimal("20"),
        split_partner=globex,
        note="The first registration leads the customer's evaluation; the partner "
        "who introduced the customer receives 20% of the commission when the deal is won.",
    )

    # 3. A commission dispute, resolved with an adjustment paid in the next run.
    line = (
        CommissionLine.objects.filter(partner=acme, kind="accrual", deal__customer_name="Contoso Retail Ltd")
        .order_by("id")
        .first()
    )
    if line:
        case = services.case_open_dispute(
            partner=acme,
            user=alice,
            kind="commission_dispute",
            subject="SPIF missing on the Contoso deal",
            body="The Security Add-on SPIF was not paid on the Contoso Retail deal.",
            commission_line=line,
        )
        services.case_post_message(case=case, by=manager, body="Checking the SPIF window now.")
        services.case_resolve(
            case=case,
            by=manager,
            outcome="adjust_commission",
            amount=Decimal("500.00"),
            currency=line.currency,
            note="The SPIF applied: 500.00 is added to your next statement.",
        )

    # 4. A deal dispute nobody answered in time: escalated by the SLA check.
    rejected = DealRegistration.objects.filter(partner=globex, customer_name="Adatum Corporation").first()
    case = services.case_open_dispute(
        partner=globex,
        user=bob,
        kind="deal_dispute",
        subject="Adatum registration rejected",
        body="Adatum asked us to handle their renewal; please reconsider.",
        deal=rejected,
    )
    Case.objects.filter(pk=case.pk).update(
        opened_at=timezone.now() - timedelta(days=6),
        first_response_due=timezone.now() - timedelta(days=5),
        resolution_due=timezone.now() - timedelta(days=1),
    )
    services.cases_escalate()

    # 5. Other: a question closed without action; and an open commission question.
    case = services.case_open_dispute(
        partner=acme,
        user=carol,
        kind="other",
        subject="Co-marketing logo usage",
        body="May we use the vendor logo in our webinar invitation?",
    )
    services.case_post_message(case=case, by=manager, body="Yes, with the brand guidelines from the content library.")
    services.case_resolve(
        case=case, by=manager, outcome="no_action", note="Answered: the logo may be used per the guidelines."
    )
    services.case_open_dispute(
        partner=globex,
        user=bob,
        kind="other",
        subject="Payout date of the next run",
        body="When is the next payout run approved?",
    )
    stdout.write(
        f"conflicts: {Case.objects.count()} cases ({year} over the year; open, escalated and resolved; every kind)"
    )
