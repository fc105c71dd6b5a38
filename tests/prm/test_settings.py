"""Production settings are safe: `check --deploy` is clean and unsafe configurations refuse to start."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "-Vq8#pL2!zR7@mN4$wX1^bT6&cY9*hJ3",
    "ALLOWED_HOSTS": "prm.example.com",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "sqlite:////tmp/prm-deploy-check.sqlite3",
    "SITE_URL": "https://prm.example.com",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_about_a_local_cache():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, "CACHE_URL": "locmemcache://"})
    assert result.returncode != 0
    assert "prm.W001" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {k: v for k, v in PRODUCTION.items() if k != "ALLOWED_HOSTS"}
    result = manage("check", env=env)
    assert "ALLOWED_HOSTS must be set" in result.stderr
