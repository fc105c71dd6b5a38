"""Demo enablement: content in every category for different tiers and partner types, two learning
paths over three courses with quizzes, certifications issued over the year (one ending soon,
some expired), downloads month by month; two announcements on the portal home of Acme and Globex;
a newsletter; and a satisfaction survey each quarter (NPS)."""

import io
import random
import zipfile
from datetime import datetime, time, timedelta
from functools import lru_cache

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.utils import timezone

from partners.models import OnboardingEvent, OnboardingTask, Tier, User
from prm.demo_story import documents_on_demand, moment, month_last_day, month_start

from . import services
from .models import (
    Certification,
    Choice,
    ContentAsset,
    ContentDownload,
    Course,
    LearningPath,
    Lesson,
    PathStep,
    Question,
    QuizAttempt,
)

LIBRARY_DAYS = 420  # most content was published before the year of downloads began

# title, category, kind, file name or link, minimum tier, partner types, language, featured, tags, description
CONTENT = [
    (
        "Cloud Suite overview brochure",
        "sales",
        "file",
        "cloud-suite-overview.pdf",
        None,
        [],
        "en",
        True,
        ["cloud suite", "overview"],
        "Two pages that explain Cloud Suite to a first-time buyer.",
    ),
    (
        "Cloud Suite Übersicht",
        "sales",
        "file",
        "cloud-suite-uebersicht.pdf",
        None,
        [],
        "de",
        False,
        ["cloud suite", "overview"],
        "Die Broschüre auf Deutsch.",
    ),
    (
        "Campaign kit: spring launch",
        "marketing",
        "file",
        "spring-launch-kit.zip",
        "Silver",
        [],
        "en",
        True,
        ["campaign", "email", "banners"],
        "E-mail templates and banners for the spring launch campaign.",
    ),
    (
        "Partner logo pack",
        "marketing",
        "file",
        "partner-logos.png",
        None,
        [],
        "en",
        False,
        ["logo", "brand"],
        "Our logo and the partner badge, for your website.",
    ),
    (
        "Security Add-on architecture guide",
        "technical",
        "file",
        "security-architecture.docx",
        "Silver",
        [],
        "en",
        False,
        ["security", "architecture"],
        "How the Security Add-on fits into a customer's network.",
    ),
    (
        "Managed Backup runbook for MSPs",
        "technical",
        "link",
        "https://docs.example.com/managed-backup/msp-runbook",
        None,
        ["msp"],
        "en",
        False,
        ["backup", "operations"],
        "Operating Managed Backup for many customers.",
    ),
    (
        "Gold partner price list 2027",
        "pricing",
        "file",
        "price-list-gold-2027.pdf",
        "Gold",
        [],
        "en",
        False,
        ["prices", "discounts"],
        "List prices and Gold partner discounts.",
    ),
    (
        "Platinum deal desk guide",
        "pricing",
        "link",
        "https://docs.example.com/deal-desk/platinum",
        "Platinum",
        [],
        "en",
        False,
        ["discounts", "approvals"],
        "Special pricing requests for Platinum partners.",
    ),
    (
        "Case study: Contoso cuts cloud costs by 30%",
        "case_study",
        "file",
        "contoso-case-study.pdf",
        None,
        [],
        "en",
        False,
        ["retail", "cost"],
        "How a retailer moved to Cloud Suite in six weeks.",
    ),
    (
        "Product demo video",
        "training",
        "link",
        "https://videos.example.com/cloud-suite-demo",
        None,
        [],
        "en",
        False,
        ["demo", "video"],
        "A 12-minute walk through Cloud Suite.",
    ),
]

