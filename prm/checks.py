"""System checks for what `check --deploy` cannot know about this project."""

from django.conf import settings
from django.core.checks import Warning, register

LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(deploy=True)
def shared_cache_in_production(app_configs, **kwargs):
    """Login rate limits and API throttles count in the cache: it must be shared by all processes."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in LOCAL_CACHES:
        return [
            Warning(
                "The default cache is local to one process, so login rate limits and API "
                "throttles are not shared between web processes.",
                hint="Set CACHE_URL to a Redis URL, e.g. redis://redis:6379/1.",
                id="prm.W001",
            )
        ]
    return []


@register(deploy=True)
def broker_in_production(app_configs, **kwargs):
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return [
            Warning(
                "CELERY_BROKER_URL is not set: background work runs inside web requests.",
                hint="Set CELERY_BROKER_URL to a Redis URL and run the worker and beat services.",
                id="prm.W002",
            )
        ]
    return []
