"""Reads of enablement: what content a user may see, courses with their lessons and quiz (never
the right answers), a person's progress, certifications and the counts other stages read."""

from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from partners.models import Partner, Tier, User
from prm.scoping import scopes_disabled

from ..models import (
    Certification,
    Choice,
    ContentAsset,
    ContentDownload,
    Course,
    LearningPath,
    PathStep,
    Question,
    QuizAttempt,
)

EXPIRING_SOON_DAYS = 30


# --- Content ---------------------------------------------------------------------------------------


def content_visible(*, user, partner: Partner | None = None) -> QuerySet[ContentAsset]:
    """The one answer to "which assets may this user see": staff every asset; a partner user the
    published ones its tier (``min_tier`` or above) and partner type may see; anyone else none.
    A forbidden asset is then simply not found (404), like a missing one."""
    assets = ContentAsset.objects.select_related("min_tier")
    if not (user.is_authenticated and user.is_active):
        return assets.none()
    if user.is_staff:
        return assets
    if user.partner_id is None:
        return assets.none()
    if partner is None:
        with scopes_disabled():
            partner = Partner.objects.select_related("tier").get(pk=user.partner_id)
    tier_rule = Q(min_tier__isnull=True)
    if partner.tier_id is not None:
        tier_rule |= Q(min_tier__rank__lte=partner.tier.rank)
    type_rule = Q(partner_types="") | Q(partner_types__contains=f",{partner.partner_type},")
    return assets.filter(tier_rule, type_rule, published=True)


def content_list(
    *, user, partner=None, search: str = "", category: str = "", kind: str = "", language: str = ""
) -> QuerySet[ContentAsset]:
    """Visible assets, featured first then newest, filtered by the portal's search and filters."""
    assets = content_visible(user=user, partner=partner)
    if search:
        assets = assets.filter(
            Q(title__icontains=search) | Q(description__icontains=search) | Q(tags__icontains=search)
        )
    if category:
        assets = assets.filter(category=category)
    if kind:
        assets = assets.filter(kind=kind)
    if language:
        assets = assets.filter(language=language)
    return assets.order_by("-featured", "-updated_at", "-id")


def featured_content(*, user, partner=None, limit: int = 4) -> list[ContentAsset]:
    return list(
        content_visible(user=user, partner=partner).filter(featured=True).order_by("-updated_at", "-id")[:limit]
    )


def downloads_per_partner(asset: ContentAsset) -> list[dict]:
    """How often each partner downloaded an asset (all versions), most first (staff)."""
    return list(
        ContentDownload.objects.filter(asset=asset)
        .values("partner_id", "partner__name")
        .annotate(downloads=Count("id"), people=Count("user", distinct=True))
        .order_by("-downloads", "partner__name")
    )


# --- Courses -----------------------------------------------------------------------------------------


def _quiz_prefetch():
    # The right answers stay in the database: the choice rows are loaded without ``is_correct``.
    return Prefetch(
        "questions",
        queryset=Question.objects.order_by("position", "id")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("position", "id").defer("is_correct")))
        .annotate(right_count=Count("choices", filter=Q(choices__is_correct=True))),
    )


def course_list(*, user) -> QuerySet[Course]:
    """Courses a signed-in user may take: published ones (staff also see drafts)."""
    courses = Course.objects.select_related("required_tier")
    if not (user.is_authenticated and user.is_active):
        return courses.none()
    if not user.is_staff:
        courses = courses.filter(published=True)
    return courses.order_by("order", "title")


def course_detail(*, user) -> QuerySet[Course]:
    """Courses with their lessons and quiz, for one course's page or API answer."""
    return course_list(user=user).prefetch_related("lessons", _quiz_prefetch())


def learning_paths(*, user) -> list[LearningPath]:
    """Learning paths with their published courses in order (two queries)."""
    steps = PathStep.objects.select_related("course").order_by("position", "id")
    if not user.is_staff:
        steps = steps.filter(course__published=True)
    return list(LearningPath.objects.prefetch_related(Prefetch("steps", queryset=steps)).order_by("order", "title"))


def is_required(course: Course, partner: Partner) -> bool:
    if course.required_partner_types and partner.partner_type in course.required_partner_type_list:
        return True
    return bool(course.required_tier_id and partner.tier_id and partner.tier.rank >= course.required_tier.rank)


def attempt_list(*, user: User) -> QuerySet[QuizAttempt]:
    """A partner user's own attempts, newest first (a colleague's are not theirs to read)."""
    return QuizAttempt.objects.filter(user=user).select_related("course").order_by("-submitted_at", "-id")


def attempts_left_today(*, course: Course, user: User, now=None) -> int:
    """Quiz attempts the person may still make at this course today (PRM_QUIZ_ATTEMPTS_PER_DAY)."""
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    used = QuizAttempt.objects.filter(course=course, user=user, submitted_at__gte=start, submitted_at__lte=now).count()
    return max(settings.PRM_QUIZ_ATTEMPTS_PER_DAY - used, 0)