# title, summary, validity months, onboarding event, lessons [(title, markdown)], quiz [(question, [(choice, right)])]
COURSES = [
    (
        "Product foundations",
        "What we sell, to whom, and why they buy.",
        12,
        OnboardingEvent.COURSE_PASSED,
        [
            (
                "The product family",
                "# Cloud Suite\n\nCloud Suite runs a company's **files, mail and identity** in one place.\n\n"
                "Two add-ons extend it:\n\n- **Security Add-on**: threat protection and audit\n- **Managed Backup**: "
                "daily backups kept for a year",
            ),
            (
                "Who buys",
                "Our buyers are **IT leaders** of companies with 50 to 5,000 people.\n\n"
                "They buy to *cut cost* and to *pass audits*. See the [overview brochure](/portal/content/).",
            ),
        ],
        [
            (
                "What does Cloud Suite run?",
                [("Files, mail and identity", True), ("Payroll", False), ("Factory machines", False)],
            ),
            (
                "Which are add-ons of Cloud Suite?",
                [("Security Add-on", True), ("Managed Backup", True), ("Office chairs", False)],
            ),
            ("Who usually buys Cloud Suite?", [("IT leaders", True), ("Interns", False)]),
        ],
    ),
    (
        "Selling Cloud Suite",
        "Discovery, objections and closing.",
        12,
        "",
        [
            ("Discovery", "Ask about **cost**, **audits** and **growth** before you show anything."),
            (
                "Objections",
                "| Objection | Answer |\n|---|---|\n| Too expensive | Compare with three tools it replaces |\n| "
                "Migration risk | We migrate in six weeks |",
            ),
        ],
        [
            ("What do you ask about first?", [("Cost, audits and growth", True), ("Their favourite colour", False)]),
            ("How long does a migration take?", [("About six weeks", True), ("Two years", False), ("One hour", False)]),
            (
                "Which answers fit the price objection?",
                [("It replaces three tools", True), ("Compare total cost", True), ("Prices are secret", False)],
            ),
        ],
    ),
    (
        "Technical deep dive",
        "Architecture, security and backups for pre-sales engineers.",
        24,
        "",
        [
            ("Architecture", "Cloud Suite runs in three regions; customers choose where their data lives."),
            ("Security and backup", "The Security Add-on logs every sign-in. Managed Backup keeps **365 days**."),
        ],
        [
            ("How long does Managed Backup keep backups?", [("365 days", True), ("7 days", False)]),
            ("Who chooses the data region?", [("The customer", True), ("The partner", False), ("Nobody", False)]),
            ("What does the Security Add-on log?", [("Every sign-in", True), ("Nothing", False)]),
        ],
    ),
]

PATHS = [
    (
        "Sales foundations",
        "For account managers: learn the product, then how to sell it.",
        ["Product foundations", "Selling Cloud Suite"],
    ),
    (
        "Technical pre-sales",
        "For pre-sales engineers: the product, then its architecture.",
        ["Product foundations", "Technical deep dive"],
    ),
]


@lru_cache(maxsize=1)
def _pdf_bytes() -> bytes:
    """A one-page PDF saying what it is, built by hand: demo files are data, not documents, and
    nothing renders inside the demo's transaction."""
    text = b"BT /F1 18 Tf 72 720 Td (Demo file of the partner program.) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _file(name: str) -> SimpleUploadedFile:
    extension = name.rsplit(".", 1)[1]
    if extension == "pdf":
        content = _pdf_bytes()
    elif extension == "png":
        content = (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
            b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
        )
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
            archive.writestr("README.txt", "Demo file of the partner program.")
        content = buffer.getvalue()
    return SimpleUploadedFile(name, content)


def _content(manager: User) -> None:
    tiers = {tier.name: tier for tier in Tier.objects.all()}
    for title, category, kind, source, tier, types, language, featured, tags, description in CONTENT:
        services.content_asset_save(
            by=manager,
            upload=_file(source) if kind == "file" else None,
            data=dict(
                title=title,
                category=category,
                kind=kind,
                url=source if kind == "link" else "",
                min_tier=tiers.get(tier),
                partner_types=types,
                language=language,
                featured=featured,
                tags=tags,
                description=description,
            ),
        )


def _courses() -> dict[str, Course]:
    courses = {}
    for order, (title, summary, months, event, lessons, quiz) in enumerate(COURSES):
        course = Course.objects.create(
            title=title,
            summary=summary,
            validity_months=months,
            onboarding_event=event,
            pass_mark=60,
            published=True,
            order=order,
            required_partner_types=",msp,referral,reseller,technology," if event else "",
        )
        for position, (lesson_title, body) in enumerate(lessons, 1):
            Lesson.objects.create(course=course, position=position, title=lesson_title, body_markdown=body)
        for position, (text, choices) in enumerate(quiz, 1):
            question = Question.objects.create(course=course, position=position, text=text)
            Choice.objects.bulk_create(
                Choice(question=question, position=i, text=choice, is_correct=right)
                for i, (choice, right) in enumerate(choices, 1)
            )
        courses[title] = course
    for order, (title, description, course_titles) in enumerate(PATHS):
        path = LearningPath.objects.create(title=title, description=description, order=order)
        for position, course_title in enumerate(course_titles, 1):
            PathStep.objects.create(path=path, course=courses[course_title], position=position)
    return courses


