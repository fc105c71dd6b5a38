"""Links in e-mails carry the port the app is served on (`PORT=8123 make run`)."""

import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import mail

from ..factories import PartnerUserFactory


def site_url(**env) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_SETTINGS_MODULE": "prm.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_site_url_defaults_to_the_served_port():
    assert site_url(PORT="8123") == "http://127.0.0.1:8123"


def test_site_url_defaults_to_port_8000_without_a_port():
    assert site_url() == "http://127.0.0.1:8000"


def test_an_explicit_site_url_wins_over_the_port():
    assert site_url(PORT="8123", SITE_URL="https://prm.example.com/") == "https://prm.example.com"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_its_port_to_the_environment():
    makefile = (settings.BASE_DIR / "Makefile").read_text()
    result = subprocess.run(
        ["make", "-s", "-f", "-", "show-port"],
        input=makefile + "\nshow-port:\n\t@echo $$PORT\n",
        cwd=settings.BASE_DIR,
        env={k: v for k, v in os.environ.items() if k != "PORT"} | {"PORT": "8123"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "8123", result.stderr
    result = subprocess.run(
        ["make", "-s", "-f", "-", "show-port"],
        input=makefile + "\nshow-port:\n\t@echo $$PORT\n",
        cwd=settings.BASE_DIR,
        env={k: v for k, v in os.environ.items() if k != "PORT"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "8000", result.stderr


@pytest.mark.django_db
def test_password_reset_link_carries_the_port_of_the_request(client):
    user = PartnerUserFactory(email="dana@acme.example.com")
    response = client.post("/accounts/password/reset/", {"email": user.email}, HTTP_HOST="127.0.0.1:8123")
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "http://127.0.0.1:8123/accounts/password/reset/key/" in mail.outbox[0].body
