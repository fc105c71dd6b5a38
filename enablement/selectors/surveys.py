"""Reads of partner feedback surveys: the signed answer link, a user's invitations, a survey's
results and the NPS per partner that the performance stage reads.

NPS (Net Promoter Score) = % promoters (9-10) - % detractors (0-6) of the responses, rounded
half away from zero to one decimal (``Decimal``, ROUND_HALF_UP, as the kernel rounds money): one
promoter in 16 responses is 6.25 -> 6.3, one detractor in 16 is -6.3. No responses: ``None``
(pages show "—"). Counts come from SQL aggregates; Python only combines the few numbers they give.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core import signing
from django.db.models import Avg, Count, OuterRef, Q, QuerySet
from django.utils import timezone

from prm.queries import count_subquery
from prm.scoping import scopes_disabled

from ..models import Survey, SurveyAnswer, SurveyInvitation, SurveyQuestion, SurveyResponse

ANSWER_SALT = "enablement.survey-answer"
PROMOTER = Q(nps_score__gte=9)
DETRACTOR = Q(nps_score__lte=6)
PASSIVE = Q(nps_score__in=(7, 8))
ONE_DECIMAL = Decimal("0.1")
TEXT_ANSWERS_SHOWN = 200


# --- The signed link -------------------------------------------------------------------------------


def survey_answer_token(*, invitation: SurveyInvitation) -> str:
    """The credential in the invitation mail: it names the invitation, signed with the project's
    secret under a salt of its own (a token of another feature never answers a survey)."""
    return signing.dumps({"invitation": invitation.pk}, salt=ANSWER_SALT, compress=True)


def invitation_for_token(*, token: str) -> SurveyInvitation | None:
    """The invitation a token names, or None when it is tampered with, truncated or unknown, or
    when its person's account is deactivated (a link in an old mailbox no longer speaks for them)."""
    try:
        payload = signing.loads(token, salt=ANSWER_SALT)
    except signing.BadSignature:
        return None
    pk = payload.get("invitation") if isinstance(payload, dict) else None
    if not isinstance(pk, int):
        return None
    with scopes_disabled():
        return (
            SurveyInvitation.objects.select_related("survey", "user", "partner")
            .filter(pk=pk, user__is_active=True)
            .first()
        )


# --- Whether an invitation can be answered ---------------------------------------------------------


def survey_is_closed(*, survey: Survey, now: datetime | None = None) -> bool:
    """Closed by a manager or the daily task, or past its closing time (the task may not have run yet)."""
    now = now or timezone.now()
    return survey.status == Survey.Status.CLOSED or bool(survey.closes_at and survey.closes_at <= now)


def survey_invitation_state(*, invitation: SurveyInvitation, now: datetime | None = None) -> str:
    """``"answered"`` once its person answered, else ``"closed"`` unless the survey is open and not
    past its closing time, else ``"open"``; a deactivated person's invitation is ``"closed"`` too.
    The answer service refuses on the same rule; pages use it to choose what to show."""
    if invitation.answered_at is not None:
        return "answered"
    survey = invitation.survey
    if survey.status != Survey.Status.OPEN or survey_is_closed(survey=survey, now=now):
        return "closed"
    if not invitation.user.is_active:
        return "closed"
    return "open"


# --- A user's invitations --------------------------------------------------------------------------


def my_survey_invitations(*, user) -> QuerySet[SurveyInvitation]:
    """The signed-in person's own invitations (a colleague's are not theirs to answer), newest
    survey first; the partner scope keeps them to the person's organization as well."""
    return (
        SurveyInvitation.objects.filter(user=user)
        .exclude(survey__status=Survey.Status.DRAFT)
        .select_related("survey", "response")
        .order_by("-survey__sent_at", "-id")
    )


def waiting_survey_invitations(*, user, now: datetime | None = None) -> QuerySet[SurveyInvitation]:
    """Invitations the person can still answer: the survey is open and not past its closing time."""
    now = now or timezone.now()
    return my_survey_invitations(user=user).filter(
        Q(survey__closes_at__isnull=True) | Q(survey__closes_at__gt=now),
        survey__status=Survey.Status.OPEN,
        answered_at__isnull=True,
    )


