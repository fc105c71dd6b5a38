"""Benchmark: what the admin's app list costs a cached leaderboard page, in process.

    DATABASE_URL=sqlite:////tmp/bench-demo.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench-demo.sqlite3 .venv/bin/python manage.py seed_demo
    DATABASE_URL=sqlite:////tmp/bench-demo.sqlite3 .venv/bin/python bench/admin_context.py

Signs in the demo manager and loads the leaderboard (its table cached after the first request)
100 times with the page's context as it is built (without the app list the page hides), then
100 times with the admin's whole ``each_context`` (the app list included), four rounds in turn;
prints each round's median.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.test import Client  # noqa: E402

from partners.models import User  # noqa: E402
from performance.admin import dashboard  # noqa: E402
from prm.scoping import scopes_disabled  # noqa: E402

URL = "/admin/performance/leaderboard/"


def median_ms(client: Client, n: int = 100) -> float:
    for _ in range(5):
        client.get(URL)
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(URL)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return statistics.median(times) * 1000


def main() -> None:
    with scopes_disabled():
        manager = User.objects.get(email="manager@demo.test")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    built = dashboard._context_without_app_list
    variants = {
        "without the app list (as built)": built,
        "with the admin's whole each_context": lambda request: {
            **admin.site.each_context(request),
            "is_nav_sidebar_enabled": False,
        },
    }
    results: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(4):
        for name, context in variants.items():
            dashboard._context_without_app_list = context
            results[name].append(median_ms(client))
    dashboard._context_without_app_list = built
    print(f"load average {os.getloadavg()[0]:.1f}")
    for name, medians in results.items():
        print(f"{name}: medians {', '.join(f'{m:.1f}' for m in medians)} ms")


if __name__ == "__main__":
    main()
