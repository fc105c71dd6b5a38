"""Writes of partner feedback surveys: a manager defines a short survey (the NPS question 0-10 and a
few optional questions) and sends it to an audience; each invited user answers once, through the
signed link in the invitation mail or in the portal; one reminder goes to those who did not answer.

Survey mail is program mail, not a newsletter and not transactional. The decision on opted-out
users (``NewsletterOptOut``): they still get the one invitation (a one-off request about their own
experience of the program, which they may ignore), but never the reminder, which is the kind of
repeated nudge unsubscribing asks us to stop.
"""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from partners.models import User
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock, lock_one
from prm.roles import MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled
from prm.text import check_text
from prm.transitions import check_transition

from ..models import (
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)
from ..selectors.audience import audience_users
from ..selectors.surveys import survey_answer_token, survey_invitation_state, survey_is_closed, survey_reminder_due
from .audience import audience_apply

# The allowed changes of a survey's status (prm.transitions).
SURVEY_TRANSITIONS = {
    Survey.Status.DRAFT: (Survey.Status.OPEN,),
    Survey.Status.OPEN: (Survey.Status.CLOSED,),
}
SURVEY_FIELDS = ("title", "introduction", "nps_question", "closes_at")  # the audience: audience_apply
QUESTION_FIELDS = ("order", "kind", "text", "choices", "required")
TEXT_MAX = 2000
MAX_CHOICES = 20
CHOICE_MAX = SurveyAnswer._meta.get_field("choice").max_length
MAIL_BATCH = 100


def _answer_link(invitation: SurveyInvitation) -> str:
    return settings.SITE_URL + reverse("survey_answer_public", args=[survey_answer_token(invitation=invitation)])