# --- Results ---------------------------------------------------------------------------------------


def nps_value(*, promoters: int, detractors: int, responses: int) -> Decimal | None:
    """% promoters - % detractors, one decimal, half away from zero; None without responses."""
    if not responses:
        return None
    return (Decimal(100 * (promoters - detractors)) / Decimal(responses)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _one_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _percent(part: int, whole: int) -> int:
    """Whole percent for bars and rates (half up); 0 of 0 is 0."""
    if not whole:
        return 0
    return int((Decimal(100 * part) / Decimal(whole)).quantize(Decimal(1), ROUND_HALF_UP))


def survey_counts(queryset: QuerySet[Survey]) -> QuerySet[Survey]:
    """Surveys annotated with ``n_invited`` and ``n_answered``: one subquery count each (a join of
    both relations would multiply invitations by responses), one query whatever the number of rows."""
    return queryset.annotate(
        n_invited=count_subquery(SurveyInvitation.objects.filter(survey_id=OuterRef("pk"))),
        n_answered=count_subquery(SurveyResponse.objects.filter(survey_id=OuterRef("pk"))),
    )


def survey_results(*, survey: Survey) -> dict:
    """Everything the results section shows: invited, answered, response rate, NPS with
    promoters/passives/detractors, the 0-10 distribution, per question (rating: average and 1-5
    distribution; choice: counts per choice; text: how many answered and the latest
    TEXT_ANSWERS_SHOWN answers) and the latest comments. A constant number of queries plus one
    per free-text question (a survey has a few)."""
    with scopes_disabled():
        invited = survey.invitations.aggregate(
            invited=Count("id"), reminded=Count("id", filter=Q(reminded_at__isnull=False))
        )
        responses = SurveyResponse.objects.filter(survey=survey)
        counts = responses.aggregate(
            answered=Count("id"),
            promoters=Count("id", filter=PROMOTER),
            passives=Count("id", filter=PASSIVE),
            detractors=Count("id", filter=DETRACTOR),
            average=Avg("nps_score"),
        )
        by_score = dict(responses.values_list("nps_score").annotate(n=Count("id")).order_by())
        questions = list(survey.questions.all())
        answers = SurveyAnswer.objects.filter(response__survey=survey)
        ratings = {
            row["question_id"]: row
            for row in answers.filter(rating__isnull=False)
            .values("question_id")
            .annotate(n=Count("id"), average=Avg("rating"))
            .order_by()
        }
        rating_counts = (
            answers.filter(rating__isnull=False).values_list("question_id", "rating").annotate(n=Count("id"))
        )
        choice_counts = answers.exclude(choice="").values_list("question_id", "choice").annotate(n=Count("id"))
        text_totals = dict(answers.exclude(text="").values_list("question_id").annotate(n=Count("id")).order_by())
        per_text = {
            question.pk: [
                {"text": text, "partner": partner_name}
                for text, partner_name in answers.filter(question=question)
                .exclude(text="")
                .order_by("-response__answered_at", "-id")
                .values_list("text", "response__partner__name")[:TEXT_ANSWERS_SHOWN]
            ]
            for question in questions
            if question.kind == SurveyQuestion.Kind.TEXT and text_totals.get(question.pk)
        }
        comments = list(
            responses.exclude(comment="")
            .order_by("-answered_at", "-id")
            .values("comment", "nps_score", "answered_at", "partner__name")[:TEXT_ANSWERS_SHOWN]
        )
    answered = counts["answered"]
    distribution = [
        {"score": score, "count": by_score.get(score, 0), "percent": _percent(by_score.get(score, 0), answered)}
        for score in range(11)
    ]
    per_rating: dict[int, dict[int, int]] = {}
    for question_id, rating, n in rating_counts:
        per_rating.setdefault(question_id, {})[rating] = n
    per_choice: dict[int, dict[str, int]] = {}
    for question_id, choice, n in choice_counts:
        per_choice.setdefault(question_id, {})[choice] = n
    question_results = []
    for question in questions:
        row = {"question": question, "kind": question.kind}
        if question.kind == SurveyQuestion.Kind.RATING:
            found = ratings.get(question.pk, {"n": 0, "average": None})
            given = per_rating.get(question.pk, {})
            row.update(
                answers=found["n"],
                average=_one_decimal(found["average"]),
                distribution=[
                    {"value": v, "count": given.get(v, 0), "percent": _percent(given.get(v, 0), found["n"])}
                    for v in range(1, 6)
                ],
            )
        elif question.kind == SurveyQuestion.Kind.CHOICE:
            given = per_choice.get(question.pk, {})
            total = sum(given.values())
            offered = question.choice_list()
            row.update(
                answers=total,
                choices=[
                    {"choice": c, "count": given.get(c, 0), "percent": _percent(given.get(c, 0), total)}
                    for c in offered + sorted(set(given) - set(offered))
                ],
            )
        else:
            row.update(answers=text_totals.get(question.pk, 0), texts=per_text.get(question.pk, []))
        question_results.append(row)
    return {
        "invited": invited["invited"],
        "reminded": invited["reminded"],
        "answered": answered,
        "response_rate": _percent(answered, invited["invited"]),
        "promoters": counts["promoters"],
        "passives": counts["passives"],
        "detractors": counts["detractors"],
        "nps": nps_value(promoters=counts["promoters"], detractors=counts["detractors"], responses=answered),
        "average": _one_decimal(counts["average"]),
        "distribution": distribution,
        "questions": question_results,
        "comments": comments,
    }


def survey_reminder_due(*, survey: Survey) -> QuerySet[SurveyInvitation]:
    """Whom the survey's one reminder goes to: invitees who have not answered, were not reminded,
    are still active and have not opted out of program mail."""
    from ..models import NewsletterOptOut

    return survey.invitations.filter(answered_at__isnull=True, reminded_at__isnull=True, user__is_active=True).exclude(
        user_id__in=NewsletterOptOut.objects.values("user_id")
    )


def survey_audience_count(*, survey: Survey) -> int:
    """How many people sending the survey now would invite (shown before sending)."""
    from .audience import audience_users

    return audience_users(survey).count()


# --- For the performance stage ---------------------------------------------------------------------


def nps_per_partner(*, start: date | datetime | None = None, end: date | datetime | None = None) -> dict[int, dict]:
    """``{partner_id: {"responses": n, "nps": Decimal | None, "average": Decimal}}`` over the
    responses answered from ``start`` to ``end`` (both included; dates are whole local days), every
    survey together. One grouped query, whatever the number of partners or responses."""
    with scopes_disabled():
        responses = SurveyResponse.objects.all()
        if start is not None:
            responses = responses.filter(answered_at__gte=_moment(start))
        if end is not None:
            if isinstance(end, datetime):
                responses = responses.filter(answered_at__lte=end)
            else:
                responses = responses.filter(answered_at__lt=_moment(end, next_day=True))
        rows = list(
            responses.values("partner_id")
            .annotate(
                responses=Count("id"),
                promoters=Count("id", filter=PROMOTER),
                detractors=Count("id", filter=DETRACTOR),
                average=Avg("nps_score"),
            )
            .order_by("partner_id")
        )
    return {
        row["partner_id"]: {
            "responses": row["responses"],
            "nps": nps_value(promoters=row["promoters"], detractors=row["detractors"], responses=row["responses"]),
            "average": _one_decimal(row["average"]),
        }
        for row in rows
    }


def _moment(day: date | datetime, *, next_day: bool = False) -> datetime:
    from datetime import time, timedelta

    if isinstance(day, datetime):
        return day
    if next_day:
        day = day + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))


def survey_response_rows(*, survey: Survey) -> tuple[list[SurveyQuestion], QuerySet[SurveyResponse]]:
    """For the CSV export: the questions (columns) and the responses with their answers (three
    queries, whatever the number of responses)."""
    from django.db.models import Prefetch

    with scopes_disabled():
        questions = list(survey.questions.all())
        responses = (
            SurveyResponse.objects.filter(survey=survey)
            .select_related("partner", "user")
            .prefetch_related(Prefetch("answers", queryset=SurveyAnswer.objects.order_by()))
            .order_by("answered_at", "id")
        )
    return questions, responses
