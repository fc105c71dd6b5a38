"""API clients signed in as a given user, for tests that act as several people at once."""

from rest_framework.test import APIClient


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client
