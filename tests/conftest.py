import os

import pytest
from django.test import Client
from rest_framework.test import APIClient

from prm.scoping import scopes_disabled

from .clients import api_client_for
from .factories import PartnerFactory, PartnerUserFactory, StaffUserFactory


@pytest.fixture(autouse=True)
def _program_scope():
    """Test code acts for the program (as pretix's tests do); requests still run in their
    user's scope, entered by the middleware and the API views inside this one."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and throttles count in the cache: start every test from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def partner(db):
    return PartnerFactory(name="Acme Cloud Partners")


@pytest.fixture
def rival(db):
    return PartnerFactory(name="Globex Solutions")


@pytest.fixture
def partner_admin(partner):
    return PartnerUserFactory(partner=partner, email="alice@acme.example.com")


@pytest.fixture
def rival_admin(rival):
    return PartnerUserFactory(partner=rival, email="bob@globex.example.com")


@pytest.fixture
def rep(partner):
    """The lower-privileged colleague of ``partner_admin``."""
    return PartnerUserFactory(
        partner=partner, role="partner_rep", email="carol@acme.example.com", full_name="Carol Chen"
    )


@pytest.fixture
def manager(db):
    return StaffUserFactory(email="manager@example.com")


@pytest.fixture
def finance(db):
    return StaffUserFactory(role="finance", email="finance@example.com")


@pytest.fixture
def finance2(db):
    """A second finance user: runs are approved by someone other than their creator."""
    return StaffUserFactory(role="finance", email="finance2@example.com")


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit():`` runs what the block enqueued for after the commit, as a real commit would.

    The one way tests see on-commit work: ``transaction.on_commit`` is never patched, so work
    enqueued inside a transaction that rolls back is never run here either.
    """
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def partner_api(partner_admin):
    return api_client_for(partner_admin)


@pytest.fixture
def manager_api(manager):
    return api_client_for(manager)


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    """A Redis to use as broker. CI starts one, so there a missing Redis fails the test."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_URL}; .ci/run should have started it.")
        pytest.skip(f"Redis does not answer at {REDIS_URL}")
    return REDIS_URL


def _point_celery_at(broker_url: str, *, eager: bool):
    from prm.celery import app

    # Forget the pools bound to the previous broker; kombu keeps one pool per broker URL.
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.update(broker_url=broker_url, task_always_eager=eager)
    return app


@pytest.fixture
def celery_broker(redis_url):
    """Celery sends to a real Redis broker instead of running tasks eagerly."""
    yield _point_celery_at(redis_url, eager=False)
    _point_celery_at("memory://", eager=True)


@pytest.fixture
def dead_broker():
    yield _point_celery_at("redis://127.0.0.1:1/0", eager=False)
    _point_celery_at("memory://", eager=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _private_files_in_a_temporary_folder(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def checklist(db):
    """The onboarding checklist of resellers: four steps that close on events, one manual."""
    from partners.models import OnboardingEvent, OnboardingTaskTemplate

    steps = [
        ("Sign the partner agreement", OnboardingEvent.AGREEMENT_SIGNED, True),
        ("Complete the company profile", OnboardingEvent.PROFILE_COMPLETED, True),
        ("Add payout details", OnboardingEvent.PAYOUT_DETAILS_ADDED, True),
        ("Invite a colleague", OnboardingEvent.FIRST_USER_INVITED, True),
        ("Kick-off call", "", False),
    ]
    return [
        OnboardingTaskTemplate.objects.create(
            partner_type="reseller", title=title, event=event, required=required, order=i
        )
        for i, (title, event, required) in enumerate(steps)
    ]


@pytest.fixture
def requests_commit(monkeypatch, django_capture_on_commit_callbacks):
    """Every test-client request commits when it ends, as a request does in production: what it
    enqueued on commit (eager Celery tasks: calculations, documents) runs then, outside the
    request's transactions, and never for a transaction that rolled back."""
    for client_class in (Client, APIClient):
        original = client_class.request

        def request(self, *args, _original=original, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(client_class, "request", request)


@pytest.fixture(scope="module")
def committed_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """seed_demo loaded and committed once for a module (a year of demo data takes seconds to
    load: too slow to repeat per test), and removed after it. Each test still runs in its own
    transaction, so what a test writes is rolled back and the next one finds the demo as loaded."""
    import io

    from django.core.management import call_command
    from django.test import override_settings

    folder = tmp_path_factory.mktemp("demo")
    files = override_settings(
        DEBUG=True,
        PRIVATE_MEDIA_ROOT=folder / "private",
        MEDIA_ROOT=folder / "media",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    with django_db_blocker.unblock(), files:
        call_command("seed_demo", stdout=io.StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