def _answers(course: Course, *, right: bool = True) -> dict:
    answers = {}
    for question in course.questions.prefetch_related("choices"):
        picks = [c.pk for c in question.choices.all() if c.is_correct == right]
        answers[str(question.pk)] = picks if len(picks) > 1 else picks[0]
    return answers


# Who passed which course when (days before today), and whether they failed the day before.
# Product foundations and Selling Cloud Suite last 12 months, the technical deep dive 24: Bob's
# and Sofia's first certifications lapsed; Carol's ends within the month. Marco and Grace have
# not passed yet. Every partner needs a certified user for Silver, three for Gold.
CERTIFICATIONS = [
    ("bob@globex.demo.test", "Product foundations", 430, False),
    ("sofia@soylent.demo.test", "Product foundations", 410, False),
    ("carol@acme.demo.test", "Product foundations", 345, True),
    ("sofia@soylent.demo.test", "Selling Cloud Suite", 330, False),
    ("luca@lucerne.demo.test", "Product foundations", 280, False),
    ("daan@relecloud.demo.test", "Product foundations", 250, True),
    ("erin@acme.demo.test", "Technical deep dive", 240, False),
    ("priya@litware.demo.test", "Product foundations", 200, False),
    ("greta@globex.demo.test", "Product foundations", 200, False),
    ("anna@woodgrove.demo.test", "Product foundations", 180, False),
    ("bob@globex.demo.test", "Selling Cloud Suite", 150, False),
    ("marco@alpinecloud.demo.test", "Product foundations", 150, None),  # failed, not passed since
    ("omar@soylent.demo.test", "Technical deep dive", 120, False),
    ("jonas@coho.demo.test", "Product foundations", 100, True),
    ("camille@vanarsdel.demo.test", "Product foundations", 90, False),
    ("alice@acme.demo.test", "Product foundations", 60, False),
    ("grace@blueyonder.demo.test", "Product foundations", 60, None),
    ("louis@vanarsdel.demo.test", "Selling Cloud Suite", 40, False),
    ("alice@acme.demo.test", "Selling Cloud Suite", 30, False),
    ("olivia@trey.demo.test", "Product foundations", 20, False),
]


def _certifications(courses: dict[str, Course]) -> None:
    today = timezone.localdate()

    def at(days_ago: int):
        return timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(10, 0)))

    people = {user.email: user for user in User.objects.filter(email__in={c[0] for c in CERTIFICATIONS})}
    for email, title, days_ago, fail_first in CERTIFICATIONS:
        if email not in people:
            continue
        course, user = courses[title], people[email]
        if fail_first is not False:
            services.quiz_attempt_submit(
                course=course, user=user, answers=_answers(course, right=False), now=at(days_ago + 1)
            )
        if fail_first is not None:
            services.quiz_attempt_submit(course=course, user=user, answers=_answers(course), now=at(days_ago))
    # The certifications that have lapsed since (the daily task marked them expired).
    Certification.objects.filter(status=Certification.Status.CURRENT, expires_on__lte=today).update(
        status=Certification.Status.EXPIRED
    )


def _first_passes_close_onboarding() -> None:
    """The "pass the foundations course" step was done when a colleague first passed it."""
    for task in OnboardingTask.objects.filter(event=OnboardingEvent.COURSE_PASSED, done_at__isnull=False):
        first_pass = (
            QuizAttempt.objects.filter(partner_id=task.partner_id, passed=True, course__onboarding_event=task.event)
            .order_by("submitted_at")
            .values_list("submitted_at", flat=True)
            .first()
        )
        if first_pass:
            OnboardingTask.objects.filter(pk=task.pk).update(done_at=first_pass)


# Content downloads: each partner user opens about this many files a month.
DOWNLOADS_PER_MONTH = 1.2


