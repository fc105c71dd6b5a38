"""Demo market development funds: tier rules (Platinum, Gold, Silver a year), allocations for
last year and this year for the tiered partners, and requests in every state, mostly Acme's
(submitted, approved, approved and ready to claim, rejected, withdrawn, claimed with proofs,
reimbursed with linked won deals, expired), a few of Globex's. The reimbursement is booked in the
ledger and paid with the next payout run. Dated relative to today like the rest of the story."""

import struct
import zlib
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deals.models import DealRegistration
from partners.models import Tier, User
from prm.demo_story import moment

from ..models import ActivityDeal, ClaimProof, FundClaim, FundRequest, FundTierRule
from ..selectors import funds as selectors
from ..selectors.funds import linkable_deals
from ..services import funds as services

RULES = [("Platinum", "40000"), ("Gold", "20000"), ("Silver", "8000")]


def _png(width=160, height=90, rgb=(31, 58, 95)) -> bytes:
    """A small solid PNG (a stand-in for a photo of the booth)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _pdf(text: str) -> bytes:
    """A one-page PDF saying ``text`` (a stand-in for the invoice)."""
    stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _span(today: date, days_ago: int, length: int) -> tuple[date, date]:
    """An activity that ended ``days_ago`` days ago, kept inside one calendar year."""
    ends = today - timedelta(days=days_ago)
    starts = max(ends - timedelta(days=length), date(ends.year, 1, 1))
    return starts, ends


def _ahead(today: date, days: int, length: int) -> tuple[date, date]:
    """An activity ``days`` ahead, kept inside this year (whose allocation pays it)."""
    last = date(today.year, 12, 31)
    return min(today + timedelta(days=days), last), min(today + timedelta(days=days + length), last)


def _request(user, title, kind, cost, leads, description, dates):
    return services.fund_request_submit(
        partner=user.partner,
        user=user,
        activity_type=kind,
        title=title,
        starts_on=dates[0],
        ends_on=dates[1],
        planned_cost=Decimal(cost),
        expected_leads=leads,
        description=description,
    )


def _past(user, manager, title, kind, cost, leads, description, dates, *, amount=None, submitted_days_before=30):
    """A request for an activity that already took place: asked for and approved ahead of it (the
    services stamp today, so the story's dates are written afterwards)."""
    today = timezone.localdate()
    request = _request(user, title, kind, cost, leads, description, _ahead(today, 1, 0))
    request = services.fund_request_approve(request=request, amount=Decimal(amount) if amount else None, by=manager)
    starts, ends = dates
    submitted_on = max(starts - timedelta(days=submitted_days_before), date(starts.year, 1, 1))
    FundRequest.objects.filter(pk=request.pk).update(
        starts_on=starts,
        ends_on=ends,
        allocation=selectors.allocation_covering(partner=user.partner, starts_on=starts, ends_on=ends),
        submitted_at=moment(submitted_on, 9, 30),
        decided_at=moment(submitted_on + timedelta(days=2), 14, 0),
    )
    request.refresh_from_db()
    FundRequest.objects.filter(pk=request.pk).update(claim_deadline=services.claim_deadline_of(request))
    request.refresh_from_db()
    return request


def _claim(request, user, amount, leads, results, files, deals, days_after_end):
    """The claim the story says came ``days_after_end`` days after the activity (in time: its
    deadline is opened for the service, which stamps today, and then put back)."""
    deadline = request.claim_deadline
    FundRequest.objects.filter(pk=request.pk).update(claim_deadline=max(deadline, timezone.localdate()))
    request.refresh_from_db()
    claim = services.fund_claim_submit(
        request=request,
        by=user,
        amount=Decimal(amount),
        leads_generated=leads,
        results=results,
        proofs=files,
        deals=deals,
    )
    on = min(request.ends_on + timedelta(days=days_after_end), deadline, timezone.localdate())
    FundRequest.objects.filter(pk=request.pk).update(claim_deadline=deadline)
    FundClaim.objects.filter(pk=claim.pk).update(submitted_at=moment(on, 11, 0))
    ActivityDeal.objects.filter(request=request).update(linked_at=moment(on, 11, 0))
    ClaimProof.objects.filter(claim=claim).update(uploaded_at=moment(on, 10, 50))
    claim.refresh_from_db()
    return claim


def _proofs(title: str, *, attendees: bool = False) -> list:
    files = [
        SimpleUploadedFile("invoice.pdf", _pdf(f"Invoice: {title}"), content_type="application/pdf"),
        SimpleUploadedFile("photo.png", _png(), content_type="image/png"),
    ]
    if attendees:
        rows = "name,company,email\nJane Doe,Contoso,jane@contoso.example\nLi Wei,Fabrikam,li@fabrikam.example\n"
        files.append(SimpleUploadedFile("attendees.csv", rows.encode(), content_type="text/csv"))
    return files


def seed(stdout=None) -> None:
    if FundTierRule.objects.exists():
        return
    manager = User.objects.get(email="manager@demo.test")
    finance = User.objects.get(email="finance@demo.test")
    alice = User.objects.get(email="alice@acme.demo.test")
    bob = User.objects.get(email="bob@globex.demo.test")
    today = timezone.localdate()
    for tier_name, amount in RULES:
        tier = Tier.objects.filter(name=tier_name).first()
        if tier is not None:
            FundTierRule.objects.create(tier=tier, period="year", amount=Decimal(amount), currency="USD")
    allocations = services.allocations_for_period(on=today, by=manager)
    earliest = today - timedelta(days=settings.PRM_MDF_CLAIM_DAYS + 30)
    if earliest.year < today.year:  # early in the year, some of the story's activities were last year's
        this_year = {a.partner_id: a.allocated for a in allocations}
        for partner in (alice.partner, bob.partner):
            allocations.append(
                services.allocation_create(
                    partner=partner,
                    period_start=date(earliest.year, 1, 1),
                    period_end=date(earliest.year, 12, 31),
                    currency="USD",
                    allocated=this_year.get(partner.pk, Decimal("8000.00")),
                    note="Last year's allocation",
                    by=manager,
                )
            )

    # Acme: one request in every state.
    _request(
        alice,
        "Partner roadshow: cloud security in Munich",
        "event",
        "6500.00",
        40,
        "A half-day roadshow with two customer talks and a live demo of the security suite.",
        _ahead(today, 21, 1),
    )
    webinar = _request(
        alice,
        "Webinar series: zero trust for mid-size firms",
        "webinar",
        "3000.00",
        60,
        "Three webinars with a guest speaker from a customer; promoted by mail and on LinkedIn.",
        _ahead(today, 10, 14),
    )
    services.fund_request_approve(request=webinar, amount=Decimal("2500.00"), by=manager)
    merchandise = _request(
        alice,
        "Branded merchandise for the sales team",
        "content",
        "4000.00",
        0,
        "Branded hoodies and notebooks for our sales team.",
        _ahead(today, 5, 0),
    )
    services.fund_request_reject(
        request=merchandise,
        reason="Merchandise for your own staff is not a marketing activity under the fund's rules.",
        by=manager,
    )
    fair = _request(
        alice,
        "Trade fair booth at CloudExpo",
        "event",
        "12000.00",
        80,
        "A shared booth at CloudExpo with the vendor's team.",
        _ahead(today, 30, 2),
    )
    services.fund_request_withdraw(request=fair, by=alice)

    _past(  # ended two days ago: Alice can claim it
        alice,
        manager,
        "Customer breakfast: backup and recovery",
        "event",
        "1500.00",
        15,
        "A breakfast briefing for fifteen IT managers of local customers.",
        _span(today, 2, 0),
    )
    campaign = _past(
        alice,
        manager,
        "LinkedIn campaign: secure cloud migration",
        "digital_campaign",
        "5000.00",
        50,
        "Four weeks of sponsored posts and a landing page with the migration checklist.",
        _span(today, 12, 28),
    )
    acme_deals = list(
        linkable_deals(alice.partner, since=campaign.starts_on).filter(submitted_at__date__lte=campaign.ends_on)[:1]
    )
    _claim(
        campaign,
        alice,
        "4780.00",
        38,
        "61,000 impressions, 1,240 clicks, 38 leads from the checklist download.",
        _proofs(campaign.title),
        acme_deals,
        3,
    )
    summit = _past(
        alice,
        manager,
        "Customer summit: the future of hybrid cloud",
        "event",
        "6000.00",
        70,
        "Our yearly customer summit with the vendor's keynote and three partner sessions.",
        _span(today, 45, 1),
        amount="5500.00",
    )
    # Deals registered in the days after the summit, before the claim; won ones first.
    candidates = linkable_deals(alice.partner, since=summit.starts_on).filter(
        submitted_at__date__lte=summit.ends_on + timedelta(days=8)
    )
    won = sorted(candidates, key=lambda deal: deal.status != DealRegistration.Status.WON)[:2]
    claim = _claim(
        summit,
        alice,
        "5420.00",
        64,
        "142 attendees from 58 companies; 64 leads, one registered as a deal so far.",
        _proofs(summit.title, attendees=True),
        won,
        8,
    )
    services.fund_claim_approve(claim=claim, by=finance)  # this morning: paid with the next payout run
    video = _past(
        alice,
        manager,
        "Case study video with Contoso",
        "content",
        "1500.00",
        10,
        "A three-minute customer video for our website and the vendor's partner showcase.",
        _span(today, settings.PRM_MDF_CLAIM_DAYS + 20, 10),
    )
    services.fund_requests_expire(today=today)
    FundRequest.objects.filter(pk=video.pk).update(expired_at=moment(video.claim_deadline + timedelta(days=1), 1, 30))

    # Globex: a request waiting and an approved one.
    _request(
        bob,
        "MSP breakfast series in Berlin",
        "event",
        "2400.00",
        20,
        "Three breakfasts for managed-service customers in Berlin.",
        _ahead(today, 14, 0),
    )
    services.fund_request_approve(
        request=_request(
            bob,
            "Newsletter sponsorship: IT-Business",
            "digital_campaign",
            "1800.00",
            25,
            "A sponsored article in the IT-Business newsletter.",
            _ahead(today, 7, 7),
        ),
        amount=None,
        by=manager,
    )
    if stdout:
        stdout.write(
            f"marketing funds: {FundTierRule.objects.count()} tier rules, {len(allocations)} allocations, "
            f"{FundRequest.objects.count()} requests in every state"
        )
