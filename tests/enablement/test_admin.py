"""Managers curate in the admin: uploads go through the checks, downloads per asset and partner,
completion per course and partner, quiz questions that can be passed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enablement import services
from enablement.models import ContentAsset, Course, Question

from ..factories import PartnerUserFactory, right_answers, wrong_choice
from .conftest import PDF, upload

pytestmark = pytest.mark.django_db


def asset_form(**changes):
    data = {
        "title": "Brochure",
        "description": "",
        "category": "sales",
        "kind": "file",
        "url": "",
        "tag_words": "cloud, overview",
        "language": "en",
        "min_tier": "",
        "published": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_manager_uploads_an_asset_for_some_partner_types(client, manager):
    client.force_login(manager)
    response = client.post(
        "/admin/enablement/contentasset/add/",
        asset_form(upload=upload("brochure.pdf", PDF), audience_types=["msp", "reseller"]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    asset = ContentAsset.objects.get()
    assert (asset.original_filename, asset.content_type, asset.version) == ("brochure.pdf", "application/pdf", 1)
    assert asset.tags == ["cloud", "overview"] and asset.partner_type_list == ["msp", "reseller"]
    assert asset.updated_by == manager


def test_a_disguised_file_is_refused_on_the_form(client, manager):
    client.force_login(manager)
    response = client.post(
        "/admin/enablement/contentasset/add/",
        asset_form(upload=upload("brochure.pdf", b"<html><script>alert(1)</script></html>")),
    )
    assert response.status_code == 200
    assert "its content is not a PDF" in response.content.decode()
    assert not ContentAsset.objects.exists()


def test_a_file_asset_needs_a_file_and_a_link_a_link(client, manager):
    client.force_login(manager)
    page = client.post("/admin/enablement/contentasset/add/", asset_form()).content.decode()
    assert "Upload the file partners download." in page
    page = client.post("/admin/enablement/contentasset/add/", asset_form(kind="link")).content.decode()
    assert "Give the link partners open." in page
    assert not ContentAsset.objects.exists()


def test_a_new_file_in_the_admin_is_a_new_version_and_downloads_show_per_partner(
    client, manager, partner_admin, rival_admin
):
    asset = services.content_asset_save(
        by=manager, data={"title": "Deck", "category": "sales", "kind": "file"}, upload=upload("deck.pdf", PDF)
    )
    for user in (partner_admin, partner_admin, rival_admin):
        services.content_download_record(asset=asset, user=user)
    client.force_login(manager)
    page = client.get(f"/admin/enablement/contentasset/{asset.pk}/change/").content.decode()
    assert "<td>Acme Cloud Partners</td><td>2</td><td>1</td>" in page
    assert "<td>Globex Solutions</td><td>1</td><td>1</td>" in page
    response = client.post(
        f"/admin/enablement/contentasset/{asset.pk}/change/",
        asset_form(title="Deck", upload=upload("deck-v2.pdf", PDF + b"2")),
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.version == 2 and asset.downloads.count() == 3
    listing = client.get("/admin/enablement/contentasset/").content.decode()
    assert '<td class="field-download_count">3</td>' in listing


def test_completion_per_course_and_partner(client, manager, partner, course):
    alice, carol = PartnerUserFactory(partner=partner), PartnerUserFactory(partner=partner)
    services.quiz_attempt_submit(course=course, user=alice, answers=right_answers(course))
    all_wrong = {str(q.pk): wrong_choice(q) for q in course.questions.all()}
    services.quiz_attempt_submit(course=course, user=carol, answers=all_wrong)
    client.force_login(manager)
    listing = client.get("/admin/enablement/course/").content.decode()
    assert '<td class="field-passed_people">1</td>' in listing and '<td class="field-certified_now">1</td>' in listing
    page = client.get(f"/admin/enablement/course/{course.pk}/change/").content.decode()
    assert "<td>Acme Cloud Partners</td><td>2</td><td>1</td><td>1</td>" in page


def test_a_question_needs_two_choices_and_a_right_one(client, manager, course):
    client.force_login(manager)
    data = {
        "course": course.pk,
        "position": 9,
        "text": "Pick one",
        "choices-TOTAL_FORMS": 2,
        "choices-INITIAL_FORMS": 0,
        "choices-MIN_NUM_FORMS": 0,
        "choices-MAX_NUM_FORMS": 1000,
        "choices-0-position": 1,
        "choices-0-text": "A",
        "choices-1-position": 2,
        "choices-1-text": "B",
    }
    page = client.post("/admin/enablement/question/add/", data).content.decode()
    assert "Mark at least one choice as a right answer." in page
    data["choices-1-is_correct"] = "on"
    assert client.post("/admin/enablement/question/add/", data).status_code == 302
    assert Question.objects.filter(text="Pick one").exists()


def test_a_course_is_required_for_partner_types_from_the_admin(client, manager):
    client.force_login(manager)
    response = client.post(
        "/admin/enablement/course/add/",
        {
            "title": "Onboarding basics",
            "summary": "",
            "order": 0,
            "pass_mark": 70,
            "validity_months": 12,
            "required_types": ["msp"],
            "onboarding_event": "course_passed",
            "lessons-TOTAL_FORMS": 0,
            "lessons-INITIAL_FORMS": 0,
            "questions-TOTAL_FORMS": 0,
            "questions-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    course = Course.objects.get()
    assert (course.required_partner_types, course.onboarding_event, course.published) == (
        ",msp,",
        "course_passed",
        False,
    )


def test_the_course_list_counts_each_relation_on_its_own(client, manager, partner, course):
    """Questions, attempts, people who passed and people certified now are counted apart: counted
    over joins, three questions times three attempts times one certification would say 9 attempts."""
    alice, carol = PartnerUserFactory(partner=partner), PartnerUserFactory(partner=partner)
    all_wrong = {str(q.pk): wrong_choice(q) for q in course.questions.all()}
    services.quiz_attempt_submit(course=course, user=carol, answers=all_wrong)
    services.quiz_attempt_submit(course=course, user=alice, answers=all_wrong)
    services.quiz_attempt_submit(course=course, user=alice, answers=right_answers(course))
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        listing = client.get("/admin/enablement/course/").content.decode()
    joined = [q["sql"] for q in queries.captured_queries if 'JOIN "enablement_quizattempt"' in q["sql"]]
    assert not joined, "the list joins the attempts to the courses (each join multiplies the others' rows)"
    assert f'<td class="field-questions_count">{course.questions.count()}</td>' in listing
    assert '<td class="field-attempt_count">3</td>' in listing
    assert '<td class="field-passed_people">1</td>' in listing and '<td class="field-certified_now">1</td>' in listing
