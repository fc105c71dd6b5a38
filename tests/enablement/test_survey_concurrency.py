"""Two answers to one invitation at once (a double click, two tabs): one response, one refusal."""

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from enablement import selectors, services
from enablement.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from prm.scoping import scopes_disabled

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"),
]


def test_two_answers_at_once_make_one_response(manager, partner_admin):
    survey = services.survey_save(
        by=manager, data={"title": "Partner satisfaction"}, questions=[{"kind": "rating", "text": "Portal?"}]
    )
    services.survey_send(survey=survey, by=manager)
    invitation = SurveyInvitation.objects.get(survey=survey, user=partner_admin)
    url = reverse("survey_answer_public", args=[selectors.survey_answer_token(invitation=invitation)])
    rating = f"q{survey.questions.get().pk}"
    barrier = threading.Barrier(2)
    pages = []

    def submit(score):
        try:
            with scopes_disabled():
                client = Client()
                barrier.wait()
                pages.append(client.post(url, {"nps_score": str(score), rating: "4"}).content.decode())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(score,)) for score in (9, 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted("already answered" in page for page in pages) == [False, True]
    assert sum("Thank you for your answers" in page for page in pages) == 1
    assert SurveyResponse.objects.count() == 1 and SurveyAnswer.objects.count() == 1
    assert SurveyResponse.objects.get().nps_score in (9, 3)
