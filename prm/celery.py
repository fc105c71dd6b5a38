"""The Celery application.

Conventions for every task of the project (see STYLE.md):
- a task takes ids, never model instances, and can run twice without harm;
- it is enqueued after the transaction that created its rows commits
  (``task.delay_on_commit(...)``), so a worker never reads uncommitted rows;
- it runs with partner scoping disabled explicitly (``prm.scoping.scopes_disabled``),
  because a task acts for the program, not for one signed-in user.
Late acks and reject-on-worker-lost are set in settings, so a task whose worker dies is run again.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")

app = Celery("prm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
