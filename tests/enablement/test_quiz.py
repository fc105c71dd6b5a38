"""Courses and quizzes: right answers never leave the server, scoring on the server (several right
choices, pass mark boundaries), every attempt kept, attempts per day limited."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enablement import services
from enablement.models import Choice, Course, QuizAttempt
from prm.errors import RuleViolation, StateConflict

from ..factories import course_with_quiz, right_answers, wrong_choice

pytestmark = pytest.mark.django_db


def questions(course):
    return list(course.questions.prefetch_related("choices").order_by("position"))


def with_wrong(course, *indexes):
    answers = right_answers(course)
    for index in indexes:
        question = questions(course)[index]
        answers[str(question.pk)] = wrong_choice(question)
    return answers


def right_choice_ids(course) -> set[int]:
    return set(Choice.objects.filter(question__course=course, is_correct=True).values_list("pk", flat=True))


def test_the_api_course_never_says_which_choice_is_right(api, partner_admin, course):
    api.force_authenticate(partner_admin)
    body = api.get(f"/api/v1/courses/{course.pk}/").json()
    assert body["quiz"]["pass_mark"] == 60
    assert [len(q["choices"]) for q in body["quiz"]["questions"]] == [3, 3, 2]
    assert [q["multiple"] for q in body["quiz"]["questions"]] == [False, True, False]
    for question in body["quiz"]["questions"]:
        for choice in question["choices"]:
            assert set(choice) == {"id", "text"}
    text = json.dumps(body).lower()
    assert "correct" not in text and "right_count" not in text
    assert [lesson["title"] for lesson in body["lessons"]] == ["The product", "The buyer"]
    assert "<strong>everywhere</strong>" in body["lessons"][0]["body_html"]


def test_the_course_page_never_says_which_choice_is_right(client, partner_admin, course):
    client.force_login(partner_admin)
    page = client.get(f"/portal/training/courses/{course.pk}/").content.decode()
    assert "Which are add-ons?" in page
    assert "correct" not in page.lower()
    # Right and wrong choices are rendered exactly alike: the same attributes, only ids and texts differ.
    for choice in Choice.objects.filter(question__course=course):
        assert f'value="{choice.pk}"' in page


def test_a_failed_attempt_names_the_wrong_questions_but_not_the_right_answers(api, client, partner_admin, course):
    api.force_authenticate(partner_admin)
    q1, q2, q3 = questions(course)
    response = api.post(f"/api/v1/courses/{course.pk}/attempts/", {"answers": with_wrong(course, 0, 1)}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "score": 33,
        "passed": False,
        "certification": None,
        "wrong_questions": [q1.pk, q2.pk],
    }
    client.force_login(partner_admin)
    page = client.get(f"/portal/training/attempts/{body['id']}/").content.decode()
    assert q1.text in page and q2.text in page and q3.text not in page
    for choice in Choice.objects.filter(question__course=course):
        assert choice.text not in page
    assert "correct" not in page.lower()


def test_a_question_with_several_right_choices_needs_all_of_them_and_no_other(partner_admin, course):
    q1, q2, q3 = questions(course)
    right = sorted(c.pk for c in q2.choices.all() if c.is_correct)
    wrong = wrong_choice(q2)
    answers = right_answers(course)
    for picked, counted_right in [
        (right[:1], False),
        (right + [wrong], False),
        (right, True),
        (list(reversed(right)), True),
    ]:
        answers[str(q2.pk)] = picked
        attempt = services.quiz_attempt_submit(
            course=course,
            user=partner_admin,
            answers=answers,
            now=timezone.now() - timedelta(days=len(picked) * 10 + counted_right),
        )
        assert (q2.pk not in attempt.wrong_questions) is counted_right


@pytest.mark.parametrize(
    "pass_mark, wrong, passed, score",
    [
        (80, 1, True, 80),  # 4 of 5 right is exactly the pass mark
        (80, 2, False, 60),
        (81, 1, False, 80),
        (100, 0, True, 100),
        (67, 1, False, 66),  # 2 of 3 is 66.7%: below 67 even if it would round up
    ],
)
def test_pass_mark_boundaries(partner_admin, pass_mark, wrong, passed, score):
    count = 3 if pass_mark == 67 else 5
    course = course_with_quiz(
        title=f"Course {pass_mark}-{wrong}",
        pass_mark=pass_mark,
        questions=[(f"Question {i}", [("yes", True), ("no", False)]) for i in range(count)],
    )
    attempt = services.quiz_attempt_submit(course=course, user=partner_admin, answers=with_wrong(course, *range(wrong)))
    assert (attempt.passed, attempt.score) == (passed, score)


def test_every_attempt_is_kept_with_its_score(partner_admin, course):
    services.quiz_attempt_submit(course=course, user=partner_admin, answers=with_wrong(course, 0, 1, 2))
    services.quiz_attempt_submit(course=course, user=partner_admin, answers=right_answers(course))
    assert list(QuizAttempt.objects.order_by("id").values_list("score", "passed")) == [(0, False), (100, True)]


def test_attempts_per_day_are_limited(api, partner_admin, rep, course, settings):
    settings.PRM_QUIZ_ATTEMPTS_PER_DAY = 2
    api.force_authenticate(partner_admin)
    url = f"/api/v1/courses/{course.pk}/attempts/"
    for _ in range(2):
        assert api.post(url, {"answers": with_wrong(course, 0, 1)}, format="json").status_code == 201
    refused = api.post(url, {"answers": right_answers(course)}, format="json")
    assert refused.status_code == 409
    assert "2 attempts" in refused.json()["detail"]
    assert QuizAttempt.objects.count() == 2
    # A colleague has attempts of their own; yesterday's do not count today.
    assert services.quiz_attempt_submit(course=course, user=rep, answers=right_answers(course)).passed
    QuizAttempt.objects.filter(user=partner_admin).update(submitted_at=timezone.now() - timedelta(days=1))
    assert api.post(url, {"answers": right_answers(course)}, format="json").status_code == 201


@pytest.mark.parametrize(
    "answers, message",
    [
        ("all right", "Give the answers as an object"),
        ({"999999": 1}, "is not a question of this course"),
        ({}, "Answer every question"),
    ],
)
def test_bad_answers_are_400_naming_the_field(api, partner_admin, course, answers, message):
    api.force_authenticate(partner_admin)
    response = api.post(f"/api/v1/courses/{course.pk}/attempts/", {"answers": answers}, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["answers"])
    assert not QuizAttempt.objects.exists()


def test_a_choice_of_another_question_is_refused(partner_admin, course):
    q1, q2, q3 = questions(course)
    answers = right_answers(course)
    answers[str(q1.pk)] = q3.choices.first().pk
    with pytest.raises(RuleViolation, match="choose among its own choices"):
        services.quiz_attempt_submit(course=course, user=partner_admin, answers=answers)


def test_staff_do_not_take_quizzes_and_drafts_cannot_be_taken(api, manager, partner_admin, course):
    with pytest.raises(PermissionDenied):
        services.quiz_attempt_submit(course=course, user=manager, answers=right_answers(course))
    draft = course_with_quiz(title="Draft course")
    Course.objects.filter(pk=draft.pk).update(published=False)
    api.force_authenticate(partner_admin)
    assert api.get(f"/api/v1/courses/{draft.pk}/").status_code == 404
    assert (
        api.post(f"/api/v1/courses/{draft.pk}/attempts/", {"answers": right_answers(draft)}, format="json").status_code
        == 404
    )
    empty = Course.objects.create(title="No quiz", published=True)
    with pytest.raises(StateConflict, match="no quiz"):
        services.quiz_attempt_submit(course=empty, user=partner_admin, answers={})


def test_the_portal_quiz_form_scores_like_the_api(client, rep, course):
    client.force_login(rep)
    q1, q2, q3 = questions(course)
    data = {f"q{q.pk}": [c.pk for c in q.choices.all() if c.is_correct] for q in (q1, q2, q3)}
    response = client.post(f"/portal/training/courses/{course.pk}/", data)
    attempt = QuizAttempt.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/portal/training/attempts/{attempt.pk}/"
    assert attempt.passed and attempt.score == 100


def test_the_portal_quiz_asks_for_unanswered_questions(client, rep, course):
    client.force_login(rep)
    q1, q2, q3 = questions(course)
    response = client.post(f"/portal/training/courses/{course.pk}/", {f"q{q1.pk}": q1.choices.first().pk})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please answer these 2 questions" in page and "Answer this question." in page
    assert not QuizAttempt.objects.exists()


def test_course_lists_take_a_constant_number_of_queries(api, client, partner_admin):
    api.force_authenticate(partner_admin)
    client.force_login(partner_admin)
    counts = []
    for n in (1, 6):
        for i in range(n):
            course_with_quiz(title=f"Course {Course.objects.count()}")
        with CaptureQueriesContext(connection) as api_queries:
            assert api.get("/api/v1/courses/").status_code == 200
        with CaptureQueriesContext(connection) as page_queries:
            assert client.get("/portal/training/").status_code == 200
        counts.append((len(api_queries), len(page_queries)))
    assert counts[0] == counts[1]


def test_right_answers_are_not_even_loaded_for_the_page(client, partner_admin, course):
    client.force_login(partner_admin)
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/portal/training/courses/{course.pk}/")
    choice_reads = [q["sql"] for q in queries if 'FROM "enablement_choice"' in q["sql"] and "SELECT" in q["sql"]]
    assert choice_reads and all('"enablement_choice"."is_correct"' not in sql.split("FROM")[0] for sql in choice_reads)


def test_more_answers_than_questions_are_refused(partner_admin, course):
    answers = right_answers(course) | {str(n): 1 for n in range(10_000, 10_050)}
    with pytest.raises(RuleViolation, match="3 questions; 53 answers"):
        services.quiz_attempt_submit(course=course, user=partner_admin, answers=answers)
