"""The demo's calendar: months back, moments that never lie ahead of now, documents on demand."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from enablement.tasks import render_certificate_pdf
from partners.tasks import render_signed_agreement
from prm.demo_story import add_months, documents_on_demand, moment, month_last_day, month_start

pytestmark = pytest.mark.django_db


def test_months_back_cross_the_new_year():
    assert month_start(date(2027, 1, 15), 0) == date(2027, 1, 1)
    assert month_start(date(2027, 1, 15), 1) == date(2026, 12, 1)
    assert month_start(date(2027, 1, 15), 12) == date(2026, 1, 1)
    assert month_start(date(2027, 1, 15), 13) == date(2025, 12, 1)
    assert month_last_day(date(2028, 2, 1)) == date(2028, 2, 29)
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_a_moment_of_an_earlier_day_is_the_time_it_names():
    day = timezone.localdate() - timedelta(days=3)
    at = moment(day, 14, 30)
    assert timezone.localtime(at).date() == day
    assert (timezone.localtime(at).hour, timezone.localtime(at).minute) == (14, 30)


def test_todays_moments_that_have_not_come_yet_happen_before_now_in_their_order():
    with time_machine.travel(timezone.make_aware(datetime(2026, 6, 1, 0, 40)), tick=False):
        now = timezone.now()
        today = timezone.localdate()
        early, noon, late = moment(today, 0, 10), moment(today, 12), moment(today, 23, 59)
        assert early == timezone.make_aware(datetime(2026, 6, 1, 0, 10))  # already past: as named
        assert early < noon < late < now
        assert all(timezone.localdate(at) == today for at in (noon, late))


def test_the_story_never_happens_after_today():
    with pytest.raises(ValueError, match="after today"):
        moment(timezone.localdate() + timedelta(days=1), 9)


def test_documents_asked_for_inside_the_block_are_left_to_render_on_demand(django_capture_on_commit_callbacks):
    def kept():
        pass

    with django_capture_on_commit_callbacks() as callbacks:
        with documents_on_demand():
            render_certificate_pdf.delay_on_commit(1)
            render_signed_agreement.delay_on_commit(2)
            transaction.on_commit(kept)
        render_certificate_pdf.delay_on_commit(3)  # outside the block: rendered after commit as usual
    assert callbacks[0] is kept
    assert len(callbacks) == 2
    assert callbacks[1].func.__self__.name == "enablement.tasks.render_certificate_pdf"
    assert callbacks[1].args == (3,)


@pytest.mark.django_db(transaction=True)
def test_documents_on_demand_needs_the_demos_transaction():
    with pytest.raises(RuntimeError, match="inside a transaction"), documents_on_demand():
        pass
