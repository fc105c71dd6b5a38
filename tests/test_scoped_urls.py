"""Every URL that names an object is proven scoped: a partner user asking for another
organization's object gets 404, through the portal (session) and the API (token)."""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from conflicts.models import Case, CaseAttachment, EvidenceRequest
from deals.models import DealRegistration
from enablement.models import (
    Announcement,
    AnnouncementDismissal,
    Certification,
    ContentAsset,
    Course,
    QuizAttempt,
    SurveyInvitation,
)
from incentives.models import PayoutStatement
from partners.models import AgreementSignature, Application, User

from .factories import ApplicationFactory, DealFactory, PartnerUserFactory, SignatureFactory
from .scoping import assert_scoped


@dataclass
class Rival:
    """Objects of another organization (and staff-only objects) that the signed-in partner must not reach."""

    partner: object
    member: User
    signature: AgreementSignature
    application: Application
    deal: DealRegistration
    draft: DealRegistration
    statement: PayoutStatement
    case: Case
    evidence: EvidenceRequest
    attachment: CaseAttachment
    restricted_asset: ContentAsset  # for higher tiers than the signed-in partner's
    draft_course: Course  # not published: staff only
    attempt: QuizAttempt
    certification: Certification
    announcement: Announcement  # for another audience (partners in France): never shown, never dismissed
    survey_invitation: SurveyInvitation  # surveys (partner feedback)
    newsletter: object  # sent to the rival's users only
    qbr: object = None  # the rival's quarterly business review, its PDF ready
    lead: object = None  # marketing: leads — a lead offered to the rival
    funds: object = None  # market development funds: the rival's request, its claim and a proof


