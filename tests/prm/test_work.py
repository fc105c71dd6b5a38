"""The watchdog of long work is scheduled, its limits are settings, and Celery gives a task back
when its worker process dies (the watchdog covers the whole worker dying)."""

from django.conf import settings

from prm import work


def test_the_watchdog_runs_every_period_and_its_stale_messages_expire():
    entry = settings.CELERY_BEAT_SCHEDULE["restart-stale-work"]
    assert entry["task"] == "prm.tasks.restart_stale_work"
    assert entry["schedule"] == settings.PRM_WORK_WATCHDOG_SECONDS == 60
    assert entry["options"]["expires"] == settings.PRM_WORK_WATCHDOG_SECONDS
    assert settings.PRM_WORK_STALE_SECONDS == 120


def test_tasks_are_acknowledged_late_and_given_back_when_their_worker_process_dies():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT


def test_payout_runs_register_their_calculation_and_their_pdfs():
    from django.utils.module_loading import import_string

    from incentives.models import PayoutRun

    kinds = {kind.name: kind for kind in work.kinds_of(PayoutRun)}
    assert set(kinds) == {"payout calculation", "statement PDFs"}
    assert all(import_string(kind.task).name == kind.task for kind in kinds.values())  # Celery tasks by these names