def survey_question_errors(*, question: SurveyQuestion) -> dict[str, list[str]]:
    """One question's faults, by field (empty: none): the model's limits, and a choice question
    offers 2 to MAX_CHOICES different choices, one per line, each at most CHOICE_MAX characters
    (an answer stores the choice). The admin's question rows show these on their fields."""
    errors: dict[str, list[str]] = {}
    try:
        question.full_clean(exclude=["survey"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if question.kind == SurveyQuestion.Kind.CHOICE and "choices" not in errors:
        choices = question.choice_list()
        if not 2 <= len(choices) <= MAX_CHOICES:
            errors["choices"] = [f"A choice question needs 2 to {MAX_CHOICES} choices, one per line."]
        elif len(set(choices)) != len(choices) or any(len(c) > CHOICE_MAX for c in choices):
            errors["choices"] = [f"Each choice once, at most {CHOICE_MAX} characters long."]
    return errors


def _check_questions(questions) -> None:
    """Every question passes ``survey_question_errors``; the refusal names each one under ``questions``."""
    messages = [
        f"Question {number} (“{question.text}”), {field}: {message}"
        for number, question in enumerate(questions, 1)
        for field, field_messages in survey_question_errors(question=question).items()
        for message in field_messages
    ]
    if messages:
        raise RuleViolation({"questions": messages})


def _mail_suppressed() -> bool:
    # prm.mail.suppressed() (the demo) applies where the mail is decided, not in the worker.
    # TODO(hf): use the public prm.mail.is_suppressed() once it is merged.
    from prm import mail

    is_suppressed = getattr(mail, "is_suppressed", None)
    return is_suppressed() if is_suppressed else mail._suppressed.get()


@transaction.atomic
def survey_save(*, by: User, data: dict, survey: Survey | None = None, questions: list[dict] | None = None) -> Survey:
    """Managers define a survey and its questions; once sent, a survey and its questions no longer
    change (the answers refer to them). ``questions``, when given, replace the draft's questions."""
    require_role(by, *MANAGER_ROLES, action="define surveys")
    survey = survey or Survey(created_by=by)
    if survey.pk:
        survey = lock_one(Survey.objects.all(), survey.pk)
        if survey.status != Survey.Status.DRAFT:
            raise StateConflict("This survey has been sent: its questions no longer change.")
    for field in SURVEY_FIELDS:
        if field in data:
            setattr(survey, field, data[field])
    tiers = audience_apply(target=survey, data=data)
    survey.full_clean(exclude=["tiers"])
    survey.save()
    if tiers is not None:
        survey.tiers.set(tiers)
    if questions is not None:
        built = [SurveyQuestion(survey=survey, **{f: q[f] for f in QUESTION_FIELDS if f in q}) for q in questions]
        _check_questions(built)
        survey.questions.all().delete()
        SurveyQuestion.objects.bulk_create(built)
    return survey


@transaction.atomic
def survey_send(*, survey: Survey, by: User, now: datetime | None = None) -> int:
    """Open a draft survey: one invitation per user of its audience (unique per survey and user, so
    a double click invites nobody twice). Once committed, one task (``send_survey_invitations``)
    mails each a signed link that answers without signing in. Opted-out users are invited too (see
    the module's docstring). Returns the invitee count."""
    require_role(by, *MANAGER_ROLES, action="send surveys")
    now = now or timezone.now()
    with scopes_disabled():
        survey = lock_one(Survey.objects.all(), survey.pk)
        check_transition(SURVEY_TRANSITIONS, survey.status, Survey.Status.OPEN, what="survey")
        if survey.closes_at and survey.closes_at <= now:
            raise RuleViolation({"closes_at": ["The closing time has passed: set a later one, or none, first."]})
        _check_questions(survey.questions.all())
        invitees = list(audience_users(survey).values_list("id", "partner_id"))
        if not invitees:
            raise RuleViolation({"audience": ["Nobody is in this survey's audience: choose a wider audience first."]})
        SurveyInvitation.objects.bulk_create(
            [SurveyInvitation(survey=survey, user_id=u, partner_id=p, invited_at=now) for u, p in invitees],
            ignore_conflicts=True,
        )
        survey.status = Survey.Status.OPEN
        survey.sent_at = now
        survey.save(update_fields=["status", "sent_at"])
    if not _mail_suppressed():
        from ..tasks import send_survey_invitations

        survey_id = survey.pk
        transaction.on_commit(lambda: send_survey_invitations.delay(survey_id))
    return len(invitees)


def _mail_batches(*, survey_id: int, due, stamp: str, template: str) -> int:
    """Mail the invitations of ``due`` (a queryset) in batches of MAIL_BATCH over one SMTP
    connection each, stamping ``stamp`` on those mailed. Each batch is locked, mailed and stamped
    in one transaction, so a second run (a retry, two workers) finds them stamped and mails
    nobody twice; a crash between the send and the commit may mail that one batch again."""
    mailed = 0
    with scopes_disabled():
        survey = Survey.objects.filter(pk=survey_id).first()
        if survey is None:
            return 0
        while True:
            unmailed = due.filter(**{f"{stamp}__isnull": True})
            ids = list(unmailed.order_by("id").values_list("id", flat=True)[:MAIL_BATCH])
            if not ids:
                return mailed
            with transaction.atomic():
                # Under the lock, the rows another run stamped meanwhile drop out (it mailed them).
                batch = lock(unmailed.filter(pk__in=ids).select_related("user"))
                if not batch:
                    continue
                messages = [
                    _message(
                        to=invitation.user.email,
                        template=template,
                        context={"survey": survey, "invitation": invitation, "link": _answer_link(invitation)},
                    )
                    for invitation in batch
                ]
                with get_connection() as connection:
                    connection.send_messages(messages)
                SurveyInvitation.objects.filter(pk__in=[i.pk for i in batch]).update(**{stamp: timezone.now()})
                mailed += len(batch)


def _message(*, to: str, template: str, context: dict) -> EmailMultiAlternatives:
    """The mail of ``{template}_subject.txt``, ``_body.txt`` and ``_body.html`` (as prm.mail renders them)."""
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"{template}_body.txt", context), to=[to])
    message.attach_alternative(render_to_string(f"{template}_body.html", context), "text/html")
    return message