# URL name -> (method, builds the URL of the rival's object)
SCOPED_URLS = {
    "api:partner-detail": ("get", lambda r: reverse("api:partner-detail", args=[r.partner.pk])),
    "api:partner-scorecard": ("get", lambda r: reverse("api:partner-scorecard", args=[r.partner.pk])),
    "api:application-detail": ("get", lambda r: reverse("api:application-detail", args=[r.application.pk])),
    "api:application-approve": ("post", lambda r: reverse("api:application-approve", args=[r.application.pk])),
    "api:application-reject": ("post", lambda r: reverse("api:application-reject", args=[r.application.pk])),
    "api:deal-detail": ("get", lambda r: reverse("api:deal-detail", args=[r.deal.pk])),
    "api:deal-approve": ("post", lambda r: reverse("api:deal-approve", args=[r.deal.pk])),
    "api:deal-reject": ("post", lambda r: reverse("api:deal-reject", args=[r.deal.pk])),
    "api:deal-close": ("post", lambda r: reverse("api:deal-close", args=[r.deal.pk])),
    "api:deal-reverse-win": ("post", lambda r: reverse("api:deal-reverse-win", args=[r.deal.pk])),
    "api:deal-request-extension": ("post", lambda r: reverse("api:deal-request-extension", args=[r.deal.pk])),
    "api:deal-grant-extension": ("post", lambda r: reverse("api:deal-grant-extension", args=[r.deal.pk])),
    "api:deal-refuse-extension": ("post", lambda r: reverse("api:deal-refuse-extension", args=[r.deal.pk])),
    "deals:detail": ("get", lambda r: reverse("deals:detail", args=[r.deal.pk])),
    "deals:extension": ("post", lambda r: reverse("deals:extension", args=[r.deal.pk])),
    "deals:edit": ("get", lambda r: reverse("deals:edit", args=[r.draft.pk])),
    "deals:discard": ("post", lambda r: reverse("deals:discard", args=[r.draft.pk])),
    "api:statement-detail": ("get", lambda r: reverse("api:statement-detail", args=[r.statement.pk])),
    "api:statement-pdf": ("get", lambda r: reverse("api:statement-pdf", args=[r.statement.pk])),
    "api:payout-run-detail": ("get", lambda r: reverse("api:payout-run-detail", args=[r.statement.run_id])),
    "api:payout-run-recalculate": ("post", lambda r: reverse("api:payout-run-recalculate", args=[r.statement.run_id])),
    "api:payout-run-restart": ("post", lambda r: reverse("api:payout-run-restart", args=[r.statement.run_id])),
    "api:payout-run-approve": ("post", lambda r: reverse("api:payout-run-approve", args=[r.statement.run_id])),
    "api:payout-run-mark-paid": ("post", lambda r: reverse("api:payout-run-mark-paid", args=[r.statement.run_id])),
    "api:payout-run-statements-zip": ("get", lambda r: f"/api/v1/payout-runs/{r.statement.run_id}/statements.zip"),
    "api:payout-run-export-csv": ("get", lambda r: f"/api/v1/payout-runs/{r.statement.run_id}/export.csv"),
    "statements:pdf": ("get", lambda r: reverse("statements:pdf", args=[r.statement.pk])),
    "statements:pdf_status": ("get", lambda r: reverse("statements:pdf_status", args=[r.statement.pk])),
    "api:case-detail": ("get", lambda r: reverse("api:case-detail", args=[r.case.pk])),
    "api:case-messages": ("post", lambda r: reverse("api:case-messages", args=[r.case.pk])),
    "api:case-resolve": ("post", lambda r: reverse("api:case-resolve", args=[r.case.pk])),
    "conflicts:detail": ("get", lambda r: reverse("conflicts:detail", args=[r.case.pk])),
    "conflicts:reply": ("post", lambda r: reverse("conflicts:reply", args=[r.case.pk])),
    "conflicts:reopen": ("post", lambda r: reverse("conflicts:reopen", args=[r.case.pk])),
    "conflicts:evidence": ("post", lambda r: reverse("conflicts:evidence", args=[r.case.pk, r.evidence.pk])),
    "conflicts:attachment": ("get", lambda r: reverse("conflicts:attachment", args=[r.attachment.pk])),
    "portal:agreement_pdf": ("get", lambda r: reverse("portal:agreement_pdf", args=[r.signature.pk])),
    "portal:agreement_pdf_status": ("get", lambda r: reverse("portal:agreement_pdf_status", args=[r.signature.pk])),
    "portal:team_member_deactivate": ("post", lambda r: reverse("portal:team_member_deactivate", args=[r.member.pk])),
    "api:content-detail": ("get", lambda r: reverse("api:content-detail", args=[r.restricted_asset.pk])),
    "api:content-download": ("get", lambda r: reverse("api:content-download", args=[r.restricted_asset.pk])),
    "content:download": ("get", lambda r: reverse("content:download", args=[r.restricted_asset.pk])),
    "api:course-detail": ("get", lambda r: reverse("api:course-detail", args=[r.draft_course.pk])),
    "api:course-attempts": ("post", lambda r: reverse("api:course-attempts", args=[r.draft_course.pk])),
    "training:course": ("get", lambda r: reverse("training:course", args=[r.draft_course.pk])),
    "training:attempt": ("get", lambda r: reverse("training:attempt", args=[r.attempt.pk])),
    "api:certification-detail": ("get", lambda r: reverse("api:certification-detail", args=[r.certification.pk])),
    "api:certification-pdf": ("get", lambda r: reverse("api:certification-pdf", args=[r.certification.pk])),
    "training:certificate_pdf": ("get", lambda r: reverse("training:certificate_pdf", args=[r.certification.pk])),
    # A newsletter sent to the rival only: its audience left the signed-in partner out.
    "news:detail": ("get", lambda r: reverse("news:detail", args=[r.newsletter.pk])),
    # --- Newsletters (issue 10): staff only, a partner is never shown one through the API ---
    "api:newsletter-detail": ("get", lambda r: reverse("api:newsletter-detail", args=[_staff_newsletter().pk])),
    "api:newsletter-send": ("post", lambda r: reverse("api:newsletter-send", args=[_staff_newsletter().pk])),
    "announcements:dismiss": ("post", lambda r: reverse("announcements:dismiss", args=[r.announcement.pk])),
    "api:announcement-detail": ("get", lambda r: reverse("api:announcement-detail", args=[r.announcement.pk])),
    "api:announcement-dismiss": ("post", lambda r: reverse("api:announcement-dismiss", args=[r.announcement.pk])),
    # Surveys (partner feedback): answering the rival's invitation in the portal
    "surveys:answer": ("post", lambda r: reverse("surveys:answer", args=[r.survey_invitation.pk])),
    # --- Performance: tier reviews are the program's deliberation, staff only (a partner's own too) ---
    "api:tier-review-detail": ("get", lambda r: reverse("api:tier-review-detail", args=[_tier_review(r).pk])),
    "api:tier-review-apply": ("post", lambda r: reverse("api:tier-review-apply", args=[_tier_review(r).pk])),
    "api:tier-review-dismiss": ("post", lambda r: reverse("api:tier-review-dismiss", args=[_tier_review(r).pk])),
    # Performance (issue 12): the rival's QBR
    "performance:qbr_pdf": ("get", lambda r: reverse("performance:qbr_pdf", args=[r.qbr.pk])),
    # --- marketing: leads (issue 13): a lead offered to the rival ---
    "api:lead-detail": ("get", lambda r: reverse("api:lead-detail", args=[r.lead.pk])),
    "api:lead-accept": ("post", lambda r: reverse("api:lead-accept", args=[r.lead.pk])),
    "api:lead-decline": ("post", lambda r: reverse("api:lead-decline", args=[r.lead.pk])),
    "leads:detail": ("get", lambda r: reverse("leads:detail", args=[r.lead.pk])),
    "leads:accept": ("post", lambda r: reverse("leads:accept", args=[r.lead.pk])),
    "leads:decline": ("post", lambda r: reverse("leads:decline", args=[r.lead.pk])),
    # --- Marketing: funds (the rival's request, claim and proof) ---
    "funds:detail": ("get", lambda r: reverse("funds:detail", args=[r.funds.request.pk])),
    "funds:withdraw": ("post", lambda r: reverse("funds:withdraw", args=[r.funds.waiting.pk])),
    "funds:claim": ("post", lambda r: reverse("funds:claim", args=[r.funds.approved.pk])),
    "funds:proof": ("get", lambda r: reverse("funds:proof", args=[r.funds.proof.pk])),
    "api:fund-request-detail": ("get", lambda r: reverse("api:fund-request-detail", args=[r.funds.request.pk])),
    "api:fund-request-approve": ("post", lambda r: reverse("api:fund-request-approve", args=[r.funds.waiting.pk])),
    "api:fund-request-reject": ("post", lambda r: reverse("api:fund-request-reject", args=[r.funds.waiting.pk])),
    "api:fund-request-withdraw": ("post", lambda r: reverse("api:fund-request-withdraw", args=[r.funds.waiting.pk])),
    "api:fund-request-claim": ("post", lambda r: reverse("api:fund-request-claim", args=[r.funds.approved.pk])),
    "api:fund-claim-detail": ("get", lambda r: reverse("api:fund-claim-detail", args=[r.funds.claim.pk])),
    "api:fund-claim-approve": ("post", lambda r: reverse("api:fund-claim-approve", args=[r.funds.claim.pk])),
    "api:fund-claim-reject": ("post", lambda r: reverse("api:fund-claim-reject", args=[r.funds.claim.pk])),
    "api:fund-claim-proof": (
        "get",
        lambda r: reverse("api:fund-claim-proof", args=[r.funds.claim.pk, r.funds.proof.pk]),
    ),
    "api:fund-allocation-detail": (
        "get",
        lambda r: reverse("api:fund-allocation-detail", args=[r.funds.request.allocation_id]),
    ),
}


