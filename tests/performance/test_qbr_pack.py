"""A QBR pack: every partner active or with activity in a quarter gets its QBR, rendered by a worker
chunk by chunk with its progress, and all of them go into one ZIP; ready QBRs are kept as they
are; a failed one is named; a pack whose worker died is restarted by the watchdog and resumes; a
real Celery worker on Redis does the whole of it."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from partners.models import StatusChange
from performance import tasks
from performance.admin.qbr import pack_progress_text
from performance.models import QbrPack, QuarterlyReview, quarter_end, quarter_label
from performance.selectors.qbr import qbr_partner_ids
from performance.services import qbr as services
from prm import work
from prm.errors import RuleViolation, StateConflict
from prm.scoping import scope

from ..factories import CommissionLineFactory, DealFactory, PartnerFactory, StaffUserFactory
from .conftest import in_month, last_quarter, moment, previous

pytestmark = pytest.mark.django_db


@pytest.fixture
def quarter_partners(db):
    """Who a pack of the last quarter covers, and who it leaves out."""
    q = last_quarter()
    old = q - timedelta(days=400)

    def partner(name, status="active", created=old):
        made = PartnerFactory(name=name, status=status)
        type(made).objects.filter(pk=made.pk).update(created_at=moment(created))
        return made

    busy = partner("Busy Ltd")
    DealFactory(partner=busy, submitted_at=moment(in_month(q, 1, 3)))
    quiet_active = partner("Quiet Active Ltd")  # active all quarter, no activity: still reviewed
    paid_only = partner("Ledger Only Ltd", status="suspended")
    CommissionLineFactory(partner=paid_only, booked_on=in_month(q, 2, 5))
    ended = partner("Ended Ltd", status="terminated")  # terminated before the quarter, no activity
    change(ended, "active", "terminated", q - timedelta(days=30))
    activated = partner("New In Quarter Ltd", created=q + timedelta(days=1))
    change(activated, "onboarding", "active", in_month(q, 1, 1))
    onboarding = partner("Still Onboarding Ltd", status="onboarding")
    later = partner("Joined Later Ltd", created=quarter_end(q) + timedelta(days=2))
    return {
        "in": [busy, quiet_active, paid_only, activated],
        "out": [ended, onboarding, later],
    }


def change(partner, from_status, to_status, day):
    StatusChange.objects.create(
        partner=partner, from_status=from_status, to_status=to_status, changed_at=moment(day), reason="History"
    )


def test_the_pack_covers_partners_active_or_with_activity_in_the_quarter(quarter_partners):
    ids = set(qbr_partner_ids(quarter=last_quarter()))
    assert ids == {p.pk for p in quarter_partners["in"]}


def test_a_pack_renders_every_qbr_of_the_quarter_into_one_zip(quarter_partners, manager, commit):
    q = last_quarter()
    with commit():
        pack = services.qbr_pack_request(quarter=q, by=manager)
        assert (pack.status, pack.total, pack.done) == ("rendering", 4, 0)
    pack.refresh_from_db()
    assert (pack.status, pack.total, pack.done, pack.error) == ("ready", 4, 4, "")
    assert pack.finished_at is not None
    with pack.archive.open("rb") as data, zipfile.ZipFile(io.BytesIO(data.read())) as archive:
        names = sorted(archive.namelist())
        assert all(archive.read(name).startswith(b"%PDF") for name in names)
    n = (q.month - 1) // 3 + 1
    slugs = ("busy-ltd", "quiet-active-ltd", "ledger-only-ltd", "new-in-quarter-ltd")
    assert names == sorted(f"qbr-{slug}-{q.year}-q{n}.pdf" for slug in slugs)
    assert QuarterlyReview.objects.filter(quarter=q, pdf_status="ready").count() == 4


def test_ready_qbrs_are_kept_as_they_are_and_others_are_rendered(quarter_partners, manager, commit):
    q = last_quarter()
    busy = quarter_partners["in"][0]
    with commit():
        kept = services.qbr_prepare(partner=busy, quarter=q, by=manager, goals="Keep me")
    kept.refresh_from_db()
    rendered_at, file_name = kept.rendered_at, kept.pdf.name
    with commit():
        pack = services.qbr_pack_request(quarter=q, by=manager)
        assert (pack.total, pack.done) == (4, 1)
    kept.refresh_from_db()
    assert (kept.rendered_at, kept.pdf.name, kept.goals) == (rendered_at, file_name, "Keep me")
    pack.refresh_from_db()
    assert (pack.status, pack.done) == ("ready", 4)


def test_a_second_pack_of_a_quarter_waits_for_the_first(quarter_partners, manager):
    q = last_quarter()
    first = services.qbr_pack_request(quarter=q, by=manager)  # not committed: still rendering
    with pytest.raises(StateConflict, match=f"The QBRs of {quarter_label(q)} are being rendered already"):
        services.qbr_pack_request(quarter=q, by=manager)
    assert QbrPack.objects.get() == first


def test_a_quarter_without_anyone_to_review_is_refused_in_words(manager):
    with pytest.raises(RuleViolation, match="there is no QBR to put in a ZIP"):
        services.qbr_pack_request(quarter=previous(previous(last_quarter())), by=manager)
    assert not QbrPack.objects.exists()


@pytest.mark.parametrize("role", ["finance", "partner_admin"])
def test_only_managers_ask_for_packs(quarter_partners, partner_admin, role):
    user = partner_admin if role == "partner_admin" else StaffUserFactory(role="finance")
    with pytest.raises(PermissionDenied):
        services.qbr_pack_request(quarter=last_quarter(), by=user)


def test_without_a_broker_every_chunk_is_rendered_in_one_call(quarter_partners, manager, monkeypatch):
    monkeypatch.setattr(tasks, "PACK_CHUNK", 1)
    pack = services.qbr_pack_request(quarter=last_quarter(), by=manager)
    with scope():
        assert tasks.render_qbr_pack(pack.pk) == 4
    pack.refresh_from_db()
    assert (pack.status, pack.done) == ("ready", 4)


def test_a_failed_qbr_is_named_in_the_pack_and_the_others_are_zipped(quarter_partners, manager, commit, monkeypatch):
    import performance.pdf

    original = performance.pdf.qbr_figures

    def failing_for_busy(*, partner, quarter):
        if partner.name == "Busy Ltd":
            raise ValueError("no data for the chart")
        return original(partner=partner, quarter=quarter)

    monkeypatch.setattr(performance.pdf, "qbr_figures", failing_for_busy)
    with commit():
        pack = services.qbr_pack_request(quarter=last_quarter(), by=manager)
    pack.refresh_from_db()
    assert (pack.status, pack.done, pack.total) == ("ready", 4, 4)
    assert pack.error == "1 could not be rendered: Busy Ltd"
    with pack.archive.open("rb") as data, zipfile.ZipFile(io.BytesIO(data.read())) as archive:
        assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 3
        assert "Busy Ltd: ValueError: no data for the chart" in archive.read("not-rendered.txt").decode()


def test_progress_is_reported_chunk_by_chunk_and_a_dead_pack_resumes(quarter_partners, manager, monkeypatch, commit):
    """A worker renders a chunk and dies before queueing the next: the pack shows how far it got;
    the watchdog restarts it once its sign of life is stale, and it finishes what is left."""
    monkeypatch.setattr(tasks, "PACK_CHUNK", 3)
    pack = services.qbr_pack_request(quarter=last_quarter(), by=manager)  # its task is lost (no commit)
    # As with a broker: the next chunk is queued, and that task is lost with the worker.
    monkeypatch.setitem(tasks.render_qbr_pack.app.conf, "task_always_eager", False)
    monkeypatch.setattr(tasks.render_qbr_pack, "delay", lambda pk: None)
    with scope():  # tasks act for the program themselves
        assert tasks.render_qbr_pack(pack.pk) == 3
    pack.refresh_from_db()
    assert (pack.status, pack.done, pack.total) == ("rendering", 3, 4)
    assert pack_progress_text(pack) == "Rendering QBRs: 3 of 4 done."
    monkeypatch.undo()
    with commit():
        assert work.restart_stale() == {}  # a fresh sign of life: a live worker may be on it
    with commit():
        restarted = work.restart_stale(now=timezone.now() + timedelta(hours=1))
    assert restarted == {"QBR pack": [pack.pk]}
    pack.refresh_from_db()
    assert (pack.status, pack.done, pack.total) == ("ready", 4, 4)
    assert pack_progress_text(pack) == f"Ready: 4 QBRs of {quarter_label(pack.quarter)}."
    with scope():
        assert tasks.render_qbr_pack(pack.pk) == 0  # run twice: nothing to do
