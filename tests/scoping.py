"""The helper that proves a URL is scoped: another organization's object answers 404."""

from django.test import Client


def assert_scoped(client: Client, url: str, method: str = "get", data: dict | None = None) -> None:
    """``client`` is signed in as a partner user; ``url`` names another organization's object."""
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 404, (
        f"{method.upper()} {url} answered {response.status_code} to a user of another organization; it must be 404."
    )
    body = response.content.decode(errors="replace")
    assert "Traceback" not in body