def _tier_review(rival: "Rival"):
    """An open proposal to move the rival up a tier."""
    from partners.models import Tier
    from performance.models import TierReview

    gold, _ = Tier.objects.get_or_create(name="Gold", defaults={"rank": 3})
    return TierReview.objects.create(
        partner=rival.partner,
        current_tier=rival.partner.tier,
        proposed_tier=gold,
        direction="upgrade",
        reasons=["certified users 3 >= 3"],
        evaluated_on="2026-09-02",
    )


def _staff_newsletter():
    from enablement.models import Newsletter

    return Newsletter.objects.create(subject="Program news", body_markdown="Hello.")


# URLs with a parameter that is not an object of a partner, and why they need no scope proof.
NOT_PARTNER_OBJECTS = {
    "invitation_accept": "the token in the link is the credential; tested in tests/partners/test_invitations.py",
    "survey_answer_public": "the signed token of the invitation mail is the credential; tampering is tested in "
    "tests/enablement/test_surveys.py",
    "certificate_verify": "public by design: the code on the certificate is the credential and the page shows only "
    "name, partner, course, dates and status; tested in tests/enablement/test_certifications.py",
    # --- Channel marketing (issue 13): the public partner locator ---
    **{
        f"locator_public:{name}": "public by design: only the profiles of active partners that opted in, with "
        "their public fields; unlisted, inactive and unknown partners are 404; tested in "
        "tests/marketing/test_locator_public.py"
        for name in ("detail", "contact", "thanks", "logo")
    },
    "newsletter_unsubscribe": "the signed token in the link is the credential (tampering is refused, nothing "
    "written) and the page shows only the address it unsubscribes; tested in tests/enablement/test_newsletters_api.py",
}

