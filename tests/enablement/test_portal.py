"""The training pages: a person's courses, progress and certificates; the partner admin also sees
the team's; lessons are sanitized Markdown; navigation and empty states."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enablement import services
from enablement.models import Certification, LearningPath, Lesson, PathStep

from ..factories import PartnerUserFactory, course_with_quiz, right_answers

pytestmark = pytest.mark.django_db


def pass_course(course, user):
    return services.quiz_attempt_submit(course=course, user=user, answers=right_answers(course)).granted_certification


@pytest.fixture
def paths(course):
    selling = course_with_quiz(title="Selling Cloud Suite")
    sales = LearningPath.objects.create(title="Sales foundations", order=1)
    PathStep.objects.create(path=sales, course=course, position=1)
    PathStep.objects.create(path=sales, course=selling, position=2)
    return {"sales": sales, "selling": selling}


def test_a_rep_sees_paths_progress_and_own_certificates_only(client, rep, partner_admin, course, paths):
    pass_course(course, rep)
    pass_course(paths["selling"], partner_admin)
    client.force_login(rep)
    page = client.get("/portal/training/").content.decode()
    assert "Sales foundations" in page and "Selling Cloud Suite" in page
    assert page.index("Product foundations") < page.index("Selling Cloud Suite")
    certification = Certification.objects.get(user=rep)
    assert certification.verification_code in page
    assert Certification.objects.get(user=partner_admin).verification_code not in page
    assert "Your team&#x27;s certifications" not in page and "Your team's certifications" not in page


def test_the_partner_admin_sees_the_team_and_what_expires_soon(client, rep, partner_admin, rival_admin, course):
    certification = pass_course(course, rep)
    Certification.objects.filter(pk=certification.pk).update(expires_on=timezone.localdate() + timedelta(days=10))
    pass_course(course, rival_admin)
    client.force_login(partner_admin)
    page = client.get("/portal/training/").content.decode()
    assert "certifications</h2>" in page and "Ending within 30 days" in page
    assert rep.full_name in page and rep.email in page
    assert rival_admin.email not in page and rival_admin.full_name not in page


def test_required_courses_are_shown_for_the_partner_type(client, rep, course):
    course.required_partner_types = ",reseller,"
    course.save()
    client.force_login(rep)
    page = client.get("/portal/training/").content.decode()
    assert "Required for Acme Cloud Partners" in page and "required</span>" in page


def test_empty_states(client, rep):
    client.force_login(rep)
    page = client.get("/portal/training/").content.decode()
    assert "No courses yet" in page and "No certificates yet" in page


def test_the_navigation_has_training_and_content(client, rep):
    client.force_login(rep)
    page = client.get("/portal/training/").content.decode()
    assert 'aria-current="page" href="/portal/training/">Training</a>' in page
    assert 'href="/portal/content/">Content</a>' in page


def test_the_training_page_takes_a_constant_number_of_queries(client, partner_admin, course, paths):
    client.force_login(partner_admin)
    counts = []
    for n in (1, 5):
        for _ in range(n):
            member = PartnerUserFactory(partner=partner_admin.partner, role="partner_rep")
            pass_course(course, member)
            pass_course(course_with_quiz(title=f"Course {member.pk}"), member)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/portal/training/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_script_or_javascript_link_in_a_lesson_never_reaches_the_page(client, api, rep, course):
    Lesson.objects.create(
        course=course,
        position=3,
        title="Tricky",
        body_markdown=(
            "<script>alert('x')</script>\n\n[Click](javascript:alert(1)) and ![img](javascript:alert(2))\n\n"
            '<img src="x.png" onerror="alert(3)"> <a href="JAVASCRIPT:alert(4)">caps</a> [data](data:text/html,hi)\n\n'
            "![Diagram](https://cdn.example.com/diagram.png) [Docs](https://docs.example.com/)"
        ),
    )
    client.force_login(rep)
    page = client.get(f"/portal/training/courses/{course.pk}/").content.decode()
    api.force_authenticate(rep)
    lesson_html = api.get(f"/api/v1/courses/{course.pk}/").json()["lessons"][2]["body_html"]
    for html in (page, lesson_html):
        assert "alert(" not in html
        assert "javascript:" not in html.lower() and "data:text" not in html
        assert "onerror" not in html
    assert '<img alt="Diagram" src="https://cdn.example.com/diagram.png">' in lesson_html
    assert 'href="https://docs.example.com/"' in lesson_html


def test_staff_are_sent_to_the_admin(client, manager):
    client.force_login(manager)
    response = client.get("/portal/training/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_portal_home_shows_featured_content_and_training_due(client, rep, manager, course):
    from .conftest import PDF, upload

    course.required_partner_types = ",reseller,"
    course.save()
    services.content_asset_save(
        by=manager,
        data={"title": "Launch deck", "category": "sales", "kind": "file", "featured": True},
        upload=upload("deck.pdf", PDF),
    )
    client.force_login(rep)
    page = client.get("/portal/").content.decode()
    assert "Featured content" in page and "Launch deck" in page
    assert "Training due" in page and "Product foundations" in page
    pass_course(course, rep)
    page = client.get("/portal/").content.decode()
    assert "Training due" not in page


def test_the_portal_home_without_enablement_data_shows_no_panel(client, rep):
    client.force_login(rep)
    page = client.get("/portal/").content.decode()
    assert "Featured content" not in page and "Training due" not in page
