"""A partner rep takes a course: fails the quiz, retakes it, passes, downloads the certificate and
checks it on the public verification page; axe finds nothing serious on the way."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from enablement import services
from enablement.models import Certification, LearningPath, PathStep

from ..factories import PartnerFactory, PartnerUserFactory, StaffUserFactory, TierFactory, course_with_quiz
from .conftest import screenshot
from .test_accessibility import violations
from .test_deals import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    acme = PartnerFactory(name="Acme Cloud Partners", tier=TierFactory(name="Gold", rank=3))
    carol = PartnerUserFactory(partner=acme, role="partner_rep", email="carol@acme.example.com", full_name="Carol Chen")
    alice = PartnerUserFactory(partner=acme, email="alice@acme.example.com", full_name="Alice Anders")
    course = course_with_quiz(required_partner_types=",reseller,")
    path = LearningPath.objects.create(title="Sales foundations", description="Learn the product, then sell it.")
    PathStep.objects.create(path=path, course=course, position=1)
    manager = StaffUserFactory(email="manager@example.com")
    for i, category in enumerate(["sales", "marketing", "pricing"]):
        services.content_asset_save(
            by=manager,
            upload=SimpleUploadedFile(f"asset-{i}.pdf", PDF),
            data={
                "title": f"{category.title()} material {i}",
                "category": category,
                "kind": "file",
                "featured": i == 0,
                "tags": ["cloud"],
                "description": "Material to sell with.",
            },
        )
    return {"carol": carol, "alice": alice, "course": course}


@pytest.fixture
def page(browser):
    # axe is injected as a script: the test page lets it past the CSP (the app's pages keep theirs).
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True)
    yield context.new_page()
    context.close()


def test_a_rep_fails_retakes_passes_and_downloads_the_certificate(live_server, page, world, tmp_path):
    found = {}
    sign_in(page, live_server, world["carol"].email)
    expect(page.get_by_role("heading", name="Training due")).to_be_visible()
    page.get_by_role("link", name="Training", exact=True).click()
    expect(page.get_by_role("heading", name="Required for Acme Cloud Partners")).to_be_visible()
    found["training"] = violations(page)
    screenshot(page, "training-empty")
    page.get_by_role("link", name="Product foundations").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Product foundations")

    # First attempt: two questions wrong.
    page.get_by_label("Only on Tuesdays").check()
    page.get_by_label("Security Add-on").check()
    page.get_by_label("IT leaders").check()
    found["course"] = violations(page)
    screenshot(page, "course-quiz")
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your result: 33%")
    main = page.locator("main")
    expect(main).to_contain_text("Not passed this time")
    expect(main).to_contain_text("What does Cloud Suite run on?")
    expect(main).not_to_contain_text("Everywhere")  # never the right answer
    found["failed"] = violations(page)
    screenshot(page, "attempt-failed")

    # Retake: everything right.
    page.get_by_role("link", name="Retake the quiz").click()
    page.get_by_label("Everywhere").check()
    page.get_by_label("Security Add-on").check()
    page.get_by_label("Managed Backup").check()
    page.get_by_label("IT leaders").check()
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your result: 100%")
    expect(main).to_contain_text("You passed Product foundations")
    found["passed"] = violations(page)
    screenshot(page, "attempt-passed")

    certification = Certification.objects.get(user=world["carol"])
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert download.suggested_filename == f"certificate-{certification.verification_code}.pdf"
    assert Path(saved).read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="See the public verification page").click()
    expect(page.get_by_text("This certificate is genuine and current.")).to_be_visible()
    found["verify"] = violations(page)
    screenshot(page, "certificate-verify")

    page.goto(live_server.url + "/portal/training/")
    expect(page.get_by_role("table").last).to_contain_text(certification.verification_code)
    screenshot(page, "training-certified")
    page.get_by_role("link", name="Content", exact=True).click()
    expect(page.get_by_role("heading", name="Sales material 0")).to_be_visible()
    found["content"] = violations(page)
    screenshot(page, "content-library")
    page.get_by_label("Search title, description or tags").fill("nothing like this")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("Nothing matches")).to_be_visible()
    found["content empty"] = violations(page)
    assert {name: v for name, v in found.items() if v} == {}


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_partner_admin_sees_the_team_without_accessibility_violations(live_server, browser, world, viewport):
    services.quiz_attempt_submit(course=world["course"], user=world["carol"], answers=_right(world["course"]))
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, world["alice"].email)
    found = {}
    for url in ["/portal/", "/portal/training/", "/portal/content/", f"/portal/training/courses/{world['course'].pk}/"]:
        page.goto(live_server.url + url)
        found[url] = violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0] + 1, url
    page.goto(live_server.url + "/portal/training/")
    expect(page.locator("main")).to_contain_text("Carol Chen")
    screenshot(page, f"training-team-{viewport[0]}")
    page.goto(live_server.url + "/portal/")
    screenshot(page, f"portal-home-enablement-{viewport[0]}")
    context.close()
    assert {url: v for url, v in found.items() if v} == {}


def _right(course):
    from ..factories import right_answers

    return right_answers(course)