# Third-party URL sets that never show partner data.
FOREIGN_PREFIXES = ("admin/", "accounts/", "api/schema", "api/docs", "static/", "media/")


def _named_patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}{entry.name}" if entry.name else None


def test_every_url_with_a_parameter_is_proven_scoped():
    unproven = []
    for route, name in _named_patterns():
        if route.startswith(FOREIGN_PREFIXES) or "<" not in route:
            continue
        if name not in SCOPED_URLS and name not in NOT_PARTNER_OBJECTS:
            unproven.append(f"{name} (/{route})")
    assert not unproven, "Add these URLs to SCOPED_URLS with a rival's object: " + ", ".join(unproven)


@pytest.fixture
def rival_objects(rival, rival_admin):
    return Rival(
        partner=rival,
        member=PartnerUserFactory(partner=rival, role="partner_rep"),
        signature=SignatureFactory(partner=rival, signer=rival_admin),
        application=ApplicationFactory(),
        deal=DealFactory(partner=rival, status="approved", protected_until="2099-01-01"),
        draft=DealFactory(partner=rival, status="draft"),
        statement=_paid_statement(rival),
        **_rival_case(rival_admin),
        **_enablement_objects(rival_admin),
        announcement=Announcement.objects.create(
            title="For France", body_markdown="Bonjour.", countries=",FR,", partner_statuses=""
        ),
        **_survey_objects(rival_admin),
        newsletter=_rival_newsletter(rival_admin),
        qbr=_rival_qbr(rival),
        lead=_rival_lead(rival),  # marketing: leads
        funds=_rival_funds(rival_admin),
    )


def _rival_funds(rival_admin):
    """The rival's fund requests: one waiting, one approved and ready to claim, one claimed with a proof."""
    from types import SimpleNamespace

    from .factories import StaffUserFactory
    from .marketing.funds import allocation, approved, claimed, ended, submitted

    manager = StaffUserFactory(email="funds-manager@example.com")
    allocation(rival_admin.partner)
    claim = claimed(rival_admin, manager, title="Their summit")
    return SimpleNamespace(
        request=claim.request,
        claim=claim,
        proof=claim.proofs.first(),
        waiting=submitted(rival_admin, title="Their webinar"),
        approved=ended(approved(rival_admin, manager, title="Their campaign")),
    )


def _rival_lead(rival):
    """marketing: leads — a lead offered to the rival (pending)."""
    from marketing.services.leads import lead_offer

    from .marketing.leads import make_lead

    lead = make_lead()
    lead_offer(lead=lead, partner=rival, rule=None, reasons="Chosen by hand")
    return lead


def _rival_qbr(rival):
    """The rival's QBR with a ready PDF: downloadable by the rival, 404 for anyone else."""
    from datetime import date

    from django.core.files.base import ContentFile

    from performance.models import QuarterlyReview

    review = QuarterlyReview(partner=rival, quarter=date(2026, 1, 1), pdf_status="ready", goals="Theirs")
    review.pdf.save("qbr-globex.pdf", ContentFile(b"%PDF-1.7 rival"), save=False)
    review.save()
    return review


def _survey_objects(rival_admin) -> dict:
    """A survey sent to every active partner: the rival admin's invitation (ours has its own)."""
    from enablement import services

    from .factories import StaffUserFactory

    manager = StaffUserFactory(email="surveys@example.com")
    survey = services.survey_save(by=manager, data={"title": "Program survey"})
    services.survey_send(survey=survey, by=manager)
    return {"survey_invitation": SurveyInvitation.objects.get(survey=survey, user=rival_admin)}


def _rival_newsletter(rival_admin):
    from .enablement.newsletters import sent_newsletter

    return sent_newsletter(subject="Globex only", to=[rival_admin])


