"""A partner user answers a survey from the link in the mail, with the keyboard alone, on a desktop
and on a phone; a manager reads the results in the admin. axe finds nothing serious on the way."""

import pytest
from playwright.sync_api import expect

from enablement import selectors, services
from enablement.models import SurveyInvitation, SurveyResponse

from ..factories import PASSWORD, PartnerFactory, PartnerUserFactory, StaffUserFactory
from .conftest import screenshot
from .test_accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db):
    acme = PartnerFactory(name="Acme Cloud Partners")
    globex = PartnerFactory(name="Globex Solutions")
    alice = PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")
    carol = PartnerUserFactory(partner=acme, role="partner_rep", email="carol@acme.example.com")
    bob = PartnerUserFactory(partner=globex, email="bob@globex.example.com")
    manager = StaffUserFactory(email="manager@example.com")
    survey = services.survey_save(
        by=manager,
        data={
            "title": "Partner satisfaction Q4 2026",
            "introduction": "Five questions, one minute. Your answers help us plan next year.",
        },
        questions=[
            {"order": 1, "kind": "rating", "text": "How useful is the partner portal?", "required": True},
            {
                "order": 2,
                "kind": "choice",
                "text": "What should we improve first?",
                "choices": "Deal registration\nTraining\nMarketing content\nPayouts",
            },
            {"order": 3, "kind": "text", "text": "What one thing would make you sell more?"},
        ],
    )
    services.survey_send(survey=survey, by=manager)
    for user, score, rating in ((carol, 6, 3), (bob, 10, 5)):
        services.survey_answer(
            invitation=SurveyInvitation.objects.get(survey=survey, user=user),
            data={
                "nps_score": score,
                "comment": "More webinars, please." if score > 8 else "",
                "answers": {str(survey.questions.get(kind="rating").pk): rating},
            },
        )
    token = selectors.survey_answer_token(invitation=SurveyInvitation.objects.get(survey=survey, user=alice))
    return {"survey": survey, "alice": alice, "manager": manager, "url": f"/surveys/answer/{token}/"}


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_answering_a_survey_with_the_keyboard(live_server, browser, world, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    found = {}
    page.goto(live_server.url + world["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Partner satisfaction Q4 2026")
    nps = page.get_by_role("group", name="How likely are you to recommend")
    expect(nps).to_contain_text("0 = not at all likely")
    expect(nps).to_contain_text("10 = extremely likely")
    found["form"] = violations(page)
    screenshot(page, f"survey-answer-{viewport[0]}")

    # Sent empty: the summary names what is missing, and links to it.
    page.get_by_role("button", name="Send my answers").press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Choose a score from 0 to 10.")
    expect(summary).to_contain_text("How useful is the partner portal?")
    found["errors"] = violations(page)
    screenshot(page, f"survey-errors-{viewport[0]}")

    # The keyboard alone: arrows move within a group of radio buttons, Tab to the next question.
    page.locator("#id_nps_score_0").focus()
    for _ in range(9):
        page.keyboard.press("ArrowRight")
    expect(page.locator("#id_nps_score_9")).to_be_checked()
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    rating = world["survey"].questions.get(kind="rating").pk
    expect(page.locator(f"#id_q{rating}_3")).to_be_checked()  # the fourth: 4
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # from the first choice to the second
    page.keyboard.press("Tab")
    page.keyboard.type("Faster deal approvals")
    page.keyboard.press("Tab")
    page.keyboard.type("Thanks for the webinars.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your answers")
    found["thanks"] = violations(page)
    context.close()

    response = SurveyResponse.objects.get(user=world["alice"])
    assert (response.nps_score, response.comment) == (9, "Thanks for the webinars.")
    given = {a.question.kind: a for a in response.answers.select_related("question")}
    assert (given["rating"].rating, given["choice"].choice, given["text"].text) == (
        4,
        "Training",
        "Faster deal approvals",
    )
    assert {name: v for name, v in found.items() if v} == {}


def test_a_manager_reads_the_results(live_server, browser, world):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(world["manager"].email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + f"/admin/enablement/survey/{world['survey'].pk}/change/")
    table = page.get_by_role("table", name="Scores given (0–10), 2 responses")
    expect(table).to_be_visible()
    expect(table.get_by_role("row", name="10 promoter 1 50%")).to_be_visible()
    expect(page.locator(".survey-figures")).to_contain_text("67%")  # 2 of 3 answered
    expect(page.locator(".survey-figures")).to_contain_text("0.0")  # 50% - 50%
    expect(page.get_by_text("More webinars, please.")).to_be_visible()
    screenshot(page, "survey-admin-results")
    context.close()


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_portal_menu_leads_to_the_surveys_and_nothing_scrolls_sideways(live_server, browser, world, viewport):
    """The menu has "Surveys" next to "News" and fits one line at 1366 px (a partner admin's, the
    longest); on a phone it collapses, and the list's rows stack as cards, each value labelled."""
    from .test_deals import sign_in

    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, world["alice"].email)
    phone = viewport[0] < 500
    if phone:
        page.get_by_role("button", name="Show navigation").click()
    nav = page.get_by_role("navigation", name="Main")
    labels = [text.strip() for text in nav.get_by_role("link").all_inner_texts()]
    assert labels[labels.index("News") + 1] == "Surveys"
    if not phone:
        home = nav.get_by_role("link", name="Home").bounding_box()
        sign_out = nav.get_by_role("button", name="Sign out").bounding_box()
        assert sign_out["y"] == pytest.approx(home["y"], abs=12)  # one line
        assert sign_out["x"] + sign_out["width"] <= viewport[0]
    nav.get_by_role("link", name="Surveys", exact=True).click()
    expect(page.get_by_role("heading", name="Surveys", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1
    row = page.get_by_role("row").filter(has_text="Partner satisfaction Q4 2026")
    closes = row.locator("td[data-label='Closes']")
    if phone:
        label = closes.evaluate("cell => getComputedStyle(cell, '::before').content")
        assert label == '"Closes: "'
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport[0]
    assert violations(page) == []
    screenshot(page, f"surveys-list-{viewport[0]}")
    context.close()
