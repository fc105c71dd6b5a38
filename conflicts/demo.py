"""Demo cases: channel conflicts (one in mediation with evidence requests, one awarded with a
commission split), disputes of every kind, open, escalated and resolved."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deals import services as deal_services
from deals.models import DealRegistration
from incentives.models import CommissionLine
from partners.models import Partner, User

from . import services
from .models import Case


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


def seed(*, stdout) -> None:
    if Case.objects.exists():
        stdout.write("conflicts: already loaded")
        return
    manager = User.objects.get(email="manager@demo.test")
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
    line = CommissionLine.objects.filter(partner=acme, kind="accrual").order_by("id").first()
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
    rejected = DealRegistration.objects.filter(partner=globex, status="rejected").first()
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
    stdout.write(f"conflicts: {Case.objects.count()} cases (open, escalated and resolved; every kind)")