def _rival_case(rival_admin) -> dict:
    """The rival's dispute with a file, and an evidence request of a clash the rival alone is in."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from conflicts import services

    from .factories import StaffUserFactory

    case = services.case_open_dispute(
        partner=rival_admin.partner,
        user=rival_admin,
        kind="other",
        subject="Theirs",
        body="Their question.",
        attachments=[SimpleUploadedFile("theirs.txt", b"secret")],
    )
    evidence = services.evidence_request(
        case=case, partner=rival_admin.partner, by=StaffUserFactory(), due_on=timezone.localdate() + timedelta(days=3)
    )
    return {"case": case, "evidence": evidence, "attachment": CaseAttachment.objects.get(case=case)}


def _enablement_objects(rival_admin) -> dict:
    from enablement.models import ContentAsset, Course
    from enablement.services import quiz_attempt_submit

    from .factories import TierFactory, course_with_quiz, right_answers

    gold = TierFactory(name="Gold", rank=3)
    asset = ContentAsset.objects.create(
        title="Gold price list", category="pricing", kind="link", url="https://example.com/gold", min_tier=gold
    )
    course = course_with_quiz(title="Rival's course")
    attempt = quiz_attempt_submit(course=course, user=rival_admin, answers=right_answers(course))
    draft = course_with_quiz(title="Draft course")
    Course.objects.filter(pk=draft.pk).update(published=False)
    return {
        "restricted_asset": asset,
        "draft_course": draft,
        "attempt": attempt,
        "certification": attempt.granted_certification,
    }


def _paid_statement(partner) -> PayoutStatement:
    from datetime import date
    from decimal import Decimal

    from incentives.models import CommissionLine, PayoutRun

    from .factories import StaffUserFactory

    line = CommissionLine.objects.create(
        partner=partner,
        kind="adjustment",
        amount=Decimal("70"),
        currency="USD",
        explanation="x",
        booked_on=date(2026, 1, 1),
    )
    run = PayoutRun.objects.create(
        period_end=date(2026, 1, 31), created_by=StaffUserFactory(role="finance"), status="approved", open_slot=None
    )
    return PayoutStatement.objects.create(
        run=run,
        partner=partner,
        currency="USD",
        total=Decimal("70"),
        line_count=1,
        after_line_id=0,
        last_line_id=line.pk,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SCOPED_URLS))
def test_rival_object_is_404_through_session(client, partner_admin, rival_objects, name):
    method, build = SCOPED_URLS[name]
    client.force_login(partner_admin)
    assert_scoped(client, build(rival_objects), method)
    rival_objects.member.refresh_from_db()
    assert rival_objects.member.is_active
    rival_objects.application.refresh_from_db()
    assert rival_objects.application.status == "applied"
    rival_objects.statement.run.refresh_from_db()
    assert rival_objects.statement.run.status == "approved"
    rival_objects.deal.refresh_from_db()
    assert rival_objects.deal.status == "approved"
    assert not rival_objects.deal.extension_requests.exists()
    assert DealRegistration.objects.filter(pk=rival_objects.draft.pk, status="draft").exists()
    rival_objects.case.refresh_from_db()
    assert rival_objects.case.status == "investigating" and rival_objects.case.messages.count() == 1
    assert not rival_objects.case.outcomes.exists()
    assert EvidenceRequest.objects.get(pk=rival_objects.evidence.pk).status == "requested"
    assert not QuizAttempt.objects.filter(user=partner_admin).exists()
    assert not rival_objects.restricted_asset.downloads.exists()
    funds = rival_objects.funds
    assert {r.pk: r.status for r in type(funds.request).objects.filter(partner=rival_objects.partner)} == {
        funds.request.pk: "claimed",
        funds.waiting.pk: "submitted",
        funds.approved.pk: "approved",
    }
    funds.claim.refresh_from_db()
    assert funds.claim.status == "submitted"
    assert not AnnouncementDismissal.objects.exists()
    rival_objects.survey_invitation.refresh_from_db()
    assert rival_objects.survey_invitation.answered_at is None


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n in SCOPED_URLS if n.startswith("api:")))
def test_rival_object_is_404_through_api_token(api, partner_admin, rival_objects, name):
    method, build = SCOPED_URLS[name]
    token = Token.objects.create(user=partner_admin)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert_scoped(api, build(rival_objects), method)
