"""Preparing a QBR: who may, which quarters, goals as plain text of limited length; the PDF is
rendered by a worker after the transaction commits (never inside it, never for a rollback); a
newer request wins over a rendering in flight; a failure is recorded in words."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from performance.models import GOALS_MAX, QuarterlyReview, quarter_start
from performance.services import qbr as services
from performance.tasks import render_qbr
from prm.errors import RuleViolation, StateConflict
from prm.scoping import scope

from ..factories import StaffUserFactory
from .conftest import last_quarter

pytestmark = pytest.mark.django_db


def test_a_manager_prepares_a_qbr_and_a_worker_renders_it_after_commit(partner, manager, commit):
    with commit():
        review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager, goals="Win Contoso")
        # Inside the transaction nothing is rendered yet.
        assert QuarterlyReview.objects.get(pk=review.pk).pdf_status == "pending"
        assert not QuarterlyReview.objects.get(pk=review.pk).pdf
    review.refresh_from_db()
    assert (review.pdf_status, review.goals, review.requested_by) == ("ready", "Win Contoso", manager)
    assert review.pdf.name.endswith(".pdf") and review.rendered_at is not None
    assert review.history.first().history_user == manager


def test_nothing_is_rendered_for_a_transaction_that_rolls_back(partner, manager, commit):
    with commit():
        with pytest.raises(RuntimeError), transaction.atomic():
            services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager)
            raise RuntimeError("the request failed after the service")
    assert not QuarterlyReview.objects.exists()


def test_rendering_inside_a_transaction_is_refused_and_said(partner, manager):
    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager)  # no commit: not rendered
    with transaction.atomic():
        assert services.qbr_render(review_id=review.pk) is False
    review.refresh_from_db()
    assert review.pdf_status == "failed" and "RenderInTransaction" in review.pdf_error
    assert not review.pdf


def test_preparing_again_replaces_the_goals_and_renders_again(partner, manager, commit):
    with commit():
        first = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager, goals="One")
    first.refresh_from_db()
    old_file = first.pdf.name
    with commit():
        second = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager, goals="Two\r\nThree")
    second.refresh_from_db()
    assert second.pk == first.pk and QuarterlyReview.objects.count() == 1
    assert second.goals == "Two\nThree" and second.pdf_status == "ready"
    assert second.pdf.name != old_file
    assert not second.pdf.storage.exists(old_file)  # the replaced document is removed


@pytest.mark.parametrize("role", ["finance", "partner_admin"])
def test_only_managers_prepare_qbrs(partner, partner_admin, role):
    user = partner_admin if role == "partner_admin" else StaffUserFactory(role="finance")
    with pytest.raises(PermissionDenied):
        services.qbr_prepare(partner=partner, quarter=last_quarter(), by=user)
    assert not QuarterlyReview.objects.exists()


def test_the_program_admin_prepares_qbrs_too(partner):
    admin = StaffUserFactory(role="admin", is_superuser=True)
    assert services.qbr_prepare(partner=partner, quarter=last_quarter(), by=admin).pk


@pytest.mark.parametrize(
    ("quarter", "message"),
    [
        (lambda: last_quarter() + timedelta(days=1), "A quarter starts on 1 January, April, July or October."),
        (lambda: quarter_start(timezone.localdate() + timedelta(days=100)), "has not started yet"),
        (lambda: None, "Choose a quarter."),
    ],
)
def test_a_quarter_that_is_not_one_or_has_not_started_is_refused(partner, manager, quarter, message):
    with pytest.raises(RuleViolation) as refused:
        services.qbr_prepare(partner=partner, quarter=quarter(), by=manager)
    assert list(refused.value.message_dict) == ["quarter"]
    assert message in refused.value.message_dict["quarter"][0]
    assert not QuarterlyReview.objects.exists()


@pytest.mark.parametrize(
    ("goals", "says"), [("g" * (GOALS_MAX + 1), str(GOALS_MAX)), ("Win\u202eTender", "U+202E"), ("a\x00b", "U+0000")]
)
def test_goals_are_plain_text_of_limited_length(partner, manager, goals, says):
    with pytest.raises(RuleViolation) as refused:
        services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager, goals=goals)
    assert list(refused.value.message_dict) == ["goals"]
    assert says in refused.value.message_dict["goals"][0]
    assert not QuarterlyReview.objects.exists()


def test_goals_at_the_limit_and_on_several_lines_are_kept(partner, manager):
    goals = "\n".join(["g" * 99] * 30)  # 30 lines, 2,999 characters
    assert len(goals) <= GOALS_MAX
    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager, goals=goals)
    assert review.goals == goals


def test_render_again_is_refused_while_a_rendering_is_pending_then_allowed(partner, manager, commit):
    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager)  # pending, not committed
    with pytest.raises(StateConflict, match="is being rendered already"):
        services.qbr_render_again(review=review, by=manager)
    # A request lost long ago (its task never ran) may be made again.
    QuarterlyReview.objects.filter(pk=review.pk).update(requested_at=timezone.now() - timedelta(hours=1))
    with commit():
        services.qbr_render_again(review=review, by=manager)
    review.refresh_from_db()
    assert review.pdf_status == "ready"
    with commit():
        services.qbr_render_again(review=review, by=manager)  # a ready one may be rendered again at once
    review.refresh_from_db()
    assert review.pdf_status == "ready"


def test_a_rendering_overtaken_by_a_newer_request_is_dropped(partner, manager, monkeypatch):
    """A manager saves new goals while a worker renders the old ones: the old rendering is not
    stored (its file is removed), and the newer request's rendering is."""
    import performance.pdf

    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager, goals="Old")
    original = performance.pdf.qbr_pdf

    def render_while_someone_saves(review):
        document = original(review)
        QuarterlyReview.objects.filter(pk=review.pk).update(goals="New", requested_at=timezone.now())
        return document

    monkeypatch.setattr(performance.pdf, "qbr_pdf", render_while_someone_saves)
    assert services.qbr_render(review_id=review.pk) is False
    review.refresh_from_db()
    assert (review.pdf_status, review.pdf.name) == ("pending", "")
    monkeypatch.setattr(performance.pdf, "qbr_pdf", original)
    assert services.qbr_render(review_id=review.pk) is True
    review.refresh_from_db()
    assert review.pdf_status == "ready"
    assert services.qbr_render(review_id=review.pk) is False  # run twice: nothing more to do


def test_a_failed_rendering_is_recorded_in_words_and_can_be_asked_again(partner, manager, commit, monkeypatch):
    import performance.pdf

    def broken(*args, **kwargs):
        raise ValueError("the chart had no months")

    monkeypatch.setattr(performance.pdf, "qbr_figures", broken)
    with commit():
        review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager)
    review.refresh_from_db()
    assert (review.pdf_status, review.pdf_error) == ("failed", "ValueError: the chart had no months")
    monkeypatch.undo()
    with commit():
        services.qbr_render_again(review=review, by=manager)
    review.refresh_from_db()
    assert (review.pdf_status, review.pdf_error) == ("ready", "")


def test_the_render_task_acts_for_the_program_outside_any_partner_scope(partner, manager):
    review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager)
    with scope():
        assert render_qbr.delay(review.pk).get() is True