def survey_invitations_mail(*, survey_id: int) -> int:
    """Mail each invitation of a sent survey that was not mailed yet, once (``mailed_at``), to
    people still active. Safe to run twice. Returns how many were mailed."""
    due = SurveyInvitation.objects.filter(survey_id=survey_id, user__is_active=True)
    return _mail_batches(survey_id=survey_id, due=due, stamp="mailed_at", template="enablement/email/survey_invitation")


def survey_reminders_mail(*, survey_id: int) -> int:
    """Mail the reminder to each invitation the reminder chose (``reminded_at``) that has not
    answered since and was not reminded by mail yet, once (``reminder_mailed_at``). Safe to run
    twice. Returns how many were mailed."""
    due = SurveyInvitation.objects.filter(
        survey_id=survey_id, reminded_at__isnull=False, answered_at__isnull=True, user__is_active=True
    )
    return _mail_batches(
        survey_id=survey_id, due=due, stamp="reminder_mailed_at", template="enablement/email/survey_reminder"
    )


def _whole(value) -> int | None:
    """A whole number given as a number or as digits ("7"); anything else (7.5, "seven", True) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,3}", value.strip()):
        return int(value.strip())
    return None


def _answer_values(survey: Survey, data: dict) -> tuple[int, str, list[SurveyAnswer]]:
    """Check every answer; a ``RuleViolation`` names each field that is wrong (``nps_score``,
    ``comment``, ``q<question id>``)."""
    errors: dict[str, list[str]] = {}
    raw = data.get("nps_score")
    nps = _whole(raw)
    if raw is None or raw == "":
        errors["nps_score"] = ["Choose a score from 0 to 10."]
    elif nps is None or not 0 <= nps <= 10:
        errors["nps_score"] = ["The score is a whole number from 0 to 10."]
    comment = data.get("comment") or ""
    if not isinstance(comment, str):
        errors["comment"] = ["Write the comment as text."]
        comment = ""
    else:
        try:
            check_text(field="comment", value=comment, limit=TEXT_MAX)
        except RuleViolation as error:
            errors.update(error.message_dict)
    given = data.get("answers") or {}
    if not isinstance(given, dict):
        raise RuleViolation({"answers": ["Give the answers per question."]})
    given = {str(k): v for k, v in given.items()}
    answers = []
    for question in survey.questions.all():
        field = f"q{question.pk}"
        value = given.get(str(question.pk))
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if question.required:
                errors[field] = ["Answer this question."]
            continue
        answer = SurveyAnswer(question=question)
        if question.kind == SurveyQuestion.Kind.RATING:
            rating = _whole(value)
            if rating is None or not 1 <= rating <= 5:
                errors[field] = ["Choose a rating from 1 to 5."]
                continue
            answer.rating = rating
        elif question.kind == SurveyQuestion.Kind.CHOICE:
            if value not in question.choice_list():
                errors[field] = ["Choose one of the choices offered."]
                continue
            answer.choice = value
        else:
            if not isinstance(value, str):
                errors[field] = ["Write the answer as text."]
                continue
            try:
                check_text(field=field, value=value, limit=TEXT_MAX)
            except RuleViolation as error:
                errors.update(error.message_dict)
                continue
            answer.text = value
        answers.append(answer)
    if errors:
        raise RuleViolation(errors)
    return nps, comment.strip(), answers


@transaction.atomic
def survey_answer(*, invitation: SurveyInvitation, data: dict, now: datetime | None = None) -> SurveyResponse:
    """The invited user answers once, while the survey is open: the NPS score 0-10, ratings 1-5, a
    choice among those offered, text within its limit, every required question answered. The
    invitation is locked first, so two submits at once give one response and one refusal. A
    deactivated person's invitation is closed (``survey_invitation_state``, which pages use too).

    ``data``: ``{"nps_score": 0-10, "comment": str, "answers": {"<question id>": value}}``.
    The signed link or the portal page established who answers; the scope does not restrict it.
    """
    now = now or timezone.now()
    with scopes_disabled():
        invitation = lock_one(SurveyInvitation.objects.select_related("survey", "user"), invitation.pk)
        survey = invitation.survey
        state = survey_invitation_state(invitation=invitation, now=now)
        if state == "answered":
            raise StateConflict("You have already answered this survey.")
        if state == "closed":
            raise StateConflict("This survey is closed: answers are no longer taken.")
        nps, comment, answers = _answer_values(survey, data)
        response = SurveyResponse.objects.create(
            invitation=invitation,
            survey=survey,
            partner_id=invitation.partner_id,
            user_id=invitation.user_id,
            nps_score=nps,
            comment=comment,
            answered_at=now,
        )
        for answer in answers:
            answer.response = response
        SurveyAnswer.objects.bulk_create(answers)
        invitation.answered_at = now
        invitation.save(update_fields=["answered_at"])
    return response


@transaction.atomic
def survey_remind(*, survey: Survey, by: User | None = None, now: datetime | None = None) -> int:
    """Remind once, only those who have not answered (and are still active, and have not opted
    out of program mail): the reminder is recorded on each invitation and on the survey, and once
    committed one task (``send_survey_reminders``) mails them. ``by`` is None when the daily task
    does it. Returns how many were reminded."""
    if by is not None:
        require_role(by, *MANAGER_ROLES, action="remind survey invitees")
    now = now or timezone.now()
    with scopes_disabled():
        survey = lock_one(Survey.objects.all(), survey.pk)
        if survey.status != Survey.Status.OPEN or survey_is_closed(survey=survey, now=now):
            raise StateConflict("Only an open survey can be reminded.")
        if survey.reminded_at is not None:
            raise StateConflict("The reminder of this survey was already sent.")
        survey.reminded_at = now
        survey.save(update_fields=["reminded_at"])
        due = survey_reminder_due(survey=survey)
        reminded = SurveyInvitation.objects.filter(pk__in=due.values("pk")).update(reminded_at=now)
    if reminded and not _mail_suppressed():
        from ..tasks import send_survey_reminders

        survey_id = survey.pk
        transaction.on_commit(lambda: send_survey_reminders.delay(survey_id))
    return reminded


@transaction.atomic
def survey_close(*, survey: Survey, by: User | None = None) -> Survey:
    """Close an open survey: no more answers. ``by`` is None when the daily task closes it."""
    if by is not None:
        require_role(by, *MANAGER_ROLES, action="close surveys")
    with scopes_disabled():
        survey = lock_one(Survey.objects.all(), survey.pk)
        check_transition(SURVEY_TRANSITIONS, survey.status, Survey.Status.CLOSED, what="survey")
        survey.status = Survey.Status.CLOSED
        survey.save(update_fields=["status"])
    return survey


def surveys_remind_and_close(*, now: datetime | None = None) -> dict[str, int]:
    """Daily: close open surveys past their closing time, then remind (once) the open surveys sent
    PRM_SURVEY_REMINDER_DAYS days ago or more. Each survey in its own transaction."""
    now = now or timezone.now()
    done = {"closed": 0, "reminded_surveys": 0, "reminded_people": 0}
    with scopes_disabled():
        for survey in Survey.objects.filter(status=Survey.Status.OPEN, closes_at__lte=now).order_by("id"):
            try:
                survey_close(survey=survey)
                done["closed"] += 1
            except StateConflict:
                continue  # closed meanwhile (by a manager or another run)
        due = Survey.objects.filter(
            status=Survey.Status.OPEN,
            reminded_at__isnull=True,
            sent_at__lte=now - timedelta(days=settings.PRM_SURVEY_REMINDER_DAYS),
        ).order_by("id")
        for survey in due:
            try:
                done["reminded_people"] += survey_remind(survey=survey, now=now)
                done["reminded_surveys"] += 1
            except StateConflict:
                continue
    return done
