"""Scheduled sends with the clock frozen: the every-minute beat task starts a scheduled
newsletter at its time, not a minute before, and once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from enablement import services, tasks
from enablement.models import Newsletter

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("UTC"))


def test_the_beat_starts_a_scheduled_newsletter_at_its_time_and_once(manager, partner_admin, commit):
    with time_machine.travel(MONDAY_9 - timedelta(days=3), tick=False):
        newsletter = services.newsletter_save(by=manager, data={"subject": "Monday news", "body_markdown": "Hi."})
        services.newsletter_send(newsletter=newsletter, by=manager, at=MONDAY_9)
    mail.outbox.clear()
    with time_machine.travel(MONDAY_9 - timedelta(minutes=1), tick=False), commit():
        assert tasks.send_scheduled_newsletters() == []
    assert Newsletter.objects.get(pk=newsletter.pk).status == "scheduled"
    with time_machine.travel(MONDAY_9, tick=False), commit():
        assert tasks.send_scheduled_newsletters() == [newsletter.pk]
    sent = Newsletter.objects.get(pk=newsletter.pk)
    assert (sent.status, sent.started_at) == ("sent", MONDAY_9)
    assert [m.to for m in mail.outbox] == [[partner_admin.email]]
    with time_machine.travel(MONDAY_9 + timedelta(minutes=1), tick=False), commit():
        assert tasks.send_scheduled_newsletters() == []
    assert len(mail.outbox) == 1
