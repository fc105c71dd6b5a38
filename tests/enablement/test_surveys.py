"""Partner feedback surveys: sending, answering once (signed link or portal), validation naming the
field, reminders once to non-answerers, closing, results and NPS arithmetic, CSV, scoping."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from enablement import selectors, services
from enablement.models import NewsletterOptOut, Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from prm.errors import RuleViolation, StateConflict

from ..factories import PartnerFactory, PartnerUserFactory

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"order": 1, "kind": "rating", "text": "How useful is the portal?", "required": True},
    {"order": 2, "kind": "choice", "text": "Improve first?", "choices": "Deals\nTraining\nPayouts"},
    {"order": 3, "kind": "text", "text": "One thing to change?"},
]


def make_survey(manager, *, questions=QUESTIONS, send=False, **data):
    survey = services.survey_save(by=manager, data={"title": "Partner satisfaction", **data}, questions=questions)
    if send:
        services.survey_send(survey=survey, by=manager)
        survey.refresh_from_db()
    return survey


def q(survey, kind):
    return survey.questions.get(kind=kind)


def answers(survey, *, rating=4, choice="Training", text=""):
    given = {str(q(survey, "rating").pk): rating, str(q(survey, "choice").pk): choice}
    if text:
        given[str(q(survey, "text").pk)] = text
    return given


def invitation_of(survey, user):
    return SurveyInvitation.objects.get(survey=survey, user=user)


def answer(survey, user, nps, **kwargs):
    return services.survey_answer(
        invitation=invitation_of(survey, user), data={"nps_score": nps, "answers": answers(survey, **kwargs)}
    )


def answer_url(survey, user) -> str:
    return reverse("survey_answer_public", args=[selectors.survey_answer_token(invitation=invitation_of(survey, user))])


def link_token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


# --- NPS arithmetic --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "promoters, passives, detractors, expected",
    [
        (4, 0, 0, Decimal("100.0")),  # all promoters
        (0, 0, 3, Decimal("-100.0")),  # all detractors
        (0, 5, 0, Decimal("0.0")),  # passives only
        (2, 1, 1, Decimal("25.0")),  # mixed: 50% - 25%
        (1, 1, 1, Decimal("0.0")),
        (1, 2, 0, Decimal("33.3")),  # 33.333... -> 33.3
        (2, 1, 0, Decimal("66.7")),  # 66.666... -> 66.7
        (1, 15, 0, Decimal("6.3")),  # 6.25 -> 6.3 (half away from zero)
        (0, 15, 1, Decimal("-6.3")),  # -6.25 -> -6.3
        (0, 0, 0, None),  # nobody answered
    ],
)
def test_nps_is_percent_promoters_minus_percent_detractors(promoters, passives, detractors, expected):
    responses = promoters + passives + detractors
    assert selectors.nps_value(promoters=promoters, detractors=detractors, responses=responses) == expected


def test_results_on_hand_computed_answers(manager, partner, rival):
    users = [PartnerUserFactory(partner=partner) for _ in range(4)] + [PartnerUserFactory(partner=rival)]
    survey = make_survey(manager, send=True)
    # Scores 10, 9 (promoters), 7 (passive), 3 (detractor); one invitee does not answer.
    answer(survey, users[0], 10, rating=5, choice="Training", text="More webinars")
    answer(survey, users[1], 9, rating=4, choice="Training")
    answer(survey, users[2], 7, rating=4, choice="Payouts")
    services.survey_answer(
        invitation=invitation_of(survey, users[3]),
        data={"nps_score": "3", "comment": "Payouts are late.", "answers": answers(survey, rating=1, choice="Deals")},
    )
    results = selectors.survey_results(survey=survey)
    assert (results["invited"], results["answered"], results["response_rate"]) == (5, 4, 80)
    assert (results["promoters"], results["passives"], results["detractors"]) == (2, 1, 1)
    assert results["nps"] == Decimal("25.0")  # 50% - 25%
    assert results["average"] == Decimal("7.3")  # 29 / 4 = 7.25 -> 7.3
    assert [row["count"] for row in results["distribution"]] == [0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 1]
    assert results["distribution"][10]["percent"] == 25
    rating, choice, text = results["questions"]
    assert rating["average"] == Decimal("3.5") and rating["answers"] == 4  # (5+4+4+1)/4
    assert [r["count"] for r in rating["distribution"]] == [1, 0, 0, 2, 1]
    assert {c["choice"]: c["count"] for c in choice["choices"]} == {"Deals": 1, "Training": 2, "Payouts": 1}
    assert [t["text"] for t in text["texts"]] == ["More webinars"]
    assert [c["comment"] for c in results["comments"]] == ["Payouts are late."]


def test_results_without_answers_show_no_nps(manager, partner_admin, client):
    survey = make_survey(manager, send=True)
    results = selectors.survey_results(survey=survey)
    assert (results["answered"], results["nps"], results["average"], results["response_rate"]) == (1 - 1, None, None, 0)
    client.force_login(manager)
    page = client.get(reverse("admin:enablement_survey_change", args=[survey.pk])).content.decode()
    assert "<dt>NPS</dt><dd>— " in page


def test_results_take_a_constant_number_of_queries(manager, partner, django_assert_max_num_queries):
    users = [PartnerUserFactory(partner=partner) for _ in range(6)]
    survey = make_survey(manager, send=True)
    answer(survey, users[0], 9, text="A")
    with django_assert_max_num_queries(10) as few:  # 9, and one for the latest answers of the text question
        selectors.survey_results(survey=survey)
    for i, user in enumerate(users[1:]):
        answer(survey, user, i, text=f"T{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        results = selectors.survey_results(survey=survey)
    assert results["answered"] == 6


def test_nps_per_partner_in_one_query(manager, partner, rival, django_assert_num_queries):
    acme = [PartnerUserFactory(partner=partner) for _ in range(3)]
    globex = [PartnerUserFactory(partner=rival) for _ in range(2)]
    quiet = PartnerFactory(name="Quiet Ltd")
    PartnerUserFactory(partner=quiet)
    survey = make_survey(manager, send=True)
    for user, score in zip(acme, (10, 9, 2)):
        answer(survey, user, score)
    for user, score in zip(globex, (8, 0)):
        answer(survey, user, score)
    with django_assert_num_queries(1):
        scores = selectors.nps_per_partner()
    assert scores == {
        partner.pk: {"responses": 3, "nps": Decimal("33.3"), "average": Decimal("7.0")},
        rival.pk: {"responses": 2, "nps": Decimal("-50.0"), "average": Decimal("4.0")},
    }
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert selectors.nps_per_partner(start=tomorrow) == {}
    assert set(selectors.nps_per_partner(end=timezone.localdate())) == {partner.pk, rival.pk}


# --- Sending ---------------------------------------------------------------------------------------


def test_sending_invites_the_audience_once_with_a_signed_link(manager, partner_admin, rep, rival_admin, commit):
    NewsletterOptOut.objects.create(user=rep, via="portal")
    survey = make_survey(manager)
    mail.outbox.clear()
    with commit():
        assert services.survey_send(survey=survey, by=manager) == 3
    survey.refresh_from_db()
    assert survey.status == "open" and survey.sent_at is not None
    # Opted out of newsletters, the rep still gets this one-off request (see the service's docstring).
    assert sorted(m.to[0] for m in mail.outbox) == sorted([partner_admin.email, rep.email, rival_admin.email])
    body = next(m.body for m in mail.outbox if m.to == [partner_admin.email])
    token = selectors.survey_answer_token(invitation=invitation_of(survey, partner_admin))
    assert f"/surveys/answer/{token}/" in body
    with pytest.raises(StateConflict, match="This survey is already open."):
        services.survey_send(survey=survey, by=manager)
    assert SurveyInvitation.objects.filter(survey=survey).count() == 3


def test_only_managers_send_and_an_empty_audience_is_refused(manager, partner_admin, finance):
    survey = make_survey(manager)
    with pytest.raises(PermissionDenied):
        services.survey_send(survey=survey, by=finance)
    nobody = make_survey(manager, countries=",FR,")
    with pytest.raises(RuleViolation, match="Nobody is in this survey's audience"):
        services.survey_send(survey=nobody, by=manager)
    assert not SurveyInvitation.objects.exists()


def test_a_choice_question_needs_two_choices(manager):
    with pytest.raises(RuleViolation) as refused:
        make_survey(manager, questions=[{"kind": "choice", "text": "Which?", "choices": "Only one"}])
    assert "questions" in refused.value.message_dict
    assert not Survey.objects.exists()


def test_a_sent_survey_no_longer_changes(manager, partner_admin):
    survey = make_survey(manager, send=True)
    with pytest.raises(StateConflict, match="has been sent"):
        services.survey_save(by=manager, survey=survey, data={"title": "Changed"}, questions=[])
    assert survey.questions.count() == 3


# --- Answering -------------------------------------------------------------------------------------


def test_answering_records_the_response_once(manager, partner_admin):
    survey = make_survey(manager, send=True)
    response = answer(survey, partner_admin, 8, text="More leads")
    assert (response.nps_score, response.partner_id, response.user_id) == (
        8,
        partner_admin.partner_id,
        partner_admin.pk,
    )
    assert SurveyAnswer.objects.filter(response=response).count() == 3
    assert invitation_of(survey, partner_admin).answered_at is not None
    with pytest.raises(StateConflict, match="You have already answered this survey."):
        answer(survey, partner_admin, 10)
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize(
    "nps, change, field",
    [
        (11, {}, "nps_score"),
        (-1, {}, "nps_score"),
        ("7.5", {}, "nps_score"),
        (None, {}, "nps_score"),
        (5, {"rating": 0}, "rating"),
        (5, {"rating": 6}, "rating"),
        (5, {"rating": None}, "rating"),  # required
        (5, {"choice": "Cheaper products"}, "choice"),
        (5, {"text": "x" * 2001}, "text"),
        (5, {"text": "Acme\u202eevil"}, "text"),
    ],
)
def test_bad_answers_are_refused_naming_the_field_and_nothing_is_written(manager, partner_admin, nps, change, field):
    survey = make_survey(manager, send=True)
    given = answers(survey, **{k: v for k, v in change.items() if k != "rating"})
    if "rating" in change:
        given[str(q(survey, "rating").pk)] = change["rating"]
    with pytest.raises(RuleViolation) as refused:
        services.survey_answer(
            invitation=invitation_of(survey, partner_admin), data={"nps_score": nps, "answers": given}
        )
    expected = "nps_score" if field == "nps_score" else f"q{q(survey, field).pk}"
    assert list(refused.value.message_dict) == [expected]
    assert not SurveyResponse.objects.exists() and not SurveyAnswer.objects.exists()
    assert invitation_of(survey, partner_admin).answered_at is None


def test_a_long_comment_is_refused_on_the_comment(manager, partner_admin):
    survey = make_survey(manager, send=True)
    with pytest.raises(RuleViolation) as refused:
        services.survey_answer(
            invitation=invitation_of(survey, partner_admin),
            data={"nps_score": 5, "comment": "c" * 2001, "answers": answers(survey)},
        )
    assert list(refused.value.message_dict) == ["comment"]


def test_a_closed_survey_takes_no_answers(manager, partner_admin, rep):
    survey = make_survey(manager, send=True)
    services.survey_close(survey=survey, by=manager)
    with pytest.raises(StateConflict, match="This survey is closed"):
        answer(survey, partner_admin, 9)
    with pytest.raises(StateConflict, match="This survey is already closed."):
        services.survey_close(survey=survey, by=manager)
    late = make_survey(manager, send=True, closes_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(StateConflict, match="This survey is closed"):
        services.survey_answer(
            invitation=invitation_of(late, rep),
            data={"nps_score": 9, "answers": answers(late)},
            now=timezone.now() + timedelta(hours=2),
        )
    assert not SurveyResponse.objects.exists()


# --- The signed link -------------------------------------------------------------------------------


def test_the_signed_link_answers_without_signing_in(client, manager, partner_admin):
    survey = make_survey(manager, send=True)
    url = answer_url(survey, partner_admin)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "0 = not at all likely" in text and "10 = extremely likely" in text and "<legend>" in text
    assert 'style="' not in text and "<script>" not in text
    data = {"nps_score": "9", f"q{q(survey, 'rating').pk}": "4", f"q{q(survey, 'choice').pk}": "Deals"}
    done = client.post(url, data)
    assert "Thank you for your answers" in done.content.decode()
    assert SurveyResponse.objects.get().nps_score == 9
    again = client.post(url, {**data, "nps_score": "0"})
    assert "Thank you, you have already answered" in again.content.decode()
    assert SurveyResponse.objects.get().nps_score == 9


def test_a_tampered_link_is_404_with_a_clear_page(client, manager, partner_admin):
    survey = make_survey(manager, send=True)
    token = selectors.survey_answer_token(invitation=invitation_of(survey, partner_admin))
    other = selectors.survey_answer_token(invitation=SurveyInvitation(pk=invitation_of(survey, partner_admin).pk + 1))
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token[:10], "nonsense", other):
        response = client.get(reverse("survey_answer_public", args=[bad]))
        assert response.status_code == 404
        assert "This survey link is not valid" in response.content.decode()
        assert client.post(reverse("survey_answer_public", args=[bad]), {"nps_score": "9"}).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_a_token_of_another_salt_is_refused(client, manager, partner_admin):
    from django.core import signing

    survey = make_survey(manager, send=True)
    forged = signing.dumps({"invitation": invitation_of(survey, partner_admin).pk}, salt="something.else")
    assert client.get(reverse("survey_answer_public", args=[forged])).status_code == 404


def test_the_link_of_a_closed_survey_says_so(client, manager, partner_admin):
    survey = make_survey(manager, send=True)
    services.survey_close(survey=survey, by=manager)
    url = answer_url(survey, partner_admin)
    assert "This survey is closed" in client.get(url).content.decode()
    assert "This survey is closed" in client.post(url, {"nps_score": "9"}).content.decode()
    assert not SurveyResponse.objects.exists()


def test_form_errors_name_the_question(client, manager, partner_admin):
    survey = make_survey(manager, send=True)
    url = answer_url(survey, partner_admin)
    response = client.post(url, {"nps_score": "11", f"q{q(survey, 'choice').pk}": "Nope"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {
        "nps_score",
        f"q{q(survey, 'rating').pk}",
        f"q{q(survey, 'choice').pk}",
    }
    assert "How useful is the portal?" in response.content.decode()
    assert not SurveyResponse.objects.exists()


# --- The portal ------------------------------------------------------------------------------------


def test_the_portal_lists_my_invitations_and_answers_them(client, manager, partner_admin, rep):
    client.force_login(rep)
    empty = client.get(reverse("surveys:list")).content.decode()
    assert "No surveys yet" in empty
    survey = make_survey(manager, send=True)
    home = client.get(reverse("portal:home")).content.decode()
    assert "A survey is waiting for you" in home
    invitation = invitation_of(survey, rep)
    listed = client.get(reverse("surveys:list")).content.decode()
    assert reverse("surveys:answer", args=[invitation.pk]) in listed
    data = {"nps_score": "10", f"q{q(survey, 'rating').pk}": "5", "comment": "Great."}
    response = client.post(reverse("surveys:answer", args=[invitation.pk]), data)
    assert "Thank you for your answers" in response.content.decode()
    assert "answered" in client.get(reverse("surveys:list")).content.decode()
    assert "A survey is waiting for you" not in client.get(reverse("portal:home")).content.decode()
    again = client.post(reverse("surveys:answer", args=[invitation.pk]), data)
    assert "Thank you, you have already answered" in again.content.decode()
    assert SurveyResponse.objects.count() == 1


def test_a_colleagues_or_rivals_invitation_is_404(client, manager, partner_admin, rep, rival_admin):
    survey = make_survey(manager, send=True)
    client.force_login(rep)
    for user in (partner_admin, rival_admin):
        url = reverse("surveys:answer", args=[invitation_of(survey, user).pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"nps_score": "0"}).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_the_survey_list_takes_a_constant_number_of_queries(client, manager, rep, django_assert_max_num_queries):
    client.force_login(rep)
    make_survey(manager, send=True)
    with django_assert_max_num_queries(12) as first:
        client.get(reverse("surveys:list"))
    for _ in range(4):
        make_survey(manager, send=True)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(reverse("surveys:list")).status_code == 200


# --- Reminders and closing -------------------------------------------------------------------------


def test_the_reminder_goes_once_to_those_who_did_not_answer(manager, partner, partner_admin, rep, commit):
    quiet = PartnerUserFactory(partner=partner, email="quiet@acme.example.com")
    opted_out = PartnerUserFactory(partner=partner, email="optout@acme.example.com")
    NewsletterOptOut.objects.create(user=opted_out, via="link")
    survey = make_survey(manager, send=True)
    answer(survey, partner_admin, 9)
    mail.outbox.clear()
    with commit():
        assert services.survey_remind(survey=survey, by=manager) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([rep.email, quiet.email])
    assert "Reminder" in mail.outbox[0].subject
    survey.refresh_from_db()
    assert survey.reminded_at is not None
    assert invitation_of(survey, rep).reminded_at is not None
    assert invitation_of(survey, partner_admin).reminded_at is None
    assert invitation_of(survey, opted_out).reminded_at is None
    with pytest.raises(StateConflict, match="The reminder of this survey was already sent."):
        services.survey_remind(survey=survey, by=manager)


def test_the_daily_task_reminds_after_n_days_and_closes_past_closing(manager, partner_admin, settings, commit):
    from enablement.tasks import remind_and_close_surveys

    settings.PRM_SURVEY_REMINDER_DAYS = 7
    fresh = make_survey(manager, send=True, title="Fresh")
    old = make_survey(manager, send=True, title="Old")
    Survey.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=8))
    ending = make_survey(manager, send=True, title="Ending", closes_at=timezone.now() + timedelta(minutes=5))
    Survey.objects.filter(pk=ending.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    with commit():
        done = remind_and_close_surveys.delay().get()
    assert done == {"closed": 1, "reminded_surveys": 1, "reminded_people": 1}
    statuses = dict(Survey.objects.values_list("title", "status"))
    assert statuses == {"Fresh": "open", "Old": "open", "Ending": "closed"}
    assert Survey.objects.get(pk=old.pk).reminded_at is not None
    assert Survey.objects.get(pk=fresh.pk).reminded_at is None
    assert [m.subject for m in mail.outbox] == ["Reminder: Old"]
    assert remind_and_close_surveys.delay().get() == {"closed": 0, "reminded_surveys": 0, "reminded_people": 0}


# --- Admin: results and CSV ------------------------------------------------------------------------


def test_the_csv_has_one_row_per_response_with_each_answer(client, manager, partner, partner_admin, rep):
    survey = make_survey(manager, send=True)
    services.survey_answer(
        invitation=invitation_of(survey, partner_admin),
        data={"nps_score": 9, "comment": "=HYPERLINK(1)", "answers": answers(survey, text="More leads")},
    )
    answer(survey, rep, 4, rating=2, choice="Payouts")
    client.force_login(manager)
    response = client.get(reverse("admin:enablement_survey_csv", args=[survey.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    questions = list(survey.questions.all())
    assert rows[0] == [
        "partner",
        "user_email",
        "answered_at",
        "nps",
        "comment",
        *(f"q{x.pk}: {x.text}" for x in questions),
    ]
    body = sorted(rows[1:], key=lambda r: r[1])
    assert [r[0] for r in body] == [partner.name, partner.name]
    assert [r[1] for r in body] == sorted([partner_admin.email, rep.email])
    alice = next(r for r in body if r[1] == partner_admin.email)
    assert alice[3:] == ["9", "'=HYPERLINK(1)", "4", "Training", "More leads"]  # a formula stays text
    carol = next(r for r in body if r[1] == rep.email)
    assert carol[3:] == ["4", "", "2", "Payouts", ""]


def test_the_csv_and_results_are_for_staff_only(client, manager, partner_admin, finance):
    survey = make_survey(manager, send=True)
    url = reverse("admin:enablement_survey_csv", args=[survey.pk])
    client.force_login(partner_admin)
    assert client.get(url).status_code == 302  # to the admin's sign-in: not staff
    assert client.get(reverse("admin:enablement_survey_change", args=[survey.pk])).status_code == 302
    client.force_login(finance)
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:enablement_survey_change", args=[survey.pk])).status_code == 403


def test_the_admin_results_section_shows_the_figures(client, manager, partner, partner_admin, rep):
    survey = make_survey(manager, send=True)
    answer(survey, partner_admin, 10, text="Faster approvals")
    services.survey_answer(
        invitation=invitation_of(survey, rep),
        data={"nps_score": 3, "comment": "Payouts late", "answers": answers(survey)},
    )
    client.force_login(manager)
    page = client.get(reverse("admin:enablement_survey_change", args=[survey.pk])).content.decode()
    assert "100%" in page  # response rate: 2 of 2
    assert "<dt>NPS</dt><dd>0.0 " in page  # 50% - 50%
    assert "Faster approvals" in page and "Payouts late" in page
    assert "<caption>Scores given (0–10), 2 responses</caption>" in page
    assert "Responses (CSV)" in page


def test_admin_buttons_send_remind_and_close(client, manager, partner_admin, commit):
    survey = make_survey(manager)
    client.force_login(manager)
    change = reverse("admin:enablement_survey_change", args=[survey.pk])
    assert "1 person" in client.get(change).content.decode()
    changelist = reverse("admin:enablement_survey_changelist")
    post = {"action": "send_to_audience", "_selected_action": [survey.pk], "_from_change": "1"}
    confirm = client.post(changelist, post)
    assert "1 person will be invited" in confirm.content.decode()
    assert Survey.objects.get(pk=survey.pk).status == "draft"
    with commit():
        sent = client.post(changelist, {**post, "post": "yes"}, follow=True)
    assert sent.redirect_chain[-1][0] == change
    assert "1 person invited" in sent.content.decode()
    assert Survey.objects.get(pk=survey.pk).status == "open"
    assert sent.content.decode().count("invited.") == 1  # one message per action
    # Reminding mails people and closing cannot be undone: each asks first, and does nothing yet.
    ask_remind = client.post(changelist, {**post, "action": "send_reminder"})
    assert "1 person have not answered" not in ask_remind.content.decode()
    assert "1 person has not answered." in ask_remind.content.decode()
    assert 'value="Yes, send the reminder"' in ask_remind.content.decode()
    assert Survey.objects.get(pk=survey.pk).reminded_at is None
    reminded = client.post(changelist, {**post, "action": "send_reminder", "post": "yes"}, follow=True)
    assert reminded.redirect_chain[-1][0] == change
    assert "1 person reminded" in reminded.content.decode()
    assert reminded.content.decode().count("reminded.") == 1
    ask_close = client.post(changelist, {**post, "action": "close_survey"})
    assert "0 of 1 person invited answered." in ask_close.content.decode()
    assert f'<a href="{change}">' in ask_close.content.decode()  # the breadcrumb names the survey
    assert Survey.objects.get(pk=survey.pk).status == "open"
    closed = client.post(changelist, {**post, "action": "close_survey", "post": "yes"}, follow=True)
    assert "1 survey closed." in closed.content.decode()
    assert Survey.objects.get(pk=survey.pk).status == "closed"


def test_the_admin_defines_a_survey_with_questions(client, manager):
    from ..admin_forms import admin_form_data

    client.force_login(manager)
    add = reverse("admin:enablement_survey_add")
    data = admin_form_data(
        client.get(add),
        title="Onboarding feedback",
        audience_statuses=["active"],
        recipients="all",
        **{
            "questions-TOTAL_FORMS": "1",
            "questions-0-order": "1",
            "questions-0-kind": "choice",
            "questions-0-text": "Which?",
            "questions-0-choices": "Only one",
        },
    )
    refused = client.post(add, data)
    assert refused.status_code == 200 and "2 to 20 choices" in refused.content.decode()
    assert not Survey.objects.exists()
    data["questions-0-choices"] = "One\nTwo"
    assert client.post(add, data).status_code == 302
    survey = Survey.objects.get()
    assert (survey.title, survey.created_by, survey.partner_statuses) == ("Onboarding feedback", manager, ",active,")
    assert list(survey.questions.values_list("kind", "choices")) == [("choice", "One\nTwo")]


# --- Review fixes: counts, mail once by a task, CSV cells, admin through the service ---------------


def test_the_survey_changelist_counts_without_a_cross_join(client, manager, partner, django_assert_max_num_queries):
    users = [PartnerUserFactory(partner=partner) for _ in range(4)]
    surveys = [make_survey(manager, send=True, title=f"Survey {i}") for i in range(3)]
    for user in users[:3]:
        answer(surveys[0], user, 9)
    client.force_login(manager)
    url = reverse("admin:enablement_survey_changelist")
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    for i in range(5):
        make_survey(manager, send=True, title=f"More {i}")
    answer(surveys[1], users[0], 3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    counted = {s.title: (s.n_invited, s.n_answered) for s in page.context["cl"].result_list}
    # 4 users + the partner_admin fixture's partner users: every survey invites the same people.
    invited = SurveyInvitation.objects.filter(survey=surveys[0]).count()
    assert counted["Survey 0"] == (invited, 3)  # a join of both relations would say (invited, 3) x 3 rows
    assert counted["Survey 1"] == (invited, 1)
    assert counted["Survey 2"] == (invited, 0)


def test_invitations_are_mailed_once_by_a_task_even_when_it_runs_twice(manager, partner_admin, rep, commit):
    from enablement.tasks import send_survey_invitations

    survey = make_survey(manager)
    mail.outbox.clear()
    with commit():
        services.survey_send(survey=survey, by=manager)
        assert mail.outbox == []  # nothing is mailed inside the sending transaction
    assert sorted(m.to[0] for m in mail.outbox) == sorted([partner_admin.email, rep.email])
    assert not SurveyInvitation.objects.filter(survey=survey, mailed_at__isnull=True).exists()
    assert send_survey_invitations.delay(survey.pk).get() == 0
    assert len(mail.outbox) == 2
    # An invitation not mailed yet (a crash before its batch committed) is mailed by the next run, alone.
    SurveyInvitation.objects.filter(survey=survey, user=rep).update(mailed_at=None)
    assert send_survey_invitations.delay(survey.pk).get() == 1
    assert [m.to for m in mail.outbox[2:]] == [[rep.email]]


def test_the_reminder_is_mailed_once_by_a_task(manager, partner_admin, rep, commit):
    from enablement.tasks import send_survey_reminders

    survey = make_survey(manager, send=True)
    mail.outbox.clear()
    with commit():
        assert services.survey_remind(survey=survey, by=manager) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([partner_admin.email, rep.email])
    assert all(m.subject.startswith("Reminder") for m in mail.outbox)
    assert send_survey_reminders.delay(survey.pk).get() == 0
    assert len(mail.outbox) == 2


def test_suppressed_mail_sends_no_invitation_nor_reminder(manager, partner_admin, commit):
    from prm.mail import suppressed

    survey = make_survey(manager)
    mail.outbox.clear()
    with commit(), suppressed():
        services.survey_send(survey=survey, by=manager)
        services.survey_remind(survey=survey, by=manager)
    assert mail.outbox == []


def test_the_csv_writes_every_typed_cell_as_text(client, manager, partner):
    formula = PartnerUserFactory(partner=partner, email="=1+1@x.com")
    survey = make_survey(manager, send=True)
    services.survey_answer(
        invitation=invitation_of(survey, formula),
        data={"nps_score": 9, "comment": "+SUM(A1)", "answers": answers(survey, text="@cmd")},
    )
    client.force_login(manager)
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("admin:enablement_survey_csv", args=[survey.pk])).content.decode()))
    )
    row = next(r for r in rows[1:] if "1+1@x.com" in r[1])
    assert row[1] == "'=1+1@x.com"
    assert row[4] == "'+SUM(A1)"
    assert row[-1] == "'@cmd"


def test_csv_safe_quotes_each_formula_start():
    from prm.csv import csv_safe

    assert [csv_safe(v) for v in ["=1", "+1", "-1", "@a", "\tx", "plain", 7, None]] == [
        "'=1",
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "plain",
        7,
        None,
    ]


def test_an_empty_audience_is_refused_on_the_audience(manager):
    nobody = make_survey(manager, countries=",FR,")
    with pytest.raises(RuleViolation) as refused:
        services.survey_send(survey=nobody, by=manager)
    assert list(refused.value.message_dict) == ["audience"]


def test_results_show_each_text_questions_latest_answers_and_the_real_count(manager, partner, monkeypatch):
    from enablement.selectors import surveys as survey_selectors

    monkeypatch.setattr(survey_selectors, "TEXT_ANSWERS_SHOWN", 2)
    users = [PartnerUserFactory(partner=partner) for _ in range(4)]
    two_texts = [*QUESTIONS, {"order": 4, "kind": "text", "text": "And another?"}]
    survey = make_survey(manager, questions=two_texts, send=True)
    first, second = survey.questions.filter(kind="text").order_by("order")
    for i, user in enumerate(users):
        given = answers(survey)
        given[str(first.pk)] = f"first {i}"
        given[str(second.pk)] = f"second {i}"
        services.survey_answer(
            invitation=invitation_of(survey, user),
            data={"nps_score": 8, "answers": given},
            now=timezone.now() + timedelta(minutes=i),
        )
    results = {r["question"].pk: r for r in selectors.survey_results(survey=survey)["questions"]}
    assert results[first.pk]["answers"] == 4 and results[second.pk]["answers"] == 4
    assert [t["text"] for t in results[first.pk]["texts"]] == ["first 3", "first 2"]
    assert [t["text"] for t in results[second.pk]["texts"]] == ["second 3", "second 2"]


def test_a_deactivated_persons_link_and_invitation_are_refused(client, manager, partner_admin):
    survey = make_survey(manager, send=True)
    url = answer_url(survey, partner_admin)
    partner_admin.is_active = False
    partner_admin.save(update_fields=["is_active"])
    assert client.get(url).status_code == 404
    with pytest.raises(StateConflict, match="closed"):
        answer(survey, partner_admin, 9)
    assert not SurveyResponse.objects.exists()


@pytest.mark.parametrize(
    "choices, message",
    [
        ("Same\nSame", "Each choice once"),
        ("Short\n" + "x" * 201, "at most 200 characters"),
        ("Only one", "2 to 20 choices"),
    ],
)
def test_the_admin_refuses_a_bad_choice_list_on_its_field(client, manager, choices, message):
    from ..admin_forms import admin_form_data

    client.force_login(manager)
    add = reverse("admin:enablement_survey_add")
    data = admin_form_data(
        client.get(add),
        title="Onboarding feedback",
        audience_statuses=["active"],
        recipients="all",
        **{
            "questions-TOTAL_FORMS": "1",
            "questions-0-order": "1",
            "questions-0-kind": "choice",
            "questions-0-text": "Which?",
            "questions-0-choices": choices,
        },
    )
    refused = client.post(add, data)
    assert refused.status_code == 200
    row = refused.context["inline_admin_formsets"][0].formset.forms[0]
    assert message in " ".join(row.errors["choices"])
    assert not Survey.objects.exists()


def test_the_admin_saves_tiers_and_questions_through_the_service(client, manager):
    from ..admin_forms import admin_form_data
    from ..factories import TierFactory

    tier = TierFactory()
    survey = make_survey(manager)
    client.force_login(manager)
    change = reverse("admin:enablement_survey_change", args=[survey.pk])
    data = admin_form_data(client.get(change), tiers=[tier.pk], title="Renamed")
    assert client.post(change, data).status_code == 302
    survey.refresh_from_db()
    assert survey.title == "Renamed" and list(survey.tiers.all()) == [tier]
    assert survey.questions.count() == 3  # the question rows were not changed, so they stay