def _downloads(now) -> int:
    """Over the year, partner users download the files their tier and type may see, month by month."""
    draw = random.Random("downloads")
    today = timezone.localdate(now)
    assets = list(ContentAsset.objects.filter(kind="file").select_related("min_tier").order_by("id"))
    made = []
    users = User.objects.filter(partner__activated_at__isnull=False, is_active=True).select_related("partner__tier")
    for user in users.order_by("id"):
        partner = user.partner
        seen = [
            a
            for a in assets
            if (a.min_tier is None or (partner.tier and partner.tier.rank >= a.min_tier.rank))
            and (not a.partner_types.strip(",") or f",{partner.partner_type}," in a.partner_types)
        ]
        since = max(timezone.localdate(user.date_joined), timezone.localdate(partner.activated_at))
        for back in range(12, -1, -1):
            first = month_start(today, back)
            if first < since.replace(day=1):
                continue
            for _ in range(int(DOWNLOADS_PER_MONTH * draw.random() * 2 + 0.5)):
                day = first + timedelta(days=draw.randrange(month_last_day(first).day))
                at = moment(max(min(day, today), since + timedelta(days=1)), draw.randint(8, 18), now=now)
                choices = [a for a in seen if a.created_at < at]
                if not choices or at > now or at < user.date_joined:
                    continue
                download = services.content_download_record(asset=draw.choice(choices), user=user)
                download.downloaded_at = at
                made.append(download)
    ContentDownload.objects.bulk_update(made, ["downloaded_at"], batch_size=500)
    return len(made)


def seed(*, stdout) -> None:
    seed_newsletters(stdout=stdout)  # communication (issue 10): its own "already loaded" check
    _announcements(stdout=stdout)
    _survey(stdout=stdout)  # surveys (partner feedback): idempotent on their own
    if Course.objects.exists() or ContentAsset.objects.exists():
        stdout.write("enablement: already loaded")
        return
    manager = User.objects.get(email="manager@demo.test")
    _content(manager)
    # Most of the library has been there since before the year began; the newest two carry the
    # "new" badge.
    older = timezone.now() - timedelta(days=LIBRARY_DAYS)
    ContentAsset.objects.exclude(title__in=[CONTENT[0][0], CONTENT[2][0]]).update(created_at=older, updated_at=older)
    courses = _courses()
    with documents_on_demand():
        _certifications(courses)
    _first_passes_close_onboarding()
    downloads = _downloads(timezone.now())
    for email in ("alice@acme.demo.test", "carol@acme.demo.test", "bob@globex.demo.test"):
        user = User.objects.get(email=email)
        for asset in ContentAsset.objects.filter(min_tier__isnull=True, partner_types="", kind="file")[:3]:
            services.content_download_record(asset=asset, user=user)
    stdout.write(f"enablement: {downloads + 9} content downloads over the year")
    stdout.write(
        f"enablement: {ContentAsset.objects.count()} content assets, {len(courses)} courses in {len(PATHS)} learning "
        f"paths, "
        f"{Certification.objects.count()} certifications"
    )


# --- Communication: newsletters ------------------------------------------------------------------------

NEWSLETTERS = {
    "sent": (
        "Partner program news: spring 2026",
        "## What is new\n\nThe **Cloud Suite 5** launch kit is in the content library, and the "
        "[foundations course](/portal/training/) has a new lesson on migrations.\n\n"
        "## Deal registration\n\n- Protection now lasts 90 days for Gold partners\n"
        "- Conflicts are explained on the deal's page\n\nThank you for a great quarter!",
    ),
    "scheduled": (
        "Partner program news: summer 2026",
        "## Coming up\n\nThe summer campaign kit and the new SPIF on Cloud Suite add-ons.\n\n"
        "See you at the partner summit!",
    ),
}