def course_progress(*, user: User) -> dict[int, dict]:
    """Per course id: the user's attempts, best score and whether one passed (one query)."""
    rows = (
        QuizAttempt.objects.filter(user=user)
        .values("course_id")
        .annotate(attempts=Count("id"), passes=Count("id", filter=Q(passed=True)), best=Max("score"))
        .order_by()
    )
    return {
        row["course_id"]: {"attempts": row["attempts"], "passed": row["passes"] > 0, "best": row["best"]}
        for row in rows
    }


# --- Certifications ---------------------------------------------------------------------------------


def certification_list(*, user) -> QuerySet[Certification]:
    """Staff every certification; a partner user their organization's (the scope does it)."""
    if not (user.is_authenticated and user.is_active):
        return Certification.objects.none()
    return Certification.objects.select_related("user", "course").order_by("-issued_on", "-id")


def my_certifications(*, user: User) -> QuerySet[Certification]:
    """The signed-in person's own certifications, current ones first, newest first."""
    return Certification.objects.filter(user=user).select_related("course").order_by("status", "-expires_on", "-id")


def certification_of(attempt: QuizAttempt) -> Certification | None:
    """The certification a passed attempt left its user with (new, or the one still held)."""
    if not attempt.passed:
        return None
    return (
        Certification.objects.filter(
            current_q(timezone.localdate(attempt.submitted_at)), user_id=attempt.user_id, course_id=attempt.course_id
        )
        .order_by("-expires_on")
        .first()
    )


def current_q(today: date | None = None) -> Q:
    return Q(status=Certification.Status.CURRENT, expires_on__gt=today or timezone.localdate())


def team_training(*, partner: Partner, today: date | None = None) -> QuerySet[User]:
    """The partner's active members with their current certifications (partner admin's view), two queries."""
    today = today or timezone.localdate()
    current = Certification.objects.filter(current_q(today)).select_related("course").order_by("expires_on")
    return (
        User.members.filter(partner=partner, is_active=True)
        .prefetch_related(Prefetch("certifications", queryset=current, to_attr="current_certifications"))
        .order_by("full_name", "email")
    )


def expiring_soon(*, today: date | None = None, days: int = EXPIRING_SOON_DAYS) -> QuerySet[Certification]:
    """Current certifications of the caller's scope that end within ``days``."""
    today = today or timezone.localdate()
    return (
        Certification.objects.filter(current_q(today), expires_on__lte=today + timedelta(days=days))
        .select_related("user", "course")
        .order_by("expires_on", "id")
    )


def certified_user_counts(partner_ids, *, today: date | None = None) -> dict[int, int]:
    """How many active users of each partner hold at least one current certification (one
    query): the tier requirement "certified users". Partners with none are 0."""
    counts = {pk: 0 for pk in partner_ids}
    with scopes_disabled():
        rows = (
            Certification.objects.filter(current_q(today), partner_id__in=list(counts), user__is_active=True)
            .values("partner_id")
            .annotate(users=Count("user_id", distinct=True))
            .order_by()
        )
        for row in rows:
            counts[row["partner_id"]] = row["users"]
    return counts


def tier_certification_status(partner: Partner) -> dict:
    """The "certified users" tier requirement for one partner: how many it has, how many its tier
    asks for and how many the next tier asks for."""
    certified = certified_user_counts([partner.pk])[partner.pk]
    next_tier = Tier.objects.filter(rank__gt=partner.tier.rank).order_by("rank").first() if partner.tier_id else None
    return {
        "certified": certified,
        "tier": partner.tier,
        "required": partner.tier.min_certified_users if partner.tier_id else 0,
        "next_tier": next_tier,
        "required_next": next_tier.min_certified_users if next_tier else None,
    }


def completion_per_partner(course: Course) -> list[dict]:
    """Per partner: people who attempted the course, who passed, who hold a current certification (staff)."""
    with scopes_disabled():
        attempts = (
            QuizAttempt.objects.filter(course=course)
            .values("partner_id", "partner__name")
            .annotate(
                attempted=Count("user", distinct=True), passed=Count("user", distinct=True, filter=Q(passed=True))
            )
            .order_by("partner__name")
        )
        certified = dict(
            Certification.objects.filter(current_q(), course=course)
            .values("partner_id")
            .annotate(n=Count("user", distinct=True))
            .values_list("partner_id", "n")
        )
    return [{**row, "certified": certified.get(row["partner_id"], 0)} for row in attempts]


def verification(code: str) -> Certification | None:
    """The certification a public verification code names (no scope: the code is the credential)."""
    with scopes_disabled():
        return Certification.objects.filter(verification_code=code.strip().upper()).select_related("course").first()