def seed_newsletters(*, stdout) -> None:
    """A newsletter sent last month (its deliveries recorded without mailing anyone: the demo
    describes people who must not be mailed; Carol unsubscribed in the portal, so she was skipped)
    and one scheduled for next week."""
    from .models import Newsletter, NewsletterDelivery
    from .services.newsletters import _prepare, _update_counts

    if Newsletter.objects.exists():
        stdout.write("newsletters: already loaded")
        return
    manager = User.objects.get(email="manager@demo.test")
    carol = User.objects.get(email="carol@acme.demo.test")
    services.newsletter_opt_out(user=carol, via="portal")
    now = timezone.now()
    subject, body = NEWSLETTERS["sent"]
    sent = services.newsletter_save(by=manager, data={"subject": subject, "body_markdown": body})
    started = now - timedelta(days=30)
    Newsletter.objects.filter(pk=sent.pk).update(
        status=Newsletter.Status.SENDING, sent_by=manager, created_at=started - timedelta(days=2)
    )
    _prepare(sent.pk, started)  # the snapshot and the deliveries, as a worker makes them
    NewsletterDelivery.objects.filter(newsletter=sent, status=NewsletterDelivery.Status.PENDING).update(
        # attempts stays 0, as the engine records a delivery sent at the first try
        status=NewsletterDelivery.Status.SENT,
        sent_at=started + timedelta(seconds=5),
    )
    _update_counts(sent.pk)
    Newsletter.objects.filter(pk=sent.pk).update(
        status=Newsletter.Status.SENT, finished_at=started + timedelta(seconds=6), heartbeat_at=None
    )
    subject, body = NEWSLETTERS["scheduled"]
    scheduled = services.newsletter_save(by=manager, data={"subject": subject, "body_markdown": body})
    next_week = (now + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    services.newsletter_send(newsletter=scheduled, by=manager, at=next_week)
    sent.refresh_from_db()
    stdout.write(
        f"newsletters: one sent to {sent.recipient_count} ({sent.sent_count} sent, {sent.skipped_count} skipped), "
        "one scheduled for next week"
    )


# --- Announcements ---------------------------------------------------------------------------------

# title, body, link, link text, pinned, published days ago, expires in days, tiers, recipients
ANNOUNCEMENTS = [
    (
        "Q1 SPIF on the security bundle",
        "Every **won** deal that includes the Security Add-on earns a **500 USD** bonus on top of your "
        "commission until the end of the quarter.\n\n- Register the deal first\n- Close it by the quarter's end",
        "",
        "",
        True,
        3,
        60,
        ["Gold", "Silver"],
        "all",
    ),
    (
        "Partner summit 2026: registration is open",
        "Two days of product road map, sales plays and certification sessions. Partner admins register their team.",
        "https://example.com/partner-summit-2026",
        "Register for the summit",
        False,
        1,
        30,
        [],
        "admins",
    ),
]


def _announcements(*, stdout) -> None:
    """Two current announcements for the active partners (Acme and Globex); loaded once."""
    from .models import Announcement

    if Announcement.objects.exists():
        return
    manager = User.objects.get(email="manager@demo.test")
    tiers = {tier.name: tier for tier in Tier.objects.all()}
    now = timezone.now()
    for title, body, link, link_text, pinned, days_ago, days_left, tier_names, recipients in ANNOUNCEMENTS:
        announcement = services.announcement_save(
            by=manager,
            data={
                "title": title,
                "body_markdown": body,
                "link": link,
                "link_text": link_text,
                "pinned": pinned,
                "publish_at": now - timedelta(days=days_ago),
                "expires_at": now + timedelta(days=days_left),
                "tiers": [tiers[name] for name in tier_names],
                "partner_statuses": ["active"],
                "recipients": recipients,
            },
        )
        # Written when it was published.
        Announcement.objects.filter(pk=announcement.pk).update(created_at=announcement.publish_at)
    stdout.write(f"enablement: {len(ANNOUNCEMENTS)} announcements")


# --- Surveys (partner feedback) ---------------------------------------------------------------------


def _survey_title(day) -> str:
    return f"Partner satisfaction Q{(day.month - 1) // 3 + 1} {day.year}"


SURVEY_QUESTIONS = [
    {"order": 1, "kind": "rating", "text": "How useful is the partner portal in your daily work?", "required": True},
    {
        "order": 2,
        "kind": "choice",
        "text": "What should we improve first?",
        "choices": "Deal registration\nTraining and certification\nMarketing content\nPayouts",
        "required": False,
    },
    {"order": 3, "kind": "text", "text": "What one thing would make you sell more of our products?"},
]
# Who answered, how, and how many days ago; Carol has not answered yet (she sees the portal panel
# and the reminder is still to send).
SURVEY_ANSWERS = [
    ("alice@acme.demo.test", 9, 5, "Training and certification", "Faster approval of deal registrations.", 4),
    ("bob@globex.demo.test", 7, 3, "Payouts", "", 2),
]


def _survey(*, stdout) -> None:
    """One open survey sent five days ago to the active partners' users, answered by some of them,
    after one each quarter before (PAST_SURVEYS)."""
    from .models import Survey, SurveyInvitation

    now = timezone.now()
    title = _survey_title(timezone.localdate(now))
    if Survey.objects.filter(title=title).exists():
        stdout.write("surveys: already loaded")
        return
    manager = User.objects.get(email="manager@demo.test")
    past = _past_surveys(manager, now)
    survey = services.survey_save(
        by=manager,
        data={
            "title": title,
            "introduction": "Five questions, one minute. Your answers help us plan the program for next year.",
            "closes_at": now + timedelta(days=25),
        },
        questions=SURVEY_QUESTIONS,
    )
    Survey.objects.filter(pk=survey.pk).update(created_at=now - timedelta(days=6))
    invited = services.survey_send(survey=survey, by=manager, now=now - timedelta(days=5))
    questions = {q.kind: q for q in survey.questions.all()}
    for email, nps, rating, choice, text, days_ago in SURVEY_ANSWERS:
        invitation = SurveyInvitation.objects.get(survey=survey, user__email=email)
        answers = {str(questions["rating"].pk): rating, str(questions["choice"].pk): choice}
        if text:
            answers[str(questions["text"].pk)] = text
        services.survey_answer(
            invitation=invitation,
            data={
                "nps_score": nps,
                "comment": "Keep the quarterly webinars coming." if nps >= 9 else "",
                "answers": answers,
            },
            now=now - timedelta(days=days_ago),
        )
    stdout.write(
        f"surveys: {past} answered over the year; {title!r} sent to {invited} people, {len(SURVEY_ANSWERS)} answered"
    )


# Surveys of the quarters before, in months before today: sent on the 10th, open three weeks.
PAST_SURVEYS = [10, 7, 4]
# How the program was rated in each: the chance of a promoter (9-10) and of a detractor (0-6).
PAST_MOODS = [(0.3, 0.35), (0.4, 0.25), (0.5, 0.15)]
ANSWER_SHARE = 0.6


def _past_surveys(manager: User, now) -> int:
    """Each past quarter's survey: sent to the people of the partners active then, answered by
    most of them in the two weeks after, closed. Returns how many answered."""
    from .models import Survey, SurveyInvitation

    draw, answered = random.Random("surveys"), 0
    today = timezone.localdate(now)
    for back, (promoters, detractors) in zip(PAST_SURVEYS, PAST_MOODS, strict=True):
        sent = moment(month_start(today, back).replace(day=10), 9, now=now)
        title = _survey_title(sent.date())
        if Survey.objects.filter(title=title).exists():
            continue
        survey = services.survey_save(
            by=manager,
            data={
                "title": title,
                "introduction": "Five questions, one minute. Your answers help us plan the program.",
                "closes_at": sent + timedelta(days=21),
                "partner_statuses": ["active", "suspended"],
            },
            questions=SURVEY_QUESTIONS,
        )
        Survey.objects.filter(pk=survey.pk).update(created_at=sent - timedelta(days=1))
        services.survey_send(survey=survey, by=manager, now=sent)
        # Only the people of partners active then were invited.
        SurveyInvitation.objects.filter(survey=survey).filter(
            Q(user__date_joined__gt=sent) | Q(partner__activated_at__gt=sent)
        ).delete()
        questions = {q.kind: q for q in survey.questions.all()}
        for invitation in SurveyInvitation.objects.filter(survey=survey).order_by("id"):
            if draw.random() > ANSWER_SHARE:
                continue
            mood = draw.random()
            nps = draw.randint(9, 10) if mood < promoters else draw.randint(0, 6) if mood > 1 - detractors else 8
            services.survey_answer(
                invitation=invitation,
                data={
                    "nps_score": nps,
                    "comment": "",
                    "answers": {
                        str(questions["rating"].pk): max(1, min(5, round(nps / 2))),
                        str(questions["choice"].pk): draw.choice(questions["choice"].choice_list()),
                    },
                },
                now=sent + timedelta(days=draw.uniform(0.2, 14)),
            )
            answered += 1
        services.survey_close(survey=survey, by=manager)
    return answered
